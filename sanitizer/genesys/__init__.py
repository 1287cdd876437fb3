"""The Genesys Cloud Platform API client: auth, regions, retries, paging, one module per area."""

from __future__ import annotations

from sanitizer.genesys.client import GenesysClient
from sanitizer.genesys.datatables import ReplaceResult
from sanitizer.genesys.external_contacts import BulkItem, BulkWriteError
from sanitizer.genesys.outbound import read_export
from sanitizer.genesys.polling import PollPolicy
from sanitizer.genesys.regions import (
    Endpoints,
    api_url_for_region,
    login_url_for,
    resolve_endpoints,
)
from sanitizer.genesys.retry import RetryPolicy

__all__ = [
    "BulkItem",
    "BulkWriteError",
    "Endpoints",
    "GenesysClient",
    "PollPolicy",
    "ReplaceResult",
    "RetryPolicy",
    "api_url_for_region",
    "login_url_for",
    "read_export",
    "resolve_endpoints",
]
