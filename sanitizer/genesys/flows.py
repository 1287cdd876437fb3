"""Architect flows: list, export to Archy YAML through export jobs, import/publish through import
jobs.

Reference §5. Export: `POST /api/v2/flows/export/jobs` → poll `GET
.../export/jobs/{id}?expand=messages` until `Success`/`Failure` → download `downloadUrl` (one flow:
the file itself; several: "a zipped folder containing all flows", per the SDK's
ArchitectExportJobStateResponse). Import: `POST /api/v2/flows/jobs` → PUT the YAML to the presigned
URL with the headers given → poll `GET /api/v2/flows/jobs/{id}`.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable, Iterator, Mapping
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import quote

from sanitizer.errors import GenesysError
from sanitizer.genesys.messages import safe_message
from sanitizer.genesys.paging import iter_pages
from sanitizer.genesys.polling import PollPolicy, poll
from sanitizer.genesys.transport import Transport

FLOWS = "/api/v2/flows"
EXPORT_JOBS = "/api/v2/flows/export/jobs"
IMPORT_JOBS = "/api/v2/flows/jobs"
_DONE = ("Success", "Failure")

FlowRef = str | Mapping[str, str]
"""A flow id, or `{"name": ..., "type": ...}` (type as in `GET /api/v2/flows?type=inboundcall`)."""


class FlowsApi:
    """`client.flows`."""

    def __init__(self, transport: Transport, poll_policy: PollPolicy) -> None:
        self._transport = transport
        self._poll = poll_policy

    def list(
        self, *, types: Iterable[str] | None = None, name: str | None = None
    ) -> Iterator[dict[str, Any]]:
        """Every flow, optionally only of some types (`inboundcall`, `workflow`...) or a name."""
        params: dict[str, Any] = {}
        if types is not None:
            params["type"] = [t.lower() for t in types]
        if name is not None:
            params["name"] = name
        return iter_pages(self._transport, FLOWS, params, page_size=100)

    def get(self, flow_id: str) -> dict[str, Any]:
        """One flow."""
        return dict(self._transport.json("GET", _flow(flow_id), endpoint=f"GET {FLOWS}/{{flowId}}"))

    def latest_configuration(self, flow_id: str) -> dict[str, Any]:
        """The latest saved configuration of a flow (an untyped JSON object)."""
        return dict(
            self._transport.json(
                "GET",
                f"{_flow(flow_id)}/latestconfiguration",
                endpoint=f"GET {FLOWS}/{{flowId}}/latestconfiguration",
            )
        )

    def export(self, flow_refs: Iterable[FlowRef]) -> dict[str, bytes]:
        """Archy YAML of each flow, keyed by the id (or name) it was asked by."""
        refs = list(flow_refs)
        if not refs:
            return {}
        keys = [ref if isinstance(ref, str) else ref["name"] for ref in refs]
        names = [f"sanitizer-export-{i}" for i in range(len(refs))]
        body = {
            "flows": [
                {"flow": _flow_ref(ref), "fileName": file_name, "exportType": "Yaml"}
                for ref, file_name in zip(refs, names, strict=True)
            ]
        }
        job = self._transport.json("POST", EXPORT_JOBS, json=body, idempotent=True)
        state = self._wait(f"{EXPORT_JOBS}/{quote(str(job['id']), safe='')}", "the flow export job")
        url = state.get("downloadUrl")
        if not isinstance(url, str) or not url:
            raise GenesysError(
                "the flow export job succeeded without a downloadUrl", endpoint=EXPORT_JOBS
            )
        # A signed storage URL: it needs no token and must not be sent ours.
        data = self._transport.request(
            "GET",
            url,
            endpoint="GET {flow export downloadUrl}",
            follow_redirects=True,
            authenticated=False,
        ).content
        if len(refs) == 1 and not zipfile.is_zipfile(io.BytesIO(data)):
            return {keys[0]: data}
        return _unzip(data, keys, names)

    def import_flow(self, yaml_bytes: bytes) -> dict[str, Any]:
        """Import (create or update) and publish one flow from Archy YAML; the finished job state.

        Registering a job twice is harmless and the upload is a PUT, so every step may be retried.
        """
        job = self._transport.json("POST", IMPORT_JOBS, json={}, idempotent=True)
        url = job.get("presignedUrl") if isinstance(job, dict) else None
        if not isinstance(url, str) or not url:
            raise GenesysError("the import job has no presignedUrl", endpoint=f"POST {IMPORT_JOBS}")
        headers = job.get("headers") if isinstance(job.get("headers"), dict) else {}
        # The presigned URL is a storage host, not the API: it must not see our token.
        self._transport.request(
            "PUT",
            url,
            content=yaml_bytes,
            headers={str(k): str(v) for k, v in (headers or {}).items()},
            endpoint="PUT {flow import presignedUrl}",
            authenticated=False,
        )
        return self._wait(f"{IMPORT_JOBS}/{quote(str(job['id']), safe='')}", "the flow import job")

    def _wait(self, path: str, what: str) -> dict[str, Any]:
        label = f"GET {path.rsplit('/', 1)[0]}/{{jobId}}"

        def done() -> dict[str, Any] | None:
            state = self._transport.json("GET", path, params={"expand": "messages"}, endpoint=label)
            return state if isinstance(state, dict) and state.get("status") in _DONE else None

        state = poll(done, self._poll, what=what, endpoint=label)
        if state["status"] == "Failure":
            raise GenesysError(f"{what} failed: {_messages(state)}", endpoint=label)
        return state


def _flow(flow_id: str) -> str:
    return f"{FLOWS}/{quote(flow_id, safe='')}"


def _flow_ref(ref: FlowRef) -> dict[str, str]:
    if isinstance(ref, str):
        return {"id": ref}
    return {"name": ref["name"], "type": ref["type"].upper()}


def _messages(state: Mapping[str, Any]) -> str:
    texts = [
        safe_message(m.get("text"))
        for m in state.get("messages") or []
        if isinstance(m, dict) and m.get("type") == "Error"
    ]
    return "; ".join(t for t in texts if t) or "no error message given"


def _unzip(data: bytes, keys: list[str], names: list[str]) -> dict[str, bytes]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise GenesysError(
            "the flow export download is neither a flow file nor a zip archive",
            endpoint="GET {flow export downloadUrl}",
        ) from exc
    members = {
        PurePosixPath(info.filename).stem: info for info in archive.infolist() if not info.is_dir()
    }
    out: dict[str, bytes] = {}
    for key, name in zip(keys, names, strict=True):
        if name not in members:
            raise GenesysError(
                f"the flow export archive lacks the file for flow {key}",
                endpoint="GET {flow export downloadUrl}",
            )
        out[key] = archive.read(members[name])
    return out
