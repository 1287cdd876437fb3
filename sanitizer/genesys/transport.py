"""One authenticated HTTP call with retries, and the mapping of failures to sanitizer's Genesys
errors.

Which failures are retried:
- 429 always (the request was refused, not processed), after `Retry-After` seconds;
- 502/503/504 and lost connections only for idempotent requests (GET, PUT, DELETE, and writes the
  caller declares idempotent because it chose the ids or keys); a connection that was never opened
  is retried for every request;
- one 401 per call, after fetching a new token. Errors carry status, Genesys `code`, `contextId` and
  an endpoint label, never a record value: of the server's message only words known not to be
  values are kept (`sanitizer.genesys.messages`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from sanitizer import __version__
from sanitizer.errors import (
    GenesysAuthError,
    GenesysConnectionError,
    GenesysError,
    GenesysNotFoundError,
    GenesysRateLimitError,
)
from sanitizer.genesys.auth import TokenSource
from sanitizer.genesys.messages import readable_message
from sanitizer.genesys.regions import Endpoints
from sanitizer.genesys.retry import (
    RETRYABLE_STATUSES,
    RetryPolicy,
    Transient,
    call_with_retries,
    retry_after_seconds,
)

Params = Mapping[str, str | int | bool | list[str]]

_IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})
# Errors raised before a single byte of the request left: retrying cannot duplicate a write.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


class Transport:
    """Sends requests to one org: base URL, token, retries, error mapping."""

    def __init__(
        self,
        endpoints: Endpoints,
        client_id: str,
        client_secret: str,
        *,
        retry: RetryPolicy,
        timeout: float,
        http: httpx.Client | None = None,
    ) -> None:
        self.endpoints = endpoints
        self.retry = retry
        self._http = http or httpx.Client(
            timeout=timeout, headers={"User-Agent": f"sanitizer/{__version__}"}
        )
        self.tokens = TokenSource(self._http, endpoints.login_url, client_id, client_secret)

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def authenticate(self) -> None:
        """Fetch a token now (so bad credentials fail first, with one clear error)."""
        call_with_retries(self.retry, lambda _number: self.tokens.token())

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Params | None = None,
        json: Any = None,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        endpoint: str | None = None,
        idempotent: bool | None = None,
        authenticated: bool = True,
        follow_redirects: bool = False,
    ) -> httpx.Response:
        """Send one request (path relative to the API base, or absolute), retrying per the policy.

        `endpoint` is the label used in errors and logs; give a template such as
        `PUT /api/v2/flows/datatables/{id}/rows/{rowId}` when the path holds a value.
        """
        method = method.upper()
        url = path if path.startswith(("http://", "https://")) else self.endpoints.api_url + path
        label = endpoint or f"{method} {path.split('?', 1)[0]}"
        is_idempotent = method in _IDEMPOTENT_METHODS if idempotent is None else idempotent

        def attempt(number: int) -> httpx.Response:
            renewed = False
            while True:
                token = self.tokens.token() if authenticated else None
                sent_headers = dict(headers or {})
                if token is not None:
                    sent_headers["Authorization"] = f"Bearer {token}"
                response = self._send(
                    method,
                    url,
                    label,
                    is_idempotent,
                    params=params,
                    json=json,
                    content=content,
                    headers=sent_headers,
                    follow_redirects=follow_redirects,
                )
                if response.status_code == 401 and token is not None and not renewed:
                    self.tokens.invalidate(token)
                    renewed = True
                    continue
                break
            if response.is_success or (response.is_redirect and not follow_redirects):
                return response
            if response.status_code == 404 and method == "DELETE" and number > 1:
                return response  # an earlier attempt deleted it before the connection failed
            error = error_from_response(response, label)
            if response.status_code == 429:
                raise Transient(error, retry_after=retry_after_seconds(response))
            if response.status_code in RETRYABLE_STATUSES and is_idempotent:
                raise Transient(error)
            raise error

        return call_with_retries(self.retry, attempt)

    def json(self, method: str, path: str, **kwargs: Any) -> Any:
        """`request` and decode the JSON body (None for an empty body)."""
        response = self.request(method, path, **kwargs)
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError as exc:
            raise GenesysError(
                "the API answered with a body that is not JSON",
                status=response.status_code,
                endpoint=kwargs.get("endpoint") or f"{method.upper()} {path.split('?', 1)[0]}",
                hint="check that the base URL points at a Genesys Cloud API",
            ) from exc

    def _send(
        self,
        method: str,
        url: str,
        label: str,
        is_idempotent: bool,
        **kwargs: Any,
    ) -> httpx.Response:
        try:
            return self._http.request(method, url, **kwargs)
        except httpx.TransportError as exc:
            error = GenesysConnectionError(
                f"the connection to the Genesys org failed ({type(exc).__name__})",
                endpoint=label,
                hint=f"check the region or base URL ({self.endpoints.api_url}) and the network",
            )
            if is_idempotent or isinstance(exc, _NOT_SENT):
                raise Transient(error) from exc
            error.hint = "the write may or may not have been applied; it was not retried blindly"
            raise error from exc


def error_from_response(response: httpx.Response, endpoint: str) -> GenesysError:
    """The sanitizer error for a failed response: status, Genesys code, contextId, never a value."""
    status = response.status_code
    body: dict[str, Any] = {}
    try:
        decoded = response.json()
        if isinstance(decoded, dict):
            body = decoded
    except ValueError:
        pass
    code = body.get("code") if isinstance(body.get("code"), str) else None
    context_id = body.get("contextId") or response.headers.get("ININ-Correlation-Id")
    message = readable_message(body) or response.reason_phrase or "request failed"
    fields = sorted(
        {
            str(detail.get("fieldName"))
            for detail in body.get("details") or []
            if isinstance(detail, dict) and detail.get("fieldName")
        }
    )
    if fields:
        message += f" (fields: {', '.join(fields)})"
    kwargs: dict[str, Any] = {
        "status": status,
        "code": code,
        "context_id": context_id if isinstance(context_id, str) else None,
        "endpoint": endpoint,
    }
    if status in (401, 403):
        hint = (
            "the token was refused; check the client credentials"
            if status == 401
            else "the OAuth client's role lacks a permission this call needs"
        )
        return GenesysAuthError(f"the org refused the call: {message}", hint=hint, **kwargs)
    if status == 404:
        return GenesysNotFoundError(f"not found: {message}", **kwargs)
    if status == 429:
        return GenesysRateLimitError(f"rate limited: {message}", **kwargs)
    return GenesysError(f"the API call failed: {message}", **kwargs)
