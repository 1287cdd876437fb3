"""Retries, token handling and error mapping of single calls (httpx.MockTransport, no server)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest

from sanitizer.errors import (
    GenesysAuthError,
    GenesysConnectionError,
    GenesysError,
    GenesysNotFoundError,
    GenesysRateLimitError,
)
from sanitizer.genesys import GenesysClient, RetryPolicy
from sanitizer.genesys.retry import retry_after_seconds

BASE = "https://api.mypurecloud.test"
POLICY = RetryPolicy(attempts=5, wait_initial=2.0, wait_max=60.0, wait_jitter=0.0)
Handler = Callable[[httpx.Request], httpx.Response]


@pytest.fixture
def waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The sleeps the retry loop asked for (nothing really sleeps).

    Only this test's thread is faked: a thread another test left running in the same process (a
    server, a poller) keeps its real sleep, or it would spin and fill the list.
    """
    asked: list[float] = []
    real_sleep, test_thread = time.sleep, threading.get_ident()

    def sleep(seconds: float) -> None:
        if threading.get_ident() == test_thread:
            asked.append(seconds)
        else:
            real_sleep(seconds)

    monkeypatch.setattr(time, "sleep", sleep)
    return asked


class Api:
    """A scripted fake org: the token endpoint plus queued answers for API calls."""

    def __init__(self, *answers: httpx.Response | Exception) -> None:
        self.answers = list(answers)
        self.tokens_issued = 0
        self.api_calls: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth/token":
            self.tokens_issued += 1
            return httpx.Response(
                200, json={"access_token": f"t{self.tokens_issued}", "expires_in": 86400}
            )
        self.api_calls.append(request)
        answer = self.answers.pop(0) if self.answers else httpx.Response(200, json={"ok": True})
        if isinstance(answer, Exception):
            raise answer
        return answer


@pytest.fixture
def make_client() -> Iterator[Callable[[Handler], GenesysClient]]:
    clients: list[GenesysClient] = []

    def make(handler: Handler) -> GenesysClient:
        http = httpx.Client(transport=httpx.MockTransport(handler))
        client = GenesysClient(BASE, BASE, "id", "secret", retry=POLICY, http=http)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


def error(
    status: int, code: str = "some.code", message: str = "failed", **headers: str
) -> httpx.Response:
    body = {"message": message, "code": code, "status": status, "contextId": "ctx-1"}
    return httpx.Response(status, json=body, headers=headers)


def test_request_429_with_retry_after_waits_that_long(make_client, waits) -> None:
    api = Api(error(429, "too.many.requests.retry.after", **{"Retry-After": "7"}))
    assert make_client(api).transport.json("GET", "/api/v2/x") == {"ok": True}
    assert waits == [7.0]
    assert len(api.api_calls) == 2


def test_request_429_without_retry_after_backs_off_exponentially(make_client, waits) -> None:
    api = Api(error(429), error(429), error(429))
    make_client(api).transport.json("GET", "/api/v2/x")
    assert waits == [2.0, 4.0, 8.0]


def test_request_429_storm_longer_than_budget_raises_rate_limit_error(make_client, waits) -> None:
    api = Api(*[error(429, **{"Retry-After": "1"}) for _ in range(10)])
    with pytest.raises(GenesysRateLimitError) as caught:
        make_client(api).transport.json("GET", "/api/v2/x")
    assert len(api.api_calls) == POLICY.attempts
    assert caught.value.status == 429 and "gave up after 5" in str(caught.value)


def test_request_retry_after_beyond_policy_fails_at_once(make_client, waits) -> None:
    api = Api(error(429, **{"Retry-After": "3600"}))
    with pytest.raises(GenesysRateLimitError) as caught:
        make_client(api).transport.json("GET", "/api/v2/x")
    assert waits == [] and len(api.api_calls) == 1
    assert "3600" in str(caught.value)


@pytest.mark.parametrize(
    ("method", "idempotent", "calls", "why"),
    [
        ("GET", None, 2, "reads are always safe to repeat"),
        ("PUT", None, 2, "a PUT sets a state, so repeating it changes nothing"),
        ("POST", True, 2, "the caller chose the ids, so the POST is an upsert"),
        ("POST", None, 1, "a plain POST may have created something: never retried blindly"),
    ],
)
def test_request_503_retried_only_when_idempotent(
    make_client, waits, method: str, idempotent: bool | None, calls: int, why: str
) -> None:
    api = Api(error(503, "service.unavailable"))
    client = make_client(api)
    if calls == 1:
        with pytest.raises(GenesysError) as caught:
            client.transport.request(method, "/api/v2/x", json={}, idempotent=idempotent)
        assert caught.value.status == 503
    else:
        client.transport.request(method, "/api/v2/x", json={}, idempotent=idempotent)
    assert len(api.api_calls) == calls, why


def test_request_connect_error_on_post_is_retried_because_nothing_was_sent(
    make_client, waits
) -> None:
    api = Api(httpx.ConnectError("refused"))
    make_client(api).transport.request("POST", "/api/v2/x", json={})
    assert len(api.api_calls) == 2


def test_request_read_error_on_post_is_not_retried(make_client, waits) -> None:
    api = Api(httpx.ReadError("peer closed"))
    with pytest.raises(GenesysConnectionError) as caught:
        make_client(api).transport.request("POST", "/api/v2/x", json={})
    assert len(api.api_calls) == 1
    assert "may or may not have been applied" in str(caught.value)


def test_request_delete_404_after_a_lost_answer_counts_as_done(make_client, waits) -> None:
    api = Api(httpx.ReadError("peer closed"), error(404, "not.found"))
    make_client(api).transport.request("DELETE", "/api/v2/x")
    assert len(api.api_calls) == 2


def test_request_delete_404_on_first_attempt_raises_not_found(make_client, waits) -> None:
    with pytest.raises(GenesysNotFoundError):
        make_client(Api(error(404, "not.found"))).transport.request("DELETE", "/api/v2/x")


def test_request_401_renews_token_once_then_succeeds(make_client, waits) -> None:
    api = Api(error(401, "bad.credentials"))
    client = make_client(api)
    client.transport.json("GET", "/api/v2/x")
    assert api.tokens_issued == 2
    assert [r.headers["Authorization"] for r in api.api_calls] == ["Bearer t1", "Bearer t2"]
    assert waits == []


def test_request_401_twice_raises_auth_error(make_client, waits) -> None:
    api = Api(error(401, "bad.credentials"), error(401, "bad.credentials"))
    with pytest.raises(GenesysAuthError) as caught:
        make_client(api).transport.json("GET", "/api/v2/x")
    assert caught.value.code == "bad.credentials" and caught.value.context_id == "ctx-1"
    assert api.tokens_issued == 2


def test_request_tokens_are_cached_between_calls(make_client) -> None:
    api = Api()
    client = make_client(api)
    for _ in range(3):
        client.transport.json("GET", "/api/v2/x")
    assert api.tokens_issued == 1


def test_token_request_uses_basic_auth_and_client_credentials_form(make_client) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"access_token": "t", "expires_in": 60})

    make_client(handler).authenticate()
    request = seen[0]
    assert request.url == f"{BASE}/oauth/token"
    assert request.headers["Authorization"] == "Basic aWQ6c2VjcmV0"  # base64("id:secret")
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert request.content == b"grant_type=client_credentials"


@pytest.mark.parametrize(
    ("status", "error_type"),
    [
        (401, GenesysAuthError),
        (403, GenesysAuthError),
        (404, GenesysNotFoundError),
        (400, GenesysError),
        (409, GenesysError),
    ],
)
def test_error_from_response_status_maps_to_error_class(
    make_client, status: int, error_type: type
) -> None:
    api = Api(error(status), error(status))
    with pytest.raises(error_type) as caught:
        make_client(api).transport.json("POST", "/api/v2/x", json={})
    assert caught.value.status == status and caught.value.endpoint == "POST /api/v2/x"


def test_error_message_masks_values_the_server_quoted(make_client) -> None:
    message = "Invalid phone '+1 212 555 0100' for jane.doe@example.com, account 99812345"
    api = Api(error(400, "invalid.value", message))
    with pytest.raises(GenesysError) as caught:
        make_client(api).transport.json("POST", "/api/v2/x", json={})
    text = str(caught.value)
    for value in ("555", "jane", "99812345"):
        assert value not in text
    assert "invalid.value" in text and "ctx-1" in text


def test_error_endpoint_label_hides_row_keys(make_client) -> None:
    api = Api(error(400))
    client = make_client(api)
    with pytest.raises(GenesysError) as caught:
        client.datatables.update_row("table-1", {"key": "+12125550100"})
    assert "555" not in str(caught.value)
    assert "{rowId}" in str(caught.value)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("3", 3.0),  # seconds, as Genesys sends them
        ("0", 0.0),  # retry at once
        ("1.5", 1.5),  # fractional seconds, tolerated
        ("", None),  # absent: fall back to backoff
        ("soon", None),  # garbage: fall back to backoff
    ],
)
def test_retry_after_seconds_parses_header(header: str, expected: float | None) -> None:
    response = httpx.Response(429, headers={"Retry-After": header} if header else {})
    assert retry_after_seconds(response) == expected


def test_retry_after_seconds_http_date_is_relative_to_now() -> None:
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    seconds = retry_after_seconds(httpx.Response(429, headers={"Retry-After": when}))
    assert seconds is not None and 25 <= seconds <= 31
