"""ursa.adapters.memory."""
