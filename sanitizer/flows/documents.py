"""Flow documents in their three formats: read, parse, encode, write.

- Archy YAML (`inboundCall:`, `workflow:` ...), possibly with `{{name}}` substitutions that make it
  invalid YAML until they are filled (see placeholders.py).
- Architect-format exports (`.i3InboundFlow`, `.i3WorkFlow` ...): base64 of URL-encoded JSON
  (reference/genesys-api.md §5, checked on two blueprint exports; the encoding is JavaScript's
  encodeURIComponent, and re-encoding the decoded text gives the file back byte for byte).
- JSON flow documents with `environmentVariables` and `${NAME}` placeholders.

A `FlowDocument` keeps the editable text (for an .i3 export: the decoded JSON) so that retargeting
edits values in place and leaves everything else, comments and key order included, as it was."""

from __future__ import annotations

import base64
import binascii
import bisect
import re
import urllib.parse
from collections.abc import Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from pathlib import Path
from typing import Any

from sanitizer.errors import FlowError
from sanitizer.flows.findings import Finding, finding
from sanitizer.flows.placeholders import LineIndex, Malformed, Placeholder, Sentinels, scan
from sanitizer.flows.tree import ParseProblem, Path_, Scalar, Tree, parse_json, parse_yaml

# encodeURIComponent leaves these unescaped (and letters, digits, -_.~, which quote() always keeps).
_URI_COMPONENT_SAFE = "!*'()"
_BASE64_CHARS = re.compile(r"[^A-Za-z0-9+/=\s]")
_ARCHY_FLOW_KEYS = re.compile(r"^[a-z][A-Za-z]*:", re.MULTILINE)


class FlowFormat(StrEnum):
    archy = "archy-yaml"
    architect = "architect"
    json = "json"


@dataclass(frozen=True, eq=False)
class FlowDocument:
    """One parsed flow; `text` is what retarget edits and `encode_flow` writes back."""

    source: str
    format: FlowFormat
    text: str
    data: Any
    placeholders: tuple[Placeholder, ...]  # those in scalars: a YAML comment's are not the flow's
    malformed: tuple[Malformed, ...]
    scalars: tuple[Scalar, ...]
    duplicates: tuple[tuple[Path_, int], ...]
    sentinels: Sentinels
    trailing_newline: bool = False

    @property
    def has_lines(self) -> bool:
        """False for .i3 exports: their JSON is one encoded line, so a location is a JSON path."""
        return self.format is not FlowFormat.architect

    @property
    def flow_type(self) -> str | None:
        """The Archy top-level key (inboundCall ...) or the export's / JSON document's `type`."""
        if not isinstance(self.data, dict):
            return None
        if self.format is FlowFormat.archy:
            return next(iter(self.data), None) if len(self.data) == 1 else None
        kind = self.data.get("type")
        return kind if isinstance(kind, str) else None

    @property
    def name(self) -> str | None:
        body = self.data.get(self.flow_type) if self.format is FlowFormat.archy else self.data
        if isinstance(body, dict) and isinstance(body.get("name"), str):
            return str(body["name"])
        return None

    def position(self, offset: int) -> tuple[int | None, int | None]:
        """(line, column) in the file of a sentinel-text offset; (None, None) for .i3 exports."""
        if not self.has_lines:
            return None, None
        return LineIndex(self.text).position(self.sentinels.to_original(offset))

    def scalar_at(self, offset: int) -> Scalar | None:
        """The innermost scalar whose span holds an offset of the sentinel text."""
        inside = [s for s in self.scalars if s.start <= offset < s.end]
        return min(inside, key=lambda s: s.end - s.start) if inside else None

    def placeholder_offset(self, placeholder: Placeholder) -> int:
        """Where a placeholder's sentinel starts in the sentinel text."""
        return self.sentinels.spans[self.sentinels.placeholders.index(placeholder)][0]

    def at(
        self, rule: str, message: str, *, offset: int | None = None, path: str | None = None
    ) -> Finding:
        """A finding in this document."""
        line, column = self.position(offset) if offset is not None else (None, None)
        return finding(rule, message, self.source, line=line, column=column, path=path)

    def at_position(self, rule: str, message: str, line: int, column: int) -> Finding:
        """A finding at a line and column of the document's text (dropped for .i3 exports)."""
        if not self.has_lines:
            return finding(rule, message, self.source)
        return finding(rule, message, self.source, line=line, column=column)


class _Unreadable(Exception):
    """Internal: why a document cannot be read, with its place in the file when there is one."""

    def __init__(self, rule: str, message: str, line: int | None = None, column: int | None = None):
        super().__init__(message)
        self.rule, self.message, self.line, self.column = rule, message, line, column


def detect_format(name: str, content: str) -> FlowFormat:
    """By extension (.yaml/.yml, .json, .i3*), else by content."""
    suffix = Path(name).suffix.lower()
    if suffix in (".yaml", ".yml"):
        return FlowFormat.archy
    if suffix == ".json":
        return FlowFormat.json
    if suffix.startswith(".i3"):
        return FlowFormat.architect
    stripped = content.lstrip("\ufeff \t\r\n")
    if stripped.startswith(("{", "[")):
        return FlowFormat.json
    if stripped and not _BASE64_CHARS.search(stripped) and stripped.startswith(("JTdC", "ey")):
        return FlowFormat.architect  # base64 of "%7B" or of "{"
    if _ARCHY_FLOW_KEYS.search(stripped):
        return FlowFormat.archy
    raise _Unreadable(
        "unknown-format", "not Archy YAML, an Architect export or a JSON flow document"
    )


def _decode_text(raw: bytes) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise _Unreadable("unknown-format", f"not UTF-8 text (byte {exc.start})", line) from exc


def _decode_export(content: str) -> str:
    """base64 → URL-encoded JSON → JSON text; each failure says where."""
    bad = _BASE64_CHARS.search(content)
    if bad:
        line, column = LineIndex(content).position(bad.start())
        raise _Unreadable("invalid-base64", "a character that is not base64", line, column)
    compact = re.sub(r"\s+", "", content)
    if not compact:
        raise _Unreadable("truncated-export", "the export is empty")
    body = compact.rstrip("=")
    if "=" in body or len(compact) - len(body) > 2:
        offset = content.index("=")
        line, column = LineIndex(content).position(offset)
        raise _Unreadable("invalid-base64", "base64 padding '=' before the end", line, column)
    if len(compact) % 4:
        raise _Unreadable(
            "truncated-export" if body == compact else "invalid-base64",
            f"the base64 is {len(compact)} characters long, not a multiple of 4",
        )
    try:
        encoded = base64.b64decode(compact, validate=True).decode("ascii")
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise _Unreadable(
            "export-encoding", "the base64 does not decode to URL-encoded text"
        ) from exc
    if re.search(r"%[0-9A-Fa-f]?$", encoded):
        raise _Unreadable("truncated-export", "the URL-encoded JSON ends inside an escape sequence")
    try:
        return urllib.parse.unquote(encoded, errors="strict")
    except UnicodeDecodeError as exc:
        raise _Unreadable("export-encoding", "the URL-encoded bytes are not UTF-8") from exc


def encode_export(json_text: str) -> str:
    """The inverse of the .i3 decoding: URL-encode as encodeURIComponent does, then base64."""
    encoded = urllib.parse.quote(json_text, safe=_URI_COMPONENT_SAFE)
    return base64.b64encode(encoded.encode("ascii")).decode("ascii")


def _parse(source: str, content: str, fmt: FlowFormat) -> FlowDocument:
    trailing_newline = content.endswith("\n")
    text = _decode_export(content) if fmt is FlowFormat.architect else content
    placeholders, malformed = scan(text)
    quote_bare = None
    if fmt is not FlowFormat.archy:
        strings = [(m.start(), m.end()) for m in re.finditer(r'"(?:[^"\\\n]|\\.)*"', text)]

        def quote_bare(ph: Placeholder) -> bool:
            return not any(s < ph.start < e for s, e in strings)

    sentinels = Sentinels(text, placeholders, quote_bare=quote_bare)
    try:
        if fmt is FlowFormat.archy:
            tree: Tree = parse_yaml(sentinels.text, sentinels.restore)
        else:
            tree = parse_json(sentinels.text, sentinels.restore)
    except ParseProblem as exc:
        if fmt is FlowFormat.architect:
            near_end = exc.offset >= len(sentinels.text) or exc.message.startswith("Unterminated")
            rule = "truncated-export" if near_end else exc.rule
            what = "the decoded JSON ends early" if near_end else f"decoded JSON: {exc.message}"
            raise _Unreadable(rule, f"{what} (character {exc.offset + 1})") from exc
        line, column = LineIndex(text).position(sentinels.to_original(exc.offset))
        raise _Unreadable(exc.rule, exc.message, line, column) from exc
    if tree.data is None:
        raise _Unreadable("unknown-format", "the file holds no flow (it is empty or only comments)")
    # Placeholders outside every scalar sit in YAML comments: the flow does not use them.
    spans = sorted((s.start, s.end) for s in tree.scalars)
    starts = [start for start, _end in spans]

    def in_scalar(offset: int) -> bool:
        i = bisect.bisect_right(starts, offset) - 1
        return i >= 0 and spans[i][0] <= offset < spans[i][1]

    return FlowDocument(
        source=source,
        format=fmt,
        text=text,
        data=tree.data,
        placeholders=tuple(
            p for p, span in zip(placeholders, sentinels.spans, strict=True) if in_scalar(span[0])
        ),
        malformed=tuple(m for m in malformed if in_scalar(sentinels.from_original(m.offset))),
        scalars=tuple(tree.scalars),
        duplicates=tuple(tree.duplicates),
        sentinels=sentinels,
        trailing_newline=trailing_newline,
    )


def _load(source: str, content: str | bytes, fmt: FlowFormat | None) -> FlowDocument:
    text = _decode_text(content) if isinstance(content, bytes) else content.removeprefix("\ufeff")
    return _parse(source, text, fmt or detect_format(source, text))


def _as_error(source: str, exc: _Unreadable) -> FlowError:
    where = source
    if exc.line is not None:
        where += f":{exc.line}" + (f":{exc.column}" if exc.column is not None else "")
    return FlowError(f"{where}: {exc.message} ({exc.rule})")


def parse_flow(
    content: str | bytes, source: str = "<flow>", fmt: FlowFormat | None = None
) -> FlowDocument:
    """A flow from text or bytes (e.g. an export job's YAML); the format is sniffed if not given."""
    try:
        return _load(source, content, fmt)
    except _Unreadable as exc:
        raise _as_error(source, exc) from None


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise FlowError(
            f"{path}: cannot read the file ({exc.strerror or type(exc).__name__})"
        ) from None


def read_flow(path: Path, fmt: FlowFormat | None = None) -> FlowDocument:
    """Read and parse a flow file; a FlowError (exit 4) names the file, line and column if not."""
    return parse_flow(_read_bytes(path), str(path), fmt)


def try_read_flow(path: Path) -> FlowDocument | Finding:
    """Like read_flow, but a document that cannot be read comes back as a finding (for validate)."""
    content = _read_bytes(path)
    try:
        return _load(str(path), content, None)
    except _Unreadable as exc:
        return finding(exc.rule, exc.message, str(path), line=exc.line, column=exc.column)


def _is_flow_file(path: Path) -> bool:
    """In a folder: YAML and .i3* files, and .json files that hold an object (not an index list)."""
    suffix = path.suffix.lower()
    if suffix.startswith(".i3") or suffix in (".yaml", ".yml"):
        return True
    if suffix != ".json":
        return False
    with path.open("rb") as handle:
        head = handle.read(512).lstrip(b"\xef\xbb\xbf \t\r\n")
    return head.startswith(b"{")


def find_flow_files(paths: Sequence[Path]) -> list[Path]:
    """The files given, folders expanded to the flow files in them (.yaml, .yml, .i3*, .json)."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found += sorted(p for p in path.rglob("*") if p.is_file() and _is_flow_file(p))
        elif path.is_file():
            found.append(path)
        else:
            raise FlowError(f"{path}: no such file or folder")
    if not found:
        raise FlowError(f"no flow files in {', '.join(map(str, paths))}")
    return found


def read_flows(paths: Sequence[Path]) -> tuple[list[FlowDocument], list[Finding]]:
    """Every readable flow, and a finding for each file that cannot be read."""
    docs: list[FlowDocument] = []
    problems: list[Finding] = []
    for path in find_flow_files(paths):
        read = try_read_flow(path)
        (problems if isinstance(read, Finding) else docs).append(read)  # type: ignore[arg-type]
    return docs, problems


def with_text(doc: FlowDocument, text: str, source: str | None = None) -> FlowDocument:
    """The same kind of document re-parsed from new text (after retarget edited it)."""
    try:
        new = _parse(
            source or doc.source, _wrap(doc.format, text, doc.trailing_newline), doc.format
        )
    except _Unreadable as exc:
        raise _as_error(source or doc.source, exc) from None
    return replace(new, source=source or doc.source)


def _wrap(fmt: FlowFormat, text: str, trailing_newline: bool) -> str:
    if fmt is not FlowFormat.architect:
        return text
    return encode_export(text) + ("\n" if trailing_newline else "")


def encode_flow(doc: FlowDocument) -> bytes:
    """The bytes of the document as a file in its own format."""
    return _wrap(doc.format, doc.text, doc.trailing_newline).encode("utf-8")


def write_flow(doc: FlowDocument, path: Path, *, private: bool = False) -> None:
    """Write the document to `path` whole (a partial flow is never left); `private` makes it 0600."""
    tmp = path.with_name(path.name + ".tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_bytes(encode_flow(doc))
        if private:  # it holds a rendered secret
            tmp.chmod(0o600)
        tmp.replace(path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise FlowError(
            f"{path}: cannot write the flow ({exc.strerror or type(exc).__name__})"
        ) from None
