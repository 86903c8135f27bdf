#!/bin/bash
# Stop the integration-tier sshd. The 'ursatest' account and its home stay (re-runs reuse it).
set -euo pipefail
# shellcheck source=scripts/integration_lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/integration_lib.sh"
require_root
stop_pidfile "$STATE_DIR/ssh/sshd.pid" sshd
log "sshd stopped"
