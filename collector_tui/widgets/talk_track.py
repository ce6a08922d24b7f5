"""The talk track beside the contact form: the standard script for this stage and segment, with the
customer's own figures filled in (domain brief: educational with students, solution-oriented with the employed)."""

from __future__ import annotations

from typing import cast

from rich.text import Text
from textual.widgets import Static

from collector_tui.domain.money import format_money
from collector_tui.locale import catalogue, current_locale, t
from collector_tui.screens.workbench import Workbench
from collector_tui.work.cases import CaseDetail, CaseView, assess_case, case_detail
from collector_tui.talktracks import TrackError, language_of, messages, segment_for, track_for, track_language


class TalkTrack(Static):
    DEFAULT_CSS = """
    TalkTrack { height: auto; border: round $secondary 60%; padding: 0 1; margin-top: 1; }
    """

    def __init__(self, case_id: str, *, id: str | None = None,  # noqa: A002
                 case: tuple[CaseDetail | None, CaseView | None] | None = None) -> None:
        super().__init__(id=id)
        self.case_id = case_id
        self.draft = ""
        # The case and its assessment as the form read them when it opened: read again, they cost as much as
        # the rest of the track.
        self._case = case

    channel: str = "phone"
    disposition: str = ""

    def rebind(self, case_id: str, case: tuple[CaseDetail | None, CaseView | None]) -> None:
        """The track for another case (the form is kept for the next one): the old case's text goes at once."""
        self.case_id = case_id
        self._case = case
        self.draft = ""
        self.channel = self.disposition = ""  # drawn afresh when the form next asks
        self.update("")

    def show(self, channel: str, disposition: str = "") -> None:
        """The script for a call or a visit; the drafted message for an SMS or an e-mail; the limited-content
        message for a voicemail where the pack requires one."""
        if (channel, disposition) == (self.channel, self.disposition) and self.is_mounted:
            return  # drawn for these already (the form asks again as it opens)
        self.channel, self.disposition = channel, disposition
        self.on_mount()

    def on_mount(self) -> None:
        app = cast(Workbench, self.app)
        if self._case is None:
            self._case = (case_detail(app.engine, self.case_id),
                          assess_case(app.engine, self.case_id, app.clock(), app.rules))
        detail, view = self._case
        if detail is None or view is None:
            return
        loan = detail.loan
        # The stage and days past due of this moment, not of the last sync (domain.moment).
        stage, dpd = int(view.assessment.stage), view.assessment.facts.dpd
        time_barred = any(fl.id == "debt.time_barred" for fl in view.assessment.flags)
        ui = current_locale()
        # The customer hears their own language when there is a track in it; the collector is told which.
        language = track_language(detail.customer.locale, ui)
        if language != ui:
            note = t("contact.track_language", language=t(f"language.{language}"))
        elif detail.customer.locale and language_of(detail.customer.locale) is None:
            note = t("contact.track_fallback", locale=detail.customer.locale, language=t(f"language.{language}"))
        else:
            note = ""
        name = detail.customer.name
        values = {
            "name": name.split()[0] if " " in name else name[:1],
            "institution": (app.settings.institution or catalogue(language).get("app_institution")
                            or t("app_institution")),
            "overdue": format_money(loan.overdue_amount, loan.currency),
            "minimum": format_money(loan.minimum_payment, loan.currency),
            "dpd": dpd,
        }
        heading = (Text(note + "\n", style="italic"),) if note else ()
        try:
            if self.channel in ("sms", "email"):
                values["name"] = name  # a message names in full the person it is for
                draft = messages(language).draft(self.channel, stage, values, app.rules.pack.opt_out_required)
                self.draft = draft
                self.update(Text.assemble(*heading, (t("contact.message_draft"), "bold"), "\n", draft))
                return
            if self.disposition == "voicemail" and app.rules.pack.id == "us-regf":
                values["name"] = name
                self.draft = messages(language).voicemail.format(**values)
                self.update(Text.assemble(*heading, (t("contact.voicemail_lcm"), "bold"), "\n", self.draft))
                return
            self.draft = ""
            track = track_for(language, stage, segment_for(detail.customer.employment.get("type")))
        except TrackError as exc:
            self.update(Text(str(exc), style="red"))
            return
        # The customer's name and figures are filled in as text: never read as markup.
        self.update(Text.assemble(*heading, (track.title, "bold"),
                                  *(f"\n• {line.format(**values)}" for line in track.spoken(time_barred)),
                                  *((("\n" + t("contact.time_barred_note")), "italic yellow"),) if time_barred else ()))
