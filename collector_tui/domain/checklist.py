"""The compliance checklist around one contact: before, during and after items, and which are required."""

from __future__ import annotations

from dataclasses import dataclass

from collector_tui.domain.facts import CONVERSATIONS
from collector_tui.domain.policy import RulePack

PHASES = ("before", "during", "after")


@dataclass(frozen=True)
class ChecklistItem:
    id: str
    phase: str
    required: bool
    auto: bool = False  # ticked by the rules engine, not by the collector


def checklist(pack: RulePack, channel: str, target: str, disposition: str,
              time_barred: bool = False) -> list[ChecklistItem]:
    """The items for this contact. Hours, limits and consent come from the rule check itself."""
    talk = disposition in CONVERSATIONS
    items = [
        ChecklistItem("hours_limits", "before", True, auto=True),
        ChecklistItem("consent", "before", True, auto=True),
        ChecklistItem("right_party", "during", talk and target == "customer"),
        ChecklistItem("identified", "during", talk),
        ChecklistItem("recording", "during", talk and channel == "phone"),
        ChecklistItem("no_prohibited", "during", talk or channel in ("sms", "email", "app", "visit")),
    ]
    if target == "third_party":  # an attorney may hear the debt; anyone else may not
        items.append(ChecklistItem("no_debt_disclosed", "during", True))
    if time_barred and talk:
        items.append(ChecklistItem("time_barred_disclosure", "during", True))
    if disposition == "voicemail" and pack.id == "us-regf":
        items.append(ChecklistItem("limited_content", "during", True))
    if disposition in ("dispute", "hardship", "complaint", "cease_requested"):
        items.append(ChecklistItem("recorded_in_note", "after", True))
    if disposition == "hardship" and pack.id == "uk-conc":
        items.append(ChecklistItem("forbearance_offered", "after", True))
    if pack.opt_out_required and channel in ("sms", "email"):
        items.append(ChecklistItem("opt_out_line", "during", True))
    return items


def missing(items: list[ChecklistItem], ticked: dict[str, bool]) -> list[str]:
    """Ids of required items not ticked: an outcome cannot be saved while any is open."""
    return [i.id for i in items if i.required and not ticked.get(i.id, False)]
