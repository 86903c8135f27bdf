"""The OpenAPI document as API clients read it: every operation named, tagged, summarised,
with an example body and its problem answers documented."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from api_client import Api

METHODS = frozenset({"get", "post", "put", "patch", "delete"})
PROBLEM = "application/problem+json"
PROBLEM_STATUSES = {"400", "401", "403", "404", "409", "412", "422", "429", "503"}


def _operations(schema: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield method.upper(), path, operation


def _component(schema: dict[str, Any], ref: str) -> dict[str, Any]:
    found: dict[str, Any] = schema["components"]["schemas"][ref.rsplit("/", 1)[-1]]
    return found


def _has_example(schema: dict[str, Any], content: dict[str, Any]) -> bool:
    """A whole-body example, or an example on every property of the body's Struct."""
    body = content.get("schema", {})
    if content.get("examples") or body.get("examples"):
        return True
    refs = [body, *body.get("allOf", []), *body.get("oneOf", []), *body.get("anyOf", [])]
    for ref in (r["$ref"] for r in refs if "$ref" in r):
        properties = _component(schema, ref).get("properties", {}).values()
        if properties and all("examples" in p or "example" in p for p in properties):
            return True
    return False


def test_every_operation_is_named_tagged_summarised_and_exemplified(api: Api) -> None:
    schema = api.client.get("/schema/openapi.json").json()
    operation_ids: list[str] = []
    missing: list[str] = []
    for method, path, operation in _operations(schema):
        where = f"{method} {path}"
        operation_ids.append(operation.get("operationId", ""))
        if not (
            operation.get("operationId") and operation.get("tags") and operation.get("summary")
        ):
            missing.append(f"{where}: operationId, tags and summary")
        for media_type, content in operation.get("requestBody", {}).get("content", {}).items():
            if not _has_example(schema, content):
                missing.append(f"{where}: an example {media_type} body")
    assert not missing, "\n".join(missing)
    assert len(operation_ids) == len(set(operation_ids)), "operation ids must be unique"
    assert len(operation_ids) >= 60


def test_every_api_operation_documents_its_problem_answers(api: Api) -> None:
    schema = api.client.get("/schema/openapi.json").json()
    for method, path, operation in _operations(schema):
        if not path.startswith("/api/"):
            continue
        responses = operation["responses"]
        assert set(responses) >= PROBLEM_STATUSES, f"{method} {path}"
        problem = responses["422"]["content"][PROBLEM]["schema"]
        assert _component(schema, problem["$ref"])["required"] == [
            "code",
            "detail",
            "instance",
            "status",
            "title",
            "type",
        ]
