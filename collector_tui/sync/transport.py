"""Transport rules: TLS verified, and plain http only to this machine unless the user accepts the risk."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from collector_tui.locale import t
from collector_tui.sync.errors import InsecureTransport


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_url(url: str, *, allow_insecure_http: bool = False) -> None:
    """Refuse a URL the token must not travel over; loopback http is fine (the reference server, tests)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InsecureTransport(t("sync.not_a_url", url=repr(url)))
    if parts.scheme == "http" and not is_loopback(parts.hostname) and not allow_insecure_http:
        raise InsecureTransport(t("sync.plain_http", host=parts.hostname))
