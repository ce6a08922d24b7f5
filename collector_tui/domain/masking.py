"""Masking of personal data shown on screen until the collector reveals it."""

from __future__ import annotations


def mask_phone(number: str) -> str:
    """138****1234 style: keep the first three and last four digits of the national number."""
    digits = number
    prefix = ""
    if number.startswith("+86"):
        prefix, digits = "", number[3:]
    elif number.startswith("+1"):
        prefix, digits = "+1 ", number[2:]
    elif number.startswith("+44"):
        prefix, digits = "+44 ", number[3:]
    elif number.startswith("+"):
        prefix, digits = "+", number[1:]
    if len(digits) <= 7:
        return prefix + "*" * len(digits)
    return prefix + digits[:3] + "*" * (len(digits) - 7) + digits[-4:]


def mask_id_number(value: str) -> str:
    """Keep the first four and last two characters of an identity document number."""
    if len(value) <= 6:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 6) + value[-2:]


def mask_name(name: str) -> str:
    """王*明 / Andrea H*****: enough to recognise a case on the phone, not enough to identify a person."""
    name = name.strip()
    if not name:
        return ""
    if " " in name:
        first, *rest = name.split()
        return " ".join([first] + [part[0] + "*" * max(len(part) - 1, 1) for part in rest])
    if len(name) == 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def mask_email(address: str) -> str:
    """w***g@example.com: the first and last letter of the name, the domain as it is."""
    name, at, domain = address.partition("@")
    if not at:
        return mask_id_number(address)
    shown = name[:1] + "*" * max(len(name) - 2, 1) + (name[-1:] if len(name) > 2 else "")
    return f"{shown}@{domain}"
