#!/bin/bash
# Stop the integration tier (Slurm first: its jobs are cancelled before slurmd goes), then
# sshd and Redis. Removes .integration/env so nothing mistakes a stopped tier for a live one.
# Keys and logs stay in .integration/ for a post-mortem; every step runs even if one fails.
set -uo pipefail
# shellcheck source=scripts/integration_lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/integration_lib.sh"
require_root

HERE=$(dirname "${BASH_SOURCE[0]}")
rm -f "$STATE_DIR/env"
rc=0
for service in slurm sshd redis; do
  t=$(now)
  bash "$HERE/${service}_down.sh" || rc=1
  log "$service down in $(since "$t")"
done
exit "$rc"
