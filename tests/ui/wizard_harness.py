"""A tiny app that shows one wizard step on its own, for step tests and snapshots."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from textual.app import App, ComposeResult
from textual.widgets import Footer

from cosell_tui.domain.models import User
from cosell_tui.domain.wizard import Draft, step_errors
from cosell_tui.screens.wizard.base import WizardContext, WizardStep
from cosell_tui.screens.wizard.context import load_context
from cosell_tui.store.database import Database

STYLES = Path(__file__).parents[2] / "cosell_tui" / "styles"


class StepHarness(App[None]):
    """Mounts `step_class` with a context read from `db` for `user`; `check()` runs Next's test."""

    CSS_PATH: ClassVar[list[str | Path]] = sorted(STYLES.glob("*.tcss"))  # type: ignore[assignment]

    def __init__(
        self, step_class: type[WizardStep], db: Database, user: User, draft: Draft | None = None
    ) -> None:
        super().__init__()
        self.context: WizardContext = load_context(db, user)
        self.step_widget = step_class(self.context)
        self.draft = draft or Draft()

    def compose(self) -> ComposeResult:
        yield self.step_widget
        yield Footer()

    def on_mount(self) -> None:
        self.step_widget.load(self.draft)
        self.step_widget.focus_first()

    def check(self) -> dict[str, str]:
        """What Next does: dump, check with the domain's rules, show the errors."""
        self.step_widget.dump(self.draft)
        errors = step_errors(self.draft, self.step_widget.step, self.context.rules)
        errors.update(self.step_widget.extra_errors(self.draft))
        self.step_widget.show_errors(errors)
        return errors
