"""Plugins bundled with cardbot (import name `cardbot_plugins`); each module here is one plugin."""
