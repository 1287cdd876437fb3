"""Worker processes change nothing: the same outputs and the same verification report as one process.

The parallel paths fork, and fork is used only from a single-threaded process (pytest-xdist workers
run threads), so each run happens in a fresh interpreter started here, with the thresholds lowered so
that a small table takes every parallel path: the free-text scan, the phone operator over chunks, and
verification by batch.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

RUN = """
import json, sys
from collections import Counter
from pathlib import Path

from sanitizer import parallel
from sanitizer.detect import text
from sanitizer.errors import VerificationError
from sanitizer.keyring import Keyring
from sanitizer.rules import read_rules
from sanitizer.scrub import mapping, scrub
from sanitizer.tables import read_sources

source, rules, out, workers = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]), int(sys.argv[4])
text.PARALLEL_MIN_TEXTS = text.FORKED_MIN_TEXTS = 50
mapping.PARALLEL_MIN_VALUES = 50
forks = Counter()
fork_map = parallel.fork_map


def counted(function, state, items, workers, **options):
    forks[function.__name__] += 1
    return fork_map(function, state, items, workers, **options)


fork_submit = parallel.fork_submit


def submitted(function, state, items, workers):
    forks[function.__name__] += 1
    return fork_submit(function, state, items, workers)


workers_class = parallel.Workers


class CountedWorkers(workers_class):
    def __init__(self, function, state, workers):
        forks[function.__name__] += 1
        super().__init__(function, state, workers)


parallel.fork_map = counted
parallel.fork_submit = submitted
parallel.Workers = CountedWorkers
keyring = Keyring(b"parallel-test-key-0123456789abcdef", source="tests")
try:
    scrub(read_sources([source]), read_rules(rules), keyring, out, batch_rows=200, workers=workers)
    status = "verified"
except VerificationError:
    status = "failed"
print(json.dumps({"status": status, "forks": forks, "can_fork": parallel.can_fork(workers)}))
"""


def _run(tmp_path: Path, rules: str, workers: int) -> tuple[dict[str, Any], Path]:
    rules_path = tmp_path / "rules.yaml"
    rules_path.write_text(rules, encoding="utf-8")
    out = tmp_path / f"out-{workers}"
    done = subprocess.run(
        [sys.executable, "-c", RUN, str(tmp_path / "in"), str(rules_path), str(out), str(workers)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.splitlines()[-1]), out


def _verification(out: Path) -> dict[str, Any]:
    report = json.loads((out / "scrub-report.json").read_text(encoding="utf-8"))
    section: dict[str, Any] = report["verification"]
    return section


def _columns(out: Path) -> list[Any]:
    report = json.loads((out / "scrub-report.json").read_text(encoding="utf-8"))
    return [column for table in report["tables"] for column in table["columns"]]


@pytest.fixture
def contacts(tmp_path: Path, fake_contacts: Any, write_rows: Any) -> list[dict[str, str]]:
    rows: list[dict[str, str]] = fake_contacts(1200, seed=31)
    (tmp_path / "in").mkdir()
    write_rows(tmp_path / "in" / "contacts.csv", rows)
    return rows


@pytest.mark.slow
def test_workers_give_the_same_outputs_and_report_as_one_process(
    tmp_path: Path, contacts: list[dict[str, str]], contact_rules_text: str
) -> None:
    one, out_one = _run(tmp_path, contact_rules_text, 1)
    two, out_two = _run(tmp_path, contact_rules_text, 2)
    assert one == {"status": "verified", "forks": {}, "can_fork": False}
    assert two["status"] == "verified" and two["can_fork"]
    # Every parallel path was taken: the contacts of notes in pass 1 and the text scan in pass 2 (started
    # while the other columns are replaced), each by workers forked once for the six batches; phone
    # replacement; verification by batch.
    assert set(two["forks"]) == {
        "_contacts_chunk_since",
        "_scan_chunk_since",
        "_replace_chunk",
        "_check_pair",
    }
    assert two["forks"]["_contacts_chunk_since"] == two["forks"]["_scan_chunk_since"] == 1
    assert (out_two / "contacts.csv").read_bytes() == (out_one / "contacts.csv").read_bytes()
    assert _verification(out_two) == _verification(out_one)
    assert _columns(out_two) == _columns(out_one)  # the same counts, spans found included


@pytest.mark.slow
def test_a_name_learned_from_an_earlier_batchs_notes_is_found_by_workers_forked_before(
    tmp_path: Path, contacts: list[dict[str, str]], write_rows: Any, contact_rules_text: str
) -> None:
    # "Mr Quillfeather" (a title: a name) in the first batch's notes teaches the scanner a word no name
    # column holds; a later batch's "Quillfeather called back" has no other evidence. The scan workers
    # were forked before the first batch: each call must bring them what was learned since.
    rows = [dict(row) for row in contacts]
    for index in range(0, 60):
        rows[index]["Notes"] = f"Spoke to Mr Quillfeather about invoice {index}."
    for index in range(700, 760):
        rows[index]["Notes"] = f"Quillfeather called back about invoice {index}."
    write_rows(tmp_path / "in" / "contacts.csv", rows)
    one, out_one = _run(tmp_path, contact_rules_text, 1)
    two, out_two = _run(tmp_path, contact_rules_text, 2)
    assert one["status"] == two["status"] == "verified"
    assert two["forks"]["_scan_chunk_since"] == 1
    text = (out_two / "contacts.csv").read_text(encoding="utf-8")
    assert "Quillfeather" not in text
    assert text == (out_one / "contacts.csv").read_text(encoding="utf-8")


@pytest.mark.slow
def test_workers_report_the_same_findings_as_one_process(
    tmp_path: Path, contacts: list[dict[str, str]], write_rows: Any, contact_rules_text: str
) -> None:
    # A column kept on purpose that holds other rows' emails: findings in several batches.
    leaky = [
        {**row, "Backup": contacts[(i * 7) % len(contacts)]["Email"]}
        for i, row in enumerate(contacts)
    ]
    write_rows(tmp_path / "in" / "contacts.csv", leaky)
    rules = contact_rules_text + "      Backup: {operator: keep, reason: test of a leak}\n"
    one, out_one = _run(tmp_path, rules, 1)
    two, out_two = _run(tmp_path, rules, 2)
    assert one["status"] == two["status"] == "failed"
    assert "_check_pair" in two["forks"]
    found = _verification(out_two)
    assert found == _verification(out_one)
    assert (
        found["findings_total"] >= 1000
    )  # capped list, full count: the cap merges like one process
    assert len(found["findings"]) == 1000
    assert not list(out_two.glob("*.csv"))  # nothing published


SUBMIT = """
import collections, json, multiprocessing, os, time
from sanitizer import parallel


def square(offset, item):
    if item == "boom":
        raise ValueError("bad item")
    return offset + item * item


def slow(_state, item):
    time.sleep(60)


def pid_after(_state, seconds):
    time.sleep(seconds)
    return os.getpid()


done = parallel.fork_submit(square, 10, [3, 1, 2], 2).results()
try:
    parallel.fork_submit(square, 0, [1, "boom"], 2).results()
    raised = None
except ValueError as exc:
    raised = str(exc)
quick = parallel.fork_submit(square, 0, [4], 2)
quick_results = quick.results()
niceness = list(parallel.fork_map(lambda _state, _item: os.nice(0), None, [1, 2], 2))
# Items known at the fork are inherited, not pickled (a lambda cannot be): only results cross back.
inherited = [
    parallel.fork_submit(lambda _state, item: item(), None, [lambda: 5, lambda: 6], 2).results(),
    list(parallel.fork_map(lambda _state, item: item(), None, [lambda: 7], 2)),
]
# Items of a few bytes (indexes of inherited items, or sent): each goes to the worker free for it.
shares = [
    sorted(collections.Counter(parallel.fork_map(pid_after, None, [0.05] * 8, 2)).values()),
    sorted(collections.Counter(parallel.fork_map(pid_after, None, iter([0.05] * 8), 2)).values()),
]
pending = parallel.fork_submit(slow, None, [1, 2], 2)
busy_done = pending.is_done()
started = time.perf_counter()
pending.cancel()
print(json.dumps({
    "done": done,
    "raised": raised,
    "quick": [quick_results, quick.is_done()],
    "busy_done": busy_done,
    "niceness": niceness,
    "inherited": inherited,
    "shares": shares,
    "parent_niceness": os.nice(0),
    "added": parallel.WORKER_NICENESS,
    "cancel_s": time.perf_counter() - started,
    "children": len(multiprocessing.active_children()),
}))
"""


def test_submitted_work_comes_back_in_order_and_cancels() -> None:
    done = subprocess.run(
        [sys.executable, "-c", SUBMIT], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.splitlines()[-1])
    assert result["done"] == [19, 11, 14]  # input order, the state passed to every call
    assert result["raised"] == "bad item"  # a worker's exception reaches the caller
    assert result["cancel_s"] < 30 and result["children"] == 0  # cancel stops the workers at once
    assert result["quick"] == [[16], True] and result["busy_done"] is False
    assert result["inherited"] == [[5, 6], [7]]
    # Both workers take their share of small items (a sending thread that filled its worker's pipe
    # left the other idle: one item against seven).
    assert all(share[0] >= 3 for share in result["shares"]), result["shares"]
    # Workers yield the cores to their caller, which stays the critical path (capped at 19 by the OS).
    expected = min(19, result["parent_niceness"] + result["added"])
    assert result["added"] > 0 and result["niceness"] == [expected, expected]


WORKERS = """
import json, multiprocessing, os, time
from sanitizer import parallel


def add_then_look(state, item):
    # The state as forked, brought up to date with what the item carries.
    changes, key = item
    if key == "boom":
        raise ValueError("bad item")
    state.update(changes)
    return [state.get(key), os.getpid()]


state = {"a": 1}
with parallel.Workers(add_then_look, state, 2) as workers:
    state["b"] = 2  # after the fork: the workers do not see it unless an item carries it
    first = workers.submit([({}, "a"), ({}, "b")]).results()
    second = workers.submit([({"b": 2}, "b"), ({"b": 2}, "a")]).results()
    try:
        workers.submit([({}, "boom")]).results()
        raised = None
    except ValueError as exc:
        raised = str(exc)
    third = workers.submit([({}, "a")])
    third.cancel()  # a call's cancel leaves the workers running for the next calls
    after_cancel = workers.submit([({}, "a")]).results()
    children = len(multiprocessing.active_children())
pids = {pid for _value, pid in first + second + after_cancel}
print(json.dumps({
    "first": [v for v, _ in first],
    "second": [v for v, _ in second],
    "raised": raised,
    "after_cancel": [v for v, _ in after_cancel],
    "forked_once": len(pids) <= 2 and os.getpid() not in pids,
    "children_inside": children,
    "children_after": len(multiprocessing.active_children()),
    "can_fork_after": parallel.can_fork(2),
}))
"""


def test_workers_forked_once_serve_many_calls_with_the_state_items_carry() -> None:
    done = subprocess.run(
        [sys.executable, "-c", WORKERS], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.splitlines()[-1])
    assert result["first"] == [1, None]  # the state as it was at the fork
    assert result["second"] == [2, 1]  # brought up to date by the items, in input order
    assert result["raised"] == "bad item"
    assert result["after_cancel"] == [1]
    assert result["forked_once"] and result["children_inside"] == 2
    assert result["children_after"] == 0 and result["can_fork_after"]  # stopped at the block's end


CONTACTS = """
import json, sys
from pathlib import Path

from sanitizer.detect import text
from sanitizer.detect.names import NameFinder
from sanitizer.rules import read_rules

text.PARALLEL_MIN_TEXTS = text.FORKED_MIN_TEXTS = 50
rules = read_rules(Path(sys.argv[1]))
junk = ["555 012 %04d" % n for n in range(8)]  # phonenumbers rejects them: found only when known
texts = [f"note {i}: call {junk[i % 8]} or mail a{i}@example.com" for i in range(120)]


def scanner():
    return text.TextScanner(rules, rules.safe_ranges(), NameFinder())


def keys(n):
    return [j.replace(" ", "")[-10:] for j in junk[:n]]


forked, alone = scanner(), scanner()
calls = []
with forked.contacts_forked_once(2):
    assert forked._contact_workers is not None
    for learned in (0, 2, 2, 5, 8):  # learned between calls; the same keys again teach nothing
        forked.learn_phones(keys(learned))
        alone.learn_phones(keys(learned))
        calls.append(
            [
                forked.start_contacts(texts, workers=2).result(),
                alone.start_contacts(texts, workers=1).result(),
            ]
        )
    held = dict(forked._contact_workers.held)
print(json.dumps({
    "same": [a == b for a, b in calls],
    "phones": [sum(e == "PHONE_NUMBER" for e, _ in a) for a, _ in calls],
    "log": len(held) and max(held.values()),
}))
"""


def test_contact_workers_forked_once_learn_the_phones_known_since(
    tmp_path: Path, contact_rules_text: str
) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text(contact_rules_text, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-c", CONTACTS, str(rules)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.splitlines()[-1])
    assert result["same"] == [True] * 5  # what one process finds, call after call
    assert result["phones"] == [0, 30, 30, 75, 120]  # 15 notes per junk number
    assert result["log"] == 3  # three calls brought new keys (the repeat brought none)


STOPS = """
import json, multiprocessing, os, random, signal, sys, time
from sanitizer import parallel
from sanitizer.errors import WorkerLost


def text_of(_state, length):
    return "y" * length


def die(_state, item):
    if item == "die":
        os.kill(os.getpid(), signal.SIGKILL)  # what the system does to a worker out of memory
    time.sleep(0.2)
    return item


def unsendable(_state, item):
    if item == "lock":
        return multiprocessing.Lock()  # cannot be pickled outside a fork
    raise ValueError("at the far end")


# Stop while workers are writing large results, again and again. With multiprocessing.Pool this
# hung within a few rounds: a worker killed while it held the result queue's lock kept it for good.
random.seed(7)
for round in range(int(sys.argv[1])):
    with parallel.Workers(text_of, None, 2) as workers:
        assert workers.submit([round]).results() == ["y" * round]
        workers.submit([2_000_000] * 4)  # never collected: the block ends while they answer
        time.sleep(random.random() * 0.02)

lost = []
with parallel.Workers(die, None, 2) as workers:
    try:
        workers.submit(["a", "die", "b", "c"]).results()
    except WorkerLost as exc:
        lost.append(str(exc))
    try:  # the pool is broken: later work fails at once rather than wait for a dead worker
        workers.submit(["d"]).results()
    except WorkerLost:
        lost.append("later")
try:
    list(parallel.fork_map(die, None, ["die", "a", "b", "c", "d"], 2))
except WorkerLost:
    lost.append("fork_map")

errors = []
for item in ("lock", "raise"):
    try:
        parallel.fork_submit(unsendable, None, [item], 2).results()
    except Exception as exc:
        cause = exc.__cause__
        errors.append([type(exc).__name__, str(exc), type(cause).__name__, getattr(cause, "place", "")])
print(json.dumps({
    "lost": lost,
    "errors": errors,
    "children": len(multiprocessing.active_children()),
    "can_fork": parallel.can_fork(2),
}))
"""


def test_workers_stop_at_any_moment_and_a_dead_worker_fails_the_run() -> None:
    done = subprocess.run(
        [sys.executable, "-c", STOPS, "150"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.splitlines()[-1])
    message, *rest = result["lost"]
    assert message.startswith(
        "a worker process stopped (exit code -9) before returning its results"
    )
    assert "SANITIZER_WORKERS" in message  # the hint for the one who reads it at night
    assert rest == ["later", "fork_map"]
    (lock_type, lock_text, _, _), (raised_type, raised_text, cause, place) = result["errors"]
    assert lock_type == "RuntimeError" and "could not be sent from a worker" in lock_text
    # A worker's exception keeps its type and says where it was raised (the CLI shows that place).
    assert (raised_type, raised_text, cause) == ("ValueError", "at the far end", "RemoteTraceback")
    assert place.startswith("<string>:")
    assert result["children"] == 0 and result["can_fork"]
