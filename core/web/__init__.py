"""The HTTP side: the Sanic app, the callback route, health, and error answers."""

from .app import create_app

__all__ = ["create_app"]
