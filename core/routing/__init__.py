"""Routes inside a plugin: decorators that say which function handles which clicks, commands and timers,
and produce the plugin's claims (`Router`); typed button values read from dataclasses (`ValueSchema`)."""

from .router import NoRoute, Router, ValueRefused
from .values import ValueMismatch, ValueSchema

__all__ = ["NoRoute", "Router", "ValueMismatch", "ValueRefused", "ValueSchema"]
