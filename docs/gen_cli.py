"""Generate docs/cli.md from the typer app: every command, its arguments and its options.

    python docs/gen_cli.py            # rewrite docs/cli.md
    python docs/gen_cli.py --check    # exit 1 if docs/cli.md is stale

The page is built from the command tree behind the typer app (duck-typed: typer vendors its own
click), so it cannot drift from the CLI; tests/test_docs.py fails when the committed page differs
from what this script writes.
"""

from __future__ import annotations

import enum
import inspect
import sys
from pathlib import Path
from typing import Any

import typer
import typer.main

from sanitizer.cli import app

PAGE = Path(__file__).resolve().parent / "cli.md"

INTRO = """\
# CLI reference

Generated from the command line itself by `python docs/gen_cli.py`: do not edit by hand.
Each command is described in depth on its topic page; this page lists every command, argument
and option in one place. Exit codes are listed on [Exit codes](exit-codes.md).
"""


def render() -> str:
    """The whole page as Markdown."""
    root = typer.main.get_command(app)
    root_ctx = typer.Context(root, info_name="sanitize")
    lines = [INTRO, "## Global options", ""]
    lines += [
        "Global options go before the command: `sanitize [GLOBAL OPTIONS] COMMAND [ARGS]...`.",
        "",
        *_options_table(root, root_ctx),
        "",
    ]
    for path, command, ctx in _walk(root, root_ctx, ["sanitize"]):
        lines += _command(path, command, ctx)
    return "\n".join(lines).rstrip() + "\n"


def _walk(group: Any, ctx: Any, path: list[str]) -> list[tuple[list[str], Any, Any]]:
    """Every visible command below `group`, depth first, in the order the app registered them."""
    found: list[tuple[list[str], Any, Any]] = []
    if not _is_group(group):
        return found
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        if command is None or command.hidden:
            continue
        sub_ctx = typer.Context(command, info_name=name, parent=ctx)
        found.append(([*path, name], command, sub_ctx))
        found += _walk(command, sub_ctx, [*path, name])
    return found


def _is_group(command: Any) -> bool:
    return hasattr(command, "list_commands")


def _is_option(param: Any) -> bool:
    return bool(param.param_type_name == "option")


def _command(path: list[str], command: Any, ctx: Any) -> list[str]:
    title = " ".join(path)
    lines = [f"## {title}", ""]
    if command.help:
        lines += [_clean(command.help), ""]
    if _is_group(command):
        subs = [n for n in command.list_commands(ctx) if not _hidden(command, ctx, n)]
        lines += [f"Commands: {', '.join(f'`{title} {n}`' for n in subs)}.", ""]
        return lines
    lines += ["```text", f"{title} {_usage(command)}".rstrip(), "```", ""]
    arguments = [p for p in command.params if not _is_option(p)]
    if arguments:
        lines += [
            "**Arguments**",
            "",
            "| Argument | Required | Description |",
            "| --- | --- | --- |",
        ]
        for arg in arguments:
            name = (arg.metavar or arg.name or "").upper()
            lines.append(f"| `{name}` | {'yes' if arg.required else 'no'} | {_cell(_help(arg))} |")
        lines.append("")
    if any(_is_option(p) and not p.hidden for p in command.params):
        lines += ["**Options**", "", *_options_table(command, ctx), ""]
    return lines


def _hidden(group: Any, ctx: Any, name: str) -> bool:
    command = group.get_command(ctx, name)
    return command is None or command.hidden


def _usage(command: Any) -> str:
    pieces = []
    if any(_is_option(p) for p in command.params):
        pieces.append("[OPTIONS]")
    for param in command.params:
        if not _is_option(param):
            name = (param.metavar or param.name or "").upper()
            name += "..." if param.nargs == -1 else ""
            pieces.append(name if param.required else f"[{name}]")
    return " ".join(pieces)


def _options_table(command: Any, ctx: Any) -> list[str]:
    lines = ["| Option | Type | Default | Description |", "| --- | --- | --- | --- |"]
    for param in command.params:
        if not _is_option(param) or param.hidden:
            continue
        flags = ", ".join(f"`{flag}`" for flag in [*param.opts, *param.secondary_opts])
        kind = "flag" if param.is_flag else _type(param, ctx)
        lines.append(f"| {flags} | {kind} | {_default(param)} | {_cell(_help(param))} |")
    return lines


def _type(param: Any, ctx: Any) -> str:
    shown = str(param.display_type(ctx)).strip("<>")
    if "|" in shown and not shown.startswith("list["):
        return " \\| ".join(f"`{choice}`" for choice in shown.split("|"))
    if shown.endswith(" range"):
        bounds = [f">= {param.min}"] if param.min is not None else []
        bounds += [f"<= {param.max}"] if param.max is not None else []
        shown = shown.removesuffix(" range") + (f" ({', '.join(bounds)})" if bounds else "")
    return shown + (" (repeatable)" if param.multiple else "")


def _default(param: Any) -> str:
    if param.required:
        return "required"
    default = param.default
    if callable(default) or default is None or param.is_flag:
        return ""
    if isinstance(default, enum.Enum):
        default = default.value
    if isinstance(default, list | tuple):
        return ", ".join(f"`{d}`" for d in default) if default else ""
    return f"`{default}`"


def _help(param: Any) -> str:
    return getattr(param, "help", None) or ""


def _clean(text: str) -> str:
    return inspect.cleandoc(text).split("\f")[0].strip()


def _cell(text: str) -> str:
    return _clean(text).replace("\n", " ").replace("|", "\\|")


def main() -> int:
    page = render()
    if "--check" in sys.argv[1:]:
        if PAGE.read_text(encoding="utf-8") != page:
            print(f"{PAGE} is stale: run `python docs/gen_cli.py`", file=sys.stderr)
            return 1
        return 0
    PAGE.write_text(page, encoding="utf-8")
    print(PAGE)
    return 0


if __name__ == "__main__":
    sys.exit(main())
