"""YAML files validated by pydantic: every error names the file, the line and the key path."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import BaseModel, ConfigDict

from sanitizer.errors import ConfigError, RulesError
from sanitizer.yamlfile import MAX_PROBLEMS, KeyPath, format_path, read_yaml

DOC = """\
version: 1
columns:
  - match: 'first'
    entity: PERSON
  - match: 'second'
    operator: keep
tables:
  "contacts list":
    columns:
      "Cust First Nm": {operator: keep}
"""


class _Column(BaseModel):
    model_config = ConfigDict(extra="forbid")
    match: str
    entity: str | None = None
    operator: str | None = None


class _Doc(BaseModel):
    model_config = ConfigDict(extra="forbid")
    version: int
    columns: list[_Column] = []
    tables: dict[str, dict[str, dict[str, dict[str, str]]]] = {}


def _write(tmp_path: Path, text: str, name: str = "rules.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("key_path", "line"),
    [
        ((), 1),  # the document itself
        (("version",), 1),
        (("columns",), 2),
        (("columns", 0), 3),  # a sequence item starts at its first key
        (("columns", 1, "operator"), 6),
        (("tables", "contacts list", "columns", "Cust First Nm"), 10),  # quoted keys with spaces
        (("tables", "contacts list", "columns", "Cust First Nm", "operator"), 10),  # flow mapping
        (("columns", 1, "not-there"), 5),  # an absent key falls back to its nearest ancestor
    ],
)
def test_read_yaml_records_line_of_each_key_path(
    tmp_path: Path, key_path: tuple[str | int, ...], line: int
) -> None:
    doc = read_yaml(_write(tmp_path, DOC))
    assert doc.line_of(key_path) == line


def test_read_yaml_where_names_file_and_line(tmp_path: Path) -> None:
    doc = read_yaml(_write(tmp_path, DOC))
    assert doc.where(("columns", 1, "operator")) == f"{tmp_path / 'rules.yaml'}:6"


@pytest.mark.parametrize(
    ("path", "shown"),
    [
        ((), "(top level)"),
        (("version",), "version"),
        (("columns", 3, "operator"), "columns[3].operator"),
        (
            ("tables", "contacts list", "columns", "Cust First Nm"),
            'tables."contacts list".columns."Cust First Nm"',
        ),
        (
            ("tables", "x", "columns", "cellPhone.e164"),
            'tables.x.columns."cellPhone.e164"',
        ),  # dots quoted
    ],
)
def test_format_path_quotes_keys_with_spaces_or_dots(
    path: tuple[str | int, ...], shown: str
) -> None:
    assert format_path(path) == shown


@pytest.mark.parametrize(
    ("text", "expected_line", "expected"),
    [
        ("a: [1, 2\nb: 3\n", 2, "invalid YAML"),  # unclosed flow sequence
        ("a:\n  - 1\n - 2\n", 3, "invalid YAML"),  # bad indentation
        ("a: 'unterminated\n", 2, "invalid YAML"),  # unterminated quote
        ("a: 1\n\tb: 2\n", 2, "invalid YAML"),  # tab indentation
    ],
)
def test_read_yaml_syntax_error_names_file_and_line(
    tmp_path: Path, text: str, expected_line: int, expected: str
) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(RulesError) as caught:
        read_yaml(path, RulesError)
    assert str(caught.value).startswith(f"{path}:{expected_line}: {expected}")


def test_read_yaml_missing_file_raises_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="file not found"):
        read_yaml(tmp_path / "nope.yaml")


def test_read_yaml_not_utf8_raises_naming_offset(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_bytes(b"version: 1\nname: caf\xe9\n")
    with pytest.raises(ConfigError, match=r"not UTF-8 text \(byte offset 20\)"):
        read_yaml(path)


def test_read_yaml_empty_file_gives_no_data(tmp_path: Path) -> None:
    assert read_yaml(_write(tmp_path, "# only a comment\n")).data is None


def test_read_yaml_unsafe_tag_raises_rules_error(tmp_path: Path) -> None:
    path = _write(tmp_path, "version: 1\npolicy: !!python/object/apply:os.getcwd []\n")
    with pytest.raises(RulesError, match=r"rules\.yaml:2"):
        read_yaml(path, RulesError)


def test_read_yaml_duplicate_key_raises_naming_line(tmp_path: Path) -> None:
    text = "tables:\n  contacts:\n    columns:\n      Email: {entity: EMAIL_ADDRESS}\n      Email: {operator: keep}\n"
    with pytest.raises(RulesError, match=r"rules\.yaml:5"):
        read_yaml(_write(tmp_path, text), RulesError)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # (document, the exact message tail after "file:line: ")
        (
            "version: 1\ncolumns:\n  - match: a\n    oprator: keep\n",
            "4: columns[0].oprator: unknown key",
        ),
        (
            "version: 1\ncolumns:\n  - entity: PERSON\n",
            "3: columns[0].match: required key is missing",
        ),
        ("version: one\n", "1: version: Input should be a valid integer"),
        ("columns: []\n", "1: version: required key is missing"),
    ],
)
def test_validate_error_names_line_and_key_path(tmp_path: Path, text: str, expected: str) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(RulesError) as caught:
        read_yaml(path).validate(_Doc, RulesError)
    assert str(caught.value).startswith(f"{path}:{expected}")


def test_validate_several_errors_lists_each_by_line(tmp_path: Path) -> None:
    path = _write(tmp_path, "other: 2\nversion: x\nbogus: 1\n")
    with pytest.raises(RulesError) as caught:
        read_yaml(path).validate(_Doc, RulesError)
    assert str(caught.value).splitlines() == [
        f"{path}: 3 problems",
        f"  {path}:1: other: unknown key (check the spelling; see the reference in docs/)",
        f"  {path}:2: version: Input should be a valid integer, unable to parse string as an integer",
        f"  {path}:3: bogus: unknown key (check the spelling; see the reference in docs/)",
    ]


def test_validate_many_errors_lists_the_first_ones_and_counts_the_rest(tmp_path: Path) -> None:
    extra = MAX_PROBLEMS + 5
    path = _write(tmp_path, "version: 1\n" + "".join(f"bogus{i}: 1\n" for i in range(extra)))
    with pytest.raises(RulesError) as caught:
        read_yaml(path).validate(_Doc, RulesError)
    lines = str(caught.value).splitlines()
    assert lines[0] == f"{path}: {extra} problems"
    assert len(lines) == 1 + MAX_PROBLEMS + 1
    assert lines[-1] == "  ... and 5 more"


def test_validate_unknown_key_explained_by_caller(tmp_path: Path) -> None:
    path = _write(tmp_path, "version: 1\npassword: hunter2\n")

    def explain(key_path: KeyPath) -> str | None:
        return "never here" if key_path == ("password",) else None

    with pytest.raises(ConfigError) as caught:
        read_yaml(path).validate(_Doc, explain_unknown=explain)
    assert str(caught.value) == f"{path}:2: password: never here"
    assert "hunter2" not in str(caught.value)


def test_validate_good_document_returns_model(tmp_path: Path) -> None:
    model = read_yaml(_write(tmp_path, DOC)).validate(_Doc)
    assert [c.match for c in model.columns] == ["first", "second"]
