"""`flows retarget`: render a flow for one org, and leave no value of any other org in it.

1. Every placeholder gets the target org's value. A placeholder the target's mapping does not define
   is an error, never a blank.
2. Every literal value of another org (endpoint host, trunk, org-specific variable value) is swapped
   for the target's counterpart: the same endpoint or trunk key, the same variable name. A value
   with no counterpart, or a number in another org's DID range, is an error naming its place.
3. The result is parsed again and searched: if any other org's value is still there, it is an error.

The errors of steps 1 and 2 are what `flows lint --org` reports as error findings (`missing-value`,
`other-org-*`), so they are FindingsError (exit 8) like lint's; FlowError (exit 4) is kept for a
flow that cannot be read, or whose rendered text does not parse.

Edits are made scalar by scalar on the document's text, so comments, key order and formatting of
everything else stay as they were. An edited scalar keeps its quoting style where its new value
allows (a plain `seconds: {{timeout}}` becomes a plain number, as Archy's own substitution would
make it)."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from sanitizer.errors import FindingsError, FlowError
from sanitizer.flows.documents import (
    FlowDocument,
    FlowFormat,
    parse_flow,
    read_flow,
    with_text,
    write_flow,
)
from sanitizer.flows.orgvalues import Occurrence, OrgIndex
from sanitizer.flows.tree import Scalar, format_path
from sanitizer.variables import OrgMapping, resolve

_JSON_LITERAL = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null")
_MAX_LISTED = 8


@dataclass(frozen=True)
class RetargetResult:
    """The rendered document and what was done to it (counts only: no values)."""

    doc: FlowDocument
    placeholders: int
    literals: int
    has_secret: bool = False  # a secret variable was rendered into it


def retarget(
    doc: FlowDocument | str | bytes,
    to: OrgMapping,
    mappings: Sequence[OrgMapping],
    *,
    source: str = "<flow>",
) -> FlowDocument:
    """The flow rendered for org `to`; text or bytes (an export job's YAML) are parsed first."""
    return retarget_result(doc, to, mappings, source=source).doc


def retarget_result(
    doc: FlowDocument | str | bytes,
    to: OrgMapping,
    mappings: Sequence[OrgMapping],
    *,
    source: str = "<flow>",
) -> RetargetResult:
    """retarget(), also saying how many placeholders and literals it replaced."""
    if not isinstance(doc, FlowDocument):
        doc = parse_flow(doc, source)
    orgs = [m for m in mappings if m.org != to.org] + [to]
    index = OrgIndex(orgs)
    values = _placeholder_values(doc, to)
    edits: list[tuple[int, int, str]] = []
    problems: list[str] = []
    literals = 0
    for scalar in doc.scalars:
        occurrences = _foreign(index, scalar, to)
        holds_placeholder = doc.sentinels.prefix in doc.sentinels.text[scalar.start : scalar.end]
        if not occurrences and not holds_placeholder:
            continue
        new_value = scalar.value
        for occurrence in reversed(occurrences):
            counterpart = _counterpart(occurrence, to)
            if counterpart is None:
                problems.append(_problem(doc, scalar, occurrence, to))
                continue
            literals += 1
            new_value = new_value[: occurrence.start] + counterpart + new_value[occurrence.end :]
        for name, value in values.items():
            new_value = new_value.replace("{{" + name + "}}", value).replace(
                "${" + name + "}", value
            )
        edits.append((scalar.start, scalar.end, _encode(doc, scalar, new_value)))
    if problems:
        shown = "; ".join(problems[:_MAX_LISTED])
        more = f"; and {len(problems) - _MAX_LISTED} more" if len(problems) > _MAX_LISTED else ""
        raise FindingsError(
            f"{doc.source}: cannot retarget to {to.org}: {shown}{more}",
            hint="write these values as {{placeholders}} defined in every org's mapping",
        )
    edits += _outside_scalars(doc, index, to)
    text = _apply(doc.sentinels.text, edits)
    if doc.sentinels.prefix in text:
        raise FlowError(
            f"{doc.source}: a placeholder could not be rendered for {to.org} (internal check)"
        )
    try:
        rendered = with_text(doc, text)
    except FlowError as exc:
        raise FlowError(
            f"{doc.source}: the flow rendered for {to.org} does not parse ({exc})",
            hint="quote the whole scalar around a placeholder, as Archy recommends",
        ) from None
    _check_clean(rendered, index, to)
    has_secret = any(to.variables[p.name].secret is not None for p in doc.placeholders)
    return RetargetResult(rendered, len(doc.placeholders), literals, has_secret)


def replace_value(doc: FlowDocument, scalar: Scalar, value: str) -> FlowDocument:
    """The document with one scalar's value replaced, written so that it reads back as itself."""
    start, end = doc.sentinels.to_original(scalar.start), doc.sentinels.to_original(scalar.end)
    return with_text(doc, doc.text[:start] + _encode(doc, scalar, value) + doc.text[end:])


def _placeholder_values(doc: FlowDocument, to: OrgMapping) -> dict[str, str]:
    missing: dict[str, tuple[int | None, int | None]] = {}
    for placeholder in doc.placeholders:
        if placeholder.name not in to.variables and placeholder.name not in missing:
            line = placeholder.line if doc.has_lines else None
            missing[placeholder.name] = (line, placeholder.column if doc.has_lines else None)
    if missing:
        listed = ", ".join(
            f"{name} (line {line})" if line else name
            for name, (line, _col) in list(missing.items())[:_MAX_LISTED]
        )
        raise FindingsError(
            f"{doc.source}: cannot retarget to {to.org}: no value for {listed} in {to.source}",
            hint="define each in the org's mapping file; a missing value is never rendered blank",
        )
    return {p.name: resolve(to, p.name) for p in doc.placeholders}


def _foreign(index: OrgIndex, scalar: Scalar, to: OrgMapping) -> list[Occurrence]:
    return [
        o
        for o in index.find(scalar.value, is_string=scalar.is_string)
        if to.org not in o.orgs and not index.shared(o)
    ]


def _counterpart(occurrence: Occurrence, to: OrgMapping) -> str | None:
    for value in occurrence.values:
        if value.kind == "variable" and value.key in to.variables:
            return resolve(to, value.key)
        if value.kind == "endpoint" and value.key in to.endpoints:
            return to.endpoints[value.key].removeprefix("*.")
        if value.kind == "trunk" and value.key in to.trunks:
            return to.trunks[value.key]
    return None


def _problem(doc: FlowDocument, scalar: Scalar, occurrence: Occurrence, to: OrgMapping) -> str:
    line, _column = doc.position(scalar.start)
    where = f"line {line} " if line else ""
    first = occurrence.values[0]
    reason = (
        "has no counterpart in " + to.org
        if first.kind != "did"
        else "cannot be mapped to " + to.org
    )
    return f"{where}{format_path(scalar.path)}: {first.describe()} {reason}"


def _encode(doc: FlowDocument, scalar: Scalar, value: str) -> str:
    original = doc.sentinels.text[scalar.start : scalar.end]
    if doc.format is not FlowFormat.archy:
        bare = any(
            i in doc.sentinels.bare and start == scalar.start
            for i, (start, _end, _o1, _o2) in enumerate(doc.sentinels.spans)
        )
        if bare and _JSON_LITERAL.fullmatch(value):
            return value
        return json.dumps(value, ensure_ascii=False)
    trailing = original[len(original.rstrip()) :]
    if scalar.style == "'" and "\n" not in value and _is_printable(value):
        return "'" + value.replace("'", "''") + "'"
    if scalar.style is None:
        # A whole-scalar placeholder written plain is typed by Archy (`seconds: {{T}}` is a number).
        is_whole = (
            re.fullmatch(re.escape(doc.sentinels.prefix) + r"\d+z", original.strip()) is not None
        )
        if _reads_back_plain(value, scalar.is_key, typed=is_whole):
            return value + trailing
    return _double_quoted(value) + trailing


# What YAML must not see raw in a scalar (C0/C1 controls, line and paragraph separators, BOM,
# surrogates, non-characters): written as \uXXXX escapes in double quotes.
_UNPRINTABLE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\ufeff\ud800-\udfff\ufffe\uffff]"
)


def _is_printable(value: str) -> bool:
    return _UNPRINTABLE.search(value) is None and "\t" not in value and "\r" not in value


def _reads_back_plain(value: str, is_key: bool, *, typed: bool) -> bool:
    """True when `value` written as a plain scalar reads back as itself (or, if typed, as its type)."""
    if not value or value != value.strip() or "\n" in value or not _is_printable(value):
        return False
    probe = f"{value}: 0" if is_key else f"k: {value}"
    try:
        loaded = yaml.safe_load(probe)
    except yaml.YAMLError:
        return False
    if not isinstance(loaded, dict) or len(loaded) != 1:
        return False
    read = next(iter(loaded)) if is_key else loaded.get("k")
    if isinstance(read, str):
        return read == value
    return typed and isinstance(read, (int, float, bool)) and not isinstance(read, str)


def _double_quoted(value: str) -> str:
    """A YAML double-quoted scalar: JSON's escapes, plus escapes for what YAML must not see raw."""

    def escape(match: re.Match[str]) -> str:
        code = ord(match.group())
        return f"\\u{code:04x}"

    body = value.replace("\\", "\\\\").replace('"', '\\"')
    body = body.replace("\n", "\\n").replace("\t", "\\t").replace("\r", "\\r")
    return '"' + _UNPRINTABLE.sub(escape, body) + '"'


def _outside_scalars(
    doc: FlowDocument, index: OrgIndex, to: OrgMapping
) -> list[tuple[int, int, str]]:
    """YAML comments: placeholders stay as written; another org's hosts and URLs are swapped."""
    text = doc.sentinels.text
    covered = sorted((s.start, s.end) for s in doc.scalars)
    gaps, position = [], 0
    for start, end in covered:
        if start > position:
            gaps.append((position, start))
        position = max(position, end)
    gaps.append((position, len(text)))
    edits = []
    for start, end in gaps:
        segment = text[start:end]
        for s_start, s_end, o_start, o_end in doc.sentinels.spans:
            if start <= s_start < end:  # a placeholder in a comment stays as it was written
                edits.append((s_start, s_end, doc.text[o_start:o_end]))
        for occurrence in index.find(segment):
            if to.org in occurrence.orgs or index.shared(occurrence):
                continue
            counterpart = _counterpart(occurrence, to)
            if counterpart is not None and occurrence.values[0].kind != "did":
                edits.append((start + occurrence.start, start + occurrence.end, counterpart))
    return edits


def _apply(text: str, edits: list[tuple[int, int, str]]) -> str:
    out, position = [], 0
    for start, end, replacement in sorted(edits):
        if start < position:
            raise FlowError("overlapping edits while retargeting (internal check)")
        out.append(text[position:start])
        out.append(replacement)
        position = end
    out.append(text[position:])
    return "".join(out)


def _check_clean(doc: FlowDocument, index: OrgIndex, to: OrgMapping) -> None:
    left = [format_path(s.path) for s in doc.scalars for _ in _foreign(index, s, to)]
    if doc.placeholders or left:
        where = ", ".join(left[:_MAX_LISTED]) or "placeholders"
        raise FlowError(
            f"{doc.source}: after retargeting to {to.org}, another org's value remains at {where}"
        )


@dataclass(frozen=True)
class RetargetedFile:
    source: Path
    output: Path
    placeholders: int
    literals: int


def retarget_files(
    paths: Sequence[Path], to: OrgMapping, mappings: Sequence[OrgMapping], out_dir: Path
) -> list[RetargetedFile]:
    """Retarget files into `out_dir` (same names); all are rendered before any is written."""
    results = []
    for path in paths:
        result = retarget_result(read_flow(path), to, mappings)
        results.append((path, result))
    names = [p.name for p in paths]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise FlowError(
            f"two input files share the name {duplicates[0]}; --out would overwrite one"
        )
    for path in paths:
        if (out_dir / path.name).resolve() == path.resolve():
            raise FlowError(f"{path}: --out would overwrite the input file; choose another folder")
    written = []
    for path, result in results:
        output = out_dir / path.name
        write_flow(result.doc, output, private=result.has_secret)
        written.append(RetargetedFile(path, output, result.placeholders, result.literals))
    return written
