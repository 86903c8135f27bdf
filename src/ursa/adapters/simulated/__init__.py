"""ursa.adapters.simulated."""
