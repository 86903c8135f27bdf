"""Amazon S3: the region-aware ``ObjectStore`` adapter."""

from ursa.adapters.s3.objects import S3ObjectStore

__all__ = ["S3ObjectStore"]
