"""The organization area: who the credentials belong to (`GET /api/v2/organizations/me`)."""

from __future__ import annotations

from typing import Any

from sanitizer.errors import GenesysError
from sanitizer.genesys.transport import Transport

ME = "/api/v2/organizations/me"


class OrganizationApi:
    """`client.organization`."""

    def __init__(self, transport: Transport) -> None:
        self._transport = transport

    def me(self) -> dict[str, Any]:
        """The org the OAuth client belongs to: `id`, `name`, `thirdPartyOrgName`, `state`..."""
        body = self._transport.json("GET", ME)
        if not isinstance(body, dict) or not isinstance(body.get("id"), str):
            raise GenesysError(
                "the API answered without an organization id",
                endpoint=f"GET {ME}",
                hint="check that the base URL points at a Genesys Cloud API",
            )
        return body
