"""Amazon FSx for Lustre: the ``Exporter`` port on data-repository tasks."""

from ursa.adapters.fsx.exporter import FsxExporter

__all__ = ["FsxExporter"]
