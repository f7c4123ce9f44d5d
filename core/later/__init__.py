"""After the click: the outbox (messages sent once the delivery commits) and timers (work for later)."""

from .dispatcher import Dispatcher
from .outbox import Outbox, Outgoing
from .timer_runs import TimerRuns
from .timers import Timer, Timers

__all__ = ["Dispatcher", "Outbox", "Outgoing", "Timer", "TimerRuns", "Timers"]
