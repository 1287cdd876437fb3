"""Classifying a column by a sample of its values with Presidio, and recording the evidence."""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import TYPE_CHECKING, Any

from presidio_analyzer import (
    AnalysisExplanation,
    AnalyzerEngine,
    EntityRecognizer,
    Pattern,
    PatternRecognizer,
    RecognizerRegistry,
    RecognizerResult,
)
from presidio_analyzer.nlp_engine import NlpArtifacts, NlpEngineProvider
from presidio_analyzer.predefined_recognizers import (
    CreditCardRecognizer,
    EmailRecognizer,
    IbanRecognizer,
    IpRecognizer,
    PhoneRecognizer,
    UsSsnRecognizer,
)

from sanitizer import entities
from sanitizer.detect.evidence import WHOLE_VALUE, ColumnEvidence, name_part, sample
from sanitizer.detect.names import NameFinder, name_shaped, name_tokens
from sanitizer.detect.offline import spacy_pipeline_path, use_bundled_suffix_list
from sanitizer.detect.text import TextScanner
from sanitizer.errors import PatternTimeoutError
from sanitizer.patterns import PRESIDIO_FLAGS, BoundedPattern
from sanitizer.report.model import NAME_SHAPE
from sanitizer.rules import RuleSet

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence


class NameGazetteerRecognizer(EntityRecognizer):
    """Presidio wrapper of the model-free name finder (run's known names + gazetteer + titles)."""

    def __init__(self, finder: NameFinder) -> None:
        self.finder = finder
        super().__init__(
            supported_entities=[entities.PERSON],
            name="NameGazetteerRecognizer",
            supported_language="en",
        )

    def load(self) -> None:
        """Nothing to load: the gazetteer is bundled."""

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[Any]:
        return [
            RecognizerResult(
                "PERSON",
                span.start,
                span.end,
                span.score,
                AnalysisExplanation(
                    recognizer="NameGazetteerRecognizer", original_score=span.score
                ),
            )
            for span in self.finder.find(text)
        ]


def build_analyzer(rules: RuleSet, finder: NameFinder) -> AnalyzerEngine:
    """A Presidio analyzer that never downloads anything: no NLP model unless one is installed and named."""
    use_bundled_suffix_list()
    if rules.nlp.model:
        model = spacy_pipeline_path(rules.nlp.model)
        config = {"nlp_engine_name": "spacy", "models": [{"lang_code": "en", "model_name": model}]}
    else:
        config = {"nlp_engine_name": "no_op", "models": [{"lang_code": "en", "model_name": "none"}]}
    nlp_engine = NlpEngineProvider(nlp_configuration=config).create_engine()
    registry = RecognizerRegistry(supported_languages=["en"])
    regions = tuple(rules.policy.regions)
    for recognizer in (
        EmailRecognizer(),
        PhoneRecognizer(supported_regions=regions),
        CreditCardRecognizer(),
        IbanRecognizer(),
        IpRecognizer(),
        UsSsnRecognizer(),
        NameGazetteerRecognizer(finder),
    ):
        registry.add_recognizer(recognizer)
    for custom in rules.recognizers:
        # Presidio wants None (not an empty list) for an absent patterns/deny_list/context.
        optional: dict[str, Any] = {
            "patterns": [Pattern(p.name, p.regex, p.score) for p in custom.patterns] or None,
            "deny_list": custom.deny_list or None,
            "context": custom.context or None,
        }
        custom_recognizer = PatternRecognizer(
            supported_entity=custom.supported_entity,
            name=custom.name,
            supported_language=custom.supported_language,
            deny_list_score=custom.deny_list_score,
            global_regex_flags=PRESIDIO_FLAGS,
            **optional,
        )
        _bound(custom_recognizer, rules)
        registry.add_recognizer(custom_recognizer)
    if rules.nlp.model:
        from presidio_analyzer.predefined_recognizers import SpacyRecognizer

        registry.add_recognizer(SpacyRecognizer(supported_entities=["PERSON"]))
    return AnalyzerEngine(nlp_engine=nlp_engine, registry=registry, supported_languages=["en"])


class _PresidioRegex:
    """What a Presidio `Pattern` holds as its compiled regex, bounded as the scanner bounds it.

    Presidio gives a pattern 60 seconds per text (`REGEX_TIMEOUT_SECONDS`) and then skips it with a
    warning: a column could be classified without it, and a sample of 200 values could take hours.
    Here the rules' budget applies and a timeout stops the run (`PatternTimeoutError`, which Presidio
    does not catch)."""

    def __init__(self, bounded: BoundedPattern) -> None:
        self.bounded = bounded

    def finditer(self, text: str, timeout: float | None = None) -> Iterable[Any]:
        return self.bounded.finditer(text)  # the rules' budget, not Presidio's


def _bound(recognizer: Any, rules: RuleSet) -> None:
    """Give a recognizer's patterns (and its deny list's, which Presidio appends last) their compiled
    regexes now, bounded: Presidio compiles a pattern only when it has none for the flags in use."""
    name: str = recognizer.name
    patterns: list[Any] = recognizer.patterns  # Presidio types `compiled_regex` as None
    for index, pattern in enumerate(patterns):
        is_deny = pattern.name == "deny_list" and index == len(patterns) - 1
        bounded = BoundedPattern.of(
            pattern.regex,
            rules.pattern_source(name, -1 if is_deny and recognizer.deny_list else index),
            name,
            pattern.name,
            rules.policy.regex_timeout,
        )
        pattern.compiled_regex = _PresidioRegex(bounded)
        pattern.compiled_with_flags = PRESIDIO_FLAGS


def classify(
    column: str,
    values: Sequence[str],
    analyzer: AnalyzerEngine,
    scanner: TextScanner,
    rules: RuleSet,
) -> ColumnEvidence:
    """The entity a column holds, judged from a sample: whole-value matches, else free text, else none."""
    picked = sample(values, rules.policy.sample_size, seed=column)
    context = name_tokens(column.replace(".", " ").replace("_", " "))
    whole: Counter[str] = Counter()
    partial = 0
    scores: dict[str, list[float]] = defaultdict(list)
    recognizers: set[str] = set()
    # Values written as names, those with a name word among them, and values holding another entity.
    named = with_name_word = other = 0
    entities_wanted = sorted(
        rules.known_entities() - {entities.FREE_TEXT} | {entities.PERSON, "US_SSN"}
    )
    for value in picked:
        try:
            results = analyzer.analyze(
                text=value, language="en", entities=entities_wanted, context=context
            )
            spans = scanner.scan(value)
        except PatternTimeoutError as exc:
            exc.text_index = values.index(value)  # the caller knows its table, column and row
            raise
        found = [
            (
                r.entity_type,
                r.start,
                r.end,
                r.score,
                (r.recognition_metadata or {}).get("recognizer_name", ""),
            )
            for r in results
            if r.score >= rules.policy.min_score or r.entity_type == entities.PHONE_NUMBER
        ]
        # The fast scanner also knows the fictional phone ranges Presidio's validator rejects.
        found += [(s.entity, s.start, s.end, s.score, s.recognizer) for s in spans]
        if not found and scanner.names.is_name_value(value):
            # A cell that is only a name ("Priya", "Ada Lovelace"): the name finder wants context in prose.
            found = [(entities.PERSON, 0, len(value), 0.7, "NameValueRecognizer")]
        if any(f[0] != entities.PERSON for f in found):
            other += 1
        elif name_shaped(value):
            named += 1
            with_name_word += scanner.names.has_name_word(value)
        stripped = len(value.strip()) or 1
        best = max(found, key=lambda f: (f[2] - f[1], f[3]), default=None)
        for entity, _start, _end, score, recognizer in found:
            scores[entity].append(score)
            recognizers.add(recognizer)
        if best is not None and (best[2] - best[1]) / stripped >= WHOLE_VALUE:
            whole[best[0]] += 1
        elif found:
            partial += 1
    mean = {e: round(sum(s) / len(s), 3) for e, s in scores.items()}
    n = len(picked)
    if n and whole:
        entity, count = whole.most_common(1)[0]
        if count / n >= rules.policy.column_share:
            if entity == entities.PERSON:
                entity = name_part(picked, scanner.names)
            return ColumnEvidence(
                entity, False, round(count / n, 3), n, count, mean, sorted(recognizers)
            )
    if n and not other and named / n >= rules.policy.column_share and 2 * with_name_word >= n:
        # A column of names, some unlisted or also ordinary words ("Zed", "Bob", "Grace Hopper"): the
        # values share a name's shape and at least half hold a name word. As free text, a name standing
        # alone would be left in place (the name finder wants context in prose).
        return ColumnEvidence(
            name_part(picked, scanner.names),
            False,
            round(with_name_word / n, 3),
            n,
            with_name_word,
            mean,
            sorted(recognizers | {NAME_SHAPE}),
        )
    matched = partial + sum(whole.values())
    return ColumnEvidence(
        entities.FREE_TEXT if matched else None,
        True,
        round(matched / n, 3) if n else 0.0,
        n,
        matched,
        mean,
        sorted(recognizers),
    )
