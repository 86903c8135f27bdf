"""Builders shared by every test tier (on pytest's pythonpath)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from ursa.domain.enums import Origin, PipelineType, ReferenceGenome, WorksetState
from ursa.domain.principals import Actor, ActorKind, Principal, Role
from ursa.domain.worksets import ManifestRef, Workset

NOW = datetime(2026, 11, 23, 10, 15, tzinfo=UTC)
ACME = "acme-genomics-3f9c01ab"
GLOBEX = "globex-bio-7d20e4c1"

PROVIDER = Principal(
    user_id="u-pa", email="pa@ursa.example", role=Role.PROVIDER_ADMIN, customer_id=None
)
ACME_ADMIN = Principal(
    user_id="u-ca", email="ca@acme.example", role=Role.CUSTOMER_ADMIN, customer_id=ACME
)
ACME_USER = Principal(
    user_id="u-cu", email="cu@acme.example", role=Role.CUSTOMER_USER, customer_id=ACME
)
ACME_COLLEAGUE = Principal(
    user_id="u-cu2", email="cu2@acme.example", role=Role.CUSTOMER_USER, customer_id=ACME
)
GLOBEX_ADMIN = Principal(
    user_id="u-gx", email="ga@globex.example", role=Role.CUSTOMER_ADMIN, customer_id=GLOBEX
)
USER_ACTOR = Actor(kind=ActorKind.USER, id="u-cu", role=Role.CUSTOMER_USER)


def make_workset(**overrides: Any) -> Workset:
    """A valid ready workset owned by ACME_USER; any field can be overridden."""
    base = Workset(
        workset_id="acme-trio-7c1e2a9b",
        name="acme trio",
        customer_id=ACME,
        owner_user_id="u-cu",
        created_by_email="cu@acme.example",
        origin=Origin.API,
        created_at=NOW,
        submitted_at=NOW,
        updated_at=NOW,
        ready_since=NOW,
        pipeline_type=PipelineType.GERMLINE_WGS_SNV,
        pipeline_version="0.7.601",
        reference_genome=ReferenceGenome.GRCH38,
        genome_build="hg38",
        manifest=ManifestRef(
            key="worksets/acme-trio-7c1e2a9b/stage_samples.tsv",
            sha256="0" * 64,
            row_count=4,
            sample_count=3,
        ),
        bucket="acme-genomics-ursa",
        prefix="worksets/acme-trio-7c1e2a9b/",
        bucket_region="us-west-2",
        state=WorksetState.READY,
        quote_id="q-acme-trio-7c1e2a9b-1",
        cost_estimate=Decimal("23.63"),
    )
    return replace(base, **overrides)
