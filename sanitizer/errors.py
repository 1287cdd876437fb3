"""The exception tree, and the exit code each branch maps to.

    SanitizerError                      1  unexpected failure (a bug: run again with --debug)
    ├── ConfigError                     3  run config, rules, mappings or key are invalid or missing
    │   ├── RulesError                     a rules file is invalid (file, line, key path, what was expected)
    │   │   └── PatternTimeoutError        a recognizer's regex ran past policy.regex_timeout on one value
    │   ├── KeyMaterialError               no key, unreadable key file, key too short
    │   ├── KeyMismatchError               a run continued under another key than it was scrubbed with
    │   └── UnknownColumnsError            policy `fail` and columns no rule covers
    ├── InputError                      4  an input file cannot be read as a table or flow
    ├── VerificationError               5  the leak scan found original values or unsafe outputs
    ├── InterlockError                  6  the target org is not an allow-listed staging org
    ├── GenesysError                    7  the Genesys Cloud API failed (after retries)
    │   ├── GenesysAuthError               bad credentials or token (401/403)
    │   ├── GenesysNotFoundError           404 on a resource we expected
    │   ├── GenesysRateLimitError          429 after the retry budget was spent
    │   └── GenesysConnectionError         unreachable host, TLS or transport failure
    ├── FindingsError                   8  a check found problems a person must decide on (lint, drift)
    ├── LockError                       9  another run holds the lock for this target
    └── FlowError                       4  a flow document is malformed (shares InputError's code)

A stop is no error: Ctrl-C (KeyboardInterrupt) exits 130, SIGTERM (`Terminated`, a KeyboardInterrupt)
exits 143; either way nothing is published and the staging folder is removed.

Messages never contain record values or secrets: they name the file, table, column, row number,
rule location or endpoint, and say what was expected.
"""

from __future__ import annotations

import re
from typing import Any

EXIT_OK = 0
EXIT_INTERNAL = 1
EXIT_USAGE = 2
EXIT_CONFIG = 3
EXIT_INPUT = 4
EXIT_VERIFICATION = 5
EXIT_INTERLOCK = 6
EXIT_API = 7
EXIT_FINDINGS = 8
EXIT_LOCKED = 9
EXIT_INTERRUPTED = 130
EXIT_TERMINATED = 143  # 128 + SIGTERM, what a shell reports for a process SIGTERM ended

EXIT_CODES: dict[int, str] = {
    EXIT_OK: "success",
    EXIT_INTERNAL: "unexpected error (a bug; run again with --debug for the traceback)",
    EXIT_USAGE: "command-line usage error",
    EXIT_CONFIG: "invalid or missing configuration, rules, mappings or key",
    EXIT_INPUT: "an input file or flow document cannot be read",
    EXIT_VERIFICATION: "verification found a leak or an unsafe value; nothing was published",
    EXIT_INTERLOCK: "the target org is not an allow-listed staging org; nothing was written",
    EXIT_API: "the Genesys Cloud API failed after retries",
    EXIT_FINDINGS: "findings need a human decision (lint errors, report drift)",
    EXIT_LOCKED: "another run holds the lock for this target",
    EXIT_INTERRUPTED: "interrupted",
    EXIT_TERMINATED: "stopped by SIGTERM (a scheduler or service manager)",
}


class Terminated(KeyboardInterrupt):
    """SIGTERM arrived (the CLI raises it from its handler): the run stops and cleans up as on Ctrl-C."""


class SanitizerError(Exception):
    """Base of every error sanitizer raises on purpose."""

    exit_code = EXIT_INTERNAL

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if self.hint is None else f"{self.message} ({self.hint})"


class ConfigError(SanitizerError):
    """The run config, rules, mappings or key are invalid or missing."""

    exit_code = EXIT_CONFIG


class RulesError(ConfigError):
    """A rules file is invalid; the message names file, line, key path and what was expected."""


class PatternTimeoutError(RulesError):
    """A custom recognizer's regex ran longer than `policy.regex_timeout` on one value (it backtracks
    catastrophically): the run stops. Names the rule and where the value is, never the value."""

    def __init__(
        self,
        source: str,
        recognizer: str,
        pattern: str,
        timeout: float,
        place: str = "",
        text_index: int | None = None,
    ) -> None:
        super().__init__(
            f"{source}: recognizer {recognizer!r}, pattern {pattern!r}: the regex ran longer than "
            f"policy.regex_timeout ({timeout:g} s) on {place or 'one value'} and was stopped; "
            "nothing was published",
            hint="it backtracks catastrophically, as a repeat inside a repeat may ((a+)+, "
            "(a|aa)+): rewrite it; if the values are only long, raise policy.regex_timeout",
        )
        self.source = source
        self.recognizer = recognizer
        self.pattern = pattern
        self.timeout = timeout
        self.place = place
        # Which text of the ones a scan was given (the caller knows its table, column and row).
        self.text_index = text_index

    def at(self, place: str) -> PatternTimeoutError:
        """The same error, saying where the value is ("table claims, column notes, row 3")."""
        return PatternTimeoutError(self.source, self.recognizer, self.pattern, self.timeout, place)

    def __reduce__(self) -> tuple[Any, ...]:  # crosses from worker processes whole
        fields = (self.source, self.recognizer, self.pattern, self.timeout, self.place)
        return type(self), (*fields, self.text_index)


class KeyMaterialError(ConfigError):
    """The scrub key is missing, unreadable or too weak."""


class KeyMismatchError(ConfigError):
    """A run would be continued (resumed, loaded) under another scrub key than the one it was made with."""


class UnknownColumnsError(ConfigError):
    """Policy `fail` is in force and some columns have no rule."""

    def __init__(self, columns: list[tuple[str, str]]) -> None:
        shown = ", ".join(f"{table}.{column}" for table, column in columns[:10])
        more = f" and {len(columns) - 10} more" if len(columns) > 10 else ""
        super().__init__(
            f"{len(columns)} column(s) have no rule and policy is 'fail': {shown}{more}",
            hint="add a rule for each (or `operator: keep` with a reason), "
            "or run `sanitize scan --suggest-rules FILE`",
        )
        self.columns = columns


class InputError(SanitizerError):
    """An input file cannot be read as a table or flow."""

    exit_code = EXIT_INPUT


class FlowError(InputError):
    """A flow document is malformed or cannot be rendered."""


class VerificationError(SanitizerError):
    """Verification found original values or unsafe outputs; nothing was published."""

    exit_code = EXIT_VERIFICATION


class WorkerLost(SanitizerError):
    """A worker process stopped before it returned its results (killed, out of memory); the run stops
    and nothing is published."""


class InterlockError(SanitizerError):
    """The target org failed the staging interlock; nothing was written."""

    exit_code = EXIT_INTERLOCK


class GenesysError(SanitizerError):
    """A Genesys Cloud API call failed; carries status, Genesys code, contextId and endpoint."""

    exit_code = EXIT_API

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        context_id: str | None = None,
        endpoint: str | None = None,
        hint: str | None = None,
    ) -> None:
        parts = [message]
        if endpoint:
            parts.append(f"endpoint {endpoint}")
        if status is not None:
            parts.append(f"status {status}")
        if code:
            parts.append(f"code {code}")
        if context_id:
            parts.append(f"contextId {context_id}")
        super().__init__("; ".join(parts), hint=hint)
        self.status = status
        self.code = code
        self.context_id = context_id
        self.endpoint = endpoint


class GenesysAuthError(GenesysError):
    """Bad client credentials or a token the org refuses (401/403)."""


class GenesysNotFoundError(GenesysError):
    """A resource that should exist answered 404."""


class GenesysRateLimitError(GenesysError):
    """429 responses outlasted the retry budget."""


class GenesysConnectionError(GenesysError):
    """The host could not be reached (DNS, TCP, TLS, timeout)."""


class FindingsError(SanitizerError):
    """A check found problems that need a human decision (lint errors, report drift)."""

    exit_code = EXIT_FINDINGS


class LockError(SanitizerError):
    """Another run holds the lock for this target."""

    exit_code = EXIT_LOCKED


# A conventional environment variable name (SANITIZER_PROD_SECRET): safe to print in an error.
_CONVENTIONAL_ENV_NAME = re.compile(r"[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*")


def env_var_words(name: str) -> str:
    """How an error names an environment variable a config points at: by name when it looks like
    one; otherwise unnamed, because people paste the secret itself where the name belongs."""
    if _CONVENTIONAL_ENV_NAME.fullmatch(name) and len(name) <= 64:
        return f"environment variable ${name}"
    return (
        "the environment variable named there (its name is not shown: it does not look like "
        "one; check that the secret itself was not written in its place)"
    )
