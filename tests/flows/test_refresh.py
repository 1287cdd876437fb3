"""Flows in a refresh: rendered for staging with a content digest, warned about only when it matters."""

from __future__ import annotations

import pytest
import yaml

from sanitizer.flows.refresh import recorded_digest, render_for_target
from sanitizer.ranges import default_safe_ranges
from sanitizer.variables import OrgMapping, find_mapping

from .helpers import ORG_FLOWS

MAIN_IVR = (ORG_FLOWS / "main-ivr.yaml").read_bytes()


def _flow(value: str, description: str | None = None) -> bytes:
    lines = ["workflow:", "  name: Escalation"]
    if description is not None:
        lines.append(f"  description: {description}")
    lines.append(f'  target: "{value}"')
    return ("\n".join(lines) + "\n").encode()


def _description(content: bytes) -> str:
    return str(yaml.safe_load(content)["workflow"]["description"])


@pytest.mark.parametrize(
    ("value", "warnings"),
    [
        ("+1 312 555 0142", []),  # why: NANP fiction range, what scrubbing writes
        ("+44 20 7946 0321", []),  # why: Ofcom drama range
        ("help@example.com", []),  # why: a reserved domain
        ("+1 463 555 0150", []),  # why: staging's own DID, from its mapping
        ("+1 312 555 0000", ["hardcoded-phone"]),  # why: outside every safe range: a real number
        ("https://status.example.org/x", ["hardcoded-url"]),  # why: a host no mapping knows
    ],
)
def test_render_for_target_warns_only_about_values_scrubbing_and_mappings_do_not_explain(
    value: str, warnings: list[str], mappings: list[OrgMapping]
) -> None:
    staging = find_mapping(mappings, "staging")
    rendered = render_for_target(
        _flow(value), "Escalation", staging, mappings, default_safe_ranges()
    )
    assert rendered.warnings == warnings


def test_render_for_target_same_flow_gives_same_bytes_and_digest_in_its_description(
    mappings: list[OrgMapping],
) -> None:
    staging = find_mapping(mappings, "staging")
    first = render_for_target(MAIN_IVR, "Main IVR", staging, mappings)
    again = render_for_target(MAIN_IVR, "Main IVR", staging, mappings)
    assert (first.content, first.digest) == (again.content, again.digest)
    assert (first.name, first.type) == ("Main IVR", "INBOUNDCALL")
    description = str(yaml.safe_load(first.content)["inboundCall"]["description"])
    assert description.startswith("Front door for the retail line")  # production's text is kept
    assert recorded_digest(description) == first.digest
    assert first.digest is not None and first.digest.isalpha()  # no digit run reads as a phone


@pytest.mark.parametrize(
    "description",
    [
        None,  # why: the flow has none: a description line is written above `name:`
        "",  # why: an empty `description:`
        "Routes callers",
        "|\n    Routes callers\n    by hand",  # why: a block scalar
    ],
)
def test_render_for_target_digest_follows_the_content(
    description: str | None, mappings: list[OrgMapping]
) -> None:
    staging = find_mapping(mappings, "staging")
    before = render_for_target(_flow("a", description), "Escalation", staging, mappings)
    after = render_for_target(_flow("b", description), "Escalation", staging, mappings)
    assert before.digest != after.digest
    for rendered in (before, after):
        assert recorded_digest(_description(rendered.content)) == rendered.digest


def test_render_for_target_replaces_an_earlier_digest_instead_of_adding_one(
    mappings: list[OrgMapping],
) -> None:
    # A production flow promoted from staging carries staging's mark in its description.
    staging = find_mapping(mappings, "staging")
    marked = render_for_target(_flow("a", "Routes callers"), "Escalation", staging, mappings)
    again = render_for_target(marked.content, "Escalation", staging, mappings)
    description = _description(again.content)
    assert description.count("[sanitizer content") == 1
    assert description.startswith("Routes callers [sanitizer content")
    assert again.digest == marked.digest


@pytest.mark.parametrize(
    ("description", "digest"),
    [
        ("Routes callers [sanitizer content abcdefghijklmnop]", "abcdefghijklmnop"),
        ("Routes callers", None),  # why: never imported by a refresh
        ("[sanitizer content abc] and more", None),  # why: the mark ends the description
        (None, None),  # why: a flow without a description
    ],
)
def test_recorded_digest_reads_only_the_mark_at_the_end(
    description: str | None, digest: str | None
) -> None:
    assert recorded_digest(description) == digest
