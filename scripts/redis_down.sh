#!/bin/bash
# Stop the integration-tier Redis (nothing is persisted).
set -euo pipefail
# shellcheck source=scripts/integration_lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/integration_lib.sh"
require_root
stop_pidfile "$STATE_DIR/redis/redis.pid" redis
log "redis stopped"
