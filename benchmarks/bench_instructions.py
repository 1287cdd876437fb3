"""Benchmark: CPU instructions a scrub executes per row, counted by valgrind (noise-free A/B).

    python benchmarks/bench_instructions.py [--rows 20000] [--source PATH] [--phases]

Wall-clock and CPU seconds on a shared machine drift by tens of percent within an hour, so a 3%
improvement cannot be told from noise with them. Instructions can: this script runs the scrub of the
`bench_scrub.py` contact list in one process (`SANITIZER_WORKERS=1`, fixed hash seed, no address-space
randomisation) under `valgrind --tool=cachegrind --cache-sim=no`, once on `--rows` rows and once on
100 rows, and prints the instructions per row of the difference (start-up, imports and the report
cancel out). Repeated runs agree to about 0.3%. `--source` measures another checkout of sanitizer
(for example `git worktree add /tmp/base HEAD~3`) with this interpreter; `--phases` also splits the
count into pass 1 (planning, distinct originals, replacements), pass 2 (replacement, free-text
scan, writing) and verification, by stopping the run after each (eight runs instead of two).

Instructions are not time: memory-bound work (lookups in maps of millions of entries) costs more
time per instruction at a million rows than here, and the worker processes' start-up and data
transfer are left out. Use this for A/B of CPU work, `bench_scrub.py` for the figures. Needs the
`valgrind` package (Debian: `apt-get install valgrind`); about a minute and a half per run.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from itertools import pairwise
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from bench_scrub import RULES, generate

KEY = "benchmark-key-0123456789abcdef"
SMALL_ROWS = 100
PHASES = ("start", "pass1", "pass2", "verify", "all")
LABELS = {"pass1": "pass 1", "pass2": "pass 2", "verify": "verify", "all": "report and publish"}

# Runs one scrub in this process, stopping after a phase (a stop is an exception the runner catches).
RUNNER = """
import sys
from pathlib import Path

import sanitizer.scrub as scrub_module
from sanitizer.keyring import Keyring
from sanitizer.rules import read_rules
from sanitizer.scrub import engine
from sanitizer.tables import read_sources

csv, rules, out, phase, key = sys.argv[1:6]
print(f"measuring {Path(scrub_module.__file__).resolve().parents[2]}", file=sys.stderr)


class Stop(Exception):
    pass


def stop_after(owner, name):
    original = getattr(owner, name)

    def wrapper(*args, **kwargs):
        original(*args, **kwargs)
        raise Stop

    setattr(owner, name, wrapper)


if phase == "pass1":
    stop_after(engine.Engine, "collect")
elif phase == "pass2":
    stop_after(scrub_module, "run_scrub")
elif phase == "verify":
    stop_after(scrub_module, "verify")
sources = read_sources([Path(csv)])
rules_set = read_rules(Path(rules))
if phase != "start":
    try:
        scrub_module.scrub(sources, rules_set, Keyring(key.encode()), Path(out), workers=1)
    except Stop:
        pass
"""


def instructions(source: Path, csv: Path, rules: Path, out: Path, phase: str) -> int:
    """Instructions (cachegrind's I refs) of one run of RUNNER."""
    shutil.rmtree(out, ignore_errors=True)
    env = {
        **os.environ,
        "PYTHONPATH": str(source),
        "PYTHONHASHSEED": "0",
        "SANITIZER_WORKERS": "1",
    }
    command = [
        "setarch",
        "-R",
        "valgrind",
        "--tool=cachegrind",
        "--cache-sim=no",
        "--cachegrind-out-file=/dev/null",
        sys.executable,
        "-c",
        RUNNER,
        str(csv),
        str(rules),
        str(out),
        phase,
        KEY,
    ]
    # Run from the output folder: `python -c` puts the current folder first on sys.path, so a run
    # started in a checkout would import that checkout's sanitizer, not `source`'s.
    done = subprocess.run(
        command, env=env, cwd=out.parent, capture_output=True, text=True, check=False
    )
    found = re.search(r"I\s+refs:\s+([\d,]+)", done.stderr)
    if done.returncode != 0 or found is None:
        raise SystemExit(f"valgrind run failed ({phase}):\n{done.stderr[-2000:]}")
    measured = re.search(r"^measuring (.+)$", done.stderr, re.MULTILINE)
    if measured is None or Path(measured.group(1)) != source.resolve():
        raise SystemExit(f"measured {measured and measured.group(1)}, not {source.resolve()}")
    return int(found.group(1).replace(",", ""))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument(
        "--source",
        type=Path,
        default=Path(__file__).resolve().parent.parent,
        help="the sanitizer checkout to measure (default: this one)",
    )
    parser.add_argument("--out", type=Path, default=Path("/tmp/sanitizer-instructions"))
    parser.add_argument("--phases", action="store_true", help="split the count by phase")
    args = parser.parse_args()
    if shutil.which("valgrind") is None or shutil.which("setarch") is None:
        raise SystemExit("needs valgrind and setarch (Debian: apt-get install valgrind util-linux)")
    args.out.mkdir(parents=True, exist_ok=True)
    rules = args.out / "rules.yaml"
    rules.write_text(RULES)
    counts: dict[str, dict[str, int]] = {}
    for rows in (SMALL_ROWS, args.rows):
        csv = args.out / str(rows) / "contacts.csv"  # the rules name the table "contacts"
        if not csv.exists():
            csv.parent.mkdir(exist_ok=True)
            generate(rows, csv)
        phases = PHASES if args.phases else ("all",)
        counts[str(rows)] = {
            phase: instructions(args.source, csv, rules, args.out / "out", phase)
            for phase in phases
        }
    small, large = counts[str(SMALL_ROWS)], counts[str(args.rows)]
    extra = args.rows - SMALL_ROWS
    print(f"source: {args.source}")
    print(
        f"{args.rows:,} rows: {large['all'] / 1e9:.3f} G instructions; {SMALL_ROWS} rows: "
        f"{small['all'] / 1e9:.3f} G; per row: {(large['all'] - small['all']) / extra:,.0f}"
    )
    if args.phases:
        for before, phase in pairwise(PHASES):
            cost = (large[phase] - large[before]) - (small[phase] - small[before])
            print(f"  {LABELS[phase]:18s} {cost / extra:>9,.0f} per row")


if __name__ == "__main__":
    main()
