"""Object definitions in a refresh: what a data table's or a contact list's definition says of its data.

A definition is configuration, yet production writes customer data into it too: a data table's
`description` ("Escalations: Priya Raman +1 212 555 0143"), a column's `title` and `description`
("e.g. 12125550143"), a column's allowed values (`enum`) and `default`; a contact list's values its
preview-mode column accepts (`previewModeAcceptedValues`). Texts are scrubbed like the flows' prose
(phones, emails and the run's names); a column's values take the replacement its rows got, so that the
rows still satisfy their definition in staging. Every definition is then verified on its own, like a
flow: no original phone, email or full name of the run may be left anywhere in it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sanitizer.flows.refresh import FlowScrubber

# A column's own values in a definition: the data table schema's per-column keys, and the contact
# list's preview-mode values (of the column `previewModeColumnName` names).
_VALUE_KEYS = ("enum", "default", "examples")
_TEXT_KEYS = ("title", "description")

# The replacement each original value of a table's column got in its rows (None: not in its rows).
ColumnValues = Callable[[str, str], str | None]


@dataclass
class ScrubbedDefinition:
    data: dict[str, Any]
    written: list[str]  # every text and value the scrub wrote (changed or not): what holds data


def scrub_definition(
    kind: str, definition: dict[str, Any], rows: ColumnValues, scrubber: FlowScrubber
) -> ScrubbedDefinition:
    """The definition with its texts and its columns' values scrubbed (a copy; `kind` as in the raw
    manifest: data_table or contact_list)."""
    data = json.loads(json.dumps(definition))
    edits = _Edits(rows, scrubber)
    if kind == "data_table":
        if "description" in data:
            data["description"] = edits.text(data["description"])
        properties = (data.get("schema") or {}).get("properties") or {}
        for column, spec in properties.items():
            if not isinstance(spec, dict):
                continue
            for key in _TEXT_KEYS:
                if key in spec:
                    spec[key] = edits.text(spec[key])
            for key in _VALUE_KEYS:
                if key in spec:
                    spec[key] = edits.values(column, spec[key])
    elif kind == "contact_list":
        column = data.get("previewModeColumnName")
        accepted = data.get("previewModeAcceptedValues")
        if isinstance(column, str) and accepted is not None:
            data["previewModeAcceptedValues"] = edits.values(column, accepted)
    return ScrubbedDefinition(data, edits.written)


class _Edits:
    def __init__(self, rows: ColumnValues, scrubber: FlowScrubber) -> None:
        self.rows = rows
        self.scrubber = scrubber
        self.written: list[str] = []

    def text(self, value: Any) -> Any:
        """A text scrubbed as the flows' prose; anything else as it is."""
        if not isinstance(value, str) or not value:
            return value
        new = self.scrubber.scrub_prose(value)
        self.written.append(new)
        return new

    def values(self, column: str, value: Any) -> Any:
        """A column's value (or list of them) as its rows have it, else scrubbed as prose."""
        if isinstance(value, list):
            return [self.values(column, item) for item in value]
        if not isinstance(value, str) or not value:
            return value  # numbers and flags: a data table's integer or boolean column
        new = self.rows(column, value)
        if new is None:
            return self.text(value)
        self.written.append(new)
        return new
