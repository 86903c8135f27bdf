"""ursa.web.controllers."""
