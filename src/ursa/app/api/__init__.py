"""ursa.app.api."""
