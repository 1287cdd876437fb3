"""Parse YAML and JSON keeping where every scalar sits: its path, its span in the text, its quoting
style.

Lint and retarget work on scalars, not on the whole text, so that a URL inside a TTS prompt or a key
is found with its JSON path and line, and so that a value is replaced with the escaping its place
needs. Both parsers run on the sentinel text (see placeholders.py) and give back values with the
placeholders restored as written."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from json.decoder import scanstring  # type: ignore[attr-defined]
from typing import Any

import yaml

PathPart = str | int
Path_ = tuple[PathPart, ...]

_SIMPLE_KEY = re.compile(r"[A-Za-z_$][A-Za-z0-9_$-]*")
_JSON_LITERAL = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null")
_JSON_WS = re.compile(r"[ \t\n\r]*")


class ParseProblem(Exception):
    """Internal: the text does not parse; `offset` is in the parsed (sentinel) text."""

    def __init__(self, rule: str, offset: int, message: str) -> None:
        super().__init__(message)
        self.rule = rule
        self.offset = offset
        self.message = message


@dataclass(frozen=True)
class Scalar:
    """One scalar (a value or a mapping key) with its place in the sentinel text."""

    path: Path_
    value: str
    is_key: bool
    start: int
    end: int
    style: (
        str | None
    )  # YAML: None (plain), '"', "'", '|', '>'; JSON: '"' for strings, None otherwise
    is_string: bool = True


@dataclass
class Tree:
    data: Any
    scalars: list[Scalar] = field(default_factory=list)
    duplicates: list[tuple[Path_, int]] = field(default_factory=list)


def format_path(path: Path_) -> str:
    """$.inboundCall.menus[0].menu['Main Menu'] style, readable and unambiguous."""
    out = ["$"]
    for part in path:
        if isinstance(part, int):
            out.append(f"[{part}]")
        elif _SIMPLE_KEY.fullmatch(part):
            out.append(f".{part}")
        else:
            out.append("[" + json.dumps(part, ensure_ascii=False) + "]")
    return "".join(out)


def _restore_data(data: Any, restore: Callable[[str], str]) -> Any:
    if isinstance(data, str):
        return restore(data)
    if isinstance(data, list):
        return [_restore_data(item, restore) for item in data]
    if isinstance(data, dict):
        return {
            (restore(k) if isinstance(k, str) else k): _restore_data(v, restore)
            for k, v in data.items()
        }
    return data


def parse_yaml(text: str, restore: Callable[[str], str]) -> Tree:
    """Compose and construct one YAML document; every scalar is recorded with its span and style."""
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        what = "; ".join(str(p) for p in (exc.context, exc.problem) if p)
        if exc.context == "while scanning a quoted scalar" and "end of stream" in str(exc.problem):
            # The scanner notices at the end of the file: point at the quote that opened the scalar.
            mark = exc.context_mark
            what = "unterminated quote starting here (the file ends before it closes)"
        raise ParseProblem(
            "yaml-syntax", mark.index if mark else 0, what or "invalid YAML"
        ) from exc
    except yaml.YAMLError as exc:
        raise ParseProblem("yaml-syntax", 0, type(exc).__name__) from exc
    finally:
        loader.dispose()
    tree = Tree(_restore_data(data, restore))
    if node is not None:
        _walk_yaml(node, (), tree, restore, set())
    return tree


def _walk_yaml(
    node: yaml.Node, path: Path_, tree: Tree, restore: Callable[[str], str], active: set[int]
) -> None:
    if id(node) in active:  # a recursive alias
        return
    if isinstance(node, yaml.ScalarNode):
        is_string = node.tag == "tag:yaml.org,2002:str"
        tree.scalars.append(
            Scalar(
                path,
                restore(node.value),
                False,
                node.start_mark.index,
                node.end_mark.index,
                node.style,
                is_string,
            )
        )
        return
    active.add(id(node))
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = restore(str(key_node.value)) if isinstance(key_node, yaml.ScalarNode) else "?"
            if key in seen and key != "<<":
                tree.duplicates.append(((*path, key), key_node.start_mark.index))
            seen.add(key)
            if isinstance(key_node, yaml.ScalarNode):
                tree.scalars.append(
                    Scalar(
                        (*path, key),
                        key,
                        True,
                        key_node.start_mark.index,
                        key_node.end_mark.index,
                        key_node.style,
                    )
                )
            _walk_yaml(value_node, (*path, key), tree, restore, active)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _walk_yaml(item, (*path, i), tree, restore, active)
    active.discard(id(node))


def parse_json(text: str, restore: Callable[[str], str]) -> Tree:
    """json.loads for the value and the error; a small walker for positions and duplicate keys."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ParseProblem("json-syntax", exc.pos, exc.msg) from exc
    except RecursionError as exc:
        raise ParseProblem("json-syntax", 0, "nested too deeply") from exc
    tree = Tree(_restore_data(data, restore))
    _JsonWalker(text, tree, restore).value(0, ())
    return tree


class _JsonWalker:
    """Walks text json.loads has accepted, so it can assume valid JSON."""

    def __init__(self, text: str, tree: Tree, restore: Callable[[str], str]) -> None:
        self.text = text
        self.tree = tree
        self.restore = restore

    def _ws(self, i: int) -> int:
        match = _JSON_WS.match(self.text, i)
        return match.end() if match else i

    def _string(self, i: int) -> tuple[str, int]:
        value, end = scanstring(self.text, i + 1)
        return str(value), int(end)

    def value(self, i: int, path: Path_) -> int:
        i = self._ws(i)
        char = self.text[i]
        if char == "{":
            return self._object(i, path)
        if char == "[":
            return self._array(i, path)
        if char == '"':
            raw, end = self._string(i)
            self.tree.scalars.append(Scalar(path, self.restore(raw), False, i, end, '"'))
            return end
        match = _JSON_LITERAL.match(self.text, i)
        end = match.end() if match else i + 1
        self.tree.scalars.append(Scalar(path, self.text[i:end], False, i, end, None, False))
        return end

    def _object(self, i: int, path: Path_) -> int:
        i = self._ws(i + 1)
        seen: set[str] = set()
        if self.text[i] == "}":
            return i + 1
        while True:
            raw, end = self._string(i)
            key = self.restore(raw)
            if key in seen:
                self.tree.duplicates.append(((*path, key), i))
            seen.add(key)
            self.tree.scalars.append(Scalar((*path, key), key, True, i, end, '"'))
            i = self._ws(end) + 1  # the colon
            i = self._ws(self.value(i, (*path, key)))
            if self.text[i] == "}":
                return i + 1
            i = self._ws(i + 1)  # the comma

    def _array(self, i: int, path: Path_) -> int:
        i = self._ws(i + 1)
        if self.text[i] == "]":
            return i + 1
        index = 0
        while True:
            i = self._ws(self.value(i, (*path, index)))
            index += 1
            if self.text[i] == "]":
                return i + 1
            i = self._ws(i + 1)
