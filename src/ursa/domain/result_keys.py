"""A workset's delivered results (§4.9): where they are, which sample each belongs to, and
which keys a caller may fetch.

The export writes to ``<workset prefix>results/`` (the ``export_uri``), which holds the
pipeline dir's ``results/`` and ``logs/`` trees plus Ursa's ``_manifests/``. Keys given to
callers are full keys in the workset's bucket; ``path`` is the same key relative to the
results prefix, which is what ``run_outputs`` attributes to samples."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ursa.domain.errors import InvalidInput
from ursa.domain.run_outputs import sample_of
from ursa.domain.validation import check_input_key

RESULTS_DIR = "results/"
OUTSIDE_RESULTS = "OUTSIDE_RESULTS"


@dataclass(frozen=True, slots=True, kw_only=True)
class ResultObject:
    key: str
    """The full key in the workset's bucket (what ``download`` takes)."""
    path: str
    """The key relative to the results prefix."""
    size: int
    etag: str
    storage_class: str
    sample_id: str | None
    """The sample the object belongs to (§3.2 attribution); None for cohort-level files."""


def results_prefix(workset_prefix: str) -> str:
    """``worksets/<id>/results/``: the export URI of every run of the workset."""
    return f"{workset_prefix}{RESULTS_DIR}"


def result_object(
    *,
    key: str,
    size: int,
    etag: str,
    storage_class: str,
    workset_prefix: str,
    build: str,
    sample_ids: Iterable[str],
) -> ResultObject:
    path = key.removeprefix(results_prefix(workset_prefix))
    return ResultObject(
        key=key,
        path=path,
        size=size,
        etag=etag,
        storage_class=storage_class,
        sample_id=sample_of(path, build, sample_ids),
    )


def check_result_key(key: str, workset_prefix: str) -> str:
    """A safe key (§11.3) strictly below the workset's results prefix, or ``InvalidInput``
    on ``key``. The message does not name the prefix: it is the same for every workset."""
    check_input_key(key, field="key")
    prefix = results_prefix(workset_prefix)
    if not key.startswith(prefix) or key == prefix:
        raise InvalidInput.single(
            "key",
            OUTSIDE_RESULTS,
            "the key is not a result object of this workset; use a key from its results listing",
        )
    return key
