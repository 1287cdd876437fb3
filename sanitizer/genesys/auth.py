"""OAuth client credentials: fetch a token from the login host, cache it, renew it before it
expires.

`POST {login}/oauth/token` with `Authorization: Basic base64(id:secret)` and the form
`grant_type=client_credentials` answers `{access_token, token_type, expires_in}` (SDK
`api_client.get_client_credentials_token`; Java SDK `AuthResponse`). Tokens are renewed when less
than a tenth of their life (at most 5 minutes) is left, and once more when the API answers 401.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import httpx

from sanitizer.errors import (
    GenesysAuthError,
    GenesysConnectionError,
    GenesysError,
    GenesysNotFoundError,
)
from sanitizer.genesys.retry import RETRYABLE_STATUSES, Transient, retry_after_seconds

TOKEN_PATH = "/oauth/token"  # noqa: S105 (a URL path, not a secret)
_ENDPOINT = f"POST {TOKEN_PATH}"


@dataclass(frozen=True)
class Token:
    """An access token and the monotonic time after which it should not be used."""

    value: str
    renew_at: float


class TokenSource:
    """Hands out a valid bearer token, fetching a new one only when needed (thread-safe)."""

    def __init__(
        self, http: httpx.Client, login_url: str, client_id: str, client_secret: str
    ) -> None:
        self._http = http
        self._url = login_url.rstrip("/") + TOKEN_PATH
        self._auth = httpx.BasicAuth(client_id, client_secret)
        self._lock = threading.Lock()
        self._token: Token | None = None
        self.fetch_count = 0

    def token(self) -> str:
        """A token that is not about to expire; raises Transient for failures worth retrying."""
        with self._lock:
            if self._token is None or time.monotonic() >= self._token.renew_at:
                self._token = self._fetch()
            return self._token.value

    def invalidate(self, value: str) -> None:
        """Forget `value` (the API refused it), unless another thread already replaced it."""
        with self._lock:
            if self._token is not None and self._token.value == value:
                self._token = None

    def _fetch(self) -> Token:
        try:
            response = self._http.post(
                self._url, data={"grant_type": "client_credentials"}, auth=self._auth
            )
        except httpx.TransportError as exc:
            # Asking for a token twice is harmless, so every transport failure may be retried.
            raise Transient(
                GenesysConnectionError(
                    f"could not reach the Genesys login host ({type(exc).__name__})",
                    endpoint=_ENDPOINT,
                    hint=f"check the region or base URL ({self._url})",
                )
            ) from exc
        self.fetch_count += 1
        if response.status_code in (400, 401, 403):
            raise GenesysAuthError(
                "the org refused the client credentials",
                status=response.status_code,
                code=_oauth_error(response),
                endpoint=_ENDPOINT,
                hint="check the client id and secret, and that the OAuth client uses the "
                "Client Credentials grant",
            )
        if response.status_code in RETRYABLE_STATUSES:
            error = GenesysError(
                "the login host is busy or unavailable",
                status=response.status_code,
                endpoint=_ENDPOINT,
            )
            raise Transient(error, retry_after=retry_after_seconds(response))
        hint = f"check the region or base URL ({self._url} did not return a token)"
        if response.status_code == 404:
            raise GenesysNotFoundError(
                "there is no OAuth token endpoint at this address",
                status=404,
                endpoint=_ENDPOINT,
                hint=hint,
            )
        body = _json_object(response)
        if response.status_code != 200 or not isinstance(body.get("access_token"), str):
            raise GenesysError(
                "the login host answered without an access token",
                status=response.status_code,
                endpoint=_ENDPOINT,
                hint=hint,
            )
        lifetime = _lifetime(body.get("expires_in"))
        return Token(
            str(body["access_token"]), time.monotonic() + lifetime - min(300.0, lifetime / 10)
        )


def _lifetime(expires_in: object) -> float:
    # The org's accessTokenValiditySeconds is 5 min..48 h, 24 h by default (SDK
    # docs/OAuthClient.md).
    if isinstance(expires_in, int | float) and expires_in > 0:
        return float(expires_in)
    return 86400.0


def _json_object(response: httpx.Response) -> dict[str, object]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _oauth_error(response: httpx.Response) -> str | None:
    error = _json_object(response).get("error")
    return error if isinstance(error, str) else None
