"""The run's replacement registry: one consistent map per (operator, params, entity) channel."""

from __future__ import annotations

import pytest

from sanitizer import entities
from sanitizer.keyring import Keyring
from sanitizer.operators import get_operator
from sanitizer.operators.base import OperatorParams
from sanitizer.rules import RuleSet
from sanitizer.scrub.mapping import Mapper


@pytest.fixture
def mapper(shipped_rules: RuleSet, keyring_a: Keyring) -> Mapper:
    return Mapper(keyring_a, shipped_rules, shipped_rules.safe_ranges())


def _params(operator: str, **params: object) -> OperatorParams:
    return get_operator(operator).Params.model_validate(params)


def test_channel_same_operator_params_entity_is_one_channel(mapper: Mapper) -> None:
    one = mapper.channel("email", _params("email", style="user"), "EMAIL_ADDRESS")
    two = mapper.channel("email", _params("email", style="user"), "EMAIL_ADDRESS")
    assert one == two
    assert one != mapper.channel("email", _params("email", style="name"), "EMAIL_ADDRESS")
    assert one != mapper.channel("email", _params("email", style="user"), "OTHER")


def test_collect_then_settle_maps_every_value_once(mapper: Mapper) -> None:
    channel = mapper.entity_channel(entities.EMAIL_ADDRESS)
    mapper.collect(channel, ["ada@example.com", "grace@example.org"])
    mapper.collect(channel, ["ada@example.com"])
    assert mapper.lookup(channel) == {}  # nothing computed before settle
    mapper.settle()
    mapped = mapper.lookup(channel)
    assert set(mapped) == {"ada@example.com", "grace@example.org"}
    assert len(set(mapped.values())) == 2
    assert mapper.replace(channel, ["grace@example.org", "ada@example.com"]) == [
        mapped["grace@example.org"],
        mapped["ada@example.com"],
    ]


@pytest.mark.parametrize(
    ("operator", "entity", "params"),
    [
        ("phone", entities.PHONE_NUMBER, {}),
        ("email", entities.EMAIL_ADDRESS, {}),
        ("phone", entities.PHONE_NUMBER, {"unique": True}),
        ("hmac", "ACCOUNT_ID", {"unique": True, "length": 4}),
    ],
)
def test_settle_does_not_depend_on_the_order_values_were_collected(
    shipped_rules: RuleSet,
    keyring_a: Keyring,
    operator: str,
    entity: str,
    params: dict[str, object],
) -> None:
    # settle hands an independent operator its values in set order (no sort): each value's output
    # must still be the one it gets alone; unique operators get them sorted.
    if entity == entities.PHONE_NUMBER:
        values = [f"+1 212 555 {n:04d}" for n in range(200, 260)] + ["(212) 555-0199"]
    elif entity == entities.EMAIL_ADDRESS:
        values = [f"person{n}@corp.test" for n in range(60)]
    else:
        values = [f"ACC-{n:05d}" for n in range(60)]
    maps = []
    for order in (values, values[::-1], values[1::2] + values[::2]):
        mapper = Mapper(keyring_a, shipped_rules, shipped_rules.safe_ranges())
        channel = mapper.channel(operator, _params(operator, **params), entity)
        for value in order:
            mapper.collect(channel, [value])
        mapper.settle()
        maps.append(dict(mapper.lookup(channel)))
    assert maps[0] == maps[1] == maps[2]
    assert set(maps[0]) == set(values)
    if not params:
        alone = Mapper(keyring_a, shipped_rules, shipped_rules.safe_ranges())
        channel = alone.channel(operator, _params(operator), entity)
        alone.collect(channel, values)  # the same originals to avoid
        assert [alone.replace(channel, [v])[0] for v in values] == [maps[0][v] for v in values]


def test_replace_new_value_is_computed_and_remembered_as_original(mapper: Mapper) -> None:
    channel = mapper.entity_channel(entities.PHONE_NUMBER)
    (first,) = mapper.replace(channel, ["+1 212 555 0185"])
    assert mapper.replace(channel, ["+1 212 555 0185"]) == [first]
    assert "+1 212 555 0185" in mapper.originals[entities.PHONE_NUMBER]


def test_substitute_uses_the_entity_default_channel(mapper: Mapper) -> None:
    # A column using the entity's default operator and an email found in a note share one map.
    channel = mapper.entity_channel(entities.EMAIL_ADDRESS)
    mapper.collect(channel, ["ada@example.com"])
    mapper.settle()
    assert mapper.substitute(entities.EMAIL_ADDRESS, ["ada@example.com"]) == [
        mapper.lookup(channel)["ada@example.com"]
    ]


def test_substitute_email_found_only_in_text_becomes_an_original(mapper: Mapper) -> None:
    mapper.substitute(entities.EMAIL_ADDRESS, ["only.in.a.note@example.com"])
    assert "only.in.a.note@example.com" in mapper.originals[entities.EMAIL_ADDRESS]


def test_override_wins_for_later_lookups(mapper: Mapper) -> None:
    channel = mapper.entity_channel(entities.EMAIL_ADDRESS)
    mapper.override(channel, {"ada@example.com": "persona.ada@example.org"})
    assert mapper.replace(channel, ["ada@example.com"]) == ["persona.ada@example.org"]


def test_context_avoid_holds_normalised_originals(mapper: Mapper) -> None:
    channel = mapper.entity_channel(entities.PHONE_NUMBER)
    mapper.collect(channel, ["(212) 555-0185"])
    assert "+12125550185" in mapper.context(channel).avoid


def test_free_text_entity_is_not_an_original(mapper: Mapper) -> None:
    mapper.remember(entities.FREE_TEXT, ["a whole note"])
    assert entities.FREE_TEXT not in mapper.originals


def test_apart_keeps_a_fake_from_spelling_an_original_without_its_accents(mapper: Mapper) -> None:
    # A staging contact "Jose Garcia" would stand for the customer "José García".
    mapper.learn_full_names(["José García"])
    kept = mapper.apart(["Ann", "Lee"], ["Jose", "Garcia"])
    assert kept[0] == "Jose" and kept[1] not in ("Garcia", "García")
    assert mapper.apart(["Ann", "Lee"], ["Jose", "Lopez"]) == ["Jose", "Lopez"]


def test_apart_never_gives_a_person_one_of_their_own_name_words(mapper: Mapper) -> None:
    # "Kirk Johnson" as "Ray Kirk": in a note the fake would stand where the real first name stood.
    last = mapper.apart(["Kirk", "Johnson"], ["Ray", "Kirk"])
    assert last[0] == "Ray" and last[1].casefold() not in {"kirk", "johnson"}
    first = mapper.apart(["Kirk", "Johnson"], ["JOHNSON", "Berg"])
    assert first[0].isupper() and first[0].casefold() not in {"kirk", "johnson"}
    assert first[1] == "Berg"
    assert mapper.apart(["Kirk", "Johnson"], ["Ray", "Kirk"]) == last  # keyed: the same every time
    assert mapper.apart(["Kirk", "Johnson"], ["Ray", "Berg"]) == ["Ray", "Berg"]
