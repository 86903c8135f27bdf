"""The pipeline catalogue is data (defect 18): every pipeline type has an entry."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from ursa.domain.enums import PipelineType, ReferenceGenome
from ursa.domain.errors import InvalidInput


@dataclass(frozen=True, slots=True, kw_only=True)
class PipelineEntry:
    pipeline_type: PipelineType
    title: str
    default_version: str
    targets: tuple[str, ...]
    builds: Mapping[ReferenceGenome, str]
    expected_outputs: tuple[str, ...]
    timeout_minutes: int = 480


_HUMAN = MappingProxyType({ReferenceGenome.GRCH38: "hg38", ReferenceGenome.GRCH37: "b37"})
_SNV = ("*.cram", "*.snv.sort.vcf.gz")

CATALOGUE: Mapping[PipelineType, PipelineEntry] = MappingProxyType(
    {
        PipelineType.TEST_HELP: PipelineEntry(
            pipeline_type=PipelineType.TEST_HELP,
            title="Test run (help target)",
            default_version="0.7.601",
            targets=("help",),
            builds=_HUMAN,
            expected_outputs=(),
            timeout_minutes=30,
        ),
        PipelineType.GERMLINE_WGS_SNV: PipelineEntry(
            pipeline_type=PipelineType.GERMLINE_WGS_SNV,
            title="Germline WGS: SNVs",
            default_version="0.7.601",
            targets=("produce_snv_concordances", "produce_alignstats"),
            builds=_HUMAN,
            expected_outputs=_SNV,
        ),
        PipelineType.GERMLINE_WGS_SNV_SV: PipelineEntry(
            pipeline_type=PipelineType.GERMLINE_WGS_SNV_SV,
            title="Germline WGS: SNVs and SVs",
            default_version="0.7.601",
            targets=(
                "produce_snv_concordances",
                "produce_alignstats",
                "produce_tiddit",
                "produce_manta",
            ),
            builds=_HUMAN,
            expected_outputs=(*_SNV, "*.sv.sort.vcf.gz"),
        ),
        PipelineType.GERMLINE_WGS_KITCHENSINK: PipelineEntry(
            pipeline_type=PipelineType.GERMLINE_WGS_KITCHENSINK,
            title="Germline WGS: everything",
            default_version="0.7.601",
            targets=(
                "produce_snv_concordances",
                "produce_alignstats",
                "produce_tiddit",
                "produce_manta",
                "produce_multiqc_final_wgs",
            ),
            builds=_HUMAN,
            expected_outputs=(*_SNV, "*.sv.sort.vcf.gz"),
        ),
    }
)


def genome_build(pipeline: PipelineType, reference: ReferenceGenome) -> str:
    """The build passed everywhere (defect 16); unsupported references are rejected."""
    build = CATALOGUE[pipeline].builds.get(reference)
    if build is None:
        supported = ", ".join(r.value for r in CATALOGUE[pipeline].builds)
        raise InvalidInput.single(
            "reference_genome",
            "REFERENCE_UNSUPPORTED",
            f"{reference.value} is not available for {pipeline.value}; use one of: {supported}",
        )
    return build
