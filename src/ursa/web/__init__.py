"""ursa.web."""
