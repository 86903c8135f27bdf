"""Helpers of the linked-bucket API tests: the seeded names, the callers, and what a customer
does before linking (create the bucket, write the challenge object)."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from api_client import Api
from ursa.adapters.memory.objects import InMemoryObjectStore
from ursa.domain.linked_buckets import challenge_key

SAM, ADA, GIL, PAT = (
    "sam@acme.example",
    "ada@acme.example",
    "gil@globex.example",
    "admin@ursa.example",
)
ACME, GLOBEX = "acme-genomics-3f9c01ab", "globex-bio-7d20e4c1"
SEEDED = "acme-sequencing-inputs"
PROBLEM = "application/problem+json"


def objects(api: Api) -> InMemoryObjectStore:
    assert api.container.objects is not None
    return api.container.objects


def ready_bucket(api: Api, bucket: str, customer_id: str = ACME, prefix: str = "") -> None:
    """What a customer does before linking: create the bucket and write the challenge."""
    objects(api).create_bucket(bucket)
    objects(api).seed_object(bucket, challenge_key(customer_id, bucket, prefix), 0)


def link(api: Api, email: str, bucket: str, **fields: Any) -> httpx.Response:
    body = {"bucket": bucket, "display_name": f"{bucket} link", **fields}
    return api.client.post("/api/v1/buckets", json=body, headers=api.auth(email))


def listed(api: Api, email: str, **params: str) -> list[str]:
    response = api.client.get("/api/v1/buckets", headers=api.auth(email), params=params)
    assert response.status_code == 200, response.text
    return [item["bucket"] for item in response.json()["items"]]


def inputs_of(api: Api, customer_id: str) -> tuple[str, ...]:
    customer = asyncio.run(api.container.ports.directory.get_customer(customer_id))
    return customer.linked_buckets


def audit_actions(api: Api, customer_id: str) -> list[str]:
    records = asyncio.run(api.container.ports.audit.for_tenant(customer_id, limit=1000))
    return [r.action for r in records if r.action.startswith("bucket.")]


def seeded_id(api: Api) -> str:
    (seeded,) = asyncio.run(api.container.ports.linked_buckets.list_for_customer(ACME))
    return seeded.bucket_id
