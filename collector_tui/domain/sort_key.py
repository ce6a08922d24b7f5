"""The queue's groups in their order, and sort keys as bytes the cache can index: what reading the stored
queue needs, without the rules that place a case (domain.priority)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

GROUPS = ("promise", "golden", "callback", "rest", "blocked")

_SCALE = 10**4  # amounts keep four decimal places in the key
_SHIFT = 1 << 62  # shifted, every amount and count is positive and still fits 8 bytes
_EPOCH = datetime(1970, 1, 1, tzinfo=ZoneInfo("UTC"))


def sort_bytes(key: tuple[object, ...]) -> bytes:
    """The sort key as bytes whose order (memcmp) is the queue's order, so that the cache can index it.

    Each element is a kind tag and a fixed-width big-endian field: small counts and ranks in 2 bytes,
    amounts in 8, times as milliseconds in 8, dates as day numbers in 4, text as UTF-8 (only last). The
    tag keeps mixed groups comparable: one position may hold a date in one group and a number in
    another, and only the group rank before it decides between them. Short keys keep the queue's
    indexes small: a full sync writes one key into three of them for every case.
    """
    out = bytearray()
    for item in key:
        if isinstance(item, datetime):
            out += b"\x03" + (int((item - _EPOCH).total_seconds() * 1000) + _SHIFT).to_bytes(8, "big")
        elif isinstance(item, bool) or not isinstance(item, (int, Decimal)):
            if hasattr(item, "toordinal"):
                out += b"\x04" + item.toordinal().to_bytes(4, "big")
            else:
                out += b"\x05" + str(item).encode()
        elif isinstance(item, int) and 0 <= item < 1 << 16:
            out += b"\x01" + item.to_bytes(2, "big")
        else:
            out += b"\x02" + (int(Decimal(item) * _SCALE) + _SHIFT).to_bytes(8, "big")
    return bytes(out)
