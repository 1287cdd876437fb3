"""Architect flows: list, get, latest configuration, export jobs and import (publish) jobs
(reference §5).

Fidelity limits, chosen on purpose:
- a flow's content is its Archy YAML, stored as uploaded; export returns it byte for byte, and
  `latestconfiguration` returns that YAML parsed to JSON (the real API returns Architect's own
  JSON);
- import parses the YAML, takes the flow type from its top-level key (`inboundCall:` → INBOUNDCALL)
  and the name from `name:`, then creates the flow or publishes a new version of the flow with that
  type and name. References inside the flow (queues, data tables, contact lists) are not resolved;
- only `exportType: Yaml` is supported; one flow downloads as its file, several as a zip of
  `<fileName>.yaml` files (the SDK says "a zipped folder containing all flows"; names UNCONFIRMED).
"""

from __future__ import annotations

import io
import re
import time
import zipfile
from typing import Annotated, Any

import yaml
from fastapi import APIRouter, Body, Depends, Request
from fastapi.responses import Response

from sanitizer.emulator.downloads import check_signature, keep_download, presigned_url
from sanitizer.emulator.listing import check_page, paged
from sanitizer.emulator.oauth import emulator_of, require_token
from sanitizer.emulator.problems import bad_request, not_found
from sanitizer.emulator.state import Emulator, home_division, new_id, now_iso

router = APIRouter(dependencies=[Depends(require_token)])
uploads = APIRouter()

FLOWS = "/api/v2/flows"
FLOW_KIND = "flow"
YAML_KIND = "flowyaml"
JOB_KIND = "flowjob"
ARCHY_TYPES = {
    "inboundCall": "INBOUNDCALL",
    "inboundChat": "INBOUNDCHAT",
    "inboundEmail": "INBOUNDEMAIL",
    "inboundShortMessage": "INBOUNDSHORTMESSAGE",
    "inQueueCall": "INQUEUECALL",
    "inQueueEmail": "INQUEUEEMAIL",
    "inQueueShortMessage": "INQUEUESHORTMESSAGE",
    "outboundCall": "OUTBOUNDCALL",
    "secureCall": "SECURECALL",
    "commonModule": "COMMONMODULE",
    "workflow": "WORKFLOW",
    "workitem": "WORKITEM",
    "bot": "BOT",
    "digitalBot": "DIGITALBOT",
    "voicemail": "VOICEMAIL",
    "voiceSurvey": "VOICESURVEY",
    "surveyInvite": "SURVEYINVITE",
}
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def publish_flow(
    emulator: Emulator, content: bytes, *, flow_id: str | None = None
) -> dict[str, Any]:
    """Create or update the flow an Archy YAML document describes; the Flow. Raises ValueError."""
    try:
        document = yaml.safe_load(content.decode("utf-8-sig"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        where = getattr(exc, "problem_mark", None)
        line = f" at line {where.line + 1}" if where is not None else ""
        raise ValueError(f"The flow file is not valid YAML{line}.") from None
    if not isinstance(document, dict) or len(document) != 1:
        raise ValueError("The flow file must have exactly one top-level flow type key.")
    archy_type, body = next(iter(document.items()))
    if archy_type not in ARCHY_TYPES or not isinstance(body, dict):
        raise ValueError("The top-level key is not a known Archy flow type.")
    name = body.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ValueError("The flow has no name.")
    flow_type = ARCHY_TYPES[archy_type]
    existing = next(
        (f for f in emulator.store.all(FLOW_KIND) if f["type"] == flow_type and f["name"] == name),
        None,
    )
    flow_id = existing["id"] if existing else (flow_id or new_id())
    number = int(existing["publishedVersion"]["id"].split(".")[0]) + 1 if existing else 1
    version = {
        "id": f"{number}.0",
        "name": f"{number}.0",
        "commitVersion": f"{number}.0",
        "configurationVersion": f"{number}.0",
        "type": "PUBLISH",
        "secure": False,
        "debug": False,
        "dateCreated": _epoch_ms(),
        "selfUri": f"{FLOWS}/{flow_id}/versions/{number}.0",
    }
    flow = {
        "id": flow_id,
        "name": name,
        "description": str(body.get("description") or ""),
        "type": flow_type,
        "division": home_division(),
        "active": True,
        "system": False,
        "deleted": False,
        "publishedVersion": version,
        "checkedInVersion": version,
        "selfUri": f"{FLOWS}/{flow_id}",
    }
    with emulator.store.transaction():
        emulator.store.put(FLOW_KIND, flow_id, flow)
        emulator.store.put(YAML_KIND, flow_id, {"yaml": content.decode("utf-8-sig")})
    return flow


@router.get(FLOWS)
async def list_flows(
    request: Request,
    pageSize: int = 25,
    pageNumber: int = 1,
    name: str | None = None,
) -> dict[str, Any]:
    """Flows, filtered by `type` (repeatable, lower case), `id` (repeatable) and `name`."""
    number, size = check_page(pageNumber, pageSize, max_size=500)
    flows = emulator_of(request).store.all(FLOW_KIND)
    ids = request.query_params.getlist("id")
    types = {t.upper() for t in request.query_params.getlist("type")}
    if ids:
        flows = [f for f in flows if f["id"] in ids]
    else:
        if types:
            flows = [f for f in flows if f["type"] in types]
        if name is not None:
            pattern = name.lower().replace("*", "")
            flows = [f for f in flows if pattern in f["name"].lower()]
    return paged(request, sorted(flows, key=lambda f: f["id"]), number, size)


@router.get(FLOWS + "/{flow_id}")
async def get_flow(request: Request, flow_id: str) -> dict[str, Any]:
    """One flow."""
    return _flow(emulator_of(request), flow_id)


@router.get(FLOWS + "/{flow_id}/latestconfiguration")
async def latest_configuration(request: Request, flow_id: str) -> dict[str, Any]:
    """The flow's content as JSON (here: its YAML, parsed)."""
    emulator = emulator_of(request)
    _flow(emulator, flow_id)
    stored = emulator.store.get(YAML_KIND, flow_id) or {"yaml": "{}"}
    parsed = yaml.safe_load(stored["yaml"])
    return parsed if isinstance(parsed, dict) else {}


@router.post(FLOWS + "/export/jobs")
async def start_export(request: Request, body: Annotated[Any, Body()] = None) -> dict[str, Any]:
    """Register an export job for one or more flows."""
    emulator = emulator_of(request)
    flows = body.get("flows") if isinstance(body, dict) else None
    if not isinstance(flows, list) or not flows:
        raise bad_request("The body must list the flows to export.", fields=["flows"])
    job_id = new_id()
    files: list[tuple[str, bytes]] = []
    messages = []
    for index, item in enumerate(flows):
        flow = _resolve(emulator, item.get("flow") if isinstance(item, dict) else None)
        export_type = item.get("exportType", "Yaml") if isinstance(item, dict) else "Yaml"
        if flow is None or export_type != "Yaml":
            reason = "was not found" if flow is None else "asks for an unsupported exportType"
            messages.append(_message(f"Flow entry {index} {reason}."))
            continue
        stem = str(item.get("fileName") or f"{flow['name']}_v{flow['publishedVersion']['id']}")
        content = (emulator.store.get(YAML_KIND, flow["id"]) or {"yaml": ""})["yaml"]
        files.append((_SAFE_NAME.sub("_", stem), content.encode()))
    job: dict[str, Any] = {
        "id": job_id,
        "command": "Export",
        "messages": messages,
        "pollsLeft": emulator.config.job_polls,
        "final": "Failure",
    }
    if not messages:
        data, media_type = _package(files)
        job.update(final="Success", blobId=keep_download(emulator, data, media_type))
    emulator.store.put(JOB_KIND, job_id, job)
    return {
        "id": job_id,
        "status": "Registered",
        "totalFlows": len(flows),
        "selfUri": f"{FLOWS}/export/jobs/{job_id}",
    }


@router.get(FLOWS + "/export/jobs/{job_id}")
async def get_export(request: Request, job_id: str, expand: str | None = None) -> dict[str, Any]:
    """An export job's state; `downloadUrl` once it succeeded."""
    job = _advance(emulator_of(request), job_id, "Export")
    state = _state(job, expand, f"{FLOWS}/export/jobs/{job_id}")
    if state["status"] == "Success":
        state["downloadUrl"] = presigned_url(request, "files", job["blobId"])
    return state


@router.post(FLOWS + "/jobs")
async def register_import(request: Request, body: Annotated[Any, Body()] = None) -> dict[str, Any]:
    """Register an import (publish) job; upload the YAML to `presignedUrl` next."""
    emulator = emulator_of(request)
    job_id = new_id()
    emulator.store.put(
        JOB_KIND,
        job_id,
        {
            "id": job_id,
            "command": "Publish",
            "messages": [],
            "pollsLeft": emulator.config.job_polls,
            "final": None,
        },
    )
    return {
        "id": job_id,
        "presignedUrl": presigned_url(request, "uploads", job_id),
        "headers": {"Content-Type": "application/octet-stream"},
        "selfUri": f"{FLOWS}/jobs/{job_id}",
    }


@router.get(FLOWS + "/jobs/{job_id}")
async def get_import(request: Request, job_id: str, expand: str | None = None) -> dict[str, Any]:
    """An import job's state, with the flow once published."""
    job = _advance(emulator_of(request), job_id, "Publish")
    state = _state(job, expand, f"{FLOWS}/jobs/{job_id}")
    if state["status"] == "Success" and job.get("flow"):
        state["flow"] = job["flow"]
    return state


@uploads.put("/presigned/uploads/{job_id}")
async def upload(request: Request, job_id: str) -> Response:
    """Receive the flow YAML of an import job and publish it."""
    check_signature(request, "uploads", job_id)
    emulator = emulator_of(request)
    job = emulator.store.get(JOB_KIND, job_id)
    if job is None or job["command"] != "Publish":
        raise not_found("job")
    try:
        flow = publish_flow(emulator, await request.body())
    except ValueError as exc:
        job.update(final="Failure", messages=[_message(str(exc))])
    else:
        ref = {"id": flow["id"], "name": flow["name"], "selfUri": flow["selfUri"]}
        job.update(final="Success", flow=ref, messages=[])
    emulator.store.put(JOB_KIND, job_id, job)
    return Response(status_code=200)


def _flow(emulator: Emulator, flow_id: str) -> dict[str, Any]:
    flow = emulator.store.get(FLOW_KIND, flow_id)
    if flow is None:
        raise not_found("flow")
    return flow


def _resolve(emulator: Emulator, ref: Any) -> dict[str, Any] | None:
    if not isinstance(ref, dict):
        return None
    if ref.get("id"):
        return emulator.store.get(FLOW_KIND, str(ref["id"]))
    flow_type = str(ref.get("type", "")).upper()
    return next(
        (
            f
            for f in emulator.store.all(FLOW_KIND)
            if f["name"] == ref.get("name") and f["type"] == flow_type
        ),
        None,
    )


def _advance(emulator: Emulator, job_id: str, command: str) -> dict[str, Any]:
    job = emulator.store.get(JOB_KIND, job_id)
    if job is None or job["command"] != command:
        raise not_found("job")
    if job["final"] is not None and job["pollsLeft"] > 0:
        job["pollsLeft"] -= 1
        emulator.store.put(JOB_KIND, job_id, job)
        job["status"] = "Started"
    else:
        job["status"] = job["final"] or "Registered"
    return job


def _state(job: dict[str, Any], expand: str | None, self_uri: str) -> dict[str, Any]:
    state: dict[str, Any] = {
        "id": job["id"],
        "status": job["status"],
        "command": job["command"],
        "selfUri": self_uri,
    }
    if expand and "messages" in expand:
        state["messages"] = job["messages"]
    return state


def _message(text: str) -> dict[str, Any]:
    return {"dateTime": now_iso(), "type": "Error", "text": text}


def _package(files: list[tuple[str, bytes]]) -> tuple[bytes, str]:
    if len(files) == 1:
        return files[0][1], "application/x-yaml"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for stem, content in files:
            archive.writestr(f"{stem}.yaml", content)
    return buffer.getvalue(), "application/zip"


def _epoch_ms() -> int:
    return int(time.time() * 1000)
