"""ursa.domain.services."""
