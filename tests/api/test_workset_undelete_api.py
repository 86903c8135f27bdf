"""POST /api/v1/worksets/{id}/undelete (T27) through the real app: provider admins bring a
soft-deleted workset back as archived; a hard delete (its purge started) never comes back."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from api_client import Api

SAM, ADA, GIL, PAT = (
    "sam@acme.example",
    "ada@acme.example",
    "gil@globex.example",
    "admin@ursa.example",
)
ACME = "acme-genomics-3f9c01ab"
API = "/api/v1/worksets"


def _id(api: Api, name: str) -> str:
    page = api.client.get(
        API, headers=api.auth(PAT), params={"q": name, "include_archived": "true"}
    ).json()
    (found,) = [w["workset_id"] for w in page["items"] if w["name"] == name]
    return str(found)


def _undelete(api: Api, email: str, workset_id: str, body: Any) -> httpx.Response:
    return api.client.post(f"{API}/{workset_id}/undelete", headers=api.auth(email), json=body)


def _get(api: Api, workset_id: str) -> dict[str, Any]:
    answer: dict[str, Any] = api.client.get(f"{API}/{workset_id}", headers=api.auth(PAT)).json()
    return answer


def test_a_provider_admin_undeletes_a_soft_deleted_workset(api: Api) -> None:
    workset_id = _id(api, "Cardio panel batch 7")
    deleted = api.client.delete(f"{API}/{workset_id}", headers=api.auth(SAM))
    assert deleted.status_code == 200 and deleted.json()["workset"]["state"] == "deleted"
    gone = _get(api, workset_id)
    for email, status in ((SAM, 403), (ADA, 403), (GIL, 404)):
        refused = _undelete(api, email, workset_id, {"reason": "mine"})
        assert refused.status_code == status, (email, refused.text)
    for body in (None, {}, {"reason": "  "}, {"reason": "x" * 501}):
        invalid = _undelete(api, PAT, workset_id, body)
        assert invalid.status_code == 422, (body, invalid.text)
    assert _get(api, workset_id) == gone
    back = _undelete(api, PAT, workset_id, {"reason": "deleted the wrong batch"})
    assert back.status_code == 200, back.text
    assert back.json()["state"] == "archived" and back.json()["version"] == gone["version"] + 1
    history = api.client.get(f"{API}/{workset_id}/history", headers=api.auth(PAT)).json()
    assert (history[-1]["event"], history[-1]["reason"]) == ("undelete", "deleted the wrong batch")
    head = asyncio.run(api.container.ports.audit.head(ACME))
    assert head is not None and head.action == "workset.undelete"
    restored = api.client.post(f"{API}/{workset_id}/restore", headers=api.auth(SAM))
    assert restored.status_code == 200 and restored.json()["state"] == "complete"
    again = _undelete(api, PAT, workset_id, {"reason": "twice"})
    assert (again.status_code, again.json()["code"]) == (409, "INVALID_STATE_TRANSITION")


def test_a_hard_deleted_workset_cannot_be_undeleted(api: Api) -> None:
    workset_id = _id(api, "NA12878 trio")
    hard = api.client.delete(f"{API}/{workset_id}", headers=api.auth(ADA), params={"hard": "true"})
    assert hard.status_code == 200 and hard.json()["objects_removed"] > 0, hard.text
    purged = _get(api, workset_id)
    refused = _undelete(api, PAT, workset_id, {"reason": "please"})
    assert (refused.status_code, refused.json()["code"]) == (409, "PURGE_STARTED")
    assert "purged" in refused.json()["detail"]
    assert _get(api, workset_id) == purged


def test_the_operation_is_documented(api: Api) -> None:
    schema = api.client.get("/schema/openapi.json").json()
    operation = schema["paths"][f"{API}/{{workset_id}}/undelete"]["post"]
    assert operation["operationId"] == "undeleteWorkset" and operation["tags"] == ["worksets"]
    body = operation["requestBody"]["content"]["application/json"]["schema"]
    assert body["examples"] and operation["requestBody"]["required"] is True
