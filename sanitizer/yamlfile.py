"""YAML files validated by pydantic models, with errors that name the file, the line and the key path."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from sanitizer.errors import ConfigError

KeyPath = tuple[str | int, ...]
MAX_PROBLEMS = 20  # a validation error lists this many problems, then counts the rest
M = TypeVar("M", bound=BaseModel)


class _DuplicateKey(Exception):
    def __init__(self, path: KeyPath, line: int) -> None:
        super().__init__(path)
        self.path = path
        self.line = line


class _LineLoader(yaml.SafeLoader):
    """A safe loader that also records the line of every mapping key and sequence item."""


def _walk(node: yaml.Node, path: KeyPath, lines: dict[KeyPath, int]) -> None:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else str(key_node.value)
            if key in seen:
                raise _DuplicateKey((*path, key), key_node.start_mark.line + 1)
            seen.add(key)
            lines[(*path, key)] = key_node.start_mark.line + 1
            _walk(value_node, (*path, key), lines)
            # The key's own line is more useful than the value's for a message about the key.
            lines[(*path, key)] = key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _walk(item, (*path, index), lines)


def format_path(path: KeyPath) -> str:
    """`columns[3].operator` style; keys with spaces or dots are quoted."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            text = str(part)
            shown = f'"{text}"' if any(c in text for c in ' .[]"') else text
            out += f".{shown}" if out else shown
    return out or "(top level)"


class YamlDocument:
    """A parsed YAML file and the line number of each key path in it."""

    def __init__(self, path: Path, data: Any, lines: dict[KeyPath, int]) -> None:
        self.path = path
        self.data = data
        self.lines = lines

    def line_of(self, path: KeyPath) -> int | None:
        """The line of `path`, or of its nearest ancestor that has one."""
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get(())

    def where(self, path: KeyPath) -> str:
        """`file:line` of a key path (the file alone when unknown)."""
        line = self.line_of(path)
        return f"{self.path}:{line}" if line else str(self.path)

    def error(
        self, path: KeyPath, message: str, cls: type[ConfigError] = ConfigError
    ) -> ConfigError:
        """An error pointing at `path` in this file."""
        return cls(f"{self.where(path)}: {format_path(path)}: {message}")

    def _real_path(self, loc: KeyPath) -> KeyPath:
        """The parts of a pydantic error location that are keys in the file (pydantic also inserts
        union members and validator names, which are not)."""
        node, path = self.data, []
        for position, part in enumerate(loc):
            found, child = _child(node, part)
            if found:
                node = child
                path.append(part)
            elif isinstance(node, dict) and position == len(loc) - 1:
                path.append(part)  # a required key that is missing: name it
            elif not isinstance(node, dict | list):
                path.append(part)  # a key the model expects below a scalar: keep it for the message
        return tuple(path)

    def validate(
        self,
        model: type[M],
        cls: type[ConfigError] = ConfigError,
        *,
        explain_unknown: Callable[[KeyPath], str | None] | None = None,
    ) -> M:
        """Validate the document against `model`; the error lists every problem with file, line and key
        path. `explain_unknown` may say more about an unknown key than "check the spelling"."""
        try:
            return model.model_validate(self.data)
        except ValidationError as exc:
            problems: dict[str, int] = {}  # each problem once, with its line for sorting
            for error in exc.errors(include_url=False, include_input=False):
                loc = self._real_path(tuple(error["loc"]))
                said = _explain(error, loc, explain_unknown)
                problem = f"{self.where(loc)}: {format_path(loc)}: {said}"
                problems.setdefault(problem, self.line_of(loc) or 0)
            raise cls(_listed(self.path, sorted(problems, key=problems.__getitem__))) from None


def _listed(path: Path, problems: list[str]) -> str:
    """One problem as it is; several as a count, then one indented line each (the first MAX_PROBLEMS)."""
    if len(problems) == 1:
        return problems[0]
    shown = [f"  {problem}" for problem in problems[:MAX_PROBLEMS]]
    if len(problems) > MAX_PROBLEMS:
        shown.append(f"  ... and {len(problems) - MAX_PROBLEMS} more")
    return "\n".join([f"{path}: {len(problems)} problems", *shown])


def _child(node: Any, part: str | int) -> tuple[bool, Any]:
    if isinstance(node, dict) and part in node:
        return True, node[part]
    if isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
        return True, node[part]
    return False, None


def _explain(
    error: Any, loc: KeyPath, explain_unknown: Callable[[KeyPath], str | None] | None
) -> str:
    kind = error["type"]
    if kind == "extra_forbidden":
        said = explain_unknown(loc) if explain_unknown else None
        return said or "unknown key (check the spelling; see the reference in docs/)"
    if kind == "missing":
        return "required key is missing"
    message = str(error["msg"])
    return message[len("Value error, ") :] if message.startswith("Value error, ") else message


def read_yaml(path: Path, cls: type[ConfigError] = ConfigError) -> YamlDocument:
    """Parse a YAML file (safe loader); syntax errors name the file and line."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise cls(f"{path}: file not found") from None
    except UnicodeDecodeError as exc:
        raise cls(f"{path}: not UTF-8 text (byte offset {exc.start})") from None
    except OSError as exc:
        raise cls(f"{path}: cannot read ({exc.strerror or type(exc).__name__})") from None
    try:
        node = yaml.compose(text, Loader=_LineLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        line = f":{mark.line + 1}" if mark is not None else ""
        raise cls(f"{path}{line}: invalid YAML: {exc.problem}") from None
    except yaml.YAMLError as exc:
        raise cls(f"{path}: invalid YAML ({type(exc).__name__})") from None
    lines: dict[KeyPath, int] = {}
    if node is None:
        return YamlDocument(path, None, lines)
    try:
        _walk(node, (), lines)
    except _DuplicateKey as exc:
        raise cls(
            f"{path}:{exc.line}: {format_path(exc.path)}: duplicate key (a later one would silently win)"
        ) from None
    try:
        data = yaml.load(text, Loader=_LineLoader)  # noqa: S506  (a SafeLoader subclass)
    except yaml.MarkedYAMLError as exc:  # e.g. a !!python/object tag, refused by the safe loader
        mark = exc.problem_mark or exc.context_mark
        line = f":{mark.line + 1}" if mark is not None else ""
        raise cls(f"{path}{line}: not allowed in YAML here: {exc.problem or exc.context}") from None
    except yaml.YAMLError as exc:
        raise cls(f"{path}: invalid YAML ({type(exc).__name__})") from None
    return YamlDocument(path, data, lines)
