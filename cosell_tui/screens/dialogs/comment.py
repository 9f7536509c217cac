"""Add to a deal's discussion (R-DEAL-9, R-UI-5): one comment every party of the deal reads."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rich.text import Text
from textual.widget import Widget
from textual.widgets import Static, TextArea

from cosell_tui.domain.models import CommentForm
from cosell_tui.screens.dialog import Field, FormDialog
from cosell_tui.widgets.text import literal

SHARED_NOTE = (
    "Every party of this deal sees the discussion, not only your organization; "
    "keep private notes in the deal's own notes."
)


class CommentDialog(FormDialog[CommentForm]):
    """Returns the CommentForm for `services.comment`, or None when cancelled."""

    title_text = "Add a comment"
    save_label = "Post"

    def __init__(self, deal_name: str) -> None:
        super().__init__()
        self.deal_name = deal_name

    def compose_fields(self) -> Iterable[Widget]:
        yield Static(
            Text.assemble(("Deal  ", "bold"), literal(self.deal_name)), classes="comment-deal"
        )
        yield Field("Comment", TextArea(id="comment-body"), "body", hint=SHARED_NOTE)

    def build(self, values: dict[str, Any]) -> CommentForm:
        return CommentForm.model_validate(values)
