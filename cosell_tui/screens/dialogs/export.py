"""Export this view (`x` in a list, issue 7): the list as it is — tab, view, filter and sort —
to a CSV or Referrals-API JSON file.

The dialog runs the export itself, in a thread, so a path that cannot be written is one
sentence under the field and the user fixes it without retyping anything.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from textual import on
from textual.app import App
from textual.widget import Widget
from textual.widgets import Input, Static

from cosell_tui.domain.errors import DomainError, InvalidInput
from cosell_tui.screens.dialog import Field, FormDialog

FORMAT_HINT = (
    "End the name in .csv (a spreadsheet) or .json (the vendor's Referrals API shape). "
    "A relative path starts in the folder cosell-tui was started from."
)


@dataclass(frozen=True)
class ExportRequest:
    path: Path
    form: str  # "csv" or "json"
    count: int = 0  # deals written, once done


def request_of(text: str) -> ExportRequest:
    """The path typed, checked before anything is written."""
    raw = text.strip()
    if not raw:
        raise InvalidInput("Enter a file name.", {"path": "Enter a file name."})
    path = Path(raw).expanduser()
    form = path.suffix.casefold().lstrip(".")
    if form not in ("csv", "json"):
        message = "End the file name in .csv or .json."
        raise InvalidInput(message, {"path": message})
    if path.is_dir():
        message = "That is a folder; add a file name."
        raise InvalidInput(message, {"path": message})
    return ExportRequest(path, form)


class ExportDialog(FormDialog[ExportRequest]):
    """Returns the request with the number of deals written, or None when cancelled."""

    title_text = "Export this view"
    save_label = "Export"

    def __init__(
        self,
        describe: str,
        default: str,
        run: Callable[[ExportRequest], int],
    ) -> None:
        super().__init__()
        self.describe = describe
        self.default = default
        self.run = run
        self.busy = False

    def compose_fields(self) -> Iterable[Widget]:
        yield Static(self.describe, classes="export-view", markup=False)
        yield Field("Save to", Input(self.default, id="export-path"), "path", hint=FORMAT_HINT)

    def build(self, values: dict[str, Any]) -> ExportRequest:
        return request_of(str(values["path"]))

    @on(Input.Submitted)
    def _submitted(self) -> None:
        self.action_save()  # one field: enter exports

    def action_save(self) -> None:
        if self.busy:
            return
        request = self.check()
        if request is None:
            return
        self.busy = True
        self.query_one("#save").disabled = True
        self._export(request)

    def _export(self, request: ExportRequest) -> None:
        # a thread of the app's, not of this screen's: escape closes the dialog and the file
        # is still written (and told about)
        app = self.app

        def export() -> None:
            try:
                count = self.run(request)
            except DomainError as error:
                app.call_from_thread(self._failed, app, error.message)
                return
            done = ExportRequest(request.path, request.form, count)
            app.call_from_thread(self._done, app, done)

        app.run_worker(export, thread=True, group="export")

    def _done(self, app: App[object], result: ExportRequest) -> None:
        if app.screen is self:
            self.dismiss(result)
        else:  # closed with escape while it wrote
            app.notify(f"Exported {result.count} deal(s) to {result.path}.")

    def _failed(self, app: App[object], message: str) -> None:
        if app.screen is not self:
            app.notify(message, severity="error")
            return
        self.busy = False
        self.query_one("#save").disabled = False
        self.show_errors({"path": message})
