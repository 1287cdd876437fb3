"""Flows in a refresh: scrub hard-coded phones and emails at scrub time, retarget to staging at load time.

A production flow export can hold phone numbers and email addresses written into it (an escalation
number, a VIP's mobile). Those are replaced with safe keyed values, exactly as in free text, unless they
are an org's own configuration (a variable's value, a number in an org's DID range): retarget swaps those
for the target org's counterparts. Retargeting happens when loading, in memory, so a secret variable
resolved for staging is never written to disk.

A rendered flow carries a digest of its content at the end of its description, which staging keeps
(the Archy YAML `description:` becomes the flow's `description`, returned by `GET /api/v2/flows`), so
a refresh can tell that staging already holds exactly this flow and leave it at its version.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from sanitizer import entities
from sanitizer.detect import NameFinder, Span, TextScanner
from sanitizer.detect.names import FIRST, WORD
from sanitizer.errors import FindingsError, FlowError
from sanitizer.flows.documents import FlowDocument, encode_flow, parse_flow, with_text
from sanitizer.flows.lint import lint
from sanitizer.flows.orgvalues import OrgIndex
from sanitizer.flows.retarget import replace_value, retarget
from sanitizer.flows.tree import Scalar
from sanitizer.keyring import Keyring
from sanitizer.ranges import SafeRanges
from sanitizer.rules import RuleSet
from sanitizer.scrub.mapping import Mapper
from sanitizer.variables import OrgMapping, try_resolve

SCRUBBED = (entities.PHONE_NUMBER, entities.EMAIL_ADDRESS)
# Scalars that hold prose (a prompt, a description, a literal string, an action's label): where a flow
# carries a customer's name ("Welcome back Mrs Raman"). Elsewhere a name is a reference to an org's
# object (a queue, a data table), which the run's names do not replace.
PROSE_KEYS = frozenset({"tts", "description", "lit", "name"})
# A URL no mapping knows, or a phone or email that is neither an org's value nor a safe replacement,
# is still hard-coded: a warning for the flow's owner, not a reason to stop the load.
WARNINGS = frozenset({"hardcoded-phone", "hardcoded-email", "hardcoded-url"})
# Letters only (hex digits 0-9 written as g-p), so that no run of digits reads as a phone number.
_LETTERS = str.maketrans("0123456789", "ghijklmnop")
_DIGEST_MARK = re.compile(r"\s*\[sanitizer content ([a-p]+)\]$")


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
        self._run_names: tuple[int, frozenset[str]] = (-1, frozenset())
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

    def scrub_names(self, flow: ScrubbedFlow, source: str) -> ScrubbedFlow:
        """The flow with the run's customer names replaced in its prose (`PROSE_KEYS`), as in the
        tables' notes: "Hello Dmitri" gets the replacement of the contact lists' Dmitri. A word that is
        also an ordinary word ("Grace", "Green") counts only as part of a full name the run holds."""
        names = self.run_names()
        if not names:
            return flow
        doc = parse_flow(flow.text, source=source)
        prose = [
            s
            for s in doc.scalars
            if not s.is_key
            and s.is_string
            and s.path
            and s.path[-1] in PROSE_KEYS
            and s.path != (doc.flow_type, "name")  # the flow's own name: its identity in staging
        ]
        replaced = 0
        for scalar in reversed(prose):  # from the end: an edit leaves earlier offsets as they were
            value = self.replace_names(scalar.value, names)
            if value != scalar.value:
                current = next(
                    s
                    for s in doc.scalars
                    if s.path == scalar.path
                    and s.is_key == scalar.is_key
                    and s.start == scalar.start
                )
                doc = replace_value(doc, current, value)
                replaced += 1
        if not replaced:
            return flow
        flow.text = encode_flow(doc).decode("utf-8")
        flow.replaced[entities.PERSON] = flow.replaced.get(entities.PERSON, 0) + replaced
        return flow

    def scrub_prose(self, text: str) -> str:
        """A text of the org's configuration (a data table's description) with customer phones, emails
        and the run's names replaced, as in a flow's prose."""
        scrubbed = self.scrub(text).text
        names = self.run_names()
        return self.replace_names(scrubbed, names) if names else scrubbed

    def replace_names(self, value: str, names: frozenset[str]) -> str:
        """`value` with the run's names in it replaced (see `scrub_names`)."""
        full_names = self.mapper.full_names
        parts, cursor = [], 0
        for span in self.scanner.names.find(value, names):
            words = [value[start:end] for start, end in span.words]
            folded = [entities.normalize_name(w) for w in words]
            whole = " ".join(folded) in full_names
            for (start, end), word, fold, kind in zip(
                span.words, words, folded, span.kinds, strict=True
            ):
                if fold not in names or (fold in entities.AMBIGUOUS_NAME_WORDS and not whole):
                    continue
                entity = entities.FIRST_NAME if kind == FIRST else entities.LAST_NAME
                parts += [value[cursor:start], self.mapper.substitute(entity, [word])[0]]
                cursor = end
        return "".join([*parts, value[cursor:]]) if parts else value

    def run_names(self) -> frozenset[str]:
        """The words of the run's original names (case-folded, without accents), made again when the
        run has learned more."""
        originals = [self.mapper.originals.get(e, set()) for e in sorted(entities.NAME_ENTITIES)]
        count = sum(map(len, originals))
        if self._run_names[0] != count:
            words = {
                entities.normalize_name(w)
                for group in originals
                for v in group
                for w in WORD.findall(v)
            }
            self._run_names = (count, frozenset(w for w in words if len(w) > 1))
        return self._run_names[1]


@dataclass(frozen=True)
class RenderedFlow:
    """A flow rendered for the target org: the Archy YAML to import and what identifies it there."""

    content: bytes
    name: str
    type: str  # as `GET /api/v2/flows` spells it (INBOUNDCALL ...)
    digest: str | None  # of the content, also written at the end of its description (if it can be)
    warnings: list[str]


def render_for_target(
    content: bytes,
    name: str,
    target: OrgMapping,
    mappings: Sequence[OrgMapping],
    safe_ranges: SafeRanges | None = None,
) -> RenderedFlow:
    """Retarget a scrubbed flow to the target org in memory, and stamp it with its content digest.

    Any lint error that is not a hard-coded value stops the load of this flow. Numbers and emails
    in `safe_ranges` are what scrubbing wrote: they are not reported.
    """
    document = retarget(content, target, mappings, source=name)
    findings = lint(document, target, mappings, rendered=True, safe_ranges=safe_ranges)
    errors = [f for f in findings if f.severity.value == "error" and f.rule not in WARNINGS]
    if errors:
        first = errors[0]
        raise FindingsError(
            f"flow {name!r} retargeted to {target.org!r}: {first.rule} at {first.path}"
            + (f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""),
            hint="see `sanitize flows lint` on the exported flow",
        )
    stamped, digest = _stamp(document)
    return RenderedFlow(
        encode_flow(stamped),
        document.name or name,
        str(document.flow_type or "").upper(),  # Archy's inboundCall is the API's INBOUNDCALL
        digest,
        sorted({f.rule for f in findings}),
    )


def recorded_digest(description: object) -> str | None:
    """The content digest a refresh wrote at the end of a flow's description, if there is one."""
    if not isinstance(description, str):
        return None
    found = _DIGEST_MARK.search(description)
    return found.group(1) if found else None


def _description(doc: FlowDocument) -> Scalar | None:
    """The flow's description value, unless it has none (or an empty `description:`)."""
    path = (doc.flow_type, "description")
    found = next((s for s in doc.scalars if s.path == path and not s.is_key), None)
    return found if found is not None and found.start < found.end else None


def _stamp(doc: FlowDocument) -> tuple[FlowDocument, str | None]:
    """The flow with the digest of its content at the end of its description; and the digest.

    The digest covers the flow without any earlier mark (a flow promoted from staging carries one).
    A flow written in YAML's flow style gets none: it is imported on every refresh.
    """
    scalar = _description(doc)
    description = _DIGEST_MARK.sub("", scalar.value) if scalar and scalar.is_string else ""
    if scalar is not None and description != scalar.value:
        doc = replace_value(doc, scalar, description)
        scalar = _description(doc)
    digest = hashlib.sha256(encode_flow(doc)).hexdigest()[:32].translate(_LETTERS)
    marked = f"{description} [sanitizer content {digest}]".lstrip()
    stamped = replace_value(doc, scalar, marked) if scalar else _write_description(doc, marked)
    if stamped is None:
        return doc, None
    written = _description(stamped)
    if written is None or recorded_digest(written.value) != digest:
        raise FlowError(f"{doc.source}: cannot record the content digest (internal check)")
    return stamped, digest


def _write_description(doc: FlowDocument, mark: str) -> FlowDocument | None:
    """A `description:` line holding only the mark: in place of an empty one, else above `name:`."""
    keys = {s.path[1]: s for s in doc.scalars if s.is_key and s.path[:-1] == (doc.flow_type,)}
    key = keys.get("description") or keys.get("name")
    if key is None:
        return None
    start = doc.sentinels.to_original(key.start)
    line_start = doc.text.rfind("\n", 0, start) + 1
    indent = doc.text[line_start:start]
    if indent.strip():  # the key does not start its line (a flow-style mapping)
        return None
    after = line_start
    if key.value == "description":  # the empty `description:` line is replaced
        after = doc.text.find("\n", start) + 1 or len(doc.text)
    line = f'{indent}description: "{mark}"\n'
    return with_text(doc, doc.text[:line_start] + line + doc.text[after:])


def check_flow(content: bytes, name: str) -> None:
    """The scrubbed flow must still parse (a replacement never breaks the document)."""
    parse_flow(content, source=name)
