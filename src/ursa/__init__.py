"""Ursa: the genomics workset service."""

__version__ = "0.1.0"
