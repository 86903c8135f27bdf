"""Staging and export over SFTP, for clusters without FSx (a static cluster's head node)."""

from ursa.adapters.direct.exporter import DirectExporter
from ursa.adapters.direct.stager import DirectStager

__all__ = ["DirectExporter", "DirectStager"]
