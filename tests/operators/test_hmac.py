"""The hmac operator: keyed, encoded, truncated pseudonyms; determinism, avoidance, uniqueness."""

from __future__ import annotations

import base64
import hashlib
import hmac as std_hmac
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from sanitizer.entities import normalize
from sanitizer.errors import ConfigError
from sanitizer.operators import get_operator
from sanitizer.operators.hmac import HmacParams

operator = get_operator("hmac")
ID = "IDENTIFIER"


@pytest.mark.parametrize(
    ("params", "pattern", "why"),
    [
        ({}, r"[0-9a-f]{16}", "default: 16 hex characters"),
        ({"length": 64}, r"[0-9a-f]{64}", "the whole digest in hex"),
        ({"encoding": "base32", "length": 10}, r"[A-Z2-7]{10}", "RFC 4648 base32 alphabet"),
        ({"encoding": "base64url", "length": 43}, r"[A-Za-z0-9_-]{43}", "URL-safe, no padding"),
        ({"prefix": "cust_", "length": 8}, r"cust_[0-9a-f]{8}", "prefix then digest"),
    ],
)
def test_hmac_table_encoding_shapes_output(make_ctx, params, pattern, why):
    [out] = operator.replace(["ACC-100234"], make_ctx("hmac", ID, **params))
    assert re.fullmatch(pattern, out), why


def test_hmac_is_keyed_hmac_sha256_of_the_namespaced_normalised_value(make_ctx, keyring):
    [out] = operator.replace(["  ACC-100234  "], make_ctx("hmac", ID, length=64))
    expected = std_hmac.new(keyring.secret, b"identifier\x1fACC-100234", hashlib.sha256).hexdigest()
    assert out == expected  # whitespace-normalised, keyed, namespaced by entity
    assert out != hashlib.sha256(b"ACC-100234").hexdigest()  # never an unkeyed hash


def test_hmac_base32_is_the_digest_encoded(make_ctx, keyring):
    [out] = operator.replace(["ACC-1"], make_ctx("hmac", ID, encoding="base32", length=52))
    digest = std_hmac.new(keyring.secret, b"identifier\x1fACC-1", hashlib.sha256).digest()
    assert out == base64.b32encode(digest).decode().rstrip("=")


@pytest.mark.parametrize(
    ("params", "why"),
    [
        ({"length": 65}, "hex holds 64 characters"),
        ({"encoding": "base32", "length": 53}, "base32 holds 52"),
        ({"encoding": "base64url", "length": 44}, "base64url holds 43"),
        ({"length": 3}, "shorter than 4 collides constantly"),
        ({"encoding": "rot13"}, "unknown encoding"),
        ({"salt": "x"}, "unknown parameter"),
    ],
)
def test_hmac_params_invalid_are_rejected(params, why):
    with pytest.raises(ValidationError):
        HmacParams.model_validate(params)


def test_hmac_same_value_in_other_entity_gets_other_pseudonym(make_ctx):
    [a] = operator.replace(["12345"], make_ctx("hmac", "IDENTIFIER"))
    [b] = operator.replace(["12345"], make_ctx("hmac", "CREDIT_CARD"))
    assert a != b


def test_hmac_avoided_value_takes_next_candidate(make_ctx):
    [first] = operator.replace(["ACC-1"], make_ctx("hmac", ID, length=8))
    [second] = operator.replace(["ACC-1"], make_ctx("hmac", ID, length=8, avoid={first}))
    assert second != first and re.fullmatch(r"[0-9a-f]{8}", second)


def test_hmac_unique_resolves_truncation_collisions(make_ctx):
    values = [f"ACC-{i}" for i in range(3000)]  # 4 hex = 65,536 codes: birthday collisions
    plain = operator.replace(values, make_ctx("hmac", ID, length=4))
    unique = operator.replace(values, make_ctx("hmac", ID, length=4, unique=True))
    assert len(set(plain)) < len(values)
    assert len(set(unique)) == len(values)


def test_hmac_unique_impossible_raises_config_error(make_ctx):
    values = [f"ACC-{i}" for i in range(40_000)]  # over half of the 65,536 four-hex names
    with pytest.raises(ConfigError, match="length"):
        operator.replace(values, make_ctx("hmac", ID, length=4, unique=True))


@settings(max_examples=200, deadline=None)
@given(values=st.lists(st.text(min_size=1, max_size=30), min_size=1, max_size=40, unique=True))
def test_hmac_property_deterministic_keyed_and_never_an_original(make_ctx, other_keyring, values):
    ctx = make_ctx("hmac", ID, avoid=set(values))
    out = operator.replace(values, ctx)
    assert out == operator.replace(values, ctx)  # deterministic
    assert out == [operator.replace([v], ctx)[0] for v in values]  # batch-independent
    assert not set(out) & set(values)  # never an input, never an avoided original
    other = operator.replace(values, make_ctx("hmac", ID, key=other_keyring))
    assert sum(a != b for a, b in zip(out, other, strict=True)) >= len(values) * 0.9


@settings(max_examples=100, deadline=None)
@given(values=st.lists(st.text(min_size=1, max_size=10), min_size=2, max_size=60, unique=True))
def test_hmac_property_unique_gives_distinct_outputs(make_ctx, values):
    out = operator.replace(values, make_ctx("hmac", ID, length=4, unique=True))
    by_key = {normalize(ID, v): o for v, o in zip(values, out, strict=True)}
    assert len(set(out)) == len(by_key)  # distinct per distinct (normalised) value
    assert all(by_key[normalize(ID, v)] == o for v, o in zip(values, out, strict=True))
