"""`POST /oauth/token` (client credentials) and the bearer-token check every API route depends on.

Request and response as the SDK sends and reads them (reference §1). The error body of a refused
login is OAuth-style (`{"error": "invalid_client", ...}`), not an ErrorBody; its exact wording is
UNCONFIRMED. A bad or expired bearer token answers 401 with code `bad.credentials`.
"""

from __future__ import annotations

import base64
import binascii
from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from sanitizer.emulator.problems import ApiProblem
from sanitizer.emulator.state import Emulator

router = APIRouter()


def emulator_of(request: Request) -> Emulator:
    """The emulator serving this request."""
    emulator = request.app.state.emulator
    assert isinstance(emulator, Emulator)
    return emulator


@router.post("/oauth/token")
async def token(request: Request) -> JSONResponse:
    """Issue a bearer token for valid client credentials."""
    emulator = emulator_of(request)
    form = parse_qs((await request.body()).decode("utf-8", "replace"))
    if form.get("grant_type") != ["client_credentials"]:
        return _oauth_error(400, "unsupported_grant_type", "grant type not supported")
    client_id, client_secret = _basic_credentials(request.headers.get("authorization", ""))
    config = emulator.config
    if client_id != config.client_id or client_secret != config.client_secret:
        return _oauth_error(401, "invalid_client", "client not found or secret mismatch")
    return JSONResponse(
        {
            "access_token": emulator.issue_token(),
            "token_type": "bearer",
            "expires_in": config.token_ttl_seconds,
        }
    )


async def require_token(request: Request) -> None:
    """Dependency: a valid `Authorization: Bearer` token, else 401 `bad.credentials`."""
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not emulator_of(request).is_valid_token(value.strip()):
        raise ApiProblem(401, "bad.credentials", "Invalid login credentials.")


def _basic_credentials(header: str) -> tuple[str, str]:
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic":
        return "", ""
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return "", ""
    client_id, _, secret = decoded.partition(":")
    return client_id, secret


def _oauth_error(status: int, error: str, description: str) -> JSONResponse:
    return JSONResponse(
        {"error": error, "description": description, "error_description": description},
        status_code=status,
    )
