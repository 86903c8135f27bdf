"""ursa.app."""
