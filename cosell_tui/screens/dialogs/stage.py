"""Choose the sales stage (R-LIFE-7, R-LIFE-8): forward marks the earlier ones, back unmarks.

The ladder lists the stages this deal may be set to (Won is not one: the Won action sets it),
with the assessment's own names on SA deals. Below it one line says what choosing the
highlighted stage will do. `enter`, `ctrl+s` or the button chooses it; `escape` cancels.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label, OptionList, Static
from textual.widgets.option_list import Option

from cosell_tui.domain.enums import Stage
from cosell_tui.domain.lifecycle import (
    SA_STAGE_NAMES,
    STAGE_PERCENT,
    markable_stages,
    stage_name,
    stage_rank,
)
from cosell_tui.domain.models import Referral

CURRENT = "▶"
MARKED = "✓"
AHEAD = "·"


class StageDialog(ModalScreen[Stage | None]):
    """Returns the chosen Stage for services.set_stage, or None when cancelled."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="stage.cancel", tooltip="Keep the current stage"),
        Binding(
            "ctrl+s",
            "choose",
            "Set stage",
            id="stage.choose",
            tooltip="Set the highlighted stage",
        ),
    ]

    def __init__(self, referral: Referral) -> None:
        super().__init__()
        self.referral = referral
        self.choices = markable_stages(referral.direction)

    def _step_name(self, stage: Stage) -> str:
        return stage_name(stage, self.referral.is_sa)

    def _step_label(self, stage: Stage) -> str:
        return f"“{self._step_name(stage)}” ({STAGE_PERCENT[stage]} %)"

    def _step_prompt(self, stage: Stage) -> Text:
        current = self.referral.stage
        if stage is current:
            mark, style = CURRENT, "bold"  # reverse video is the cursor's, even without colour
        elif stage_rank(stage) < stage_rank(current):
            mark, style = MARKED, ""
        else:
            mark, style = AHEAD, ""
        text = Text(f"{mark} {self._step_name(stage)} {STAGE_PERCENT[stage]}%", style=style)
        if stage is current:
            text.append(" (now)")
        return text

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog stage-dialog"):
            yield Label("Sales stage", classes="dialog-title")
            yield OptionList(
                *(Option(self._step_prompt(stage), id=stage.value) for stage in self.choices),
                id="stages",
            )
            yield Static("", id="stage-effect", classes="stage-effect")
            yield Static(self._footnote(), classes="field-hint stage-footnote")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Set stage", variant="primary", id="save")
                yield Button("Cancel", id="cancel")

    def _footnote(self) -> str:
        note = "Won (100 %) is not set here: use Won, which closes the deal."
        if self.referral.is_sa:
            needed = SA_STAGE_NAMES[Stage.NEGOTIATED]
            note += (
                f" A solution assessment can be won only once every stage up to “{needed}”"
                f" ({STAGE_PERCENT[Stage.NEGOTIATED]} %) is marked."
            )
        return note

    def on_mount(self) -> None:
        options = self.query_one("#stages", OptionList)
        current = (
            self.choices.index(self.referral.stage) if self.referral.stage in self.choices else 0
        )
        # Most often the next stage is wanted; at the top of the ladder, the one below.
        options.highlighted = (
            current + 1 if current + 1 < len(self.choices) else max(current - 1, 0)
        )
        options.focus()
        self._describe(self.highlighted_stage)

    @property
    def highlighted_stage(self) -> Stage | None:
        index = self.query_one("#stages", OptionList).highlighted
        return None if index is None else self.choices[index]

    def effect(self, target: Stage) -> str:
        """What choosing `target` does, in words (R-LIFE-7)."""
        current = self.referral.stage
        if target is current:
            return f"The deal is already at {self._step_label(target)}; choose another stage."
        low, high = sorted((stage_rank(current), stage_rank(target)))
        between = [
            self._step_name(stage) for stage in self.choices if low < stage_rank(stage) < high
        ]
        if stage_rank(target) > stage_rank(current):
            also = (
                f" The stages before it are marked too ({', '.join(between)})." if between else ""
            )
            return f"Marks {self._step_label(target)} as reached.{also}"
        later = [*between, self._step_name(current)]
        return (
            f"Moves the deal back to {self._step_label(target)}; "
            f"the later marks are removed ({', '.join(later)})."
        )

    def _describe(self, stage: Stage | None, *, refused: bool = False) -> None:
        line = self.query_one("#stage-effect", Static)
        line.update(Text(self.effect(stage) if stage is not None else ""))
        line.set_class(refused, "-refused")

    @on(OptionList.OptionHighlighted, "#stages")
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        self._describe(self.choices[event.option_index])

    @on(OptionList.OptionSelected, "#stages")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        self._choose(self.choices[event.option_index])

    def _choose(self, stage: Stage | None) -> None:
        if stage is None or stage is self.referral.stage:
            self._describe(stage, refused=True)
            return
        self.dismiss(stage)

    def action_choose(self) -> None:
        self._choose(self.highlighted_stage)

    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#save")
    def _save_pressed(self) -> None:
        self.action_choose()

    @on(Button.Pressed, "#cancel")
    def _cancel_pressed(self) -> None:
        self.action_cancel()
