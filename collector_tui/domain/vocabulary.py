"""The codes a recorded contact is written in, shared word for word by the rules, the API contract and the
server: plain tuples and one pattern, so `api/` may take them without taking the rules."""

from __future__ import annotations

CHANNELS = ("phone", "sms", "email", "app", "visit")
TARGETS = ("customer", "third_party", "attorney")  # a represented customer is reached through the attorney
DISPOSITIONS = (
    "rpc", "third_party", "wrong_number", "no_answer", "busy", "voicemail", "message_left", "invalid_number",
    "callback_requested", "promise_to_pay", "plan_requested", "already_paid", "refused", "dispute", "hardship",
    "cease_requested", "attorney", "bankruptcy", "deceased", "complaint", "verification_sent",
    "workplace_prohibited", "inconvenient_time",
)
# A contact's scope: "all" for a cease request that covers every channel, or the hours a customer names as
# inconvenient ("HH:MM-HH:MM" in their own time).
SCOPE_PATTERN = r"^(|all|([01][0-9]|2[0-3]):[0-5][0-9]-([01][0-9]|2[0-3]):[0-5][0-9])$"
CORRECTABLE = ("phone", "email", "address")  # what the server accepts a correction of
