"""Rules: merge and `extends`, resolution per table and column or pattern, and file:line errors."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from sanitizer import entities
from sanitizer.errors import EXIT_CONFIG, RulesError
from sanitizer.rules import RuleSet, read_rules
from sanitizer.shipped import rules_dir


def _rules(tmp_path: Path, text: str, name: str = "rules.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_read_rules_default_loads_shipped_files(shipped_rules: RuleSet) -> None:
    shown = [path for path, _ in shipped_rules.files]
    assert shown == ["rules/default.yaml", "rules/genesys.yaml"]
    assert shipped_rules.policy.unknown_columns == "detect"  # ad hoc runs default to detect
    assert shipped_rules.nlp.model is None  # no NER model unless one is named
    assert shipped_rules.safe_ranges_path == rules_dir() / "safe-ranges.yaml"


def test_read_rules_hash_is_stable_and_follows_content(tmp_path: Path) -> None:
    path = _rules(tmp_path, "version: 1\nextends: [default]\n")
    first, again = read_rules(path).hash, read_rules(path).hash
    path.write_text("version: 1\nextends: [default]\n# edited\n", encoding="utf-8")
    assert first == again
    assert read_rules(path).hash != first
    assert first.startswith("sha256:")


@pytest.mark.parametrize(
    ("column", "entity"),
    [
        # one pattern covers the spellings real exports use
        ("Cust First Nm", entities.FIRST_NAME),
        ("FirstName", entities.FIRST_NAME),
        ("first_name", entities.FIRST_NAME),
        ("FIRST NAME", entities.FIRST_NAME),
        ("Customer_First_Name", entities.FIRST_NAME),
        ("fname", entities.FIRST_NAME),
        ("LastName", entities.LAST_NAME),
        ("Surname", entities.LAST_NAME),
        ("last_name", entities.LAST_NAME),
        ("Name", entities.PERSON),
        ("full_name", entities.PERSON),
        ("Email", entities.EMAIL_ADDRESS),
        ("e-mail", entities.EMAIL_ADDRESS),
        ("HomePhone", entities.PHONE_NUMBER),
        ("mobile_number", entities.PHONE_NUMBER),
        ("Phone1", entities.PHONE_NUMBER),
        ("ani", entities.PHONE_NUMBER),  # Genesys: caller's number
        ("city", entities.LOCATION),
        ("AccountNumber", entities.IDENTIFIER),
        ("policy_no", entities.IDENTIFIER),
        ("card_number", entities.CREDIT_CARD),
        ("iban", entities.IBAN_CODE),
        ("Agent Notes", entities.FREE_TEXT),
        # nested JSON paths of the Genesys external-contact shape
        ("cellPhone.e164", entities.PHONE_NUMBER),
        ("workPhone.display", entities.PHONE_NUMBER),
        ("address.city", entities.LOCATION),
        ("identifiers[].value", entities.IDENTIFIER),
        ("customFields.agentNote", entities.FREE_TEXT),
        # a name field inside another object, not only at the top
        ("emergencyContact.name", entities.PERSON),
        ("householdMembers[].name", entities.PERSON),
        ("externalOrganization.name", "COMPANY"),  # Genesys's own, tried first
        # other languages' headers, with or without their accents
        ("Prénom", entities.FIRST_NAME),
        ("Voornaam", entities.FIRST_NAME),
        ("Nome", entities.FIRST_NAME),
        ("Nom de famille", entities.LAST_NAME),
        ("Cognome", entities.LAST_NAME),
        ("Achternaam", entities.LAST_NAME),
        ("Téléphone", entities.PHONE_NUMBER),
        ("Handy", entities.PHONE_NUMBER),
        ("Courriel", entities.EMAIL_ADDRESS),
        ("Straße", entities.ADDRESS),
        ("PLZ", "POSTCODE"),
        ("Ville", entities.LOCATION),
        ("Geburtsdatum", "DATE_OF_BIRTH"),
        ("Kundennummer", entities.IDENTIFIER),
        ("Remarque", entities.FREE_TEXT),
        ("Bemerkungen", entities.FREE_TEXT),
    ],
)
def test_resolve_shipped_patterns_find_entity(
    shipped_rules: RuleSet, column: str, entity: str
) -> None:
    resolved = shipped_rules.resolve("contacts", column)
    assert resolved is not None
    assert resolved.entity == entity
    assert resolved.kind == "pattern"
    assert resolved.source.startswith(("rules/default.yaml:", "rules/genesys.yaml:"))


@pytest.mark.parametrize(
    "column",
    [
        "inin-outbound-id",  # the Genesys contact id
        "ContactCallable",  # dialer system column
        "CallRecordLastAttempt-HomePhone",  # per-phone dialer column: not the phone itself
        "workPhone.countryCode",  # phone metadata
        "identifiers[].type",  # an enumeration
        "mergedFrom[].id",  # merge references: only their id and selfUri
        "mergeSet[].selfUri",
        "canonicalContact.id",
        "mergeOperation.resultingContact.selfUri",
        "externalDataSources[].platform",  # a CRM's name, such as SALESFORCE
    ],
)
def test_resolve_genesys_system_columns_are_kept_with_reason(
    shipped_rules: RuleSet, column: str
) -> None:
    resolved = shipped_rules.resolve("contacts", column)
    assert resolved is not None
    assert resolved.operator == "keep"
    assert resolved.reason


@pytest.mark.parametrize(
    ("column", "entity"),
    [
        ("mergedFrom[].firstName", entities.FIRST_NAME),
        ("mergeSet[].workEmail", entities.EMAIL_ADDRESS),
        ("mergedTo.cellPhone.e164", entities.PHONE_NUMBER),
        ("mergeOperation.sourceContact.name", entities.PERSON),
        ("externalDataSources[].url", entities.URL),
    ],
)
def test_resolve_genesys_references_keep_only_their_ids(
    shipped_rules: RuleSet, column: str, entity: str
) -> None:
    # Genesys documents the merge fields as references (id, selfUri). A whole contact embedded
    # there by another exporter is scrubbed like the contact itself, not kept with the reference.
    resolved = shipped_rules.resolve("external_contacts", column)
    assert resolved is not None
    assert resolved.entity == entity and resolved.operator != "keep"


@pytest.mark.parametrize(
    "column", ["Balance", "firstNameSource", "phoneType", "Company", "LastAttempt"]
)
def test_resolve_unrelated_columns_have_no_rule(shipped_rules: RuleSet, column: str) -> None:
    # Near misses must stay unknown so that policy decides (detect or fail), not a wrong rule.
    assert shipped_rules.resolve("contacts", column) is None


def test_resolve_ip_address_column_is_ip_address(shipped_rules: RuleSet) -> None:
    resolved = shipped_rules.resolve("contacts", "ip_address")
    assert resolved is not None and resolved.entity == entities.IP_ADDRESS


@pytest.mark.parametrize("column", ["email_opt_in", "Emailed"])
def test_resolve_email_flag_columns_are_not_email(shipped_rules: RuleSet, column: str) -> None:
    resolved = shipped_rules.resolve("contacts", column)
    assert resolved is None or resolved.entity != entities.EMAIL_ADDRESS


TABLE_RULES = """\
version: 1
extends: [default, genesys]
columns:
  - match: '^Email$'
    tables: 'archive_*'
    operator: keep
    reason: archived test addresses only
tables:
  contacts:
    columns:
      Email: {operator: hmac}
      Balance: {operator: keep, reason: "an amount"}
      cellPhone.e164: {operator: redact}
      Flagged: {entity: EMAIL_ADDRESS, verify: false}
  "uk_*":
    columns:
      Name: {entity: PERSON, operator: fake, params: {locale: en_GB}}
"""


@pytest.fixture(scope="module")
def table_rules(tmp_path_factory: pytest.TempPathFactory) -> RuleSet:
    return read_rules(_rules(tmp_path_factory.mktemp("rules"), TABLE_RULES))


@pytest.mark.parametrize(
    ("table", "column", "operator", "kind"),
    [
        ("contacts", "Email", "hmac", "table"),  # a table rule beats the shipped pattern
        ("other", "Email", "email", "pattern"),  # ... only for its own table
        ("archive_2026", "Email", "keep", "pattern"),  # a pattern limited to tables by glob
        ("archive", "Email", "email", "pattern"),  # ... and not outside the glob
        ("contacts", "cellPhone.e164", "redact", "table"),  # a nested path named in a table rule
        ("uk_renewals", "Name", "fake", "table"),  # a table glob
        ("contacts", "Balance", "keep", "table"),
    ],
)
def test_resolve_table_rule_then_pattern(
    table_rules: RuleSet, table: str, column: str, operator: str, kind: str
) -> None:
    resolved = table_rules.resolve(table, column)
    assert resolved is not None
    assert (resolved.operator, resolved.kind) == (operator, kind)


def test_resolve_table_rule_names_its_file_and_line(table_rules: RuleSet) -> None:
    resolved = table_rules.resolve("contacts", "Balance")
    assert resolved is not None
    assert resolved.source == "rules.yaml:12" or resolved.source.endswith("rules.yaml:12")
    assert resolved.reason == "an amount"
    assert resolved.match == "Balance"


def test_resolve_entity_only_rule_takes_entity_default_with_own_params(
    table_rules: RuleSet,
) -> None:
    resolved = table_rules.resolve("uk_x", "Name")
    assert resolved is not None
    dumped = resolved.params.model_dump()
    assert dumped["locale"] == "en_GB"
    flagged = table_rules.resolve("contacts", "Flagged")
    assert flagged is not None
    assert (flagged.operator, flagged.is_verified) == ("email", False)


def test_resolve_later_file_patterns_are_tried_first(tmp_path: Path) -> None:
    path = _rules(
        tmp_path,
        "version: 1\nextends: [default]\ncolumns:\n  - match: 'name$'\n    operator: redact\n",
    )
    resolved = read_rules(path).resolve("t", "FirstName")
    assert resolved is not None and resolved.operator == "redact"


def test_read_rules_policy_merges_only_given_fields(tmp_path: Path) -> None:
    path = _rules(tmp_path, "version: 1\nextends: [default]\npolicy: {unknown_columns: fail}\n")
    rules = read_rules(path)
    assert rules.policy.unknown_columns == "fail"
    assert rules.policy.regions == ["US", "GB", "AU", "CA", "IE", "FR", "DE"]  # from default.yaml


def test_read_rules_recognizer_supplies_entity_operator(tmp_path: Path) -> None:
    path = _rules(
        tmp_path,
        """\
version: 1
extends: [default]
recognizers:
  - name: PolicyRecognizer
    supported_entity: POLICY_NUMBER
    patterns: [{name: policy, regex: '\\bPOL-\\d{6}\\b', score: 0.8}]
    context: [policy]
    deny_list: [GOLDPLAN]
    operator: hmac
    params: {prefix: "POL-", length: 6}
tables:
  claims:
    columns:
      policy: {entity: POLICY_NUMBER}
""",
    )
    rules = read_rules(path)
    assert "POLICY_NUMBER" in rules.known_entities()
    resolved = rules.resolve("claims", "policy")
    assert resolved is not None
    assert (resolved.entity, resolved.operator) == ("POLICY_NUMBER", "hmac")
    assert resolved.params.model_dump()["prefix"] == "POL-"


def test_read_rules_recognizer_same_name_in_later_file_replaces(tmp_path: Path) -> None:
    _rules(
        tmp_path,
        "version: 1\nrecognizers:\n  - {name: R, supported_entity: A, deny_list: [x], operator: redact}\n",
        "base.yaml",
    )
    path = _rules(
        tmp_path,
        "version: 1\nextends: [base.yaml]\nrecognizers:\n  - {name: R, supported_entity: B, deny_list: [y], operator: redact}\n",
    )
    assert [r.supported_entity for r in read_rules(path).recognizers] == ["B"]


def test_read_rules_extends_relative_file_and_shared_base_loads_once(tmp_path: Path) -> None:
    _rules(tmp_path, "version: 1\nextends: [default]\n", "base.yaml")
    _rules(tmp_path, "version: 1\nextends: [base.yaml, default]\n", "mid.yaml")
    path = _rules(tmp_path, "version: 1\nextends: [mid.yaml, base.yaml]\n")
    shown = [Path(p).name for p, _ in read_rules(path).files]
    assert shown == ["default.yaml", "base.yaml", "mid.yaml", "rules.yaml"]


def test_read_rules_folder_loads_every_yaml_but_safe_ranges(tmp_path: Path) -> None:
    _rules(tmp_path, "version: 1\nextends: [default]\n", "a.yaml")
    _rules(tmp_path, "version: 1\npolicy: {unknown_columns: fail}\n", "b.yaml")
    (tmp_path / "notes.txt").write_text("not rules", encoding="utf-8")
    rules = read_rules(tmp_path)
    assert [Path(p).name for p, _ in rules.files] == ["default.yaml", "a.yaml", "b.yaml"]
    assert rules.policy.unknown_columns == "fail"


BASE = "version: 1\nextends: [default]\n"

# (case id, rules text, "line: key path" expected after the file name, phrase of what was expected)
BAD_RULES = [
    ("invalid-yaml", "version: 1\ncolumns: [\n  {match: x\n", "4", "invalid YAML"),
    ("top-level-list", "- match: x\n", "1", "expected a mapping"),
    ("unknown-top-key", "version: 1\ncolums: []\n", "2: colums", "unknown key"),
    (
        "unknown-rule-key",
        BASE + "columns:\n  - match: x\n    entitty: PERSON\n",
        "5: columns[0].entitty",
        "unknown key",
    ),
    (
        "unknown-operator",
        BASE + "columns:\n  - match: x\n    operator: scramble\n",
        "5: columns[0].operator",
        "unknown operator 'scramble'; expected one of: hmac",
    ),
    (
        "bad-regex",
        BASE + "columns:\n  - match: '(unclosed'\n    entity: PERSON\n",
        "4: columns[0].match",
        "invalid regex",
    ),
    (
        "bad-recognizer-regex",
        "version: 1\nrecognizers:\n  - name: R\n    supported_entity: X\n    patterns: [{name: p, regex: '[', score: 0.5}]\n",
        "5: recognizers[0].patterns[0].regex",
        "invalid regex",
    ),
    (
        "bad-score",
        "version: 1\nrecognizers:\n  - name: R\n    supported_entity: X\n    patterns: [{name: p, regex: x, score: 1.5}]\n",
        "5: recognizers[0].patterns[0].score",
        "less than or equal to 1",
    ),
    (
        "empty-recognizer",
        "version: 1\nrecognizers:\n  - name: R\n    supported_entity: X\n",
        "3: recognizers[0]",
        "needs `patterns`, `deny_list`",
    ),
    (
        "bad-params-range",
        BASE + "tables:\n  t:\n    columns:\n      a: {operator: hmac, params: {length: 2}}\n",
        "6: tables.t.columns.a.params.length",
        "greater than or equal to 4",
    ),
    (
        "bad-params-key",
        BASE + "tables:\n  t:\n    columns:\n      a: {operator: hmac, params: {colour: red}}\n",
        "6: tables.t.columns.a.params.colour",
        "operator hmac",
    ),
    (
        "bad-entity-params",
        BASE + "entities:\n  PERSON: {operator: fake, params: {provider: 3}}\n",
        "4: entities.PERSON.params.provider",
        "valid string",
    ),
    (
        "fake-provider-counting-from-today",
        BASE
        + "tables:\n  t:\n    columns:\n      a: {operator: fake, params: {provider: past_date}}\n",
        "6: tables.t.columns.a.params.provider",
        "counts from today's date",
    ),
    (
        "unknown-entity",
        BASE + "tables:\n  t:\n    columns:\n      a: {entity: SHOE_SIZE}\n",
        "6: tables.t.columns.a.entity",
        "unknown entity 'SHOE_SIZE'",
    ),
    (
        "rule-without-action",
        BASE + "columns:\n  - match: x\n    reason: why\n",
        "4: columns[0]",
        "needs `entity`, `operator`, or both",
    ),
    (
        "bad-policy",
        "version: 1\npolicy: {unknown_columns: ignore}\n",
        "2: policy.unknown_columns",
        "'detect' or 'fail'",
    ),
    (
        "bad-region",
        "version: 1\npolicy: {regions: [US, XX]}\n",
        "2: policy.regions",
        "unknown region 'XX'",
    ),
    ("bad-version", "version: 2\n", "1: version", "Input should be 1"),
    ("extends-not-list", "version: 1\nextends: default\n", "2: extends", "valid list"),
    (
        "extends-missing",
        "version: 1\nextends: [default, nothere]\n",
        "2: extends[1]",
        "no shipped rules named 'nothere'",
    ),
    (
        "safe-ranges-missing",
        "version: 1\nsafe_ranges: nothere.yaml\n",
        "2: safe_ranges",
        "file not found",
    ),
]


@pytest.mark.parametrize(
    ("text", "where", "expected"),
    [pytest.param(text, where, expected, id=case) for case, text, where, expected in BAD_RULES],
)
def test_read_rules_invalid_file_names_file_line_key_and_expectation(
    tmp_path: Path, text: str, where: str, expected: str
) -> None:
    path = _rules(tmp_path, text)
    with pytest.raises(RulesError) as caught:
        read_rules(path)
    message = str(caught.value)
    assert f"rules.yaml:{where}" in message
    assert expected in message
    assert caught.value.exit_code == EXIT_CONFIG


def test_read_rules_extends_cycle_raises(tmp_path: Path) -> None:
    _rules(tmp_path, "version: 1\nextends: [b.yaml]\n", "a.yaml")
    _rules(tmp_path, "version: 1\nextends: [a.yaml]\n", "b.yaml")
    with pytest.raises(RulesError, match="`extends` forms a cycle"):
        read_rules(tmp_path / "a.yaml")


def test_read_rules_extends_cycle_names_line_and_key_path(tmp_path: Path) -> None:
    _rules(tmp_path, "version: 1\nextends: [b.yaml]\n", "a.yaml")
    _rules(tmp_path, "version: 1\nextends: [a.yaml]\n", "b.yaml")
    with pytest.raises(RulesError, match=r"\.yaml:2: extends\[0\]"):
        read_rules(tmp_path / "a.yaml")


def test_read_rules_self_extends_is_a_cycle(tmp_path: Path) -> None:
    path = _rules(tmp_path, "version: 1\nextends: [rules.yaml]\n")
    with pytest.raises(RulesError, match="cycle"):
        read_rules(path)


def test_read_rules_entity_without_default_operator_raises(tmp_path: Path) -> None:
    # Without `extends: [default]` no entity has a default operator, so naming one is an error.
    path = _rules(tmp_path, "version: 1\ncolumns:\n  - match: x\n    entity: PERSON\n")
    with pytest.raises(RulesError, match=r"rules\.yaml:4: columns\[0\]\.entity"):
        read_rules(path)


def test_operator_for_an_entity_without_default_names_both_fixes(tmp_path: Path) -> None:
    # A file without `extends` has no entity defaults: the error says how to add one or take the shipped
    # ones (a detected column's entity reaches this at run time, not when the file is read).
    rules = read_rules(_rules(tmp_path, "version: 1\n"))
    with pytest.raises(RulesError, match=r"entities:.*extends: \[default\]"):
        rules.operator_for("FIRST_NAME")


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda p: p / "missing.yaml", "rules file not found"),
        (lambda p: p, "no rules files"),  # an empty folder
    ],
)
def test_read_rules_missing_path_raises(tmp_path: Path, make: object, expected: str) -> None:
    with pytest.raises(RulesError, match=expected):
        read_rules(make(tmp_path))  # type: ignore[operator]


def test_read_rules_not_utf8_raises(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_bytes(b"version: 1\n# caf\xe9\n")
    with pytest.raises(RulesError, match="not UTF-8"):
        read_rules(path)


def test_read_rules_demo_rules_are_valid() -> None:
    repo = Path(__file__).resolve().parents[1]
    rules = read_rules(repo / "fixtures" / "files" / "rules.yaml")
    assert rules.policy.unknown_columns == "fail"
    assert [r.name for r in rules.recognizers] == ["AccountNumberRecognizer"]
    assert "contacts" in rules.personas


def test_read_rules_relative_paths_show_relative_to_cwd(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "conf").mkdir()
    _rules(tmp_path / "conf", "version: 1\ncolums: []\n")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(RulesError) as caught:
        read_rules(Path("conf") / "rules.yaml")
    assert str(caught.value).startswith(f"conf{os.sep}rules.yaml:2: colums")


CATASTROPHIC = """\
version: 1
policy: {regex_timeout: 0.2}
recognizers:
  - name: PolicyRecognizer
    supported_entity: POLICY_NUMBER
    operator: redact
    patterns:
      - {name: policy, regex: '\\bPOL-\\d{8}\\b', score: 0.9}
      - {name: bad, regex: '(a|aa)+b', score: 0.9}
"""


def test_read_rules_catastrophic_recognizer_regex_is_refused_with_its_line(tmp_path: Path) -> None:
    # The nightly job would stop on the first long run of a's; the rules are refused before any data.
    with pytest.raises(RulesError) as caught:
        read_rules(_rules(tmp_path, CATASTROPHIC))
    message = str(caught.value)
    assert message.removeprefix(str(tmp_path) + "/").startswith(
        "rules.yaml:9: recognizers[0].patterns[1].regex: pattern 'bad' backtracks catastrophically: "
        "it ran longer than policy.regex_timeout (0.2 s) on 'a' repeated 1000 times"
    )


def test_read_rules_regex_timeout_defaults_to_one_second_and_must_be_positive(
    tmp_path: Path,
) -> None:
    assert read_rules(_rules(tmp_path, "version: 1\n")).policy.regex_timeout == 1.0
    with pytest.raises(RulesError, match=r"2: policy\.regex_timeout: .*greater than 0"):
        read_rules(_rules(tmp_path, "version: 1\npolicy: {regex_timeout: 0}\n"))


def test_read_rules_recognizer_regex_uses_presidio_syntax(tmp_path: Path) -> None:
    # `regex` syntax Python's `re` lacks (Unicode properties) is what Presidio accepts.
    text = CATASTROPHIC.replace("(a|aa)+b", "\\p{Lu}{2}\\d{6}")
    pattern = read_rules(_rules(tmp_path, text)).recognizers[0].patterns[1]
    assert pattern.regex == "\\p{Lu}{2}\\d{6}"
