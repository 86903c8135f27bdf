"""Shared plumbing for the AWS adapters: client options, one client per service and region,
and the translation of SDK errors into the domain's vocabulary."""
