"""At the phone: dialling a customer through the collector's softphone, and the call's length.

A dial is checked by the rule pack before anything starts (the same check as the contact form), written to
the audit log, and only then handed to the softphone: the settings' `dial_command` with the full number
filled in, run without a shell, or, with none set, the clipboard. The number itself is never shown: the
screens get its masked form.
"""

from __future__ import annotations

import shlex
import subprocess
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from collector_tui.domain.contact_rules import Decision
from collector_tui.domain.facts import CaseFacts
from collector_tui.domain.masking import mask_phone
from collector_tui.domain.moment import at_moment
from collector_tui.domain.rules import Rules
from collector_tui.storage import audit
from collector_tui.storage.actions import UnknownCase
from collector_tui.work.cases import case_facts
from collector_tui.work.contact import Blocked, check
from collector_tui.work.identity import NoUser, require_user

__all__ = ["Blocked", "Call", "Dial", "DialFailed", "NoNumber", "NoUser", "UnknownCase", "command_line", "dial",
           "launch"]

NUMBER = "{number}"  # where the number goes in a command line; at the end when the line does not say


class NoNumber(LookupError):
    """The case has no number to dial (or not the one asked for)."""


class DialFailed(OSError):
    """The softphone's command could not be started; the message says why."""


@dataclass(frozen=True)
class Dial:
    """A dial the rules allowed and the audit log holds: what to hand to the softphone."""

    case_id: str
    number: str  # in full: for the command or the clipboard, never for the screen
    argv: tuple[str, ...]  # the command to run; empty: the number goes to the clipboard

    @property
    def masked(self) -> str:
        return mask_phone(self.number)


def command_line(template: str, number: str) -> tuple[str, ...]:
    """The softphone's argv: `template` split as a shell would (but never run by one), {number} filled in."""
    parts = shlex.split(template)
    if not any(NUMBER in part for part in parts):
        parts.append(NUMBER)
    return tuple(part.replace(NUMBER, number) for part in parts)


def choose_number(rules: Rules, facts: CaseFacts, now: datetime,
                  number: str | None = None) -> tuple[str | None, Decision]:
    """The number to dial and the rules' word on it: `number` when given, else the first reachable number the
    rules allow now (numbers reported wrong or invalid are out), else the first one with the reason it is not."""
    if number:
        return number, check(rules, facts, channel="phone", now=now, number=number)
    phones = at_moment(facts, now.astimezone(ZoneInfo(facts.timezone)).date()).phones
    candidates = [p.number for p in phones if p.reachable] or [p.number for p in phones]
    refused: tuple[str, Decision] | None = None
    for candidate in candidates:
        decision = check(rules, facts, channel="phone", now=now, number=candidate)
        if decision.allowed:
            return candidate, decision
        refused = refused or (candidate, decision)
    if refused:
        return refused
    return None, check(rules, facts, channel="phone", now=now)


def dial(engine: Engine, rules: Rules, case_id: str, *, now: datetime, actor: str, command: str = "",
         number: str | None = None) -> Dial:
    """Check and record a dial; returns what to hand to the softphone.

    Raises UnknownCase, NoNumber (none on the case, or `number` is not one of its numbers), Blocked (with the
    rule's decision, as the contact form shows it) or NoUser. The audit entry is written before the dial is returned:
    no dial goes unrecorded.
    """
    require_user(actor)  # no dial is audited under no name
    facts = case_facts(engine, case_id)
    if facts is None:
        raise UnknownCase(case_id)
    if number and number not in {p.number for p in facts.phones}:
        raise NoNumber(case_id)
    chosen, decision = choose_number(rules, facts, now, number)
    if not decision.allowed:
        raise Blocked(decision)
    if chosen is None:
        raise NoNumber(case_id)
    argv = command_line(command, chosen) if command.strip() else ()
    audit.record(engine, at=now, actor=actor, action="dial", case_id=case_id,
                 detail=f"{mask_phone(chosen)} by {'command' if argv else 'clipboard'}")
    return Dial(case_id, chosen, argv)


def launch(argv: tuple[str, ...]) -> subprocess.Popen[bytes]:
    """Start a softphone command on its own: no shell, nothing read from or written to the workbench's terminal,
    and out of the terminal's process group (a Ctrl+C in the workbench is not the softphone's)."""
    try:
        return subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,  # noqa: S603
                                stderr=subprocess.DEVNULL, start_new_session=True, close_fds=True)
    except OSError as exc:
        raise DialFailed(f"{argv[0]}: {exc.strerror or exc}") from None


@dataclass
class Call:
    """A call in progress on a case, timed by the workbench's clock from when it connected (or was dialled)."""

    case_id: str
    number: str
    started_at: datetime
    process: subprocess.Popen[bytes] | None = None  # the dial command, while it runs
    ended_at: datetime | None = None

    @property
    def masked(self) -> str:
        return mask_phone(self.number) if self.number else ""

    @property
    def running(self) -> bool:
        return self.ended_at is None

    def seconds(self, now: datetime) -> int:
        """How long the call has lasted (until it ended, if it has)."""
        end = self.ended_at or now
        return max(int((end - self.started_at).total_seconds()), 0)

    def end(self, now: datetime) -> int:
        """Hang up (once): the call's length in whole seconds."""
        if self.ended_at is None:
            self.ended_at = max(now, self.started_at)
        return self.seconds(now)


def hang_up(call: Call, hangup_command: str = "") -> None:
    """End the softphone's side of a call: stop a dial command still running, run the hang-up command and wait
    for both (call it off the UI thread)."""
    process = call.process
    if process is not None and process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    if hangup_command.strip():
        launch(tuple(shlex.split(hangup_command))).wait()
