"""ursa.adapters."""
