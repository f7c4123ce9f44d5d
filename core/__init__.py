"""cardbot: a plugin framework for Lark/Feishu interactive-card bots (import name `cardbot`)."""
