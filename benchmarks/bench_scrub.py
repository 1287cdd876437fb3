"""Benchmark: `sanitize scrub` end to end against presidio-structured on the same synthetic contact list.

    python benchmarks/bench_scrub.py --rows 200000 [--presidio-rows 5000] [--out /tmp/bench]

Prints rows/s for both, their ratio, the CPU seconds of the scrub (workers included), its phases
with the cores each kept busy (one near 1.0 on two cores runs in one process), and its peak memory:
the largest process's peak RSS, and the peak of all its processes together (the sum of their
proportional set sizes, sampled four times a second on Linux: what a container's memory limit counts,
pages the worker processes share with the main one counted once). The contact list
has names, emails, two phone columns, a free-text notes column (names, phones and emails of the row in
about half of the notes), and non-PII columns. People repeat across rows (about two rows per person),
as in real contact lists. Phone numbers use the NANP 555 exchange outside the fictional 0100-0199 block,
so the scrubbed outputs (inside that block) never coincide with inputs. Nothing generated is committed.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import threading
import time
from datetime import datetime
from pathlib import Path

import pandas as pd
from faker import Faker

AREA_CODES = [c for c in range(201, 990) if c % 100 not in (11,) and str(c)[1] != "9"][:300]
NOTES = [
    "{first} called about the renewal, call back on {phone}.",
    "Customer {first} {last} asked for statements by email to {email}.",
    "Left voicemail at {phone}; {first} prefers mornings.",
    "Spoke to Mr {last} re billing dispute, escalated to tier 2.",
    "No answer. Retry tomorrow.",
    "{first} {last} updated address; confirm via {email} or {cell}.",
]


def generate(rows: int, path: Path, seed: int = 7) -> None:
    """A synthetic contact list of `rows` rows (deterministic for a seed)."""
    fake = Faker("en_US")
    Faker.seed(seed)
    rng = random.Random(seed)
    firsts = [fake.first_name() for _ in range(3000)]
    lasts = [fake.last_name() for _ in range(5000)]
    people = max(1, rows // 2)
    person_rows = []
    for i in range(people):
        first, last = rng.choice(firsts), rng.choice(lasts)
        npa = rng.choice(AREA_CODES)
        phone = f"({npa}) 555-{rng.randint(200, 9999):04d}"
        cell = f"+1 {rng.choice(AREA_CODES)} 555 {rng.randint(200, 9999):04d}"
        email = f"{first.lower()}.{last.lower()}.{i}@example.com"
        person_rows.append((first, last, email, phone, cell))
    data = []
    for r in range(rows):
        first, last, email, phone, cell = person_rows[rng.randrange(people)]
        note = (
            rng.choice(NOTES).format(first=first, last=last, email=email, phone=phone, cell=cell)
            if rng.random() < 0.6
            else ""
        )
        data.append(
            (
                f"c{r:08d}",
                first,
                last,
                email,
                phone,
                cell,
                note,
                rng.choice(["active", "closed", "prospect"]),
                f"{rng.randint(0, 99999) / 100:.2f}",
                f"2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
                rng.choice(["SPRING", "SUMMER", "WINBACK"]),
            )
        )
    frame = pd.DataFrame(
        data,
        columns=[
            "inin-outbound-id",
            "FirstName",
            "LastName",
            "Email",
            "HomePhone",
            "CellPhone",
            "Notes",
            "Status",
            "Balance",
            "LastContacted",
            "Campaign",
        ],
    )
    frame.to_csv(path, index=False)


RULES = """\
version: 1
extends: [default, genesys]
policy: {unknown_columns: fail}
tables:
  contacts:
    columns:
      Status: {operator: keep, reason: enumeration}
      Balance: {operator: keep, reason: amount}
      LastContacted: {operator: keep, reason: date}
      Campaign: {operator: keep, reason: campaign code}
"""


class TreeMemory:
    """The peak of a process's and its descendants' summed PSS (MiB), sampled from /proc while it runs
    (None where /proc has no smaps_rollup); and, at each sample, the CPU seconds the process and its
    descendants have used (`cpu`: seconds since the start, CPU seconds) for the phase breakdown.

    Reading smaps_rollup walks a process's page tables: four times a second, on a scrub of a gigabyte,
    it slows the scrub (about 7% at 300,000 rows in two A/B pairs). `memory` False reads the CPU only."""

    def __init__(self, pid: int, every: float = 0.25, *, memory: bool = True) -> None:
        self.pid = pid
        self.every = every
        self.memory = memory
        self.peak: float | None = None
        self.cpu: list[tuple[float, float]] = []
        self._started = time.perf_counter()
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def stop(self) -> float | None:
        self._done.set()
        self._thread.join()
        return self.peak

    def _sample(self) -> None:
        while not self._done.wait(self.every):
            tree = _tree(self.pid)
            total = sum(_pss_kib(pid) or 0 for pid in tree) if self.memory else 0
            if total:
                self.peak = max(self.peak or 0.0, total / 1024)
            used = _cpu_seconds(self.pid, children_done=True)
            if used is not None:
                used += sum(_cpu_seconds(pid) or 0.0 for pid in tree if pid != self.pid)
                self.cpu.append((time.perf_counter() - self._started, used))


def _tree(pid: int) -> list[int]:
    """`pid` and its descendants (read from /proc/PID/task/*/children)."""
    found, queue = [], [pid]
    while queue:
        current = queue.pop()
        found.append(current)
        for task in Path(f"/proc/{current}/task").glob("*/children"):
            with contextlib.suppress(OSError):  # the task ended meanwhile
                queue.extend(int(child) for child in task.read_text().split())
    return found


def _pss_kib(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        return None
    return None


def _cpu_seconds(pid: int, *, children_done: bool = False) -> float | None:
    """User + system CPU seconds of a process (and, `children_done`, of its children it has waited
    for: a worker that ended counts there), from /proc/PID/stat."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    ticks = int(fields[11]) + int(fields[12])  # utime, stime
    if children_done:
        ticks += int(fields[13]) + int(fields[14])  # cutime, cstime
    return ticks / os.sysconf("SC_CLK_TCK")


def phases(
    report: Path, launched: float, samples: list[tuple[float, float]], seconds: float
) -> str:
    """Each phase of the run (the report's timings, placed by its start time) with the cores its
    processes kept busy: a phase near 1.0 on two cores runs in one process."""
    data = json.loads(report.read_text(encoding="utf-8"))
    timings = data["timings"]
    start = datetime.fromisoformat(data["run"]["started_at"].replace("Z", "+00:00")).timestamp()
    edges = [("start", 0.0)]
    at = start - launched
    for name, key in (("plan + pass 1", "detect_s"), ("pass 2", "scrub_s"), ("verify", "verify_s")):
        edges.append((name, at))
        at += timings[key]
    edges.append(("report, exit", at))
    edges.append(("", seconds))

    def used(moment: float) -> float:  # CPU seconds at `moment`, between the samples around it
        before = [(t, c) for t, c in samples if t <= moment]
        after = [(t, c) for t, c in samples if t >= moment]
        if not before:
            return 0.0
        if not after:
            return before[-1][1]
        (t0, c0), (t1, c1) = before[-1], after[0]
        return c0 if t1 == t0 else c0 + (c1 - c0) * (moment - t0) / (t1 - t0)

    parts = []
    for (name, begin), (_next, end) in itertools.pairwise(edges):
        if end - begin >= 0.05:
            busy = (used(end) - used(begin)) / (end - begin)
            parts.append(f"{name} {end - begin:.1f} s ({busy:.2f} cores)")
    return ", ".join(parts)


def run_sanitizer(
    csv: Path, work: Path, *, memory: bool = True
) -> tuple[float, float, float, float | None, str | None]:
    """Seconds, CPU seconds (user + system, worker processes included), the largest process's peak
    RSS (MiB) and the peak memory of all its processes together (MiB, see TreeMemory) of `sanitize
    scrub` in its own process, and its phases with the cores each kept busy (None without /proc). On
    a shared machine the CPU seconds drift less than the wall clock: compare them between versions."""
    rules = work / "rules.yaml"
    rules.write_text(RULES)
    out = work / "out"
    shutil.rmtree(out, ignore_errors=True)
    env = {**os.environ, "SANITIZER_KEY": "benchmark-key-0123456789abcdef"}
    sanitize = Path(sys.executable).with_name("sanitize")
    command = [str(sanitize), "scrub", str(csv), "--out", str(out), "--rules", str(rules)]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    launched = time.time()
    started = time.perf_counter()
    with subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL) as process:
        sampler = TreeMemory(process.pid, memory=memory)
        returncode = process.wait()
        seconds = time.perf_counter() - started
        tree_peak = sampler.stop()
    if returncode:
        raise subprocess.CalledProcessError(returncode, command)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    samples = [*sampler.cpu, (seconds, cpu)]
    breakdown = (
        phases(out / "scrub-report.json", launched, samples, seconds) if sampler.cpu else None
    )
    return seconds, cpu, max(after.ru_maxrss, before.ru_maxrss) / 1024, tree_peak, breakdown


def run_presidio_structured(csv: Path, rows: int) -> float:
    """Seconds for presidio-structured (its documented pandas flow, offline no_op NLP engine) on `rows` rows."""
    import tldextract
    import tldextract.tldextract as tld
    from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
    from presidio_analyzer.nlp_engine import NlpEngineProvider
    from presidio_anonymizer.entities import OperatorConfig
    from presidio_structured import PandasAnalysisBuilder, StructuredEngine
    from presidio_structured.data.data_processors import PandasDataProcessor

    tld.TLD_EXTRACTOR = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)
    nlp = NlpEngineProvider(
        nlp_configuration={
            "nlp_engine_name": "no_op",
            "models": [{"lang_code": "en", "model_name": "none"}],
        }
    ).create_engine()
    registry = RecognizerRegistry(supported_languages=["en"])
    registry.load_predefined_recognizers(nlp_engine=nlp)
    analyzer = AnalyzerEngine(nlp_engine=nlp, registry=registry, supported_languages=["en"])
    frame = pd.read_csv(csv, dtype=str, keep_default_na=False, nrows=rows)
    started = time.perf_counter()
    analysis = PandasAnalysisBuilder(analyzer=analyzer).generate_analysis(frame)
    StructuredEngine(data_processor=PandasDataProcessor()).anonymize(
        frame,
        analysis,
        operators={"DEFAULT": OperatorConfig("hash", {"hash_type": "sha256", "salt": "0" * 32})},
    )
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument(
        "--presidio-rows",
        type=int,
        default=5_000,
        help="rows given to presidio-structured (it is too slow for the full list)",
    )
    parser.add_argument("--out", type=Path, default=Path("/tmp/sanitizer-bench"))
    parser.add_argument("--skip-presidio", action="store_true")
    parser.add_argument(
        "--no-memory",
        action="store_true",
        help="time the scrub without sampling its memory (the sampler slows it, see TreeMemory)",
    )
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    csv = args.out / "contacts.csv"
    started = time.perf_counter()
    generate(args.rows, csv)
    print(
        f"generated {args.rows:,} rows ({csv.stat().st_size / 1e6:.1f} MB) in {time.perf_counter() - started:.1f} s"
    )
    seconds, cpu, peak, tree_peak, breakdown = run_sanitizer(
        csv, args.out, memory=not args.no_memory
    )
    ours = args.rows / seconds
    together = (
        f"{tree_peak:,.0f} MiB"
        if tree_peak is not None
        else "not measured (--no-memory)"
        if args.no_memory
        else "not measured (no /proc)"
    )
    print(
        f"sanitize scrub: {args.rows:,} rows in {seconds:.2f} s = {ours:,.0f} rows/s, "
        f"CPU {cpu:.1f} s ({cpu / seconds:.2f} cores busy), peak RSS {peak:,.0f} MiB "
        f"(largest process), peak memory {together} (all processes, PSS)"
    )
    if breakdown:
        print(f"phases: {breakdown}")
    if not args.skip_presidio:
        rows = min(args.presidio_rows, args.rows)
        theirs_s = run_presidio_structured(csv, rows)
        theirs = rows / theirs_s
        print(f"presidio-structured: {rows:,} rows in {theirs_s:.2f} s = {theirs:,.0f} rows/s")
        print(f"ratio: sanitize scrub is {ours / theirs:,.0f}x the rows/s of presidio-structured")


if __name__ == "__main__":
    main()
