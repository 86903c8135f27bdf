"""ursa.domain."""
