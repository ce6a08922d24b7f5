"""May this message (an SMS or an e-mail) be sent now? The contact check (suppressions, consent, the weekly and
monthly contacts, the allowed hours where the customer may be) and the pack's per-channel cap a day."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from collector_tui.domain.contact_rules import Decision, check_contact, next_window_open
from collector_tui.domain.facts import CaseFacts
from collector_tui.domain.policy import RulePack
from collector_tui.domain.zones import candidate_zones

MESSAGE_CHANNELS = ("sms", "email")
SENT = "message_left"  # the outcome a sent message is recorded with, as a contact on its channel
# A message's state: requested here; then as the server reports it.
STATES = ("requested", "held", "sent", "delivered", "failed", "refused")


def check_message(pack: RulePack, f: CaseFacts, *, channel: str, now: datetime, to: str = "") -> Decision:
    """The rules' word on sending a message on `channel` (to the number `to`, for an SMS) at `now`."""
    number = to if channel == "sms" else None
    decision = check_contact(pack, f, channel=channel, now=now, number=number)
    cap = pack.messages_per_day
    limit = getattr(cap, channel, 0) if cap else 0
    if not decision.allowed or not limit or cap is None:
        return decision
    home = ZoneInfo(f.timezone)
    today = now.astimezone(home).date()
    sent = sum(1 for c in f.contacts if c.channel == channel and c.at <= now and c.at.astimezone(home).date() == today)
    if sent < limit:
        return decision
    tomorrow = datetime.combine(today + timedelta(days=1), datetime.min.time(), home)
    zones = candidate_zones(f.timezone, [number] if number else [])
    return Decision(False, cap.rule, "check.messages_per_day", {"count": sent, "max": limit, "channel": channel},
                    next_window_open(pack, zones, tomorrow))
