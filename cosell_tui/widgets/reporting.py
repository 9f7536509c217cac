"""Failed workers of screens and widgets reach the app's one error handler (STYLE rule 4).

Textual's `Worker.StateChanged` does not bubble: a screen's or a widget's failed worker is
seen only by that node. Without this, an unexpected error (a bug, a database another program
holds locked) would leave a list "Loading…" forever and say nothing.
"""

from __future__ import annotations

from textual.dom import DOMNode
from textual.worker import Worker, WorkerState


class ReportsWorkerErrors(DOMNode):
    """Mix into a Screen or Widget: its failed workers are reported by the app."""

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.ERROR:
            reporter = self.app
            if hasattr(reporter, "report_worker_error"):
                reporter.report_worker_error(event.worker.error)
