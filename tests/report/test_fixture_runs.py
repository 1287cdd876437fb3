"""The committed fixture runs are what fixtures/generate_runs.py writes, and hold no PII shapes."""

from __future__ import annotations

import re
from pathlib import Path
from types import ModuleType

import phonenumbers

from .conftest import FIXTURE_RUNS


def test_fixture_runs_match_the_generator(tmp_path: Path, generator: ModuleType) -> None:
    generator.write_runs(tmp_path)

    committed = {
        p.relative_to(FIXTURE_RUNS): p.read_bytes() for p in FIXTURE_RUNS.rglob("*") if p.is_file()
    }
    fresh = {p.relative_to(tmp_path): p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    assert sorted(committed) == sorted(fresh)
    stale = [str(name) for name in committed if committed[name] != fresh[name]]
    assert not stale, f"stale fixture runs {stale}: run `python fixtures/generate_runs.py`"


def test_fixture_runs_tell_the_documented_story(generator: ModuleType) -> None:
    statuses = [r.status for r in generator.build_runs()]
    assert statuses == ["verified", "verified", "verified", "failed"]


EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")


def test_fixture_runs_hold_no_email_or_phone_shapes() -> None:
    for path in FIXTURE_RUNS.rglob("scrub-report.json"):
        text = path.read_text(encoding="utf-8")
        assert not EMAIL.search(text), path
        for region in ("US", "GB"):
            found = phonenumbers.PhoneNumberMatcher(
                text, region, leniency=phonenumbers.Leniency.VALID
            )
            assert not list(found), (path, region)
