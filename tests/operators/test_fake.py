"""The fake operator: keyed names token by token (case kept, never itself), seeded Faker providers."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sanitizer.entities import normalize_name
from sanitizer.errors import RulesError
from sanitizer.operators import get_operator
from sanitizer.operators.fake import name_pool, replace_name_tokens, replace_person_names

operator = get_operator("fake")


def first(token: str, keyring) -> str:
    return replace_name_tokens([token], "first", keyring)[0]


def last(token: str, keyring) -> str:
    return replace_name_tokens([token], "last", keyring)[0]


@pytest.mark.parametrize(
    ("value", "expected", "why"),
    [
        ("Jane Smith", lambda k: f"{first('Jane', k)} {last('Smith', k)}", "first then last"),
        ("JANE SMITH", lambda k: f"{first('Jane', k)} {last('Smith', k)}".upper(), "UPPER kept"),
        ("jane smith", lambda k: f"{first('Jane', k)} {last('Smith', k)}".lower(), "lower kept"),
        ("Berg, Jane", lambda k: f"{last('Berg', k)}, {first('Jane', k)}", "surname-first form"),
        (
            "Jane van der Berg",
            lambda k: f"{first('Jane', k)} {first('van', k)} {first('der', k)} {last('Berg', k)}",
            "middle tokens from the first-name pool, case per token",
        ),
        (
            "Dr. Jane Q. Smith Jr.",
            lambda k: f"Dr. {first('Jane', k)} {first('Q', k)}. {last('Smith', k)} Jr.",
            "titles and suffixes kept, an initial becomes an initial",
        ),
        ("Jane", lambda k: first("Jane", k), "one token is a first name"),
        (
            "  Jane   Smith ",
            lambda k: f"  {first('Jane', k)}   {last('Smith', k)} ",
            "spacing kept",
        ),
        ("123", lambda k: "123", "no letters, nothing to replace"),
    ],
)
def test_person_names_table_token_by_token(keyring, value, expected, why):
    assert replace_person_names([value], keyring) == [expected(keyring)], why


def test_name_column_and_free_text_token_agree(make_ctx, keyring):
    [column] = operator.replace(["Jane"], make_ctx("fake", "FIRST_NAME"))
    [full] = operator.replace(["jane smith"], make_ctx("fake", "PERSON"))
    [token] = replace_name_tokens(["JANE"], "first", keyring)
    assert full.split()[0] == column.lower() and token == column.upper()


@pytest.mark.parametrize(
    ("entity", "params", "check", "why"),
    [
        ("FIRST_NAME", {}, lambda out: out in name_pool("en_US", "first"), "first-name pool"),
        ("LAST_NAME", {}, lambda out: out in name_pool("en_US", "last"), "last-name pool"),
        (
            "FIRST_NAME",
            {"locale": "de_DE"},
            lambda out: out in name_pool("de_DE", "first"),
            "the locale's own list",
        ),
        ("LOCATION", {}, lambda out: bool(out) and "\n" not in out, "a city"),
        ("ADDRESS", {"locale": "en_GB"}, lambda out: "\n" not in out, "one line, even in en_GB"),
        ("IDENTIFIER", {"provider": "company"}, lambda out: bool(out), "any provider by name"),
    ],
)
def test_fake_table_entity_and_params_pick_provider(make_ctx, entity, params, check, why):
    [out] = operator.replace(["Kensington"], make_ctx("fake", entity, **params))
    assert check(out), f"{why}: {out!r}"


@pytest.mark.parametrize(
    ("entity", "params", "message", "why"),
    [
        ("IDENTIFIER", {}, "no default provider", "an entity without a default needs a provider"),
        ("LOCATION", {"provider": "no_such_thing"}, "not a Faker provider", "unknown provider"),
        ("LOCATION", {"provider": "seed_instance"}, "not a Faker provider", "not a provider"),
        ("LOCATION", {"provider": "centuries"}, "not a Faker provider", "a date provider's data"),
        ("LOCATION", {"provider": "enum"}, "needs arguments", "providers needing arguments"),
        ("LOCATION", {"locale": "xx_XX"}, "unknown Faker locale", "unknown locale"),
    ],
)
def test_fake_bad_params_raise_rules_error(make_ctx, entity, params, message, why):
    with pytest.raises(RulesError, match=message):
        operator.replace(["Kensington"], make_ctx("fake", entity, **params))


def test_fake_date_of_birth_is_the_same_on_any_day(make_ctx, other_keyring, monkeypatch):
    # Faker's own date_of_birth counts ages from today: the same date would get another fake tomorrow.
    import datetime as real

    import faker.providers.date_time as faker_dates

    values = ["1980-05-01", "1975-12-31", "2001-02-03", " 1980-05-01", "14/07/1969"]
    today = operator.replace(values, make_ctx("fake", "DATE_OF_BIRTH", provider="date_of_birth"))

    class Later(real.datetime):
        @classmethod
        def now(cls, tz=None):
            return cls(2031, 6, 15, 12, 0, tzinfo=tz)

    monkeypatch.setattr(faker_dates, "datetime", Later)
    later = operator.replace(values, make_ctx("fake", "DATE_OF_BIRTH", provider="date_of_birth"))
    assert later == today
    assert today[0] == today[3]  # the same date, written with a space
    for original, out in zip(values, today, strict=True):
        born = real.date.fromisoformat(out)  # an ISO date: date fields stay valid
        assert real.date(1936, 1, 1) <= born <= real.date(2008, 12, 31) and out != original.strip()
    theirs = operator.replace(
        values, make_ctx("fake", "DATE_OF_BIRTH", key=other_keyring, provider="date_of_birth")
    )
    assert sum(a != b for a, b in zip(today, theirs, strict=True)) >= 3


@pytest.mark.parametrize("provider", ["past_date", "date", "year", "date_this_year"])
def test_fake_providers_counting_from_today_are_refused(make_ctx, provider):
    with pytest.raises(ValueError, match="counts from today's date"):
        make_ctx("fake", "DATE_OF_BIRTH", provider=provider)


def test_fake_seeded_provider_is_deterministic_and_keyed(make_ctx, other_keyring):
    values = [f"Town {i}" for i in range(50)]
    mine = operator.replace(values, make_ctx("fake", "LOCATION"))
    assert mine == operator.replace(values, make_ctx("fake", "LOCATION"))
    theirs = operator.replace(values, make_ctx("fake", "LOCATION", key=other_keyring))
    assert sum(a != b for a, b in zip(mine, theirs, strict=True)) >= 40


@pytest.mark.parametrize("kind", ["first", "last"])
def test_name_tokens_never_map_to_themselves_for_the_whole_pool(keyring, kind):
    pool = list(name_pool("en_US", kind))
    out = replace_name_tokens(pool, kind, keyring)
    assert all(normalize_name(a) != normalize_name(b) for a, b in zip(pool, out, strict=True))


def test_initials_map_to_other_initials(keyring):
    letters = [chr(c) for c in range(ord("A"), ord("Z") + 1)]
    out = replace_name_tokens(letters, "first", keyring)
    assert all(
        re.fullmatch(r"[A-Z]", o) and o != letter for letter, o in zip(letters, out, strict=True)
    )


def test_name_tokens_without_accents_share_the_pseudonym(keyring) -> None:
    # "Jose" typed in a note is the column's "José": one person, one fake.
    plain, accented = replace_name_tokens(["Jose", "José"], "first", keyring)
    assert plain == accented


names = st.text(alphabet=st.characters(categories=["Lu", "Ll"]), min_size=1, max_size=12)


@settings(max_examples=200, deadline=None)
@given(tokens=st.lists(names, min_size=1, max_size=30))
def test_name_tokens_property_deterministic_and_never_itself(keyring, tokens):
    out = replace_name_tokens(tokens, "last", keyring)
    assert out == [replace_name_tokens([t], "last", keyring)[0] for t in tokens]
    assert all(normalize_name(a) != normalize_name(b) for a, b in zip(tokens, out, strict=True))


@settings(max_examples=100, deadline=None)
@given(
    tokens=st.lists(
        names.filter(lambda t: len(t) > 1), min_size=5, max_size=30, unique_by=normalize_name
    )
)
def test_name_tokens_property_other_key_gives_other_names(keyring, other_keyring, tokens):
    # Initials are left out: 26 letters collide across keys by design.
    mine = replace_name_tokens(tokens, "last", keyring)
    theirs = replace_name_tokens(tokens, "last", other_keyring)
    differs = sum(normalize_name(a) != normalize_name(b) for a, b in zip(mine, theirs, strict=True))
    assert differs >= len(tokens) * 0.8


@settings(max_examples=200, deadline=None)
@given(parts=st.lists(names, min_size=1, max_size=4))
def test_person_names_property_case_pattern_kept(keyring, parts):
    value = " ".join(parts)
    [out] = replace_person_names([value], keyring)
    for original, fake in zip(value.split(), out.split(), strict=False):
        if original.isupper():
            assert fake == fake.upper()
        elif original.islower():
            assert fake == fake.lower()
