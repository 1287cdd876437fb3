"""`POST /oauth/token` and the bearer-token check on every API route."""

from __future__ import annotations

import httpx
import pytest

from sanitizer.emulator.testing import EmulatorHandle

from .conftest import error_of


def test_token_valid_credentials_answer_bearer_token(org: EmulatorHandle) -> None:
    response = httpx.post(
        f"{org.base_url}/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(org.client_id, org.client_secret),
    )
    body = response.json()
    assert response.status_code == 200
    assert body["token_type"] == "bearer" and body["expires_in"] == 86400
    assert len(body["access_token"]) >= 32


@pytest.mark.parametrize(
    ("data", "auth", "status", "error", "why"),
    [
        (
            {"grant_type": "client_credentials"},
            ("nobody", "x"),
            401,
            "invalid_client",
            "unknown client",
        ),
        ({"grant_type": "client_credentials"}, None, 401, "invalid_client", "no Basic header"),
        (
            {"grant_type": "password"},
            "ok",
            400,
            "unsupported_grant_type",
            "only client credentials",
        ),
        ({}, "ok", 400, "unsupported_grant_type", "no grant type at all"),
    ],
)
def test_token_refused_answers_oauth_error(
    org: EmulatorHandle, data: dict[str, str], auth: object, status: int, error: str, why: str
) -> None:
    credentials = (org.client_id, org.client_secret) if auth == "ok" else auth
    response = httpx.post(f"{org.base_url}/oauth/token", data=data, auth=credentials)  # type: ignore[arg-type]
    assert (response.status_code, response.json()["error"]) == (status, error), why


def test_token_wrong_secret_is_refused(org: EmulatorHandle) -> None:
    response = httpx.post(
        f"{org.base_url}/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(org.client_id, org.client_secret + "x"),
    )
    assert response.status_code == 401


@pytest.mark.parametrize(
    ("header", "why"),
    [
        (None, "no Authorization header"),
        ("Bearer not-a-token", "a token the org never issued"),
        ("Basic abc", "the wrong scheme"),
    ],
)
def test_api_without_valid_token_answers_401_bad_credentials(
    org: EmulatorHandle, header: str | None, why: str
) -> None:
    headers = {"Authorization": header} if header else {}
    response = httpx.get(f"{org.base_url}/api/v2/organizations/me", headers=headers)
    assert error_of(response) == (401, "bad.credentials"), why


def test_api_revoked_token_answers_401(org: EmulatorHandle, api: httpx.Client) -> None:
    assert api.get("/api/v2/organizations/me").status_code == 200
    org.revoke_tokens()
    assert error_of(api.get("/api/v2/organizations/me")) == (401, "bad.credentials")


def test_unknown_route_answers_404_error_body(api: httpx.Client) -> None:
    assert error_of(api.get("/api/v2/nothing/here")) == (404, "not.found")
