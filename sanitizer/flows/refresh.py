"""Flows in a refresh: scrub hard-coded phones and emails at scrub time, retarget to staging at load time.

A production flow export can hold phone numbers and email addresses written into it (an escalation
number, a VIP's mobile). Those are replaced with safe keyed values, exactly as in free text, unless they
are an org's own configuration (a variable's value, a number in an org's DID range): retarget swaps those
for the target org's counterparts. Retargeting happens when loading, in memory, so a secret variable
resolved for staging is never written to disk.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sanitizer import entities
from sanitizer.detect import NameFinder, Span, TextScanner
from sanitizer.errors import FlowError
from sanitizer.flows.documents import encode_flow, parse_flow
from sanitizer.flows.lint import lint
from sanitizer.flows.orgvalues import OrgIndex
from sanitizer.flows.retarget import retarget
from sanitizer.keyring import Keyring
from sanitizer.rules import RuleSet
from sanitizer.scrub.mapping import Mapper
from sanitizer.variables import OrgMapping, try_resolve

SCRUBBED = (entities.PHONE_NUMBER, entities.EMAIL_ADDRESS)
# After scrubbing, a hard-coded value is safe but still hard-coded: a warning for the flow's owner.
WARNINGS = frozenset({"hardcoded-phone", "hardcoded-email", "hardcoded-url"})


@dataclass
class ScrubbedFlow:
    text: str
    replaced: dict[str, int] = field(default_factory=dict)
    originals: set[str] = field(default_factory=set)


class FlowScrubber:
    """Replaces customer phones and emails written into flows, keeping every org's own values."""

    def __init__(
        self,
        rules: RuleSet,
        keyring: Keyring,
        mappings: Sequence[OrgMapping],
        mapper: Mapper | None = None,
    ) -> None:
        ranges = rules.safe_ranges()
        self.rules = rules
        self.scanner = TextScanner(rules, ranges, NameFinder(use_gazetteer=False))
        # The run's mapper, so a number in a flow gets the same replacement as in the tables.
        self.mapper = mapper or Mapper(keyring, rules, ranges)
        self.index = OrgIndex(mappings)
        region, regions = rules.policy.default_region, tuple(rules.policy.regions)
        self.protected: set[str] = set()
        for mapping in mappings:
            for name in mapping.variables:
                value = try_resolve(mapping, name)
                if isinstance(value, str) and value:
                    self.protected.add(entities.normalize(entities.EMAIL_ADDRESS, value))
                    self.protected.add(
                        entities.normalize(entities.PHONE_NUMBER, value, region, regions)
                    )

    def _is_protected(self, span: Span, text: str) -> bool:
        return self.is_org_value(text[span.start : span.end])

    def is_org_value(self, value: str) -> bool:
        """An email or phone that is some org's own configuration (a variable's value, a DID)."""
        if "@" in value:
            return entities.normalize_email(value) in self.protected
        region, regions = self.rules.policy.default_region, tuple(self.rules.policy.regions)
        e164 = entities.normalize(entities.PHONE_NUMBER, value, region, regions)
        return e164 in self.protected or bool(self.index.did_ranges(e164))

    def _spans(self, text: str) -> list[Span]:
        return [
            s
            for s in self.scanner.scan(text)
            if s.entity in SCRUBBED and not self._is_protected(s, text)
        ]

    def contacts(self, text: str) -> list[tuple[str, str]]:
        """(entity, value) of the customer phones and emails written into a flow (not org values)."""
        return [(s.entity, text[s.start : s.end]) for s in self._spans(text)]

    def scrub(self, text: str) -> ScrubbedFlow:
        """The flow text with customer phones and emails replaced (same replacements as the tables')."""
        spans = self._spans(text)
        result = ScrubbedFlow(text=text)
        if not spans:
            return result
        by_entity: dict[str, list[str]] = {}
        for span in spans:
            by_entity.setdefault(span.entity, []).append(text[span.start : span.end])
        replacements: dict[tuple[str, str], str] = {}
        for entity, values in by_entity.items():
            distinct = sorted(set(values))
            for value, new in zip(distinct, self.mapper.substitute(entity, distinct), strict=True):
                replacements[(entity, value)] = new
            result.replaced[entity] = len(values)
            result.originals.update(distinct)
        parts, cursor = [], 0
        for span in spans:
            parts += [
                text[cursor : span.start],
                replacements[(span.entity, text[span.start : span.end])],
            ]
            cursor = span.end
        result.text = "".join([*parts, text[cursor:]])
        return result


def render_for_target(
    content: bytes, name: str, target: OrgMapping, mappings: Sequence[OrgMapping]
) -> tuple[bytes, list[str]]:
    """Retarget a scrubbed flow to the target org in memory; (bytes to import, warning rule ids).

    Any lint error that is not a (now safe) hard-coded value stops the load of this flow.
    """
    document = retarget(content, target, mappings, source=name)
    findings = lint(document, target, mappings, rendered=True)
    errors = [f for f in findings if f.severity.value == "error" and f.rule not in WARNINGS]
    if errors:
        first = errors[0]
        raise FlowError(
            f"flow {name!r} retargeted to {target.org!r}: {first.rule} at {first.path}"
            + (f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""),
            hint="see `sanitize flows lint` on the exported flow",
        )
    return encode_flow(document), sorted({f.rule for f in findings})


def check_flow(content: bytes, name: str) -> None:
    """The scrubbed flow must still parse (a replacement never breaks the document)."""
    parse_flow(content, source=name)
