"""The new-contact form: channel, who, outcome, promise or callback, notes; the rule check and the checklist.

The rule check runs as the form changes; a hard block disables saving and cannot be overridden. Bad
values are shown beside their field and nothing typed is lost.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.timer import Timer
from textual.widgets import Button, Checkbox, Input, Label, Select, Static

from collector_tui.domain.actions import (
    CHANNELS,
    DISPOSITIONS,
    TARGETS,
    FieldError,
    parse_amount,
    parse_day,
)
from collector_tui.domain.assessment import assess
from collector_tui.domain.checklist import PHASES, checklist, missing
from collector_tui.domain.contact_rules import Decision
from collector_tui.domain.facts import CaseFacts
from collector_tui.domain.masking import mask_email, mask_name, mask_phone
from collector_tui.locale import code, t
from collector_tui.locale.render import check_text, when_text
from collector_tui.screens.base import WorkbenchScreen
from collector_tui.screens.confirm import ConfirmScreen
from collector_tui.widgets.key_bar import KeyBar
from collector_tui.widgets.mark_box import MarkBox
from collector_tui.widgets.note_area import NoteArea
from collector_tui.widgets.status_bar import StatusBar
from collector_tui.widgets.talk_track import TalkTrack
from collector_tui.work import contact as recorder
from collector_tui.work.cases import CaseDetail, CaseView, case_detail, case_facts
from collector_tui.work.identity import NoUser
from collector_tui.work.limits import max_length
from collector_tui.work.message import recipients
from collector_tui.work.phone import Call

NOTE_MAX = max_length("contact.logged", "note")  # the counter shows the server's own limit


def _numbers(detail: CaseDetail | None) -> list[tuple[Text, str]]:
    # Numbers come from the cache: shown as text, never read as markup.
    return [(Text(mask_phone(p.number)), p.number) for p in detail.phones] if detail else []


class ContactScreen(WorkbenchScreen[bool]):
    """Log one contact attempt on a case; dismisses with True when something was saved."""

    CSS_PATH = "contact.tcss"  # read when this screen first opens (app.tcss holds what the queue needs)
    # No first field focused as the screen is shown: on_mount focuses the outcome, and a focus moved twice
    # restyled the whole form twice.
    AUTO_FOCUS = ""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "binding.save", id="contact.save", priority=True),
        Binding("escape", "cancel", "binding.back", id="contact.cancel"),
        Binding("ctrl+t", "hang_up", "binding.hang_up", id="contact.hang_up", priority=True),
    ]

    def __init__(self, case_id: str, *, number: str | None = None, call: Call | None = None) -> None:
        super().__init__()
        self.case_id = case_id
        self.number = number  # the number dialled or connected, chosen in the form
        self.call = call  # a call in progress: timed here, its length fills the duration when it ends
        self.facts: CaseFacts | None = None
        self.decision: Decision | None = None
        self.time_barred = False  # past the time to sue: the checklist asks for the disclosure
        self.outstanding: Decimal | None = None  # the loan's balance: no promise may be for more
        self.ticks: dict[str, bool] = {}  # survives the checklist being rebuilt as the outcome changes
        self._checklist_for: tuple[object, ...] | None = None  # what the checklist on screen was built for
        self._untouched: dict[str, object] | None = None  # the form's values as it opened (see unsaved_work)
        self._checked_for: tuple[str, ...] | None = None  # the choices the rule check on screen was made for
        self._call_interval: Timer | None = None  # the call's time on screen, redrawn while the form is shown

    def _read_case(self, detail: CaseDetail | None) -> CaseView | None:
        """What the form knows of its case: its facts, balance, numbers and addresses, read from the cache."""
        self.facts = case_facts(self.workbench.engine, self.case_id)
        view = (CaseView(self.facts, assess(self.facts, self.workbench.clock(), self.workbench.rules))
                if self.facts else None)
        self.time_barred = bool(view) and any(fl.id == "debt.time_barred" for fl in view.assessment.flags)  # type: ignore[union-attr]
        self.outstanding = Decimal(detail.loan.outstanding) if detail else None
        self._numbers = _numbers(detail)
        # The e-mail channel writes to the customer's addresses, not to a phone number.
        self._emails = [(Text(mask_email(a)), a) for a in recipients(detail, "email")] if detail else []
        self._address_kind = "phone"
        return view

    def _title(self, detail: CaseDetail | None) -> Text:
        name = mask_name(detail.customer.name) if detail else "?"
        return Text(t("contact.title", case=self.case_id, name=name))

    def compose(self) -> ComposeResult:
        detail = case_detail(self.workbench.engine, self.case_id)
        view = self._read_case(detail)
        numbers = self._numbers
        self._no_numbers = not numbers  # the number list was built with a blank choice (see rebind)
        yield Static(self._title(detail), classes="title", id="contact-title")
        yield Static(id="call-timer")
        with Horizontal(id="contact-body"):
            with VerticalScroll(id="contact-form"):
                yield Label(t("field.channel"))
                yield Select([(code("channel", c), c) for c in CHANNELS], value="phone", allow_blank=False,
                             compact=True, id="channel")
                yield Label(t("contact.target"))
                yield Select([(t(f"contact.{who}"), who) for who in TARGETS],
                             value="customer", allow_blank=False, compact=True, id="target")
                yield Label(t("contact.number"), id="number-label")
                first = numbers[0][1] if numbers else Select.NULL
                chosen = self.number if self.number in {n for _, n in numbers} else first
                yield Select(numbers, value=chosen, allow_blank=not numbers, compact=True, id="number")
                yield Label("", id="number-error", classes="error")
                yield Label(t("field.disposition"))
                yield Select([(code("disposition", d), d) for d in DISPOSITIONS], prompt=t("contact.choose"),
                             compact=True, id="disposition")
                yield Label("", id="disposition-error", classes="error")
                yield MarkBox(t("contact.scope_all"), id="scope-all", compact=True)
                with Vertical(id="hours-fields"):
                    yield Label(t("contact.inconvenient_hours"))
                    yield Input(placeholder="12:00-14:00", compact=True, id="inconvenient-hours")
                    yield Label("", id="hours-error", classes="error")
                with Vertical(id="promise-fields"):
                    yield Label(t("contact.promise_date"))
                    yield Input(placeholder="YYYY-MM-DD", compact=True, id="promise-date")
                    yield Label("", id="date-error", classes="error")
                    yield Label(t("contact.promise_amount"))
                    yield Input(placeholder="1000.00", compact=True, id="promise-amount")
                    yield Label("", id="amount-error", classes="error")
                with Vertical(id="callback-fields"):
                    yield Label(t("contact.callback_at"))
                    yield Input(placeholder="YYYY-MM-DD HH:MM", compact=True, id="callback-at")
                    yield Label("", id="at-error", classes="error")
                yield Label(t("contact.duration"), id="duration-label")
                yield Input("0", id="duration", restrict=r"[0-9]*", compact=True)
                yield Label("", id="duration_s-error", classes="error")
                yield Label(t("field.note"))
                # Several lines, with what is left of the limit shown as it is typed.
                yield NoteArea(id="note", compact=True, soft_wrap=True, show_line_numbers=False)
                yield Label(t("contact.note_count", count=0, max=NOTE_MAX), id="note-count")
                yield Label("", id="note-error", classes="error")
                yield Button(t("contact.save"), variant="primary", compact=True, id="save")
            with VerticalScroll(id="contact-side"):
                yield Static(id="rule-check")
                yield Static(t("contact.checklist"), classes="subtitle")
                # The checklist for the form as it opens is built here, with the form: mounting it after the
                # first paint cost a second layout and frame on every opening.
                boxes = self._opening_checklist(chosen)
                for phase in PHASES:
                    yield Static(t(f"checklist.phase_{phase}"), classes="phase")
                    with Vertical(id=f"phase-{phase}", classes="phase-items"):
                        yield from boxes[phase]
                yield Label("", id="checklist-error", classes="error")
                yield TalkTrack(self.case_id, id="talk-track", case=(detail, view))
        yield StatusBar(id="status")
        yield KeyBar()

    async def on_mount(self) -> None:
        self.follow_status()
        await self.refresh_form()
        self._untouched = self.typed()  # what leaving or quitting compares against: the form as it opened
        self.query_one("#disposition", Select).focus(scroll_visible=False)  # the form opens at its top
        self._start_call()

    def _start_call(self) -> None:
        timer = self.query_one("#call-timer", Static)
        timer.display = self.call is not None
        if self.call is None:
            timer.update("")  # an earlier case's call is not shown on this one
            return
        self.show_call()
        self._call_interval = self.set_interval(1, self.show_call)

    def _stop_call(self) -> None:
        if self._call_interval is not None:
            self._call_interval.stop()
            self._call_interval = None

    def dismiss(self, result: bool | None = None) -> Any:
        # The app keeps this form for the next case: the call's time stops being redrawn once it is left.
        self._stop_call()
        return super().dismiss(result)

    # --- another case -------------------------------------------------------------------------------
    def rebind(self, case_id: str, number: str | None = None, call: Call | None = None) -> bool:
        """Show this form on `case_id` exactly as a new one would open: nothing typed, chosen, ticked or
        checked for the case before it is left, the talk track and the leave-guard's values for this case.

        False, with nothing changed, when the form cannot hold the case (its number list offers a blank choice
        only when built for a case without numbers): a new form is opened then.
        """
        detail = case_detail(self.workbench.engine, case_id)
        if (not _numbers(detail)) != self._no_numbers or not self.is_mounted:
            return False
        self._stop_call()
        self.case_id, self.number, self.call = case_id, number, call
        view = self._read_case(detail)
        self.decision = None
        self.ticks = {}
        self._checklist_for = self._checked_for = None
        self.query_one("#contact-title", Static).update(self._title(detail))
        numbers = self._numbers
        chosen = self.number if self.number in {n for _, n in numbers} else (numbers[0][1] if numbers else None)
        # The values are set as the form's own would be on opening: no change is announced to check again for.
        with self.prevent(Select.Changed, Checkbox.Changed, Input.Changed, NoteArea.Changed):
            for select in self.query(Select):
                select.expanded = False
            self.query_one("#channel", Select).value = "phone"
            self.query_one("#target", Select).value = "customer"
            number_select = self.query_one("#number", Select)
            number_select.set_options(numbers)
            if chosen is not None:
                number_select.value = chosen
            self.query_one("#disposition", Select).clear()
            for field in self.query(Input):
                field.value = "0" if field.id == "duration" else ""
            self.query_one("#note", NoteArea).load_text("")  # its undo history goes with the old case's text
            self.query_one("#scope-all", Checkbox).value = False
        self.query_one("#number-label", Label).update(t("contact.number"))
        count = self.query_one("#note-count", Label)
        count.update(t("contact.note_count", count=0, max=NOTE_MAX))
        count.remove_class("error-count")
        for label in self.query(".error"):
            label.update("")  # type: ignore[attr-defined]
            label.display = True  # as composed
        self.query_one(TalkTrack).rebind(case_id, (detail, view))
        self._place_checklist(self._opening_items(chosen))
        self._refresh_checks()
        for scroll in self.query(VerticalScroll):
            scroll.scroll_home(animate=False, immediate=True)
        self.set_focus(self.query_one("#disposition", Select), scroll_visible=False)
        self._untouched = self.typed()
        self._start_call()
        self.refresh_bindings()
        return True

    def _place_checklist(self, items: list[Any]) -> None:
        """The checklist for the case the form was re-bound to: the boxes shown, ticked afresh, when they are
        the same items (building boxes only to compare them cost more than the rest of re-binding)."""
        for phase in PHASES:
            holder = self.query_one(f"#phase-{phase}", Vertical)
            shown = list(holder.query_children(MarkBox))
            wanted = [item for item in items if item.phase == phase]
            if [(b.name, str(b.label), b.disabled) for b in shown] == [(i.id, self._label(i), i.auto) for i in wanted]:
                with self.prevent(Checkbox.Changed):
                    for box, item in zip(shown, wanted, strict=True):
                        box.value = self._auto(item.id) if item.auto else False
                continue
            # Not awaited: the app removes the old boxes and mounts these before the form is next drawn.
            holder.remove_children()
            holder.mount_all(self._boxes(wanted)[phase])

    # --- the call -------------------------------------------------------------------------------------
    def show_call(self) -> None:
        """The call's running time (the workbench's clock), or its length once it ended."""
        call = self.call
        if call is None:
            return
        seconds = call.seconds(self.workbench.clock())
        length = f"{seconds // 60:02d}:{seconds % 60:02d}"
        # The key as the collector has it (a remapped one too).
        key = next((self.app.get_key_display(active.binding) for active in self.active_bindings.values()
                    if active.binding.action == "hang_up"), "")
        if call.running:
            text = t("phone.on_call", number=call.masked, length=length, keys=key)
        else:
            text = t("phone.call_ended", number=call.masked, length=length)
        self.query_one("#call-timer", Static).update(Text(text, style="bold" if call.running else "dim"))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "hang_up":
            return self.call is not None and self.call.running
        return True

    def action_hang_up(self) -> None:
        if self.call is not None and self.call.running:
            self.workbench.hang_up(self.call)

    def call_ended(self) -> None:
        """The call ended (the key, or the softphone's command ending it): its length fills the duration."""
        if self.call is None:
            return
        self.query_one("#duration", Input).value = str(self.call.seconds(self.workbench.clock()))
        self.show_call()
        self.refresh_bindings()

    # --- live checks ------------------------------------------------------------------------------
    def _value(self, widget_id: str) -> str:
        value = self.query_one(f"#{widget_id}", Select).value
        return "" if value is Select.NULL else str(value)

    async def on_select_changed(self, _event: Select.Changed) -> None:
        # Every select announces its first value as the form mounts: nothing to check again for those.
        if self._selected() != self._checked_for:
            await self.refresh_form()

    def _selected(self) -> tuple[str, ...]:
        return tuple(self._value(w) for w in ("channel", "target", "number", "disposition"))

    def on_checkbox_changed(self, event: Checkbox.Changed) -> None:
        if event.checkbox.name:
            self.ticks[event.checkbox.name] = event.value

    def on_text_area_changed(self, event: NoteArea.Changed) -> None:
        length = len(event.text_area.text)
        count = self.query_one("#note-count", Label)
        count.update(t("contact.note_count", count=length, max=NOTE_MAX))
        count.set_class(length > NOTE_MAX, "error-count")

    def _follow_channel(self, channel: str) -> None:
        """An e-mail goes to an address and lasts no seconds: the form offers the addresses and no duration."""
        kind = "email" if channel == "email" else "phone"
        for widget in ("#duration", "#duration-label"):
            self.query_one(widget).display = channel in ("phone", "visit")
        if kind == self._address_kind:
            return
        self._address_kind = kind
        options = self._emails if kind == "email" else self._numbers
        select = self.query_one("#number", Select)
        with select.prevent(Select.Changed):
            select.set_options(options)
            if options:
                select.value = options[0][1]
        self.query_one("#number-label", Label).update(t("contact.address" if kind == "email" else "contact.number"))

    async def refresh_form(self) -> None:
        if self._refresh_checks():
            await self._rebuild_checklist(self._value("channel"), self._value("target"), self._value("disposition"))

    def _refresh_checks(self) -> bool:
        """The fields the choices call for, the talk track and the rule check; True when there is a checklist."""
        self._checked_for = self._selected()
        channel, target, disposition = self._value("channel"), self._value("target"), self._value("disposition")
        self.query_one("#promise-fields").display = disposition == "promise_to_pay"
        self.query_one("#callback-fields").display = disposition == "callback_requested"
        self.query_one("#scope-all").display = disposition == "cease_requested"
        self.query_one("#hours-fields").display = disposition == "inconvenient_time"
        self.query_one(TalkTrack).show(channel or "phone", disposition)
        self._follow_channel(channel or "phone")
        check = self.query_one("#rule-check", Static)
        if self.facts is None:
            check.update(t("profile.missing"))
            self.query_one("#save", Button).disabled = True
            return False
        number = (self._value("number") or None) if self._address_kind == "phone" else None
        self.decision = recorder.check(self.workbench.rules, self.facts, channel=channel or "phone",
                                       now=self.workbench.clock(), target=target or "customer",
                                       number=number, disposition=disposition or None)
        if self.decision.allowed:
            check.update(Text(f"✓ {t('contact.allowed')}", style="bold green"))
        else:
            d = self.decision
            blocked = t("form.blocked", rule=d.rule, why=check_text(d.reason, d.params),
                        when=when_text(d.next_allowed_at, self.workbench.display_tz))
            check.update(Text(f"⊘ {blocked}", style="bold red"))
        # A hard block cannot be overridden: there is nothing to save.
        self.query_one("#save", Button).disabled = not self.decision.allowed
        return True

    async def _rebuild_checklist(self, channel: str, target: str, disposition: str) -> None:
        # Every select announces its first value as the form mounts: rebuild only for a new combination
        # (the boxes are widgets, and building them five times made the form slow to open).
        key = (channel, target, disposition, self.decision.allowed if self.decision else None)
        if key == self._checklist_for:
            return
        self._checklist_for = key
        items = checklist(self.workbench.rules.pack, channel or "phone", target or "customer", disposition,
                          self.time_barred)
        boxes = self._boxes(items)
        for phase in PHASES:
            box = self.query_one(f"#phase-{phase}", Vertical)
            await box.remove_children()
            await box.mount_all(boxes[phase])

    def _opening_checklist(self, number: object) -> dict[str, list[MarkBox]]:
        """The checklist's boxes for the values the form opens with (a phone call to the customer, no outcome)."""
        return self._boxes(self._opening_items(number))

    def _opening_items(self, number: object) -> list[Any]:
        """The checklist's items for the values the form opens with, and the rule check for them."""
        if self.facts is None:
            return []
        self.decision = recorder.check(self.workbench.rules, self.facts, channel="phone", now=self.workbench.clock(),
                                       target="customer", number=number if isinstance(number, str) else None,
                                       disposition=None)
        self._checklist_for = ("phone", "customer", "", self.decision.allowed)
        return checklist(self.workbench.rules.pack, "phone", "customer", "", self.time_barred)

    def _boxes(self, items: list[Any]) -> dict[str, list[MarkBox]]:
        boxes: dict[str, list[MarkBox]] = {phase: [] for phase in PHASES}
        for item in items:
            value = self._auto(item.id) if item.auto else self.ticks.get(item.id, False)
            boxes[item.phase].append(MarkBox(self._label(item), value=value, name=item.id, disabled=item.auto))
        return boxes

    @staticmethod
    def _label(item: Any) -> str:
        return t(f"checklist.{item.id}") + ("" if item.required else f" ({t('checklist.optional')})")

    def _auto(self, item_id: str) -> bool:
        assert self.decision is not None
        return self.decision.allowed  # hours, limits and consent are all part of the rule check

    def ticked(self) -> dict[str, bool]:
        return {box.name: box.value for box in self.query(Checkbox) if box.name}

    # --- saving -----------------------------------------------------------------------------------
    def _show(self, errors: list[FieldError]) -> None:
        for label in self.query(".error"):
            label.update("")  # type: ignore[attr-defined]
            label.display = False
        for e in errors:
            if e.field == "disposition" and not self._value("disposition"):
                # Nothing chosen: say so in words; the list of codes is for a command line, not this form.
                e = FieldError("disposition", "contact.outcome_missing", {})
            for widget in self.query(f"#{e.field}-error"):
                widget.update(Text(t(e.key, **e.params)))  # type: ignore[attr-defined]
                widget.display = True

    async def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "save":
            await self.action_save()

    async def action_save(self) -> None:
        if self.call is not None and self.call.running:
            self.notify(t("phone.hang_up_first"), severity="warning")
            return
        await self.refresh_form()
        if self.decision is None or not self.decision.allowed or self.facts is None:
            self.notify(t("contact.blocked_no_save"), severity="error")
            return
        channel, target, disposition = self._value("channel"), self._value("target"), self._value("disposition")
        duration_text = self.query_one("#duration", Input).value or "0"
        note = self.query_one("#note", NoteArea).value
        errors: list[FieldError] = []
        now = self.workbench.clock()
        promise = callback = None
        if disposition == "promise_to_pay":
            due, e1 = parse_day(self.query_one("#promise-date", Input).value)
            amount, e2 = parse_amount(self.query_one("#promise-amount", Input).value)
            errors += e1 + e2
            promise = (due, amount) if due and amount else None
        if disposition == "callback_requested":
            text = self.query_one("#callback-at", Input).value.strip()
            try:
                callback = datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=ZoneInfo(self.facts.timezone))
            except ValueError:
                errors.append(FieldError("at", "form.datetime", {}))
        items = checklist(self.workbench.rules.pack, channel, target, disposition, self.time_barred)
        ticked = {**self.ticked(), **{i.id: self._auto(i.id) for i in items if i.auto}}
        open_items = missing(items, ticked)
        outcome = recorder.Outcome(channel=channel, disposition=disposition, target=target,
                                   number=self._value("number"), duration_s=int(duration_text), note=note,
                                   promise=promise, callback_at=callback, checklist=ticked,
                                   scope=self._scope(disposition))
        errors += recorder.validate(self.facts, outcome, now, outstanding=self.outstanding,
                                    pack=self.workbench.rules.pack)
        self._show(errors)
        checklist_error = self.query_one("#checklist-error", Label)
        items = ", ".join(t(f"checklist.{i}") for i in open_items)
        checklist_error.update(Text(t("contact.checklist_open", items=items)))
        checklist_error.display = bool(open_items)
        if errors or open_items:
            return
        try:
            recorder.record_outcome(self.workbench.engine, self.workbench.rules, self.case_id, outcome, now=now,
                                    collector=self.workbench.user)
        except recorder.Invalid as exc:
            self._show(exc.errors)
            return
        except NoUser:
            # Nothing is recorded without a user: sign in, then save again (the form keeps what was typed).
            self.workbench.sign_in(t("login.reason_no_user"))
            return
        except recorder.Blocked:
            await self.refresh_form()
            self.notify(t("contact.blocked_no_save"), severity="error")
            return
        self.notify(t("contact.saved"))
        self.workbench.after_local_work(self.case_id)
        self.dismiss(True)

    def _scope(self, disposition: str) -> str:
        if disposition == "inconvenient_time":
            return self.query_one("#inconvenient-hours", Input).value.strip()
        return "all" if disposition == "cease_requested" and self.query_one("#scope-all", Checkbox).value else ""

    def action_cancel(self) -> None:
        if self.call is not None and self.call.running:
            self.notify(t("phone.hang_up_first"), severity="warning")
            return
        if self.unsaved_work() is None:
            self.dismiss(False)
            return
        # Typed work is never dropped unasked: leave only when the collector says so.
        self.app.push_screen(ConfirmScreen(t("contact.leave_unsaved", case=self.case_id), yes=t("contact.leave_yes"),
                                           no=t("contact.leave_no")),
                             lambda yes: self.dismiss(False) if yes else None)

    # --- typed work -----------------------------------------------------------------------------------
    def typed(self) -> dict[str, object]:
        """Everything the collector has entered: the choices, the text fields and the ticked boxes."""
        values: dict[str, object] = {w: self._value(w) for w in ("channel", "target", "number", "disposition")}
        for widget in self.query(Input):
            values[f"input.{widget.id}"] = widget.value
        values["note"] = self.query_one("#note", NoteArea).value
        values["scope"] = self.query_one("#scope-all", Checkbox).value
        values["ticks"] = sorted(name for name, on in self.ticks.items() if on)
        return values

    def unsaved_work(self) -> str | None:
        """What leaving now would lose, in words; None when the form is as it opened."""
        if self._untouched is None or not self.is_mounted or self.typed() == self._untouched:
            return None
        return t("contact.unsaved", case=self.case_id)
