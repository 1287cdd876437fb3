"""The entity catalogue: what each PII entity is, how its values are normalised, and its keyed namespace.

Normalisation decides which raw spellings are "the same value" (and so get the same replacement
everywhere): phones by E.164, emails lower-cased, names case-folded with whitespace collapsed.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import phonenumbers

PERSON = "PERSON"
FIRST_NAME = "FIRST_NAME"
LAST_NAME = "LAST_NAME"
EMAIL_ADDRESS = "EMAIL_ADDRESS"
PHONE_NUMBER = "PHONE_NUMBER"
CREDIT_CARD = "CREDIT_CARD"
IBAN_CODE = "IBAN_CODE"
IP_ADDRESS = "IP_ADDRESS"
URL = "URL"
LOCATION = "LOCATION"
ADDRESS = "ADDRESS"
FREE_TEXT = "FREE_TEXT"
IDENTIFIER = "IDENTIFIER"

NAME_ENTITIES = frozenset({PERSON, FIRST_NAME, LAST_NAME})
# Entities whose values are specific enough that finding one anywhere in the output is a leak.
# A single first or last name is not (the fake pool and real names overlap); see verify.py.
SPECIFIC_ENTITIES = frozenset({EMAIL_ADDRESS, PHONE_NUMBER, CREDIT_CARD, IBAN_CODE, IP_ADDRESS})

_SPACES = re.compile(r"\s+")
_NON_DIGITS = re.compile(r"\D+")


def namespace(entity: str) -> str:
    """The keyed-hash namespace of an entity: the same value in two entities maps independently."""
    return entity.lower()


def normalize_name(value: str) -> str:
    """Names compare case-folded, NFKC, with inner whitespace collapsed."""
    return _SPACES.sub(" ", unicodedata.normalize("NFKC", value)).strip().casefold()


def normalize_email(value: str) -> str:
    """Emails compare stripped and lower-cased (local parts are case-insensitive in practice)."""
    return value.strip().lower()


@lru_cache(maxsize=1_000_000)
def normalize_phone(value: str, default_region: str = "US") -> str:
    """Phones compare in E.164; a string phonenumbers cannot parse compares by its digits."""
    try:
        parsed = phonenumbers.parse(value, default_region)
    except phonenumbers.NumberParseException:
        return "+" + _NON_DIGITS.sub("", value) if value.strip().startswith("+") else _NON_DIGITS.sub("", value)
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def normalize(entity: str, value: str, default_region: str = "US") -> str:
    """The form of `value` under which equal values of `entity` are recognised as the same."""
    if entity == PHONE_NUMBER:
        return normalize_phone(value, default_region)
    if entity == EMAIL_ADDRESS:
        return normalize_email(value)
    if entity in NAME_ENTITIES:
        return normalize_name(value)
    return _SPACES.sub(" ", value).strip()
