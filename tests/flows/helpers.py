"""Paths and sample data shared by the flow tests."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "fixtures" / "flows"
ORG_FLOWS = REPO / "fixtures" / "orgs" / "production" / "flows"
SAMPLES = REPO / ".." / "shared" / "reference" / "genesys-samples"
SAMPLE_FLOWS = (
    "Blacklist.i3WorkFlow",
    "SimpleFinancialIvr_v2-0.yaml",
    "Trigger proactive callback workflow.yaml",
    "Trigger_proactive callback workflow_v1-0.i3InboundFlow",
    "blacklist.yaml",
    "inboundcall_flow_example_substitutions.yaml",
    "outboundcall_flow_example.yaml",
)
# The substitutions the public samples use, with a value per org, for the tests that render them.
SAMPLE_VARIABLES = {
    "flow_name": ("Blocklist", "Blocklist"),
    "division": ("Home", "Home"),
    "default_language": ("en-us", "en-us"),
    "data_table": ("ANI Blacklist", "STG ANI Blacklist"),
    "data_action_category": ("Web Services Prod", "Web Services Sandbox"),
    "data_action_name": ("Disconnect interaction", "Disconnect interaction"),
    "description": ("Routes callers", "Routes callers"),
    "greeting": ("Welcome: press 1 #now", "Welcome (staging)"),
    "menu_disconnect_name": ("Disconnect", "Disconnect"),
    "home_division_name": ("Home", "Home"),
    "contact_list_name": ("Renewals 'Q3'", 'Renewals "Q3"'),
    "wrapup_code_name": ("Renewal done", "STG Renewal done"),
}
