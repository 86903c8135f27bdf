"""The demo world: who exists and which worksets they ran (data only; ``seed.py`` plays it)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from ursa.domain.enums import PipelineType, Priority, WorksetType

GIB = 2**30

HEADER = (
    "RUN_ID\tSAMPLE_ID\tEXPERIMENTID\tSAMPLE_TYPE\tLIB_PREP\tSEQ_VENDOR\tSEQ_PLATFORM\tLANE\t"
    "SEQBC_ID\tPATH_TO_CONCORDANCE_DATA_DIR\tR1_FQ\tR2_FQ\tSTAGE_DIRECTIVE\tSTAGE_TARGET\t"
    "SUBSAMPLE_PCT\tIS_POS_CTRL\tIS_NEG_CTRL\tN_X\tN_Y\tEXTERNAL_SAMPLE_ID"
)


@dataclass(frozen=True, slots=True, kw_only=True)
class SeedCustomer:
    key: str
    name: str
    suffix: str
    bucket: str
    approval_above: Decimal | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class SeedUser:
    email: str
    name: str
    role: str
    customer: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class SeedWorkset:
    name: str
    customer: str
    owner: str
    samples: tuple[str, ...]
    target: str
    """The story: ready, awaiting_approval, on_hold, in_progress:<step>, retrying, error,
    failed, complete, canceled, ignored, archived, deleted."""
    pipeline: PipelineType = PipelineType.GERMLINE_WGS_SNV
    priority: Priority = Priority.NORMAL
    workset_type: WorksetType = WorksetType.RUO
    hours_ago: int = 24
    gib_per_sample: int = 60


CUSTOMERS = (
    SeedCustomer(key="acme", name="Acme Genomics", suffix="3f9c01ab", bucket="acme-genomics-ursa"),
    SeedCustomer(
        key="globex",
        name="Globex Bio",
        suffix="7d20e4c1",
        bucket="globex-bio-ursa",
        approval_above=Decimal("30"),
    ),
)

USERS = (
    SeedUser(email="admin@ursa.example", name="Pat Provider", role="provider_admin", customer=None),
    SeedUser(email="ada@acme.example", name="Ada Admin", role="customer_admin", customer="acme"),
    SeedUser(email="sam@acme.example", name="Sam Scientist", role="customer_user", customer="acme"),
    SeedUser(
        email="gil@globex.example", name="Gil Admin", role="customer_admin", customer="globex"
    ),
    SeedUser(email="uma@globex.example", name="Uma User", role="customer_user", customer="globex"),
)

_TRIO = ("HG002", "HG003", "HG004")
P = PipelineType
WORKSETS = (
    SeedWorkset(
        name="NA12878 trio",
        customer="acme",
        owner="sam@acme.example",
        samples=_TRIO,
        target="complete",
        hours_ago=240,
    ),
    SeedWorkset(
        name="Cardio panel batch 7",
        customer="acme",
        owner="sam@acme.example",
        samples=("CP701", "CP702", "CP703", "CP704"),
        target="complete",
        hours_ago=200,
        pipeline=P.GERMLINE_WGS_SNV_SV,
    ),
    SeedWorkset(
        name="Rare disease family 12",
        customer="acme",
        owner="ada@acme.example",
        samples=("RD12-P", "RD12-M", "RD12-F"),
        target="complete",
        hours_ago=150,
        pipeline=P.GERMLINE_WGS_KITCHENSINK,
    ),
    SeedWorkset(
        name="Smoke test",
        customer="acme",
        owner="ada@acme.example",
        samples=("SMOKE1",),
        target="complete",
        hours_ago=120,
        pipeline=P.TEST_HELP,
        gib_per_sample=1,
    ),
    SeedWorkset(
        name="Newborn screen Q4",
        customer="acme",
        owner="sam@acme.example",
        samples=("NB001", "NB002"),
        target="in_progress:pipeline_running",
        hours_ago=5,
        priority=Priority.URGENT,
    ),
    SeedWorkset(
        name="Cohort B wave 2",
        customer="acme",
        owner="ada@acme.example",
        samples=("CB201", "CB202", "CB203"),
        target="in_progress:staging",
        hours_ago=1,
    ),
    SeedWorkset(
        name="Tumor normal pair 3",
        customer="acme",
        owner="sam@acme.example",
        samples=("TN3-T", "TN3-N"),
        target="in_progress:exporting",
        hours_ago=9,
    ),
    SeedWorkset(
        name="Cohort B wave 3",
        customer="acme",
        owner="ada@acme.example",
        samples=("CB301", "CB302"),
        target="ready",
        hours_ago=2,
    ),
    SeedWorkset(
        name="Validation set 2",
        customer="acme",
        owner="sam@acme.example",
        samples=("VAL21", "VAL22"),
        target="ready",
        hours_ago=3,
        priority=Priority.LOW,
    ),
    SeedWorkset(
        name="Deep WGS 120x",
        customer="acme",
        owner="sam@acme.example",
        samples=("DEEP1", "DEEP2"),
        target="retrying",
        hours_ago=7,
        gib_per_sample=240,
    ),
    SeedWorkset(
        name="Truncated upload",
        customer="acme",
        owner="sam@acme.example",
        samples=("TU1", "TU2"),
        target="error",
        hours_ago=30,
    ),
    SeedWorkset(
        name="Legacy reprocess",
        customer="acme",
        owner="ada@acme.example",
        samples=("LR1",),
        target="failed",
        hours_ago=70,
    ),
    SeedWorkset(
        name="Duplicate order",
        customer="acme",
        owner="sam@acme.example",
        samples=("DUP1",),
        target="canceled",
        hours_ago=50,
    ),
    SeedWorkset(
        name="Pilot 2025",
        customer="acme",
        owner="ada@acme.example",
        samples=("PIL1", "PIL2"),
        target="archived",
        hours_ago=900,
    ),
    SeedWorkset(
        name="Wrong project",
        customer="acme",
        owner="sam@acme.example",
        samples=("WP1",),
        target="deleted",
        hours_ago=400,
    ),
    SeedWorkset(
        name="Ignored legacy folder",
        customer="acme",
        owner="ada@acme.example",
        samples=("IG1",),
        target="ignored",
        hours_ago=300,
    ),
    SeedWorkset(
        name="Clinical exome 44",
        customer="globex",
        owner="uma@globex.example",
        samples=("CE44A", "CE44B", "CE44C"),
        target="awaiting_approval",
        hours_ago=4,
        workset_type=WorksetType.CLINICAL,
    ),
    SeedWorkset(
        name="Population study 9",
        customer="globex",
        owner="uma@globex.example",
        samples=("PS901", "PS902", "PS903", "PS904", "PS905"),
        target="awaiting_approval",
        hours_ago=6,
    ),
    SeedWorkset(
        name="Globex trio 1",
        customer="globex",
        owner="uma@globex.example",
        samples=_TRIO,
        target="complete",
        hours_ago=300,
    ),
    SeedWorkset(
        name="Globex pilot",
        customer="globex",
        owner="gil@globex.example",
        samples=("GP1", "GP2"),
        target="complete",
        hours_ago=500,
    ),
    SeedWorkset(
        name="Globex batch 4",
        customer="globex",
        owner="uma@globex.example",
        samples=("GB41", "GB42"),
        target="in_progress:pipeline_starting",
        hours_ago=2,
    ),
    SeedWorkset(
        name="Globex batch 5",
        customer="globex",
        owner="gil@globex.example",
        samples=("GB51",),
        target="ready",
        hours_ago=1,
    ),
    SeedWorkset(
        name="Globex budget hold",
        customer="globex",
        owner="gil@globex.example",
        samples=("BH1",),
        target="on_hold",
        hours_ago=12,
    ),
    SeedWorkset(
        name="Globex rerun",
        customer="globex",
        owner="uma@globex.example",
        samples=("GR1", "GR2"),
        target="canceled",
        hours_ago=80,
    ),
    SeedWorkset(
        name="Globex failed QC",
        customer="globex",
        owner="uma@globex.example",
        samples=("FQ1",),
        target="error",
        hours_ago=40,
    ),
)


@dataclass(frozen=True, slots=True, kw_only=True)
class SeedLink:
    """A customer bucket linked by the customer's admin (through the real link service)."""

    customer: str
    admin: str
    bucket: str
    display_name: str
    description: str = ""


LINKS = (
    SeedLink(
        customer="acme",
        admin="ada@acme.example",
        bucket="acme-sequencing-inputs",
        display_name="Sequencing inputs",
        description="FASTQs from the sequencing core",
    ),
)
