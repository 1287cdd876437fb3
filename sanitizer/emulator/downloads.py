"""Downloads: `GET /api/v2/downloads/{id}` redirects to a presigned file URL that needs no token.

Real export URIs point at the downloads API, which by default (`issueRedirect=true`) answers with a
redirect to a signed storage URL; `issueRedirect=false` returns `{contentLocationUri}` instead.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from sanitizer.emulator.oauth import emulator_of, require_token
from sanitizer.emulator.problems import ApiProblem, not_found
from sanitizer.emulator.state import Emulator, new_id

router = APIRouter()
presigned = APIRouter()


def keep_download(emulator: Emulator, content: bytes, media_type: str) -> str:
    """Store a file for download; its id."""
    blob_id = new_id()
    emulator.store.put_blob(blob_id, content, media_type)
    return blob_id


def download_uri(request: Request, blob_id: str) -> str:
    """The API URI of a kept file (what export endpoints hand out)."""
    return f"{_base(request)}/api/v2/downloads/{blob_id}"


def presigned_url(request: Request, kind: str, item_id: str) -> str:
    """A signed URL that works without a token (downloads and flow uploads)."""
    signature = emulator_of(request).sign(f"{kind}/{item_id}")
    return f"{_base(request)}/presigned/{kind}/{item_id}?signature={signature}"


def check_signature(request: Request, kind: str, item_id: str) -> None:
    """Refuse a presigned URL whose signature does not match (403, like storage would)."""
    signature = request.query_params.get("signature", "")
    if not emulator_of(request).is_signed(f"{kind}/{item_id}", signature):
        raise ApiProblem(403, "forbidden", "The signature of this URL does not match.")


@router.get("/api/v2/downloads/{download_id}", dependencies=[Depends(require_token)])
async def get_download(request: Request, download_id: str, issueRedirect: bool = True) -> Any:
    """Redirect to the file (or describe where it is)."""
    if emulator_of(request).store.get_blob(download_id) is None:
        raise not_found("download")
    url = presigned_url(request, "files", download_id)
    if issueRedirect:
        return RedirectResponse(url, status_code=303)
    return {"contentLocationUri": url}


@presigned.get("/presigned/files/{blob_id}")
async def get_file(request: Request, blob_id: str) -> Response:
    """The file behind a presigned download URL."""
    check_signature(request, "files", blob_id)
    blob = emulator_of(request).store.get_blob(blob_id)
    if blob is None:
        raise not_found("file")
    content, media_type = blob
    return Response(content, media_type=media_type)


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")
