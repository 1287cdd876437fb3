"""Detection only: what each column holds and which operator would replace it, and suggested rules."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from sanitizer.detect import NameFinder, TextScanner
from sanitizer.errors import ConfigError
from sanitizer.rules import REVIEW_PREFIX, RuleSet
from sanitizer.scrub.plan import ColumnPlan, Planner, TablePlan
from sanitizer.tables import BATCH_ROWS, FORMATS, TableSource


@dataclass
class ColumnScan:
    table: str
    column: str
    plan: ColumnPlan

    @property
    def is_ruled(self) -> bool:
        return self.plan.rule.kind in {"table", "pattern"}


def scan(
    sources: Sequence[TableSource], rules: RuleSet, *, batch_rows: int = BATCH_ROWS
) -> list[ColumnScan]:
    """Plan every column as a scrub would (content detection for columns no rule covers), write nothing."""
    detecting = replace(rules, policy=rules.policy.model_copy(update={"unknown_columns": "detect"}))
    ranges = rules.safe_ranges()
    names = NameFinder()
    planner = Planner(detecting, ranges, names, TextScanner(detecting, ranges, names))
    results: list[ColumnScan] = []
    for source in sources:
        table = TablePlan(source)
        for batch in source.batches(batch_rows):
            planner.plan(table, batch)
        results.extend(ColumnScan(source.name, path, plan) for path, plan in table.columns.items())
    return results


def refuse_to_overwrite_inputs(
    out: Path, inputs: Sequence[Path], sources: Sequence[TableSource]
) -> None:
    """The suggested rules never replace an input (symlinks and hard links resolved), nor become one:
    a table file written into an input folder would be read as a table by the next run."""
    target = out.resolve()
    for path in [*inputs, *(s.path for s in sources)]:
        is_same = target == path.resolve() or (
            out.exists() and path.exists() and out.samefile(path)
        )
        is_table_in_folder = (
            path.is_dir() and target.parent == path.resolve() and target.suffix.lower() in FORMATS
        )
        if is_same or is_table_in_folder:
            raise ConfigError(
                f"--suggest-rules {out}: would replace or join the input {path}",
                hint="write the suggested rules to a .yaml file outside the inputs",
            )


def _quote(text: str) -> str:
    return json.dumps(
        text, ensure_ascii=False
    )  # a JSON string is a valid YAML double-quoted scalar


def suggest_rules(
    results: Sequence[ColumnScan], rules_path: Path | None, inputs: Sequence[Path], out: Path
) -> int:
    """Write a reviewable rules file covering every column that no rule covers; returns how many it covers."""
    unruled = [r for r in results if not r.is_ruled]
    if rules_path is None:
        extends = "[default, genesys]"
    else:
        # `extends` is read relative to the suggested file: the pair can move together.
        target = Path(os.path.relpath(rules_path.resolve(), out.resolve().parent)).as_posix()
        extends = f"[{_quote(target)}]"
    lines = [
        f"# Suggested by `sanitize scan` on {datetime.now(UTC):%Y-%m-%d} from: "
        + ", ".join(p.name for p in inputs),
        "# Review every entry before you commit it: detection is evidence, not proof.",
        "# `confidence` is the share of sampled distinct values in which the entity was found.",
        "version: 1",
        f"extends: {extends}",
        "policy:",
        "  unknown_columns: fail     # the nightly job stops on any column without a rule",
        "tables:" if unruled else "tables: {}",
    ]
    current = None
    for result in unruled:
        if result.table != current:
            current = result.table
            lines += [f"  {_quote(result.table)}:", "    columns:"]
        plan = result.plan
        detection = plan.detection
        evidence = (
            f"{detection.method}: {detection.matched}/{detection.sample_size} sampled values"
            f"{', confidence ' + format(detection.confidence, '.2f') if detection.confidence is not None else ''}"
            if detection
            else "no evidence"
        )
        if plan.operator == "text" and plan.entity is None:
            # Not weaker than a run without this rule, which scans every value (fail-closed).
            reason = (
                f"{REVIEW_PREFIX} no PII found in the sample, so every value is scanned as free "
                "text; if this column is safe, make it {operator: keep} and say why"
            )
            body = f"{{entity: FREE_TEXT, reason: {_quote(reason)}}}"
        elif plan.operator == "keep" or plan.entity is None:
            reason = (
                f"{REVIEW_PREFIX} no PII found in the sample; confirm this column is safe to keep"
            )
            body = f"{{operator: keep, reason: {_quote(reason)}}}"
        elif plan.operator == "text":
            body = "{entity: FREE_TEXT}"
        else:
            body = f"{{entity: {plan.entity}}}"
        lines.append(f"      {_quote(result.column)}: {body}  # {evidence}")
    try:
        out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    except OSError as exc:
        raise ConfigError(
            f"--suggest-rules {out}: cannot be written ({exc.strerror or type(exc).__name__})"
        ) from None
    return len(unruled)
