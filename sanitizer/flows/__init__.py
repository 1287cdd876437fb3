"""Architect flows: read the three formats, validate, lint, retarget for an org, promote between orgs.

    documents.py   read/parse/encode/write Archy YAML, .i3 exports and JSON flow documents
    placeholders.py, tree.py   {{NAME}}/${NAME} placeholders; located YAML/JSON parsing
    validate.py    structure (JSON Schema), placeholders, references
    orgvalues.py   what identifies each org in a flow (endpoints, DIDs, trunks, values)
    lint.py        hard-coded and other-org values
    retarget.py    render a flow for one org, leaving no other org's value
    promote.py     export → check → retarget → diff → import between orgs (imports the Genesys client)
    varcheck.py    `vars check` across mapping files and flows
    findings.py, sarif.py   findings, the rule catalogue, text/JSON/SARIF output

The refresh pipeline calls `retarget(content, to_mapping, all_mappings, source=...)` on each flow
exported from production and `encode_flow(doc)` for the bytes to import into staging.
"""

from __future__ import annotations

from sanitizer.flows.documents import (
    FlowDocument,
    FlowFormat,
    encode_flow,
    parse_flow,
    read_flow,
    write_flow,
)
from sanitizer.flows.findings import Finding, Severity
from sanitizer.flows.lint import lint
from sanitizer.flows.retarget import retarget
from sanitizer.flows.validate import validate

__all__ = [
    "Finding",
    "FlowDocument",
    "FlowFormat",
    "Severity",
    "encode_flow",
    "lint",
    "parse_flow",
    "read_flow",
    "retarget",
    "validate",
    "write_flow",
]
