"""A thread pool of daemon threads: a plugin stuck in a blocking call can never hold the process open."""

from __future__ import annotations

import queue
import threading
from concurrent.futures import Executor, Future
from typing import Any, Callable


class DaemonThreadPool(Executor):
    """Like ThreadPoolExecutor (at most `max_workers` threads, started on demand), but daemon threads."""

    def __init__(self, max_workers: int, name: str) -> None:
        self._max_workers = max_workers
        self._name = name
        self._work: queue.SimpleQueue = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._threads = 0
        self._idle = 0
        self._closed = False

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:
        """Queue `fn(*args, **kwargs)`; its Future settles when a thread has run it."""
        future: Future = Future()
        with self._lock:
            if self._closed:
                raise RuntimeError(f"the {self._name} thread pool is shut down")
            self._work.put((future, fn, args, kwargs))
            if self._idle == 0 and self._threads < self._max_workers:
                self._threads += 1
                threading.Thread(target=self._serve, name=f"{self._name}-{self._threads}", daemon=True).start()
            else:
                self._idle -= 1 if self._idle else 0
        return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Stop the threads once they finish their current call (they are never joined if stuck)."""
        with self._lock:
            self._closed = True
            threads = self._threads
        if cancel_futures:
            while True:
                try:
                    item = self._work.get_nowait()
                except queue.Empty:
                    break
                if item is not None:
                    item[0].cancel()
        for _ in range(threads):
            self._work.put(None)

    def _serve(self) -> None:
        while True:
            item = self._work.get()
            if item is None:
                return
            future, fn, args, kwargs = item
            if future.set_running_or_notify_cancel():
                try:
                    future.set_result(fn(*args, **kwargs))
                except BaseException as error:  # noqa: BLE001 - delivered to whoever awaits the future
                    future.set_exception(error)
            with self._lock:
                self._idle += 1
