"""Errors the emulator answers with, in the real ErrorBody shape.

ErrorBody (SDK `models/error_body.py`): `message, code, status, messageWithParams, messageParams,
contextId, details[{errorCode, fieldName, entityId, entityName}], errors[]`. Messages name fields
and limits, never the values that were sent.
"""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException


class ApiProblem(Exception):
    """An API error response: status, Genesys code and a message without values."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        fields: list[str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.fields = fields or []
        self.headers = headers or {}


def bad_request(
    message: str, *, code: str = "bad.request", fields: list[str] | None = None
) -> ApiProblem:
    """400 with a Genesys code."""
    return ApiProblem(400, code, message, fields=fields)


def not_found(what: str) -> ApiProblem:
    """404 for a missing resource."""
    return ApiProblem(404, "not.found", f"The requested {what} was not found.")


def error_body(
    status: int, code: str, message: str, context_id: str, fields: list[str] | None = None
) -> dict[str, Any]:
    """The ErrorBody JSON object."""
    return {
        "message": message,
        "code": code,
        "status": status,
        "messageWithParams": message,
        "messageParams": {},
        "contextId": context_id,
        "details": [{"errorCode": code, "fieldName": name} for name in fields or []],
        "errors": [],
    }


def context_id(request: Request) -> str:
    """The request's correlation id (set by the app's middleware)."""
    value = getattr(request.state, "context_id", None)
    return value if isinstance(value, str) else str(uuid.uuid4())


def problem_response(request: Request, problem: ApiProblem) -> JSONResponse:
    """The JSON response for an ApiProblem."""
    cid = context_id(request)
    return JSONResponse(
        error_body(problem.status, problem.code, problem.message, cid, problem.fields),
        status_code=problem.status,
        headers={**problem.headers, "ININ-Correlation-Id": cid},
    )


async def on_api_problem(request: Request, exc: Exception) -> JSONResponse:
    """Exception handler for ApiProblem."""
    assert isinstance(exc, ApiProblem)
    return problem_response(request, exc)


async def on_http_exception(request: Request, exc: Exception) -> JSONResponse:
    """Unknown routes and methods answer like the real API does (404 / 405 with an ErrorBody)."""
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 404:
        problem = ApiProblem(404, "not.found", "The requested resource was not found.")
    elif exc.status_code == 405:
        problem = ApiProblem(405, "method.not.allowed", "The method is not allowed here.")
    else:
        problem = ApiProblem(exc.status_code, "bad.request", "The request was refused.")
    return problem_response(request, problem)


async def on_validation_error(request: Request, exc: Exception) -> JSONResponse:
    """A malformed query or body: 400 naming the fields, like the real `bad.request`."""
    assert isinstance(exc, RequestValidationError)
    fields = sorted({str(err["loc"][-1]) for err in exc.errors() if err.get("loc")})
    return problem_response(
        request,
        bad_request("The request could not be understood by the server.", fields=fields),
    )
