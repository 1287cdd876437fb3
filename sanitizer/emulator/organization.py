"""`GET /api/v2/organizations/me`: the emulated org's id and name, in the Organization shape."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request

from sanitizer.emulator.oauth import emulator_of, require_token

router = APIRouter(dependencies=[Depends(require_token)])


@router.get("/api/v2/organizations/me")
async def me(request: Request) -> dict[str, Any]:
    """The org these credentials belong to."""
    org = emulator_of(request).org()
    return {
        "defaultLanguage": "en-us",
        "defaultCountryCode": "US",
        "domain": org.get("thirdPartyOrgName", "emulated-org"),
        "version": 1,
        "state": "active",
        "voicemailEnabled": True,
        "productPlatform": "GenesysCloud",
        "features": {},
        **org,
        "selfUri": f"/api/v2/organizations/{org['id']}",
    }
