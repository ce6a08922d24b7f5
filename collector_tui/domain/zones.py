"""Where a customer may be: the zone on file plus the zones their phone numbers point to."""

from __future__ import annotations

from collections.abc import Iterable

# The collector's zone until the server has said who the collector is: the zone of the default rule pack's country.
DEFAULT_ZONE = "Asia/Shanghai"

# Country codes with one zone, and a few North American area codes; enough to catch a number that
# says the customer is somewhere else than the address on file.
COUNTRY_ZONES = {"+86": "Asia/Shanghai", "+44": "Europe/London", "+852": "Asia/Hong_Kong"}
NANP_AREA_ZONES = {
    "212": "America/New_York", "646": "America/New_York", "718": "America/New_York", "917": "America/New_York",
    "213": "America/Los_Angeles", "310": "America/Los_Angeles", "415": "America/Los_Angeles",
    "312": "America/Chicago", "713": "America/Chicago", "303": "America/Denver", "602": "America/Phoenix",
}


def zone_of_number(number: str) -> str | None:
    if number.startswith("+1") and len(number) >= 5:
        return NANP_AREA_ZONES.get(number[2:5])
    for prefix, zone in COUNTRY_ZONES.items():
        if number.startswith(prefix):
            return zone
    return None


def candidate_zones(home_zone: str, numbers: Iterable[str]) -> tuple[str, ...]:
    """The zone on file first, then any other zone a number points to, without repeats."""
    zones = [home_zone]
    for number in numbers:
        zone = zone_of_number(number)
        if zone and zone not in zones:
            zones.append(zone)
    return tuple(zones)
