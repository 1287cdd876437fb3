"""Session-wide test fixtures. Subfolders add their own conftest.py for area-specific fixtures."""

from __future__ import annotations

import csv
import json
import logging
import random
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from sanitizer.keyring import Keyring
from sanitizer.rules import RuleSet, read_rules

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    """CLI runs point sanitizer's log handler at the runner's stream; put the handlers back after."""
    logger = logging.getLogger("sanitizer")
    handlers, level, propagate = list(logger.handlers), logger.level, logger.propagate
    yield
    logger.handlers[:] = handlers
    logger.setLevel(level)
    logger.propagate = propagate


@pytest.fixture(scope="session")
def shipped_rules() -> RuleSet:
    """The shipped rules (rules/default.yaml + rules/genesys.yaml), loaded once."""
    return read_rules()


@pytest.fixture(scope="session")
def demo_rules() -> RuleSet:
    """The demo rules of fixtures/files (policy fail, a custom recognizer, a persona), loaded once."""
    return read_rules(REPO / "fixtures" / "files" / "rules.yaml")


@pytest.fixture(scope="session")
def keyring_a() -> Keyring:
    return Keyring(b"scrub-tests-key-A-0123456789abcdef", source="tests")


@pytest.fixture(scope="session")
def keyring_b() -> Keyring:
    return Keyring(b"scrub-tests-key-B-fedcba9876543210", source="tests")


# Synthetic contacts for scrub tests: Faker names (fixed seed), emails at reserved domains, phones in
# fictional ranges only (NANP NPA-555-0100..0199, Ofcom drama numbers, ACMA creative-works numbers).
_US_AREAS = ("212", "312", "415", "617", "713", "206", "303", "404", "503", "602", "702", "919")
_DOMAINS = ("example.com", "example.org", "example.net", "mail.test")
_AU_MOBILES = ("0491 570 156", "0491 570 157", "0491 570 158", "0491 570 159", "0491 570 110")
_NOTES = (
    "{first} called about the renewal; call back on {phone}.",
    "Customer {first} {last} asked for statements by email to {email}.",
    "Left voicemail for Mr {last}. Prefers {cell} after 5pm.",
    "Spoke to {first}, prefers mornings.",
    "Spoke to {other}, who shares the account with {first}.",
    "",
    "No answer. Retry tomorrow.",
)


def _phone(rng: random.Random, style: int) -> str:
    area, line = rng.choice(_US_AREAS), rng.randint(100, 199)
    if style % 5 == 3:
        return f"+44 20 7946 0{rng.randint(0, 999):03d}"
    if style % 5 == 4:
        return rng.choice([f"+61 2 5550 {rng.randint(0, 9999):04d}", rng.choice(_AU_MOBILES)])
    return (f"({area}) 555-{line:04d}", f"+1 {area} 555 {line:04d}", f"{area}-555-{line:04d}")[
        style % 3
    ]


def make_contacts(count: int, seed: int = 20261127) -> list[dict[str, str]]:
    """`count` synthetic contact rows (some people repeat, as contact lists do)."""
    from faker import Faker

    fake = Faker(["en_US", "en_GB"])
    fake.seed_instance(seed)
    rng = random.Random(seed)
    people = []
    for index in range(max(1, count * 2 // 3)):
        first, last = fake.first_name(), fake.last_name()
        local = f"{first}.{last}{index}".lower().replace(" ", "").replace("'", "")
        people.append(
            {
                "first": first,
                "last": last,
                "email": f"{local}@{rng.choice(_DOMAINS)}",
                "phone": _phone(rng, index),
                "cell": _phone(rng, index + 1),
            }
        )
    rows = []
    for index in range(count):
        person = people[rng.randrange(len(people))]
        other = people[rng.randrange(len(people))]
        note = rng.choice(_NOTES).format(other=f"{other['first']} {other['last']}", **person)
        rows.append(
            {
                "id": f"c-{index:05d}",
                "FirstName": person["first"],
                "LastName": person["last"],
                "Email": person["email"],
                "HomePhone": person["phone"],
                "CellPhone": person["cell"],
                "Notes": note,
                "Balance": f"{rng.randint(0, 500_000) / 100:.2f}",
                "Status": rng.choice(["open", "closed", "callback"]),
            }
        )
    return rows


# Rules for make_contacts() tables: every column has a rule (policy fail), non-PII kept on purpose.
CONTACT_RULES = """\
version: 1
extends: [default, genesys]
policy: {unknown_columns: fail}
tables:
  "*":
    columns:
      id: {operator: keep, reason: synthetic row id}
      Balance: {operator: keep, reason: an amount}
      Status: {operator: keep, reason: an enumeration}
"""


def write_table(path: Path, rows: list[dict[str, Any]], *, bom: bool = False) -> Path:
    """Write rows as CSV, JSON, JSON Lines or Parquet, by the file's extension."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        with path.open("w", encoding="utf-8-sig" if bom else "utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
    elif suffix == ".json":
        path.write_text(json.dumps(rows, indent=2, ensure_ascii=False), encoding="utf-8")
    elif suffix == ".jsonl":
        path.write_text(
            "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8"
        )
    elif suffix == ".parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        pq.write_table(
            pa.Table.from_batches([pa.RecordBatch.from_struct_array(pa.array(rows))]), path
        )
    else:
        raise ValueError(f"unsupported test table {path}")
    return path


@pytest.fixture(scope="session")
def fake_contacts() -> Callable[..., list[dict[str, str]]]:
    """`fake_contacts(count, seed=...)`: synthetic contact rows."""
    return make_contacts


@pytest.fixture(scope="session")
def contact_rules_text() -> str:
    """The YAML of `contact_rules`, for tests that write their own rules file."""
    return CONTACT_RULES


@pytest.fixture(scope="session")
def contact_rules(tmp_path_factory: pytest.TempPathFactory) -> RuleSet:
    """Rules covering every column of `fake_contacts()` tables, with policy fail."""
    path = tmp_path_factory.mktemp("contact-rules") / "rules.yaml"
    path.write_text(CONTACT_RULES, encoding="utf-8")
    return read_rules(path)


@pytest.fixture(scope="session")
def write_rows() -> Callable[..., Path]:
    """`write_rows(path, rows, bom=False)`: write rows as CSV, JSON, JSON Lines or Parquet."""
    return write_table
