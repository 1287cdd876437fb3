"""Shared pieces of the refresh tests: two emulated orgs and their run config, a read-back of an org
through the API, and the original values of the fixture production org, with independent checks.

The checks here are written again on purpose (phone parsing, fiction ranges, reserved domains): they
share no code with the scrub or the verifier, so a bug there cannot hide the leak it causes.
"""

from __future__ import annotations

import copy
import csv
import io
import itertools
import json
import re
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import phonenumbers
import yaml

from sanitizer.config import LoadedConfig, read_config
from sanitizer.emulator.testing import EmulatorHandle, running_emulator
from sanitizer.genesys import GenesysClient, PollPolicy, RetryPolicy
from sanitizer.runs import lock_path
from sanitizer.shipped import fixtures_dir, rules_dir

ORGS = fixtures_dir() / "orgs"
PRODUCTION_SEED = ORGS / "production"
STAGING_SEED = ORGS / "staging"
FIXTURE_RULES = ORGS / "rules.yaml"
MAPPINGS = rules_dir() / "mappings"
KEY = "pipeline-tests-scrub-key-0123456789abcdef"
PRODUCTION_ID_ENV, PRODUCTION_SECRET_ENV = (
    "PIPELINE_TEST_PRODUCTION_CLIENT_ID",
    "PIPELINE_TEST_PRODUCTION_CLIENT_SECRET",
)
STAGING_ID_ENV, STAGING_SECRET_ENV = (
    "PIPELINE_TEST_STAGING_CLIENT_ID",
    "PIPELINE_TEST_STAGING_CLIENT_SECRET",
)
PRODUCTION_CLIENT = ("pipeline-production-client", "pipeline-production-secret-0123")
STAGING_CLIENT = ("pipeline-staging-client", "pipeline-staging-secret-4567")
# The brief's short retry policy: the same shape as production's, on a test's time scale.
FAST_RETRY = {"max_attempts": 8, "base_delay_s": 0.05, "max_delay_s": 0.2}
READ_RETRY = RetryPolicy(attempts=10, wait_initial=0.01, wait_max=0.05, wait_jitter=0.01)
READ_POLL = PollPolicy(interval=0.01, max_interval=0.05, timeout=30)

# What identifies a person in each contact list (first name column, last name column).
NAME_COLUMNS = {
    "Spring Renewal Campaign": ("FirstName", "LastName"),
    "Collections Q3": ("Cust First Nm", "Cust Last Nm"),
    "UK Customer Callbacks": ("Forename", "Surname"),
    "AU Appointment Reminders": ("given_name", "family_name"),
}
LIST_REGION = {"UK Customer Callbacks": "GB", "AU Appointment Reminders": "AU"}
STRUCTURE = ("name", "columnNames", "phoneColumns", "emailColumns")
# Fields an org adds to what it stores: they differ between orgs and between runs by design.
ORG_NOISE = frozenset(
    {"id", "selfUri", "version", "dateCreated", "dateModified", "createDate", "modifyDate"}
)

# Published fiction ranges (NANP 555-0100..0199, Ofcom drama numbers, ACMA creative-works numbers)
# and reserved email domains (RFC 2606 example.*, RFC 6761 .test/.invalid): written out again here.
_FICTIONAL = re.compile(
    r"\+1[2-9]\d\d55501\d\d"
    r"|\+44(?:(?:113|114|115|116|117|118|121|131|141|151|161)4960\d{3}|1914980\d{3}|2079460\d{3}"
    r"|2920180\d{3}|7700900\d{3}|8081570\d{3}|9098790\d{3}|3069990\d{3}|1632960\d{3})"
    r"|\+61[2378](?:5550|7010)\d{4}|\+614915\d{5}"
)
_RESERVED_EMAIL = re.compile(
    r"@(?:[\w-]+\.)*(?:example\.(?:com|net|org)|[\w-]+\.(?:test|invalid|example))$", re.IGNORECASE
)
EMAIL = re.compile(r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
PHONE_LIKE = re.compile(r"(?<![\w+\-])\+?[\d(][\d\s().\-/]{7,24}\d(?![\w\-])")
_NAME_WORDS = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")


def is_fictional(e164: str) -> bool:
    return _FICTIONAL.fullmatch(e164) is not None


def is_reserved_email(address: str) -> bool:
    return _RESERVED_EMAIL.search(address) is not None


def readings(candidate: str) -> set[str]:
    """Every E.164 number a phone-like string can be read as (in the fixture's three countries)."""
    digits = re.sub(r"\D", "", candidate)
    if len(digits) < 9:
        return set()
    found = set()
    regions = ("US",) if candidate.strip().startswith("+") else ("US", "GB", "AU")
    if len(digits) == 11 and digits.startswith("1") and not candidate.strip().startswith("+"):
        found.add("+" + digits)  # E.164 without its plus, as ANI tables key their rows
    for region in regions:
        try:
            number = phonenumbers.parse(candidate, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_possible_number(number):
            found.add(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))
    return found


def as_e164(value: str) -> str:
    """The one fictional reading of a fixture phone (every fixture phone is fictional)."""
    fictional = sorted(r for r in readings(value) if is_fictional(r))
    assert fictional, f"not a fictional phone: {value!r}"
    return fictional[0]


def phones_in(text: str) -> list[str]:
    return [m for m in PHONE_LIKE.findall(text) if len(re.sub(r"\D", "", m)) >= 9]


def name_pairs(text: str) -> set[str]:
    """Every two consecutive words (casefolded): where a full name written out would show."""
    words = [w.casefold() for w in _NAME_WORDS.findall(text)]
    return {f"{a} {b}" for a, b in itertools.pairwise(words)}


def strings_of(value: Any, where: str) -> Iterator[tuple[str, str]]:
    """(path, text) for every string inside a JSON-like value."""
    if isinstance(value, str):
        yield where, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from strings_of(item, f"{where}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from strings_of(item, f"{where}[{index}]")


# ---------------------------------------------------------------------------------------------
# The original values of the fixture production org, read from its files (not through the product).


@dataclass(frozen=True)
class Originals:
    """Production's names, emails and phones, and who holds which (by production id)."""

    emails: frozenset[str]
    phones_by_source: dict[str, frozenset[str]]  # E.164, by where production holds them
    full_names: frozenset[str]  # "first last", casefolded
    own_names: dict[str, dict[str, tuple[str, str]]]  # list name -> contact id -> (first, last)
    external_names: dict[str, tuple[str, str]]  # external contact id -> (first, last)
    custom_fields: dict[str, dict[str, str]]  # external contact id -> its customFields

    @property
    def phones(self) -> frozenset[str]:
        return frozenset().union(*self.phones_by_source.values())

    def only_in(self, source: str) -> frozenset[str]:
        """Phones production holds in `source` and nowhere else."""
        others = [v for k, v in self.phones_by_source.items() if k != source]
        return self.phones_by_source[source] - frozenset().union(*others)


def _rows(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def _list_rows(slug: str) -> tuple[dict[str, Any], list[dict[str, str]]]:
    definition = json.loads((PRODUCTION_SEED / "contact-lists" / f"{slug}.json").read_text())
    with (PRODUCTION_SEED / "contact-lists" / f"{slug}.csv").open(encoding="utf-8") as handle:
        return definition, list(csv.DictReader(handle))


def _text_phones(texts: list[str]) -> set[str]:
    return {r for t in texts for p in phones_in(t) for r in readings(p) if is_fictional(r)}


@cache
def production_originals() -> Originals:
    """Every name, email and phone of the fixture production org, read from its files."""
    phones: dict[str, set[str]] = {}
    full: set[str] = set()
    own: dict[str, dict[str, tuple[str, str]]] = {}
    texts: list[str] = []
    found: set[str] = set()
    for path in sorted((PRODUCTION_SEED / "contact-lists").glob("*.json")):
        definition, rows = _list_rows(path.stem)
        first, last = NAME_COLUMNS[definition["name"]]
        region = LIST_REGION.get(definition["name"], "US")
        phone_columns = [c["columnName"] for c in definition["phoneColumns"]]
        own[definition["name"]] = {}
        for row in rows:
            own[definition["name"]][row["inin-outbound-id"]] = (row[first], row[last])
            full.add(f"{row[first]} {row[last]}".casefold())
            found.update(_e164(row[c], region) for c in phone_columns if row[c])
            texts += [v for k, v in row.items() if k != "inin-outbound-id"]
    phones["contact lists"] = found | _text_phones(texts)
    external: dict[str, tuple[str, str]] = {}
    custom: dict[str, dict[str, str]] = {}
    found, texts = set(), []
    for contact in _rows(PRODUCTION_SEED / "external-contacts.jsonl"):
        external[contact["id"]] = (contact["firstName"], contact["lastName"])
        full.add(f"{contact['firstName']} {contact['lastName']}".casefold())
        for where, text in strings_of(contact, ""):
            if where.endswith(".e164"):
                found.add(text)
            elif where.endswith((".display", ".userInput")):
                found.add(as_e164(text))
            elif where.endswith((".name", ".displayName")) and where.startswith(
                (".twitterId", ".whatsAppId", ".facebookId", ".instagramId")
            ):
                full.add(text.casefold())
            texts.append(text)
        custom[contact["id"]] = {k: str(v) for k, v in (contact.get("customFields") or {}).items()}
    phones["external contacts"] = found | _text_phones(texts)
    ani = _rows(PRODUCTION_SEED / "datatables" / "ani-block-list.rows.jsonl")
    phones["ANI keys"] = {"+" + row["key"] for row in ani}
    vip = _rows(PRODUCTION_SEED / "datatables" / "vip-customers.rows.jsonl")
    full.update(n.casefold() for row in vip for n in (row["Name"], row["Account Manager"]))
    texts = [str(v) for row in ani + vip for k, v in row.items() if k != "key" or "@" in v]
    phones["data tables"] = _text_phones(texts)
    flows = [p.read_text("utf-8") for p in sorted((PRODUCTION_SEED / "flows").glob("*.yaml"))]
    phones["flows"] = _text_phones(flows)
    files = [p.read_text("utf-8") for p in sorted(PRODUCTION_SEED.rglob("*")) if p.is_file()]
    emails = {e.casefold() for text in files for e in EMAIL.findall(text)}
    return Originals(
        emails=frozenset(emails),
        phones_by_source={k: frozenset(v) for k, v in phones.items()},
        full_names=frozenset(full),
        own_names=own,
        external_names=external,
        custom_fields=custom,
    )


def _e164(value: str, region: str) -> str:
    number = phonenumbers.parse(value, region)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


# ---------------------------------------------------------------------------------------------
# An org, read back through the API.


@dataclass
class OrgState:
    """What an org returns through the API, keyed so that two orgs (or two runs) compare."""

    contact_list_names: list[str] = field(default_factory=list)
    contact_lists: dict[str, dict[str, Any]] = field(default_factory=dict)
    external_contacts: dict[str, dict[str, Any]] = field(default_factory=dict)
    external_contact_count: int = 0
    data_table_names: list[str] = field(default_factory=list)
    data_tables: dict[str, dict[str, Any]] = field(default_factory=dict)
    flow_names: list[str] = field(default_factory=list)
    flows: dict[str, dict[str, str]] = field(default_factory=dict)
    flow_versions: dict[str, str] = field(default_factory=dict)  # published version id by name
    strings: list[tuple[str, str]] = field(default_factory=list)

    def normalised(self) -> dict[str, Any]:
        """Everything but ids, versions and dates: equal for two orgs holding the same data."""
        return {
            "contact_lists": self.contact_lists,
            "external_contacts": self.external_contacts,
            "data_tables": self.data_tables,
            "flows": self.flows,
        }

    @property
    def is_empty(self) -> bool:
        return not (
            self.contact_list_names
            or self.external_contact_count
            or self.data_table_names
            or self.flow_names
        )


def _without_noise(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_noise(v) for k, v in value.items() if k not in ORG_NOISE}
    if isinstance(value, list):
        return [_without_noise(v) for v in value]
    return value


def _export_rows(content: bytes) -> list[dict[str, str]]:
    reader = csv.reader(io.StringIO(content.decode("utf-8-sig"), newline=""))
    header = [name.strip().strip('"\ufeff') for name in next(reader)]
    return [dict(zip(header, row, strict=True)) for row in reader if row]


@contextmanager
def api_client(handle: EmulatorHandle) -> Iterator[GenesysClient]:
    with GenesysClient(
        handle.base_url,
        handle.base_url,
        handle.client_id,
        handle.client_secret,
        retry=READ_RETRY,
        poll=READ_POLL,
    ) as client:
        yield client


def read_org(handle: EmulatorHandle) -> OrgState:
    """An org's contact lists (with contents), external contacts, data tables (with rows) and flows."""
    state = OrgState()
    with api_client(handle) as client:
        for entity in client.outbound.list_contact_lists():
            name = str(entity["name"])
            state.contact_list_names.append(name)
            definition = client.outbound.get_contact_list(str(entity["id"]))
            rows = _export_rows(client.outbound.export_contacts(str(entity["id"])))
            columns = definition["columnNames"]
            state.contact_lists[name] = {
                "definition": {k: definition.get(k) for k in STRUCTURE},
                "contacts": {r["inin-outbound-id"]: {c: r[c] for c in columns} for r in rows},
                "export_columns": sorted(rows[0]) if rows else [],
            }
            state.strings += strings_of(definition, f"contact list {name!r} definition")
            for number, row in enumerate(rows, start=1):
                state.strings += strings_of(row, f"contact list {name!r} row {number}")
        for contact in client.external_contacts.scan():
            state.external_contact_count += 1
            key = str(contact.get("externalSystemUrl") or contact["id"])
            state.external_contacts[key] = _without_noise(
                {k: v for k, v in contact.items() if k != "division"}
            )
            state.strings += strings_of(contact, f"external contact {contact['id']}")
        for entity in client.datatables.list(expand_schema=True):
            name = str(entity["name"])
            state.data_table_names.append(name)
            rows = list(client.datatables.rows(str(entity["id"])))
            state.data_tables[name] = {
                "definition": {
                    "description": entity.get("description"),
                    "schema": entity.get("schema"),
                },
                "rows": {str(r["key"]): r for r in rows},
                "row_count": len(rows),
            }
            state.strings += strings_of(entity, f"data table {name!r}")
            for row in rows:
                state.strings += strings_of(row, f"data table {name!r} row")
        flows = list(client.flows.list())
        exported = client.flows.export([str(f["id"]) for f in flows]) if flows else {}
        for flow in flows:
            name = str(flow["name"])
            state.flow_names.append(name)
            text = exported[str(flow["id"])].decode("utf-8")
            state.flows[name] = {"type": str(flow.get("type")), "yaml": text}
            state.flow_versions[name] = str((flow.get("publishedVersion") or {}).get("id"))
            state.strings.append((f"flow {name!r}", text))
    return state


# ---------------------------------------------------------------------------------------------
# Leak checks over everything an org returns.


def leaks(state: OrgState, originals: Originals) -> list[str]:
    """Where an original email, phone or full name of production shows in an org (no values shown)."""
    found = []
    for where, text in state.strings:
        if any(e.casefold() in originals.emails for e in EMAIL.findall(text)):
            found.append(f"{where}: an original email")
        if any(readings(p) & originals.phones for p in phones_in(text)):
            found.append(f"{where}: an original phone")
        if name_pairs(text) & originals.full_names:
            found.append(f"{where}: an original full name")
    return found


def unsafe_values(state: OrgState) -> list[str]:
    """Where an org holds an email outside reserved domains or a phone outside the fiction ranges."""
    found = []
    for where, text in state.strings:
        if any(not is_reserved_email(e) for e in EMAIL.findall(text)):
            found.append(f"{where}: an email outside reserved domains")
        for candidate in phones_in(text):
            options = readings(candidate)
            if options and not any(is_fictional(r) for r in options):
                found.append(f"{where}: a phone outside the fiction ranges")
    return found


# ---------------------------------------------------------------------------------------------
# Two emulated orgs and a run config for them.


def deep_merge(base: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """`base` with `changes` applied (nested mappings merge; None removes a key)."""
    merged = copy.deepcopy(base)
    for key, value in changes.items():
        if value is None:
            merged.pop(key, None)
        elif isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


@dataclass
class Orgs:
    """A production and a staging emulator on loopback, and a folder holding a run config for them."""

    production: EmulatorHandle
    staging: EmulatorHandle
    folder: Path

    @property
    def config(self) -> Path:
        return self.folder / "refresh.yaml"

    @property
    def snapshots(self) -> Path:
        return self.folder / "snapshots"

    @property
    def runs(self) -> Path:
        return self.folder / "runs"

    @property
    def lock(self) -> Path:
        """The staging org's lock file."""
        return lock_path(self.folder / "locks", self.staging.org_id)

    def document(self, **changes: Any) -> dict[str, Any]:
        base = {
            "version": 1,
            "source": {
                "name": "production (emulated)",
                "role": "production",
                "base_url": self.production.base_url,
                "client_id_env": PRODUCTION_ID_ENV,
                "client_secret_env": PRODUCTION_SECRET_ENV,
                "expected_org_id": self.production.org_id,
            },
            "target": {
                "name": "staging (emulated)",
                "role": "staging",
                "base_url": self.staging.base_url,
                "client_id_env": STAGING_ID_ENV,
                "client_secret_env": STAGING_SECRET_ENV,
                "expected_org_id": self.staging.org_id,
            },
            "staging_org_ids": [self.staging.org_id],
            "extract": {
                "contact_lists": {"all": True},
                "external_contacts": True,
                "data_tables": {"names": ["*"]},
                "flows": {
                    "names": ["*"],
                    "mappings": str(MAPPINGS),
                    "target_mapping": "staging",
                },
            },
            "rules": str(FIXTURE_RULES),
            "snapshots_dir": "snapshots",
            "runs_dir": "runs",
            # The fixture orgs' ids are fixed: tests running side by side must not share the host's lock.
            "lock_dir": "locks",
            "retry": dict(FAST_RETRY),
        }
        return deep_merge(base, changes)

    def write_config(self, name: str = "refresh.yaml", **changes: Any) -> Path:
        """Write the run config (with `changes` merged in) next to the runs; returns its path."""
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / name
        path.write_text(yaml.safe_dump(self.document(**changes), sort_keys=False), "utf-8")
        return path

    def loaded(self, path: Path | None = None) -> LoadedConfig:
        return read_config(path or self.config)

    def env(self) -> dict[str, str]:
        """The environment a run needs: both orgs' credentials and the scrub key."""
        return {
            PRODUCTION_ID_ENV: self.production.client_id,
            PRODUCTION_SECRET_ENV: self.production.client_secret,
            STAGING_ID_ENV: self.staging.client_id,
            STAGING_SECRET_ENV: self.staging.client_secret,
            "SANITIZER_KEY": KEY,
        }

    def run_ids(self) -> list[str]:
        return (
            sorted(p.name for p in self.runs.iterdir() if p.is_dir()) if self.runs.exists() else []
        )


@contextmanager
def running_orgs(
    folder: Path, *, staging_seed: Path = STAGING_SEED, production_seed: Path = PRODUCTION_SEED
) -> Iterator[Orgs]:
    """Production (seeded with data) and staging (empty) on free loopback ports; jobs finish at once."""
    with (
        running_emulator(
            folder / "orgs" / "production",
            seed=production_seed,
            client_id=PRODUCTION_CLIENT[0],
            client_secret=PRODUCTION_CLIENT[1],
            job_polls=0,
        ) as production,
        running_emulator(
            folder / "orgs" / "staging",
            seed=staging_seed,
            client_id=STAGING_CLIENT[0],
            client_secret=STAGING_CLIENT[1],
            job_polls=0,
        ) as staging,
    ):
        orgs = Orgs(production, staging, folder / "work")
        orgs.write_config()
        yield orgs


def store_dump(handle: EmulatorHandle) -> list[tuple[str, str, str, str]]:
    """Every document an emulated org holds, read from its SQLite file (for 'nothing was written')."""
    path = handle.emulator.config.data_dir / "org.sqlite3"
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
        rows = db.execute("SELECT kind, parent, id, body FROM documents ORDER BY kind, parent, id")
        return [(str(k), str(p), str(i), str(b)) for k, p, i, b in rows]
