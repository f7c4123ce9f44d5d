"""Keep this serving process known alive in the database, and clear up after processes that died.

    presence = Presence(store, host_timeout=8.0)
    await presence.start()        # the first beat (with its sweep), then every host_timeout / 5
    await presence.stop()         # clicks still running are recorded interrupted, the row removed

A process is alive while it renews its row (store/liveness.py): no pid or host name is trusted, so
this holds across hosts, containers and PID namespaces. A dead process's running clicks are recorded
`interrupted` and its cards freed by the next sweep of any live process: within host_timeout plus
one beat of its last renewal.
"""

from __future__ import annotations

import asyncio
import logging

from .errors import StoreBusy
from .store import Store
from .store.liveness import new_process_token

log = logging.getLogger("cardbot")
BEATS_PER_TIMEOUT = 5


class Presence:
    """This process's token and the task that renews it and sweeps for dead processes."""

    def __init__(self, store: Store, *, host_timeout: float) -> None:
        self.token = new_process_token()
        self._store = store
        self._timeout = host_timeout
        self._task: asyncio.Task | None = None

    async def start(self) -> None:
        """Announce this process (before it takes any click) and sweep, then keep beating."""
        await self._beat(first=True)
        self._task = asyncio.create_task(self._keep_beating())

    async def stop(self) -> None:
        """Stop beating; record this process's clicks still running as interrupted and leave."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        try:
            interrupted = await self._store.leave(self.token)
        except StoreBusy as busy:
            log.warning("could not record this process's stop (%s); other processes will within %g s",
                        busy, self._timeout)
            return
        if interrupted:
            log.warning("%d click(s) still running at shutdown were recorded interrupted: %s", len(interrupted),
                        ", ".join(interrupted))

    async def _keep_beating(self) -> None:
        while True:
            await asyncio.sleep(self._timeout / BEATS_PER_TIMEOUT)
            try:
                await self._beat()
            except StoreBusy as busy:
                log.warning("could not renew this process's presence: %s", busy)
            except Exception:  # noqa: BLE001 - the next beat tries again
                log.exception("renewing this process's presence failed")

    async def _beat(self, *, first: bool = False) -> None:
        """Renew this process's row and sweep for dead processes (one write), logging what it found."""
        renewed, interrupted = await self._store.beat(self.token, self._timeout)
        if not renewed and not first:
            log.error("this process was taken for dead (silent in the database for over %g s): its "
                      "running clicks were recorded interrupted; it goes on serving", self._timeout)
        if interrupted:
            log.warning("%d click(s) were interrupted by a stop or crash before their plugin finished: %s",
                        len(interrupted), ", ".join(interrupted))
