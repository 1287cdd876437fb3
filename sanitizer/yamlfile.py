"""YAML files validated by pydantic models, with errors that name the file, the line and the key path."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from sanitizer.errors import ConfigError

KeyPath = tuple[str | int, ...]
M = TypeVar("M", bound=BaseModel)


class _LineLoader(yaml.SafeLoader):
    """A safe loader that also records the line of every mapping key and sequence item."""


def _walk(node: yaml.Node, path: KeyPath, lines: dict[KeyPath, int]) -> None:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else str(key_node.value)
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

    def validate(self, model: type[M], cls: type[ConfigError] = ConfigError) -> M:
        """Validate the document against `model`; the first error names file, line and key path."""
        try:
            return model.model_validate(self.data)
        except ValidationError as exc:
            first = exc.errors(include_url=False, include_input=False)[0]
            loc = tuple(part for part in first["loc"] if not _is_union_tag(part))
            count = exc.error_count()
            more = f" (and {count - 1} more error(s))" if count > 1 else ""
            raise self.error(loc, _explain(first) + more, cls) from None


def _is_union_tag(part: str | int) -> bool:
    # pydantic inserts the union member or validator name into loc; those are not keys in the file.
    return isinstance(part, str) and ("[" in part or part.startswith("function-"))


def _explain(error: Any) -> str:
    kind = error["type"]
    if kind == "extra_forbidden":
        return "unknown key (check the spelling; see the reference in docs/)"
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
    _walk(node, (), lines)
    data = yaml.load(text, Loader=_LineLoader)  # noqa: S506  (a SafeLoader subclass)
    return YamlDocument(path, data, lines)
