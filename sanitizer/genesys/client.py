"""`GenesysClient`: one org, reached through its API areas (organization, outbound, external
contacts, data tables, flows), sharing one connection pool, token and retry policy.
"""

from __future__ import annotations

from types import TracebackType

import httpx

from sanitizer.genesys.datatables import DataTablesApi
from sanitizer.genesys.external_contacts import ExternalContactsApi
from sanitizer.genesys.flows import FlowsApi
from sanitizer.genesys.organization import OrganizationApi
from sanitizer.genesys.outbound import OutboundApi
from sanitizer.genesys.polling import PollPolicy
from sanitizer.genesys.regions import Endpoints, resolve_endpoints
from sanitizer.genesys.retry import RetryPolicy
from sanitizer.genesys.transport import Transport

DEFAULT_TIMEOUT = 30.0


class GenesysClient:
    """A Genesys Cloud org, authenticated with OAuth client credentials.

    Use as a context manager. `api_url` is the API base (`https://api.mypurecloud.ie`, or the
    emulator's base URL); `login_url` the OAuth host (`https://login.mypurecloud.ie`; the same base
    URL for the emulator). `from_region` builds both from a region name.
    """

    def __init__(
        self,
        api_url: str,
        login_url: str,
        client_id: str,
        client_secret: str,
        *,
        retry: RetryPolicy | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        poll: PollPolicy | None = None,
        http: httpx.Client | None = None,
    ) -> None:
        endpoints = resolve_endpoints(base_url=api_url, login_url=login_url)
        self.transport = Transport(
            endpoints,
            client_id,
            client_secret,
            retry=retry or RetryPolicy(),
            timeout=timeout,
            http=http,
        )
        poll_policy = poll or PollPolicy()
        self.organization = OrganizationApi(self.transport)
        self.outbound = OutboundApi(self.transport, poll_policy)
        self.external_contacts = ExternalContactsApi(self.transport)
        self.datatables = DataTablesApi(self.transport)
        self.flows = FlowsApi(self.transport, poll_policy)

    @classmethod
    def from_region(
        cls,
        region: str,
        client_id: str,
        client_secret: str,
        *,
        retry: RetryPolicy | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        poll: PollPolicy | None = None,
    ) -> GenesysClient:
        """A client for a region name such as `eu_west_1` (or `eu-west-1`, or `mypurecloud.ie`)."""
        endpoints = resolve_endpoints(region=region)
        return cls(
            endpoints.api_url,
            endpoints.login_url,
            client_id,
            client_secret,
            retry=retry,
            timeout=timeout,
            poll=poll,
        )

    @property
    def endpoints(self) -> Endpoints:
        """The API and login base URLs in use."""
        return self.transport.endpoints

    def authenticate(self) -> None:
        """Get a token now, so that bad credentials or a wrong URL fail with one clear error."""
        self.transport.authenticate()

    def close(self) -> None:
        """Release the connection pool."""
        self.transport.close()

    def __enter__(self) -> GenesysClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
