"""Synthetic delinquent portfolios, deterministic for a seed and a reference date.

Every risk signal of the domain brief is planted in some customers with the data that shows it, DPD is
spread over all four stages, and customers live in Asia/Shanghai, America/New_York and Europe/London.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta
from faker import Faker

CENT = Decimal("0.01")


@dataclass(frozen=True)
class Region:
    locale: str
    faker_locale: str
    timezone: str
    currency: str
    country: str


REGIONS = (
    Region("zh_CN", "zh_CN", "Asia/Shanghai", "CNY", "CN"),
    Region("en", "en_US", "America/New_York", "USD", "US"),
    Region("en", "en_GB", "Europe/London", "GBP", "GB"),
)
REGION_WEIGHTS = (70, 18, 12)

# DPD ranges of the four stages of the domain brief, and how often each appears.
DPD_RANGES = ((1, 15), (16, 30), (31, 90), (91, 360))
DPD_WEIGHTS = (30, 25, 30, 15)

EMPLOYMENT = ("salaried", "freelance", "temporary", "student", "unemployed")
EMPLOYMENT_WEIGHTS = (40, 15, 10, 30, 5)
DISPOSITIONS_SEEN = ("no_answer", "busy", "rpc", "promise_to_pay", "voicemail", "message_left", "callback_requested")


def _money(value: float | Decimal) -> Decimal:
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def collectors_for(count: int) -> list[str]:
    """Usernames of the generated collectors: demo, demo2, demo3, ..."""
    return ["demo"] + [f"demo{i}" for i in range(2, count + 1)]


class PortfolioGenerator:
    """Makes case documents in the API v1 shape; the same seed and date always give the same portfolio."""

    def __init__(self, seed: int, as_of: date) -> None:
        self.seed = seed
        self.as_of = as_of
        self.fakers = {}
        for region in REGIONS:
            fake = Faker(region.faker_locale)
            fake.seed_instance(seed)
            self.fakers[region.faker_locale] = fake

    def case(self, index: int, collector: str) -> dict[str, Any]:
        rng = random.Random(self.seed * 1_000_003 + index)
        region = rng.choices(REGIONS, REGION_WEIGHTS)[0]
        fake = self.fakers[region.faker_locale]
        lo, hi = rng.choices(DPD_RANGES, DPD_WEIGHTS)[0]
        dpd = rng.randint(lo, hi)
        overdue_since = self.as_of - timedelta(days=dpd)
        tz = ZoneInfo(region.timezone)
        employment_type = rng.choices(EMPLOYMENT, EMPLOYMENT_WEIGHTS)[0]
        age = rng.randint(19, 24) if employment_type == "student" else rng.randint(22, 60)
        case_id = f"C-{index:06d}"

        principal = _money(rng.randrange(3000, 80000, 500))
        instalment = _money(principal / 24)
        months_overdue = max(1, -(-dpd // 30))
        overdue = _money(instalment * min(months_overdue, 24))
        outstanding = max(overdue, _money(principal * Decimal(rng.uniform(0.3, 0.9))))
        interest = _money(overdue * Decimal("0.05"))
        fees = _money(min(Decimal(50) * months_overdue, Decimal(300)))
        minimum = _money(instalment * Decimal("0.2"))

        customer = {
            "id": f"P-{index:06d}",
            # Given and family name only: titles such as "Dr" or "MD" are not part of a debtor's name.
            "name": fake.name() if region.country == "CN" else f"{fake.first_name()} {fake.last_name()}",
            "locale": region.locale,
            "timezone": region.timezone,
            "birth_year": self.as_of.year - age,
            "id_number": self._id_number(rng, region, age),
            "phones": self._phones(rng, region),
            "emails": [{"address": f"{fake.user_name()}{index}@example.com", "verified": rng.random() < 0.7}],
            "address": self._address(rng, fake, region),
            "contact_info_confirmed_at": (self.as_of - timedelta(days=rng.choice([20, 90, 150, 200, 400]))).isoformat(),
            "contact_changes": self._contact_changes(rng),
            "emergency_contacts": self._emergency_contacts(rng, fake, region),
            "employment": self._employment(rng, fake, employment_type),
            "monthly_income": self._income(rng, employment_type),
            "student": self._student(rng, fake) if employment_type == "student" else None,
            "consents": {
                "data_processing": True,
                "sensitive_data": rng.random() < 0.8,
                "recorded_at": (self.as_of - timedelta(days=rng.randint(200, 900))).isoformat(),
                "channels": {
                    "phone": rng.random() < 0.97,
                    "sms": rng.random() < 0.9,
                    "email": rng.random() < 0.85,
                    "app": rng.random() < 0.8,
                    "visit": rng.random() < 0.3,
                },
            },
            "bureau": self._bureau(rng),
            "suppressions": self._suppressions(rng),
        }
        loan = {
            "id": f"L-{index:06d}",
            "product": "student_consumer" if employment_type == "student" else rng.choice(["consumer", "cash", "card"]),
            "currency": region.currency,
            "principal": str(principal),
            "outstanding": str(outstanding),
            "overdue_amount": str(overdue),
            "interest_due": str(interest),
            "fees_due": str(fees),
            "dpd": dpd,
            "overdue_since": overdue_since.isoformat(),
            "instalment": str(instalment),
            "minimum_payment": str(minimum),
            "due_day": overdue_since.day,
            "declared_purpose": "education" if employment_type == "student" else rng.choice(
                ["consumption", "home_improvement", "travel", "education"]
            ),
        }
        contacts, promises, callbacks = self._history(rng, tz, overdue_since, collector)
        version = rng.randint(1, 9)
        updated = datetime.combine(self.as_of - timedelta(days=1), time(9, 0), timezone.utc)
        return {
            "id": case_id,
            "version": version,
            "updated_at": updated.isoformat(),
            "status": "open",
            "assigned_to": collector,
            "customer": customer,
            "loan": loan,
            "schedule": self._schedule(overdue_since, instalment, minimum, months_overdue),
            "payments": self._payments(rng, index, overdue_since, minimum, instalment),
            "spending": self._spending(rng),
            "deferral_requests": self._deferrals(rng),
            "contacts": contacts,
            "promises": promises,
            "callbacks": callbacks,
            "plans": [],
        }

    # --- customer -------------------------------------------------------------------------------
    def _id_number(self, rng: random.Random, region: Region, age: int) -> str:
        if region.country == "CN":
            born = date(self.as_of.year - age, rng.randint(1, 12), rng.randint(1, 28))
            return f"{rng.randint(110000, 659000)}{born:%Y%m%d}{rng.randint(0, 9999):04d}"
        if region.country == "US":
            return f"{rng.randint(100, 899)}-{rng.randint(10, 99)}-{rng.randint(1000, 9999)}"
        return f"QQ{rng.randint(100000, 999999)}C"

    def _phone_number(self, rng: random.Random, region: Region) -> str:
        if region.country == "CN":
            return f"+86{rng.choice(['138', '139', '150', '186', '177'])}{rng.randint(0, 99999999):08d}"
        if region.country == "US":
            return f"+1{rng.choice(['212', '646', '718', '917'])}{rng.randint(2000000, 9999999)}"
        return f"+447{rng.randint(100000000, 999999999)}"

    def _phones(self, rng: random.Random, region: Region) -> list[dict[str, Any]]:
        lost = rng.random() < 0.12  # lost contact: every number unreachable, last reached long ago
        phones = []
        for i in range(rng.choice([1, 1, 2, 2, 3])):
            reachable = not lost and (i == 0 or rng.random() < 0.6)
            reached = self.as_of - timedelta(days=rng.randint(95, 200) if lost else rng.randint(1, 40))
            phones.append(
                {
                    "number": self._phone_number(rng, region),
                    "type": "mobile" if i < 2 else "home",
                    "verified": rng.random() < 0.8,
                    "reachable": reachable,
                    "added_at": (self.as_of - timedelta(days=rng.randint(30, 1200))).isoformat(),
                    "last_reached_at": datetime.combine(reached, time(10, 5), timezone.utc).isoformat(),
                }
            )
        return phones

    def _address(self, rng: random.Random, fake: Faker, region: Region) -> dict[str, Any]:
        mismatch = rng.random() < 0.15
        return {
            "line": fake.street_address(),
            "city": fake.city(),
            "country": region.country,
            "verified": not mismatch and rng.random() < 0.8,
            "mismatch_reported_at": (self.as_of - timedelta(days=rng.randint(5, 90))).isoformat() if mismatch else None,
        }

    def _contact_changes(self, rng: random.Random) -> list[dict[str, Any]]:
        count = rng.choices([0, 1, 2, 3], [50, 25, 15, 10])[0]
        changes = []
        for _ in range(count):
            changes.append(
                {
                    "at": (self.as_of - timedelta(days=rng.randint(5, 150))).isoformat(),
                    "field": rng.choice(["phone", "phone", "address", "email"]),
                    "reported_by_customer": rng.random() < 0.5,
                }
            )
        return sorted(changes, key=lambda c: c["at"])

    def _emergency_contacts(self, rng: random.Random, fake: Faker, region: Region) -> list[dict[str, Any]]:
        if rng.random() < 0.2:
            return []
        return [
            {
                # Given and family name only: titles such as "Dr" or "MD" are not part of a debtor's name.
            "name": fake.name() if region.country == "CN" else f"{fake.first_name()} {fake.last_name()}",
                "relation": rng.choice(["parent", "sibling", "spouse", "friend"]),
                "phone": self._phone_number(rng, region),
            }
        ]

    def _employment(self, rng: random.Random, fake: Faker, kind: str) -> dict[str, Any]:
        salaried = kind == "salaried"
        started = self.as_of - timedelta(days=rng.randint(60, 3000)) if salaried else None
        return {
            "type": kind,
            "has_contract": salaried and rng.random() < 0.9,
            "income_sources": 1 if kind in ("student", "temporary") or rng.random() < 0.6 else 2,
            "employer": fake.company() if salaried else None,
            "started_at": started.isoformat() if started else None,
        }

    def _income(self, rng: random.Random, kind: str) -> list[dict[str, Any]]:
        base = {"salaried": 9000, "freelance": 7000, "temporary": 4500, "student": 1500, "unemployed": 800}[kind]
        volatile = kind in ("freelance", "temporary", "student") or rng.random() < 0.1
        swing = 0.6 if volatile else 0.08
        months = []
        for back in range(6, 0, -1):
            month = self.as_of - relativedelta(months=back)
            amount = base * (1 + rng.uniform(-swing, swing))
            months.append({"month": f"{month:%Y-%m}", "amount": str(_money(max(amount, 0)))})
        return months

    def _student(self, rng: random.Random, fake: Faker) -> dict[str, Any]:
        status = rng.choices(["enrolled", "suspended", "dropped_out", "abnormal"], [55, 20, 15, 10])[0]
        return {
            "school": fake.company() + (" 大学" if fake.locales[0] == "zh_CN" else " College"),
            "status": status,
            "completed_required_study": status == "enrolled" and rng.random() < 0.8,
            "school_changes_12m": rng.choices([0, 1, 2, 3], [60, 20, 15, 5])[0],
        }

    def _bureau(self, rng: random.Random) -> dict[str, Any]:
        lenders = rng.choices([1, 2, 3, 4, 5, 7], [30, 25, 20, 10, 10, 5])[0]
        return {
            "active_lenders": lenders,
            "total_debt": str(_money(lenders * rng.randint(5000, 30000))),
            "checked_at": (self.as_of - timedelta(days=rng.randint(3, 60))).isoformat(),
        }

    def _suppressions(self, rng: random.Random) -> list[dict[str, Any]]:
        roll = rng.random()
        since = (self.as_of - timedelta(days=rng.randint(1, 30))).isoformat()
        if roll < 0.05:
            return [{"type": "cease_requested", "channel": rng.choice(["email", "sms", "phone"]), "since": since}]
        if roll < 0.08:
            return [{"type": "dispute", "channel": None, "since": since}]
        return []

    # --- loan -----------------------------------------------------------------------------------
    def _schedule(self, overdue_since: date, instalment: Decimal, minimum: Decimal, months: int) -> list[dict[str, Any]]:
        items = []
        first_overdue = overdue_since
        start = first_overdue - relativedelta(months=1)
        seq0 = 10
        for i in range(min(months, 6) + 2):
            due = start + relativedelta(months=i)
            if due < first_overdue:
                status, paid = "partial", minimum
            elif due <= self.as_of:
                status, paid = "overdue", Decimal("0.00")
            else:
                status, paid = "due", Decimal("0.00")
            items.append(
                {"seq": seq0 + i, "due_date": due.isoformat(), "amount": str(instalment), "paid": str(_money(paid)), "status": status}
            )
        return items

    def _payments(self, rng: random.Random, index: int, overdue_since: date, minimum: Decimal, instalment: Decimal) -> list[dict[str, Any]]:
        run_of_minimums = rng.random() < 0.3  # repayment behaviour: minimum payment 3+ periods in a row
        irregular = rng.random() < 0.25
        payments = []
        for back in range(5, 0, -1):
            day = overdue_since - relativedelta(months=back)
            if irregular:
                day += timedelta(days=rng.randint(-12, 20))
            minimum_only = run_of_minimums and back <= 3 or rng.random() < 0.1
            amount = minimum if minimum_only else instalment
            payments.append(
                {"id": f"PM-{index:06d}-{5 - back}", "date": day.isoformat(),
                 "amount": str(amount), "minimum_only": minimum_only}
            )
        return payments

    def _spending(self, rng: random.Random) -> list[dict[str, Any]]:
        deviating = rng.random() < 0.15
        prev = self.as_of - relativedelta(months=2)
        last = self.as_of - relativedelta(months=1)
        base = rng.randint(1500, 5000)
        total = base * (rng.uniform(2.5, 4) if deviating else rng.uniform(0.8, 1.2))
        return [
            {"month": f"{prev:%Y-%m}", "total": str(_money(base)), "largest": str(_money(base * 0.3)), "investment_share": "0.05"},
            {"month": f"{last:%Y-%m}", "total": str(_money(total)), "largest": str(_money(total * (0.65 if deviating else 0.3))),
             "investment_share": "0.45" if deviating else "0.04"},
        ]

    def _deferrals(self, rng: random.Random) -> list[dict[str, Any]]:
        count = rng.choices([0, 1, 3], [65, 20, 15])[0]
        return [
            {"at": (self.as_of - timedelta(days=20 + 35 * i)).isoformat(), "granted": i == count - 1}
            for i in range(count)
        ]

    # --- contact history ---------------------------------------------------------------------------
    def _history(self, rng: random.Random, tz: ZoneInfo, overdue_since: date, collector: str):  # type: ignore[no-untyped-def]
        days_overdue = (self.as_of - overdue_since).days
        # Some early cases are still untouched inside the golden window; some older ones were neglected.
        count = 0 if rng.random() < 0.3 else rng.randint(1, min(12, max(1, days_overdue // 4)))
        contacts = []
        for _ in range(count):
            day = overdue_since + timedelta(days=rng.randint(1, max(1, days_overdue - 1)))
            local = datetime.combine(day, time(rng.randint(8, 20), rng.randint(0, 59)), tz)
            disposition = rng.choice(DISPOSITIONS_SEEN)
            channel = "sms" if disposition == "message_left" else "phone"
            contacts.append(
                {
                    "id": _uuid(rng), "at": local.isoformat(), "channel": channel, "target": "customer",
                    "disposition": disposition, "collector": collector,
                    "duration_s": rng.randint(30, 400) if disposition in ("rpc", "promise_to_pay") else 0, "note": "",
                }
            )
        contacts.sort(key=lambda c: c["at"])
        promises = []
        for c in contacts:
            if c["disposition"] == "promise_to_pay":
                made = datetime.fromisoformat(c["at"])
                due = made.date() + timedelta(days=rng.randint(2, 10))
                status = "outstanding" if due >= self.as_of else rng.choice(["broken", "kept", "partially_kept"])
                promises.append(
                    {"id": _uuid(rng), "made_at": c["at"], "due_date": due.isoformat(),
                     "amount": str(_money(rng.randrange(200, 3000, 50))), "status": status}
                )
        callbacks = []
        if any(c["disposition"] == "callback_requested" for c in contacts):
            at = datetime.combine(self.as_of + timedelta(days=rng.randint(0, 3)), time(rng.randint(9, 18), 0), tz)
            callbacks.append({"id": _uuid(rng), "at": at.isoformat(), "note": ""})
        return contacts, promises, callbacks
