"""Watchers that end with the widget that made them (issue 6, memory).

Textual keeps `(node, callback)` pairs in the watched object and drops a closed node's pairs
only when the watched value next changes. `self.watch(self.app, "unread", …)` in a deal screen
thus kept every closed deal screen alive (about 1.1 MB each) until the next notification, and
each rebuild of the footer's keys left the old keys held by the footer's `compact` binding.
"""

from __future__ import annotations

from textual.dom import DOMNode
from textual.message_pump import MessagePump


def _pairs(watched: DOMNode) -> dict[str, list[tuple[MessagePump, object]]]:
    # Textual's own store of watchers (textual/reactive.py, `_watch`); textual is pinned.
    return getattr(watched, "__watchers", {})


def forget(watched: DOMNode, node: MessagePump) -> None:
    """Drop every watcher `node` holds on `watched` (call it when `node` unmounts)."""
    for pairs in _pairs(watched).values():
        pairs[:] = [(reactable, callback) for reactable, callback in pairs if reactable is not node]


def prune(watched: DOMNode) -> None:
    """Drop the watchers on `watched` held by nodes that have been removed."""
    for pairs in _pairs(watched).values():
        pairs[:] = [
            (reactable, callback)
            for reactable, callback in pairs
            if not (reactable._closing or reactable._closed)
        ]
