#!/bin/bash
# Redis on 127.0.0.1:6390 for the integration tier: daemonized, no persistence, pid and log in
# .integration/redis. Idempotent: an answering server is left alone.
set -euo pipefail
# shellcheck source=scripts/integration_lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/integration_lib.sh"
require_root

D="$STATE_DIR/redis"
ensure_packages redis-server
pong() { redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping | grep -q PONG; }

if pong 2>/dev/null; then
  log "redis already up on 127.0.0.1:$REDIS_PORT"
  exit 0
fi
mkdir -p "$D"
redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --daemonize yes --save '' --appendonly no \
  --pidfile "$D/redis.pid" --logfile "$D/redis.log" --dir "$D"
if ! wait_for 50 0.1 pong; then
  tail -n 30 "$D/redis.log" >&2 || true
  die "redis did not answer PING on 127.0.0.1:$REDIS_PORT"
fi
log "redis up on 127.0.0.1:$REDIS_PORT (pid $(cat "$D/redis.pid"))"
