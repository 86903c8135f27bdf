"""The workset engine: claims due worksets under a lease and drives each run through its
steps (§2.6), resuming from the workset item alone. ``monitor.Monitor`` is the loop."""
