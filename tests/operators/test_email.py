"""The email operator: readable keyed addresses at safe domains, the persona variant, uniqueness."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sanitizer.entities import normalize_email
from sanitizer.errors import RulesError, SanitizerError
from sanitizer.operators import get_operator
from sanitizer.operators.base import OperatorContext
from sanitizer.operators.email import ascii_fold, replace_persona
from sanitizer.ranges import EmailRanges, SafeRanges, default_safe_ranges

EMAIL = "EMAIL_ADDRESS"
operator = get_operator("email")
RESERVED = r"@example\.(com|net|org)"
# RFC 5322 dot-atom local part (the subset sanitizer writes: lower-case letters, digits, . and -).
VALID = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*(?:\.[a-z0-9]+(?:-[a-z0-9]+)*)*@[a-z0-9.-]+\.[a-z]+")
SINK = SafeRanges(emails=EmailRanges(sink_domain="mailsink.staging-corp.net"))


@pytest.mark.parametrize(
    ("params", "safe", "pattern", "why"),
    [
        ({}, None, r"[a-z-]+\.[a-z-]+\.[0-9a-f]{4}" + RESERVED, "name style at a reserved domain"),
        ({"style": "user"}, None, r"user-[0-9a-f]{8}" + RESERVED, "opaque token style"),
        ({"domains": ["mail.test"]}, None, r"[a-z.-]+\.[0-9a-f]{4}@mail\.test", "a .test domain"),
        (
            {"domains": ["EXAMPLE.ORG."]},
            None,
            r"[a-z0-9.-]+@example\.org",
            "domains are normalised",
        ),
        (
            {"sink_domain": "mailsink.staging-corp.net"},
            SINK,
            r"[a-z.-]+\.[0-9a-f]{4}@mailsink\.staging-corp\.net",
            "the configured sink domain",
        ),
    ],
)
def test_email_table_params_shape_output(make_ctx, params, safe, pattern, why):
    [out] = operator.replace(["Jane.Roe@corp.test"], make_ctx("email", EMAIL, safe=safe, **params))
    assert re.fullmatch(pattern, out), f"{why}: {out}"


@pytest.mark.parametrize(
    ("params", "why"),
    [
        ({"domains": ["gmail.com"]}, "a real provider is never a generation domain"),
        ({"sink_domain": "mailsink.staging-corp.net"}, "a sink must be configured in the ranges"),
        ({"domains": []}, "at least one domain"),
        ({"domains": ["example.com.evil.net"]}, "look-alike of a reserved domain"),
    ],
)
def test_email_unsafe_domain_params_raise_rules_error(make_ctx, params, why):
    with pytest.raises(RulesError, match="operator email"):
        operator.replace(["jane.roe@corp.test"], make_ctx("email", EMAIL, **params))


def test_email_case_variants_get_one_address(make_ctx):
    outs = operator.replace(["Jane.Roe@Corp.test", "jane.roe@corp.test "], make_ctx("email", EMAIL))
    assert outs[0] == outs[1]


def test_email_avoided_address_takes_next_candidate(make_ctx):
    [first] = operator.replace(["jane.roe@corp.test"], make_ctx("email", EMAIL))
    [second] = operator.replace(["jane.roe@corp.test"], make_ctx("email", EMAIL, avoid={first}))
    assert second != first and re.fullmatch(r"[a-z.-]+\.[0-9a-f]{4}" + RESERVED, second)


def test_email_persona_builds_local_part_from_the_rows_fake_names(make_ctx):
    ctx = make_ctx("email", EMAIL)
    outs = replace_persona(
        ["jane.roe@corp.test", "x@corp.test", "y@corp.test"],
        ["Mia", "Seán", "美咲"],
        ["Åberg", "O'Brien-Smith", "佐藤"],
        ctx,
    )
    assert re.fullmatch(r"mia\.aberg\.[0-9a-f]{4}" + RESERVED, outs[0])
    assert re.fullmatch(r"sean\.obrien-smith\.[0-9a-f]{4}" + RESERVED, outs[1])
    assert re.fullmatch(r"user\.[0-9a-f]{4}" + RESERVED, outs[2])  # nothing ASCII survives
    assert operator.replace_persona(["jane.roe@corp.test"], ["Mia"], ["Åberg"], ctx) == outs[:1]


def test_email_persona_row_lists_of_other_lengths_raise(make_ctx):
    with pytest.raises(SanitizerError, match="one of each per row"):
        replace_persona(["a@corp.test"], ["Mia", "Leo"], ["Berg"], make_ctx("email", EMAIL))


@pytest.mark.parametrize(
    ("name", "folded", "why"),
    [
        ("Åberg", "aberg", "accents removed"),
        ("O'Brien", "obrien", "apostrophe dropped"),
        ("Mary-Jane", "mary-jane", "hyphen kept"),
        ("van der Berg", "van-der-berg", "spaces become hyphens"),
        ("--Zoë--", "zoe", "no edge hyphens"),
        ("佐藤", "", "nothing ASCII to keep"),
        ("A" * 40, "a" * 20, "capped at 20 characters"),
    ],
)
def test_ascii_fold_table(name, folded, why):
    assert ascii_fold(name) == folded, why


emails = st.builds(
    lambda local, domain: f"{local}@{domain}",
    st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123456789._+-", min_size=1, max_size=20),
    st.sampled_from(["corp.test", "mail.invalid", "Example.COM", "shop.example"]),
)


@settings(max_examples=200, deadline=None)
@given(values=st.lists(emails, min_size=1, max_size=40, unique_by=normalize_email))
def test_email_property_safe_valid_deterministic_and_never_an_original(
    make_ctx, other_keyring, values
):
    ranges = default_safe_ranges()
    avoid = {normalize_email(v) for v in values}
    ctx = make_ctx("email", EMAIL, avoid=avoid)
    out = operator.replace(values, ctx)
    assert all(ranges.is_safe_email(o) and VALID.fullmatch(o) for o in out)
    assert all(len(o.split("@")[0]) <= 64 for o in out)
    assert not set(out) & avoid
    assert out == [operator.replace([v], ctx)[0] for v in values]  # batch-independent
    other = operator.replace(values, make_ctx("email", EMAIL, key=other_keyring, avoid=avoid))
    assert sum(a != b for a, b in zip(out, other, strict=True)) >= len(values) * 0.9


@settings(max_examples=100, deadline=None)
@given(values=st.lists(emails, min_size=2, max_size=80, unique_by=normalize_email))
def test_email_property_unique_gives_distinct_outputs(make_ctx, values):
    out = operator.replace(values, make_ctx("email", EMAIL, unique=True, domains=["example.com"]))
    assert len(set(out)) == len(values)


@settings(max_examples=30, deadline=None)
@given(
    emails=st.lists(
        st.from_regex(r"[a-z]{1,8}\.[a-z]{1,8}@corp\.(test|invalid)", fullmatch=True),
        min_size=2,
        max_size=30,
        unique=True,
    ),
    cut=st.integers(min_value=1, max_value=29),
)
def test_without_unique_each_address_depends_on_its_value_alone(
    make_ctx: Callable[..., OperatorContext], emails: list[str], cut: int
) -> None:
    # What lets the engine split a large call across worker processes.
    operator = get_operator("email")
    ctx = make_ctx("email", EMAIL, avoid=emails[:3])
    assert operator.is_independent(ctx.params)
    cut = min(cut, len(emails) - 1)
    whole = operator.replace(emails, ctx)
    assert whole == operator.replace(emails[:cut], ctx) + operator.replace(emails[cut:], ctx)
    assert not operator.is_independent(make_ctx("email", EMAIL, unique=True).params)
