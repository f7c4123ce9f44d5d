"""Chat messages sent to the bot (Lark's `im.message.receive_v1`) and the commands in them.

    message = parse_message(payload)                    # or CallbackRejected(400)
    command = read_command(message, bot_open_id)        # None when the message is not a command
"""

from .commands import Command, read_command
from .message import Mention, Message
from .parse import parse_message

__all__ = ["Command", "Mention", "Message", "parse_message", "read_command"]
