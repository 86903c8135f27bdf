#!/bin/bash
# Stop the integration-tier Slurm. Order matters: cancel jobs and wait for them (a slurmstepd
# whose slurmd is gone ignores TERM), then slurmd, slurmctld, munged.
set -euo pipefail
# shellcheck source=scripts/integration_lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/integration_lib.sh"
require_root

no_jobs() { [ -z "$(squeue -h -o %i)" ]; }
if command -v scontrol >/dev/null && scontrol ping 2>/dev/null | grep -q UP; then
  squeue -h -o %i | xargs -r scancel
  wait_for 50 0.2 no_jobs || log "jobs still listed after 10 s: $(squeue -h -o %i | xargs)"
fi
stop_pidfile /run/slurm/slurmd.pid slurmd
stop_pidfile /run/slurm/slurmctld.pid slurmctld
stop_pidfile /run/munge/munged.pid munged
log "slurm stopped"
