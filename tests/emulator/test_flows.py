"""Flow endpoints: import jobs through the presigned upload, export jobs, listings."""

from __future__ import annotations

import io
import zipfile

import httpx
import pytest

FLOWS = "/api/v2/flows"


def publish(api: httpx.Client, content: bytes) -> dict:
    job = api.post(f"{FLOWS}/jobs").json()
    assert (
        httpx.put(job["presignedUrl"], content=content, headers=job["headers"]).status_code == 200
    )
    states = [
        api.get(f"{FLOWS}/jobs/{job['id']}", params={"expand": "messages"}).json() for _ in range(2)
    ]
    assert states[0]["status"] == "Started"  # the job reports progress once before finishing
    return states[1]


def test_import_job_before_upload_is_registered(api: httpx.Client) -> None:
    job = api.post(f"{FLOWS}/jobs").json()
    assert api.get(f"{FLOWS}/jobs/{job['id']}").json()["status"] == "Registered"


def test_import_job_publishes_the_flow(api: httpx.Client) -> None:
    state = publish(api, b"workflow:\n  name: Check\n")
    assert state["status"] == "Success" and state["command"] == "Publish"
    flow = api.get(f"{FLOWS}/{state['flow']['id']}").json()
    assert flow["type"] == "WORKFLOW" and flow["publishedVersion"]["id"] == "1.0"


def test_import_job_invalid_yaml_fails_with_line_number(api: httpx.Client) -> None:
    state = publish(api, b"workflow:\n  name: x\n  bad: [unclosed\n")
    assert state["status"] == "Failure"
    assert "line" in state["messages"][0]["text"] and state["messages"][0]["type"] == "Error"


def test_upload_with_bad_signature_is_forbidden(api: httpx.Client) -> None:
    job = api.post(f"{FLOWS}/jobs").json()
    assert httpx.put(job["presignedUrl"][:-4] + "0000", content=b"x").status_code == 403


def test_export_job_several_flows_downloads_a_zip(api: httpx.Client) -> None:
    ids = [publish(api, f"workflow:\n  name: W{i}\n".encode())["flow"]["id"] for i in range(2)]
    job = api.post(
        f"{FLOWS}/export/jobs", json={"flows": [{"flow": {"id": i}} for i in ids]}
    ).json()
    assert job["status"] == "Registered" and job["totalFlows"] == 2
    api.get(f"{FLOWS}/export/jobs/{job['id']}")
    state = api.get(f"{FLOWS}/export/jobs/{job['id']}").json()
    archive = zipfile.ZipFile(io.BytesIO(httpx.get(state["downloadUrl"]).content))
    assert sorted(archive.namelist()) == ["W0_v1.0.yaml", "W1_v1.0.yaml"]


@pytest.mark.parametrize(
    ("body", "status"),
    [({}, 400), ({"flows": []}, 400), ({"flows": [{"flow": {"id": "missing"}}]}, 200)],
)
def test_export_job_bad_requests(api: httpx.Client, body: dict, status: int) -> None:
    assert api.post(f"{FLOWS}/export/jobs", json=body).status_code == status


def test_list_flows_by_id_ignores_other_filters(api: httpx.Client) -> None:
    first = publish(api, b"workflow:\n  name: A\n")["flow"]["id"]
    publish(api, b"inboundCall:\n  name: B\n")
    by_id = api.get(FLOWS, params={"id": first, "type": "inboundcall"}).json()["entities"]
    by_type = api.get(FLOWS, params={"type": "inboundcall"}).json()["entities"]
    assert [f["name"] for f in by_id] == ["A"] and [f["name"] for f in by_type] == ["B"]
