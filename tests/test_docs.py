"""The docs stay honest: every command and option is described, the generated pages are current,
the exit codes page matches the code, the reports page names every report field, the site builds."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import typer
import typer.main
import yaml
from pydantic import BaseModel

from sanitizer import errors
from sanitizer.cli import app
from sanitizer.report import model

REPO = Path(__file__).resolve().parents[1]
DOCS = REPO / "docs"
GENERATED = {"cli.md"}


def _load_gen_cli() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_cli", DOCS / "gen_cli.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _commands() -> list[tuple[str, list[str]]]:
    """('sanitize report diff', ['--threshold', '--format']) for every visible leaf command."""
    found: list[tuple[str, list[str]]] = []

    def walk(command: Any, ctx: Any, path: list[str]) -> None:
        if not hasattr(command, "list_commands"):
            flags = [
                flag
                for p in command.params
                if p.param_type_name == "option" and not p.hidden
                for flag in [*p.opts, *p.secondary_opts]
            ]
            found.append((" ".join(path), flags))
            return
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            if sub is not None and not sub.hidden:
                walk(sub, typer.Context(sub, info_name=name, parent=ctx), [*path, name])

    root = typer.main.get_command(app)
    walk(root, typer.Context(root, info_name="sanitize"), ["sanitize"])
    return found


def _global_flags() -> list[str]:
    root = typer.main.get_command(app)
    return [f for p in root.params if p.param_type_name == "option" for f in p.opts]


def _written_pages() -> dict[str, str]:
    """Hand-written pages: the generated CLI reference does not count as describing anything."""
    return {
        p.name: p.read_text(encoding="utf-8")
        for p in sorted(DOCS.glob("*.md"))
        if p.name not in GENERATED
    }


def _mentions(text: str, flag: str) -> bool:
    return re.search(rf"(?<![\w-]){re.escape(flag)}(?![\w-])", text) is not None


COMMANDS = _commands()


def test_docs_cli_page_is_current() -> None:
    page = (DOCS / "cli.md").read_text(encoding="utf-8")
    assert page == _load_gen_cli().render(), "docs/cli.md is stale: run `python docs/gen_cli.py`"


@pytest.mark.parametrize(("command", "flags"), COMMANDS, ids=[c for c, _ in COMMANDS])
def test_docs_every_command_and_option_is_described(command: str, flags: list[str]) -> None:
    pages = {name: text for name, text in _written_pages().items() if command in text}
    assert pages, f"no docs page (besides cli.md) describes `{command}`"
    missing = [f for f in flags if not any(_mentions(text, f) for text in pages.values())]
    assert not missing, f"`{command}` options not described in {sorted(pages)}: {missing}"


def test_docs_global_options_are_described() -> None:
    text = "\n".join(_written_pages().values())
    assert [f for f in _global_flags() if not _mentions(text, f)] == []


def _exit_rows() -> dict[int, list[str]]:
    rows = {}
    for line in (DOCS / "exit-codes.md").read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("|") and cells[0].isdigit():
            rows[int(cells[0])] = cells
    return rows


def _error_classes() -> list[type[errors.SanitizerError]]:
    found: list[type[errors.SanitizerError]] = [errors.SanitizerError]
    for cls in found:
        found += [c for c in cls.__subclasses__() if c.__module__ == errors.__name__]
    return found


def test_docs_exit_codes_page_matches_the_code() -> None:
    rows = _exit_rows()
    assert sorted(rows) == sorted(errors.EXIT_CODES)
    for code, meaning in errors.EXIT_CODES.items():
        assert rows[code][1] == meaning, code
    for cls in _error_classes():
        assert f"`{cls.__name__}`" in rows[cls.exit_code][2], (cls.__name__, cls.exit_code)
    named = {name for cells in rows.values() for name in re.findall(r"`(\w+)`", cells[2])}
    by_name = {cls.__name__: cls for cls in _error_classes()}
    for code, cells in rows.items():
        for name in re.findall(r"`(\w+)`", cells[2]):
            assert by_name[name].exit_code == code, (name, code)
    assert named == set(by_name)


def test_docs_nav_lists_every_page_once() -> None:
    config = yaml.safe_load((REPO / "mkdocs.yml").read_text(encoding="utf-8"))
    nav = [next(iter(entry.values())) for entry in config["nav"]]
    assert sorted(nav) == sorted(p.name for p in DOCS.glob("*.md"))
    assert len(nav) == len(set(nav))


def _report_models() -> list[type[BaseModel]]:
    return [
        obj
        for obj in vars(model).values()
        if isinstance(obj, type)
        and issubclass(obj, BaseModel)
        and obj.__module__ == model.__name__
        and not obj.__name__.startswith("_")
    ]


@pytest.mark.parametrize("cls", _report_models(), ids=lambda c: c.__name__)
def test_docs_reports_page_describes_every_field(cls: type[BaseModel]) -> None:
    page = (DOCS / "reports.md").read_text(encoding="utf-8")
    sections = re.split(r"^### ", page, flags=re.M)
    section = next((s for s in sections if s.splitlines()[0].endswith(f"({cls.__name__})")), None)
    assert section is not None, f"docs/reports.md has no section for {cls.__name__}"
    missing = [f for f in cls.model_fields if f"| `{f}` |" not in section]
    assert not missing, f"{cls.__name__} fields not described in docs/reports.md: {missing}"


def test_docs_site_builds_strict(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    built = (tmp_path / "site" / "index.html").read_text(encoding="utf-8")
    assert "cdnjs" not in built  # the site works offline: no highlight.js from a CDN
