"""End to end: after `refresh`, staging (read back through the API) mirrors production's structure and
holds none of production's names, emails or phones; two refreshes in a row leave it the same."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from typing import Any

from sanitizer.load import UPSERT_HOST
from sanitizer.pipeline import RunResult

from .conftest import Baseline
from .helpers import (
    NAME_COLUMNS,
    PRODUCTION_SEED,
    STRUCTURE,
    OrgState,
    as_e164,
    leaks,
    name_pairs,
    phones_in,
    production_originals,
    readings,
    unsafe_values,
)

SYSTEM_COLUMNS = ("ContactCallable", "Callable-", "AutomaticTimeZone-", "CallRecordLast")


def _phone_leaks(state: OrgState, originals: frozenset[str]) -> list[str]:
    return [
        where
        for where, text in state.strings
        if any(readings(p) & originals for p in phones_in(text))
    ]


# --- structure: staging holds what production holds --------------------------------------------


def test_refresh_staging_has_every_contact_list_with_production_structure(
    baseline: Baseline,
) -> None:
    staging, production = baseline.staging, baseline.production
    assert sorted(staging.contact_list_names) == sorted(production.contact_list_names)
    assert len(staging.contact_list_names) == 4
    for name, wanted in production.contact_lists.items():
        definition = staging.contact_lists[name]["definition"]
        assert {k: definition[k] for k in STRUCTURE} == {
            k: wanted["definition"][k] for k in STRUCTURE
        }, name


def test_refresh_staging_contact_lists_have_no_system_columns(baseline: Baseline) -> None:
    for name, contact_list in baseline.staging.contact_lists.items():
        columns = contact_list["definition"]["columnNames"]
        assert not [c for c in columns if c.startswith(SYSTEM_COLUMNS)], name
        assert "inin-outbound-id" not in columns, name


def test_refresh_staging_has_every_contact_of_every_list(baseline: Baseline) -> None:
    for name, wanted in baseline.production.contact_lists.items():
        assert set(baseline.staging.contact_lists[name]["contacts"]) == set(wanted["contacts"])
    assert sum(len(c["contacts"]) for c in baseline.staging.contact_lists.values()) == 1440


def test_refresh_staging_has_every_external_contact_once(baseline: Baseline) -> None:
    production_ids = set(production_originals().external_names)
    assert baseline.staging.external_contact_count == len(production_ids) == 200
    assert set(baseline.staging.external_contacts) == {UPSERT_HOST + i for i in production_ids}


def test_refresh_staging_has_every_data_table_with_schema_and_rows(baseline: Baseline) -> None:
    staging, production = baseline.staging, baseline.production
    assert sorted(staging.data_table_names) == sorted(production.data_table_names)
    for name, wanted in production.data_tables.items():
        table = staging.data_tables[name]
        assert table["definition"] == wanted["definition"], name
        assert table["row_count"] == wanted["row_count"] == len(table["rows"]), name
    assert sum(t["row_count"] for t in staging.data_tables.values()) == 196


def test_refresh_staging_keeps_what_is_not_personal_data(baseline: Baseline) -> None:
    """A staging org that mirrors production keeps amounts, enumerations, dates and flags."""
    staging, production = baseline.staging, baseline.production
    assert staging.data_tables["Holiday Schedule"] == production.data_tables["Holiday Schedule"]
    for name, column in (
        ("Collections Q3", "Balance Due"),
        ("UK Customer Callbacks", "PreferredTime"),
        ("AU Appointment Reminders", "appointment_date"),
    ):
        before = production.contact_lists[name]["contacts"]
        after = staging.contact_lists[name]["contacts"]
        assert {i: r[column] for i, r in after.items()} == {i: r[column] for i, r in before.items()}
    kept = Counter(
        (r["Reason"], r["Active"]) for r in staging.data_tables["ANI Block List"]["rows"].values()
    )
    assert kept == Counter(
        (r["Reason"], r["Active"])
        for r in production.data_tables["ANI Block List"]["rows"].values()
    )


def test_refresh_staging_has_production_flows_retargeted(baseline: Baseline) -> None:
    staging, production = baseline.staging, baseline.production
    assert sorted(staging.flow_names) == sorted(production.flow_names)
    assert len(staging.flow_names) == 3
    for name, flow in staging.flows.items():
        assert flow["type"] == production.flows[name]["type"]
        assert "prod.example.com" not in flow["yaml"], f"flow {name!r} still calls production"
    assert "crm.staging.example.net" in staging.flows["Main IVR"]["yaml"]


# --- nothing of production's people ------------------------------------------------------------


def test_refresh_staging_holds_no_original_email(baseline: Baseline) -> None:
    originals = production_originals()
    assert len(originals.emails) > 1000
    found = [w for w in leaks(baseline.staging, originals) if w.endswith("original email")]
    assert found == []


def test_refresh_staging_holds_no_original_phone(baseline: Baseline) -> None:
    """Every phone production holds (lists, external contacts, data tables, notes, flows): none in staging."""
    originals = production_originals()
    assert len(originals.phones) > 3000
    assert _phone_leaks(baseline.staging, originals.phones) == []


def test_refresh_staging_phone_never_equals_a_foreign_ani_key_of_production(
    baseline: Baseline,
) -> None:
    """ANI keys are E.164 without '+' (447700900393): replacements must avoid them as phones too."""
    originals = production_originals()
    foreign_ani = frozenset(p for p in originals.only_in("ANI keys") if not p.startswith("+1"))
    assert len(foreign_ani) == 10
    assert _phone_leaks(baseline.staging, foreign_ani) == []


def test_refresh_staging_phone_never_equals_a_number_from_a_production_flow(
    baseline: Baseline,
) -> None:
    """Numbers written only in flows are originals of the run: no table replacement may equal one."""
    in_flows = production_originals().only_in("flows")
    assert len(in_flows) == 3
    assert _phone_leaks(baseline.staging, in_flows) == []


def test_refresh_staging_no_contact_kept_its_own_name(baseline: Baseline) -> None:
    """Per contact (aligned by id), first and last name both changed: the verifier's own rule."""
    originals = production_originals()
    kept = []
    for name, (first, last) in NAME_COLUMNS.items():
        for contact_id, row in baseline.staging.contact_lists[name]["contacts"].items():
            was = originals.own_names[name][contact_id]
            if (
                row[first].casefold() == was[0].casefold()
                or row[last].casefold() == was[1].casefold()
            ):
                kept.append(f"{name} {contact_id}")
    for key, contact in baseline.staging.external_contacts.items():
        was = originals.external_names[key.removeprefix(UPSERT_HOST)]
        if (contact["firstName"].casefold(), contact["lastName"].casefold()) in {
            (was[0].casefold(), contact["lastName"].casefold()),
            (contact["firstName"].casefold(), was[1].casefold()),
        }:
            kept.append(f"external contact {key}")
    assert kept == []


def test_refresh_staging_no_contact_shows_its_own_full_name_anywhere(baseline: Baseline) -> None:
    """No external contact's original "first last" is written in any of its fields (display names)."""
    originals = production_originals()
    for key, contact in baseline.staging.external_contacts.items():
        first, last = originals.external_names[key.removeprefix(UPSERT_HOST)]
        assert f"{first} {last}".casefold() not in name_pairs(json.dumps(contact)), key


def test_refresh_staging_holds_no_original_full_name(baseline: Baseline) -> None:
    """Single fake names may equal real ones; a fake first and last name never spell a real person."""
    found = [w for w in leaks(baseline.staging, production_originals()) if w.endswith("full name")]
    assert found == []


def test_refresh_staging_holds_no_original_loyalty_number(baseline: Baseline) -> None:
    """Custom fields hold identifiers too (a loyalty number finds the customer in another system)."""
    numbers = {f["loyaltyNumber_text"] for f in production_originals().custom_fields.values()}
    assert len(numbers) == 200
    assert [w for w, text in baseline.staging.strings if text in numbers] == []


def test_refresh_staging_no_contact_kept_its_own_date_of_birth(baseline: Baseline) -> None:
    """Per contact: a date is a small space, so another person's date may come up; one's own may not."""
    staged = _by_production_id(baseline.staging.external_contacts)
    kept = [
        contact_id
        for contact_id, fields in production_originals().custom_fields.items()
        if staged[contact_id]["customFields"]["dateOfBirth_date"] == fields["dateOfBirth_date"]
    ]
    assert kept == []


def test_refresh_staging_phones_in_fiction_ranges_and_emails_at_reserved_domains(
    baseline: Baseline,
) -> None:
    assert unsafe_values(baseline.staging) == []


def _replacements(baseline: Baseline) -> dict[str, dict[str, set[str]]]:
    """For each phone production holds in Spring Renewal, an external contact and the ANI table:
    what staging holds in its place in each of the three."""
    production = baseline.production
    spring = production.contact_lists["Spring Renewal Campaign"]["contacts"]
    externals = _production_externals()
    ani = production.data_tables["ANI Block List"]["rows"]
    shared = (
        {as_e164(r["CellPhone"]) for r in spring.values()}
        & {c["cellPhone"]["e164"] for c in externals.values()}
        & {"+" + k for k in ani}
    )
    assert len(shared) >= 50
    replaced: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    staged_spring = baseline.staging.contact_lists["Spring Renewal Campaign"]["contacts"]
    for contact_id, row in spring.items():
        if (phone := as_e164(row["CellPhone"])) in shared:
            replaced[phone]["list"].add(as_e164(staged_spring[contact_id]["CellPhone"]))
    staged_external = _by_production_id(baseline.staging.external_contacts)
    for contact_id, contact in externals.items():
        if (phone := contact["cellPhone"]["e164"]) in shared:
            replaced[phone]["external"].add(staged_external[contact_id]["cellPhone"]["e164"])

    # ANI rows have no id: align them on what the scrub keeps (reason, date, flag) where unique.
    def signature(row: dict[str, Any]) -> tuple[Any, ...]:
        return (row["Reason"], row["Blocked Since"], row["Active"])

    unique_before = Counter(signature(r) for r in ani.values())
    staged_ani = {
        signature(r): r["key"]
        for r in baseline.staging.data_tables["ANI Block List"]["rows"].values()
    }
    for key, row in ani.items():
        if "+" + key in shared and unique_before[signature(row)] == 1:
            replaced["+" + key]["ani"].add("+" + staged_ani[signature(row)])
    assert sum(1 for r in replaced.values() if r["ani"]) >= 40
    return replaced


def test_refresh_same_phone_gets_one_replacement_in_list_and_external_contact(
    baseline: Baseline,
) -> None:
    replaced = _replacements(baseline)
    differ = [p for p, r in replaced.items() if len(r["list"] | r["external"]) != 1]
    assert differ == []
    assert all(p not in r["list"] for p, r in replaced.items())


def test_refresh_same_phone_gets_one_replacement_in_list_external_contact_and_ani_table(
    baseline: Baseline,
) -> None:
    replaced = _replacements(baseline)
    differ = [p for p, r in replaced.items() if len(r["list"] | r["external"] | r["ani"]) != 1]
    assert differ == []


def _by_production_id(contacts: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {key.removeprefix(UPSERT_HOST): contact for key, contact in contacts.items()}


def _production_externals() -> dict[str, dict[str, Any]]:
    lines = (PRODUCTION_SEED / "external-contacts.jsonl").read_text("utf-8").splitlines()
    return {(c := json.loads(line))["id"]: c for line in lines}


# --- the run's record ------------------------------------------------------------------------


def test_refresh_leaves_report_manifest_summary_and_journal_in_its_run_folder(
    baseline: Baseline,
) -> None:
    folder = baseline.result.run_dir
    assert folder == baseline.orgs.runs / baseline.result.run_id
    for name in ("scrub-report.html", "scrub-report.json", "manifest.json", "summary.json"):
        assert (folder / name).is_file(), name
    journal = [json.loads(line) for line in (folder / "journal.jsonl").read_text().splitlines()]
    assert len(journal) == 11 and all(entry["status"] == "done" for entry in journal)
    summary = json.loads((folder / "summary.json").read_text())
    assert (
        summary["verified"] is True and summary["resumed"] is False and summary["dry_run"] is False
    )
    assert summary["target_org"]["id"] == baseline.orgs.staging.org_id
    assert [s["action"] for s in summary["steps"]].count("create") == 7
    assert (summary["status"], summary["exit_code"], summary["staging"]) == (
        "finished",
        0,
        "loaded",
    )
    # What staging holds now, step by step: every step done, its rows there.
    assert {(s["is_done"], s["is_skipped"], s["status"]) for s in summary["steps"]} == {
        (True, False, "done")
    }
    assert all(s["existing_rows"] == s["rows"] for s in summary["steps"])


def test_refresh_removes_the_raw_snapshot_and_keeps_the_clean_one(baseline: Baseline) -> None:
    assert not (baseline.snapshot / "raw").exists()
    manifest = json.loads((baseline.snapshot / "clean" / "manifest.json").read_text())
    assert manifest["verification"] == "passed" and manifest["findings"] == 0
    assert sum(t["rows"] for t in manifest["tables"]) == 1440 + 200 + 196
    assert len(manifest["flows"]) == 3


# --- idempotent -------------------------------------------------------------------------------


def test_refresh_twice_leaves_staging_identical(
    baseline: Baseline, refreshed_again: tuple[RunResult, OrgState]
) -> None:
    _, again = refreshed_again
    assert again.normalised() == baseline.staging.normalised()


def test_refresh_twice_creates_no_duplicates(
    baseline: Baseline, refreshed_again: tuple[RunResult, OrgState]
) -> None:
    _, again = refreshed_again
    for names in (again.contact_list_names, again.data_table_names, again.flow_names):
        assert len(names) == len(set(names))
    assert (len(again.contact_list_names), len(again.data_table_names), len(again.flow_names)) == (
        4,
        3,
        3,
    )
    assert again.external_contact_count == 200
    assert sum(len(c["contacts"]) for c in again.contact_lists.values()) == 1440


def test_refresh_twice_second_run_replaces_instead_of_creating(
    refreshed_again: tuple[RunResult, OrgState],
) -> None:
    result, _ = refreshed_again
    assert result.load is not None
    actions = {s.kind: s.action for s in result.load.steps}
    assert actions == {
        "contact_list": "replace",
        "external_contacts": "upsert",
        "data_table": "replace",
        "flow": "unchanged",  # staging already holds exactly the rendered flow
    }


def test_refresh_twice_leaves_each_flow_at_its_version(
    baseline: Baseline, refreshed_again: tuple[RunResult, OrgState]
) -> None:
    # An import publishes a new version even without a change: the second run imports nothing.
    _, again = refreshed_again
    assert set(baseline.staging.flow_versions.values()) == {"1.0"}
    assert again.flow_versions == baseline.staging.flow_versions
