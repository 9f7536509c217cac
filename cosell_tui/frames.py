"""Opt-in frame timing for the benchmarks (issue 6, `make bench`).

`COSELL_FRAME_LOG=FILE` makes the app append one line per key it receives and one per frame
it writes (`key <seconds> <key>`, `frame <seconds>`, on one monotonic clock), so a benchmark
can time key → frame inside the app. Unset, nothing is installed: the app runs its usual code.
"""

from __future__ import annotations

import os
import time
from collections.abc import Awaitable, Callable
from typing import Any

from textual import events
from textual.app import App

ENV = "COSELL_FRAME_LOG"


def install_if_asked(app: App[Any]) -> None:
    path = os.environ.get(ENV)
    if path:
        install(app, path)


def install(app: App[Any], path: str) -> None:
    """Wrap the app's frame writer and event entry (instance attributes shadow the methods)."""
    log = open(path, "a", buffering=1, encoding="utf-8")  # noqa: SIM115 (lives with the app)
    clock = time.perf_counter
    display: Callable[..., None] = app._display
    on_event: Callable[[events.Event], Awaitable[None]] = app.on_event

    def timed_display(screen: Any, renderable: Any) -> None:
        display(screen, renderable)
        if renderable is not None:
            log.write(f"frame {clock():.6f}\n")

    async def timed_event(event: events.Event) -> None:
        if isinstance(event, events.Key) and not event.is_forwarded:  # (it comes back bubbled)
            log.write(f"key {clock():.6f} {event.key}\n")
        await on_event(event)

    app._display = timed_display  # type: ignore[method-assign]
    app.on_event = timed_event  # type: ignore[method-assign]
