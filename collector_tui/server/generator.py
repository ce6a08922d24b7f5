"""Synthetic delinquent portfolios, deterministic for a seed and a reference date.

Every risk signal of the domain brief is planted in some customers with the data that shows it, DPD is
spread over all four stages, and customers live in Asia/Shanghai, America/New_York and Europe/London.

Each demo collector works one market (`market_for`): every case of theirs is in the market's currency, so
their queue never weighs one currency against another. Most customers live in the market's country and speak
its language; some live abroad or speak the other language the workbench has talk tracks for.

The loan tells one story (`_loan`):
- a contract of TERM monthly instalments on the contract's `due_day`; in a shorter month the instalment falls
  due on the month's last day, and the next month it is back on `due_day` (each date is worked out from the
  contract's day, never from the previous date);
- every instalment before the first unpaid one was met: paid in full, or with the minimum payment, which keeps
  the account current and leaves the rest owed in the outstanding balance (status `minimum`); each was met by
  one payment, so the payments add up to what the schedule shows as paid;
- `overdue_since` is the due date of the first unpaid instalment, and `dpd` = days from it to the reference
  date (due on 1 March and unpaid: 1 DPD on 2 March); every instalment due before the reference date from then
  on is `overdue`, later ones `due`; payments kept from promises while overdue go to the oldest overdue one;
- `overdue_amount` = the unpaid part of the overdue instalments + `interest_due` + `fees_due` (charges on the
  arrears, which a reduction plan may waive); `outstanding` = everything unpaid over the whole contract +
  the same charges.
"""

from __future__ import annotations

import calendar
import random
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta
from faker import Faker

CENT = Decimal("0.01")
TERM = 24  # monthly instalments in every generated contract


@dataclass(frozen=True)
class Region:
    """Where a customer lives: the language most speak there, the time zone, the country of phones and address."""

    locale: str
    faker_locale: str
    timezone: str
    country: str


CN = Region("zh_CN", "zh_CN", "Asia/Shanghai", "CN")
US = Region("en", "en_US", "America/New_York", "US")
GB = Region("en", "en_GB", "Europe/London", "GB")
REGIONS = (CN, US, GB)


@dataclass(frozen=True)
class Market:
    """The lender's market a collector works: one currency for every case; most customers live at home."""

    currency: str
    home: Region
    abroad: tuple[Region, ...]  # where the others live (students abroad, emigrants)
    abroad_share: float
    other_locale: str  # the language a minority of the customers speak
    other_share: float
    principal: tuple[int, int, int]  # range and step of the amount lent
    fee: int  # late fee per overdue instalment, charged for at most six


MARKETS = (
    Market("CNY", CN, (US, GB), 0.08, "en", 0.08, (3000, 80000, 500), 50),
    Market("USD", US, (), 0.0, "zh_CN", 0.12, (1000, 20000, 250), 15),
    Market("GBP", GB, (), 0.0, "zh_CN", 0.10, (1000, 15000, 250), 12),
)
# demo and demo2 work China, demo3 the United States, demo4 the United Kingdom, demo5 China again...
MARKET_CYCLE = (0, 0, 1, 2)

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


def market_for(collector: str) -> Market:
    """The market a demo collector works, by their number (demo is 1); any other account works the first."""
    number = collector[4:] if collector.startswith("demo") else ""
    position = 1 if collector == "demo" else int(number) if number.isdigit() else 1
    return MARKETS[MARKET_CYCLE[(position - 1) % len(MARKET_CYCLE)]]


def due_date(anchor: date, months: int, due_day: int) -> date:
    """The due date `months` after `anchor`'s month on the contract's `due_day`, or that month's last day."""
    return anchor + relativedelta(months=months, day=due_day)


def _month_end(day: date) -> bool:
    return day.day == calendar.monthrange(day.year, day.month)[1]


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
        market = market_for(collector)
        region = rng.choice(market.abroad) if market.abroad and rng.random() < market.abroad_share else market.home
        locale = market.other_locale if rng.random() < market.other_share else market.home.locale
        fake = self.fakers[region.faker_locale]  # addresses, employers and schools where the customer lives
        namer = self.fakers["zh_CN"] if locale == "zh_CN" else fake if region.locale == "en" else self.fakers["en_US"]
        lo, hi = rng.choices(DPD_RANGES, DPD_WEIGHTS)[0]
        dpd = rng.randint(lo, hi)
        overdue_since = self.as_of - timedelta(days=dpd)
        tz = ZoneInfo(region.timezone)
        employment_type = rng.choices(EMPLOYMENT, EMPLOYMENT_WEIGHTS)[0]
        age = rng.randint(19, 24) if employment_type == "student" else rng.randint(22, 60)
        case_id = f"C-{index:06d}"

        customer = {
            "id": f"P-{index:06d}",
            # Given and family name only: titles such as "Dr" or "MD" are not part of a debtor's name.
            "name": namer.name() if locale == "zh_CN" else f"{namer.first_name()} {namer.last_name()}",
            "locale": locale,
            "timezone": region.timezone,
            "birth_year": self.as_of.year - age,
            "id_number": self._id_number(rng, market.home, age),
            "phones": self._phones(rng, market.home),
            "emails": [{"address": f"{fake.user_name()}{index}@example.com", "verified": rng.random() < 0.7}],
            "address": self._address(rng, fake, region),
            "contact_info_confirmed_at": (self.as_of - timedelta(days=rng.choice([20, 90, 150, 200, 400]))).isoformat(),
            "contact_changes": self._contact_changes(rng),
            "emergency_contacts": self._emergency_contacts(rng, namer, locale, market.home),
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
        contacts, promises, callbacks = self._history(rng, tz, overdue_since, collector)
        loan, schedule, payments = self._loan(rng, index, market, overdue_since, employment_type, promises)
        version = rng.randint(1, 9)
        updated = datetime.combine(self.as_of - timedelta(days=1), time(9, 0), UTC)
        return {
            "id": case_id,
            "version": version,
            "updated_at": updated.isoformat(),
            "status": "open",
            "assigned_to": collector,
            "customer": customer,
            "loan": loan,
            "schedule": schedule,
            "payments": payments,
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
                    "last_reached_at": datetime.combine(reached, time(10, 5), UTC).isoformat(),
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

    def _emergency_contacts(self, rng: random.Random, namer: Faker, locale: str,
                            region: Region) -> list[dict[str, Any]]:
        if rng.random() < 0.2:
            return []
        return [
            {
                # Given and family name only: titles such as "Dr" or "MD" are not part of a debtor's name.
                "name": namer.name() if locale == "zh_CN" else f"{namer.first_name()} {namer.last_name()}",
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
    def _loan(self, rng: random.Random, index: int, market: Market, overdue_since: date, employment_type: str,
              promises: list[dict[str, Any]]) -> tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]]:
        """The contract, its schedule and its payments (the story is in the module's docstring); sets the
        promises' amounts, a share of what is still unpaid of the first overdue instalment."""
        principal = _money(rng.randrange(*market.principal))
        instalment = _money(principal / TERM)
        minimum = _money(instalment * Decimal("0.2"))
        # The contract's day is the day overdue_since fell due or, when that was a month's last day, any later one.
        due_day = rng.randint(overdue_since.day, 31) if _month_end(overdue_since) else overdue_since.day
        first = rng.randint(4, 6)  # the first unpaid instalment, due on overdue_since: three to five were met

        def due(seq: int) -> date:
            return due_date(overdue_since, seq - first, due_day)

        def amount(seq: int) -> Decimal:
            return principal - instalment * (TERM - 1) if seq == TERM else instalment

        overdue = [seq for seq in range(first, TERM + 1) if due(seq) < self.as_of]
        upcoming = list(range(first + len(overdue), TERM + 1))[:2]
        paid: dict[int, Decimal] = {}
        schedule: list[dict[str, Any]] = []
        payments: list[dict[str, Any]] = []

        def item(seq: int, status: str) -> dict[str, Any]:
            return {"seq": seq, "due_date": due(seq).isoformat(), "amount": str(amount(seq)),
                    "paid": str(_money(paid.get(seq, 0))), "status": status}

        run_of_minimums = rng.random() < 0.3  # repayment behaviour: minimum payment 3+ periods in a row
        irregular = rng.random() < 0.25
        for seq in range(1, first):
            minimum_only = run_of_minimums and first - seq <= 3 or rng.random() < 0.1
            paid[seq] = minimum if minimum_only else amount(seq)
            # Irregular payers pay up to 9 days early or 18 late: still before the next instalment falls due.
            day = due(seq) + timedelta(days=rng.randint(-9, 18) if irregular else 0)
            payments.append({"id": f"PM-{index:06d}-{seq}", "date": day.isoformat(), "amount": str(paid[seq]),
                             "minimum_only": minimum_only})
            schedule.append(item(seq, "minimum" if minimum_only else "paid"))

        remaining = amount(first)
        for n, promise in enumerate(promises):
            share = Decimal(str(rng.uniform(0.2, 0.6)))
            promised = max((remaining * share).quantize(Decimal(1), rounding=ROUND_DOWN), Decimal(1))
            promise["amount"] = str(_money(promised))
            if promise["status"] not in ("kept", "partially_kept") or remaining <= 2:
                if promise["status"] != "outstanding":
                    promise["status"] = "broken"
                continue
            made = datetime.fromisoformat(promise["made_at"]).date()
            until = date.fromisoformat(promise["due_date"])
            pay = promised if promise["status"] == "kept" else (promised / 2).quantize(CENT, rounding=ROUND_DOWN)
            day = made + timedelta(days=rng.randint(0, (until - made).days))
            payments.append({"id": f"PM-{index:06d}-P{n}", "date": day.isoformat(), "amount": str(_money(pay)),
                             "minimum_only": False})
            remaining -= pay
        paid[first] = amount(first) - remaining
        schedule += [item(seq, "overdue") for seq in overdue] + [item(seq, "due") for seq in upcoming]
        payments.sort(key=lambda p: p["date"])

        dpd = (self.as_of - overdue_since).days
        arrears = sum((amount(seq) - paid.get(seq, Decimal(0)) for seq in overdue), Decimal(0))
        interest = _money(arrears * Decimal("0.0005") * dpd)
        fees = _money(market.fee * min(len(overdue), 6))
        unpaid = sum((amount(seq) - paid.get(seq, Decimal(0)) for seq in range(1, TERM + 1)), Decimal(0))
        loan = {
            "id": f"L-{index:06d}",
            "product": "student_consumer" if employment_type == "student" else rng.choice(["consumer", "cash", "card"]),
            "currency": market.currency,
            "principal": str(principal),
            "outstanding": str(_money(unpaid + interest + fees)),
            "overdue_amount": str(_money(arrears + interest + fees)),
            "interest_due": str(interest),
            "fees_due": str(fees),
            "dpd": dpd,
            "overdue_since": overdue_since.isoformat(),
            "instalment": str(instalment),
            "minimum_payment": str(minimum),
            "due_day": due_day,
            "declared_purpose": "education" if employment_type == "student" else rng.choice(
                ["consumption", "home_improvement", "travel", "education"]
            ),
        }
        return loan, schedule, payments

    def _spending(self, rng: random.Random) -> list[dict[str, Any]]:
        deviating = rng.random() < 0.15
        prev = self.as_of - relativedelta(months=2)
        last = self.as_of - relativedelta(months=1)
        base = rng.randint(1500, 5000)
        total = base * (rng.uniform(2.5, 4) if deviating else rng.uniform(0.8, 1.2))
        return [
            {"month": f"{prev:%Y-%m}", "total": str(_money(base)), "largest": str(_money(base * 0.3)),
             "investment_share": "0.05"},
            {"month": f"{last:%Y-%m}", "total": str(_money(total)),
             "largest": str(_money(total * (0.65 if deviating else 0.3))),
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
                # The amount is set with the loan: a share of what is left unpaid (`_loan`).
                promises.append({"id": _uuid(rng), "made_at": c["at"], "due_date": due.isoformat(), "amount": "0.00",
                                 "status": status})
        callbacks = []
        if any(c["disposition"] == "callback_requested" for c in contacts):
            at = datetime.combine(self.as_of + timedelta(days=rng.randint(0, 3)), time(rng.randint(9, 18), 0), tz)
            callbacks.append({"id": _uuid(rng), "at": at.isoformat(), "note": ""})
        return contacts, promises, callbacks


def record_payment(doc: dict[str, Any], payment_id: str, on: date) -> None:
    """A minimum payment received while overdue (the server's churn): it goes to the first overdue instalment,
    never clearing it (overdue_since stays), and the overdue amount and the outstanding balance go down by it."""
    loan = doc["loan"]
    first = next((s for s in doc["schedule"] if s["status"] == "overdue"), None)
    if first is None:
        return
    left = Decimal(first["amount"]) - Decimal(first["paid"])
    amount = min(Decimal(loan["minimum_payment"]), left - CENT)
    if amount <= 0:
        return
    doc["payments"].append({"id": payment_id, "date": on.isoformat(), "amount": str(_money(amount)),
                            "minimum_only": True})
    first["paid"] = str(_money(Decimal(first["paid"]) + amount))
    loan["overdue_amount"] = str(_money(Decimal(loan["overdue_amount"]) - amount))
    loan["outstanding"] = str(_money(Decimal(loan["outstanding"]) - amount))
