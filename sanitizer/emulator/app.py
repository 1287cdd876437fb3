"""The FastAPI application of one emulated org: routes, error bodies, correlation ids, faults."""

from __future__ import annotations

import uuid

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from sanitizer.emulator import (
    datatables,
    downloads,
    external_contacts,
    flows,
    oauth,
    organization,
    outbound,
)
from sanitizer.emulator.faults import ASGIApp, FaultMiddleware, Message, Receive, Scope, Send
from sanitizer.emulator.problems import (
    ApiProblem,
    on_api_problem,
    on_http_exception,
    on_validation_error,
)
from sanitizer.emulator.state import Emulator


class CorrelationMiddleware:
    """Give every request a contextId and answer it in the `ININ-Correlation-Id` header."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        context_id = str(uuid.uuid4())
        scope.setdefault("state", {})["context_id"] = context_id

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [h for h in message.get("headers", []) if h[0] != b"inin-correlation-id"]
                message["headers"] = [*headers, (b"inin-correlation-id", context_id.encode())]
            await send(message)

        await self.app(scope, receive, send_with_id)


def create_app(emulator: Emulator) -> FastAPI:
    """The ASGI app serving `/oauth/token` and `/api/v2/...` for one emulated org."""
    app = FastAPI(
        title="sanitizer Genesys Cloud emulator",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.emulator = emulator
    app.add_exception_handler(ApiProblem, on_api_problem)
    app.add_exception_handler(StarletteHTTPException, on_http_exception)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    for router in (
        oauth.router,
        organization.router,
        outbound.router,
        external_contacts.router,
        datatables.router,
        flows.router,
        flows.uploads,
        downloads.router,
        downloads.presigned,
    ):
        app.include_router(router)
    app.add_middleware(CorrelationMiddleware)
    # Added last, so outermost: faults happen before anything else sees the request.
    app.add_middleware(FaultMiddleware, controller=emulator.faults)
    return app
