#!/bin/bash
# Bring up the integration tier: Debian packages (first time only), then sshd, single-node
# Slurm and Redis, then write .integration/env (sourceable) for the tests. Idempotent.
set -euo pipefail
# shellcheck source=scripts/integration_lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/integration_lib.sh"
require_root

PACKAGES=(openssh-server munge slurmctld slurmd slurm-client redis-server tmux)
HERE=$(dirname "${BASH_SOURCE[0]}")
mkdir -p "$STATE_DIR"

t=$(now)
ensure_packages "${PACKAGES[@]}"
log "packages ready in $(since "$t")"

for service in sshd slurm redis; do
  t=$(now)
  bash "$HERE/${service}_up.sh"
  log "$service up in $(since "$t")"
done

# The login user must reach Slurm and tmux through sshd, as the engine will.
D="$STATE_DIR/ssh"
ssh -q -n -i "$D/client_ed25519" -o BatchMode=yes -o IdentitiesOnly=yes \
  -o UserKnownHostsFile="$D/known_hosts" -o StrictHostKeyChecking=yes -p "$SSH_PORT" \
  "$SSH_USER@$SSH_HOST" 'command -v sbatch squeue scancel tmux && sinfo -h -o %T' >/dev/null \
  || die "$SSH_USER cannot run sbatch/squeue/scancel/tmux/sinfo over ssh"

{
  printf '# Written by scripts/integration_up.sh; removed by scripts/integration_down.sh.\n'
  printf 'export URSA_IT_SSH_HOST=%q\n' "$SSH_HOST"
  printf 'export URSA_IT_SSH_PORT=%q\n' "$SSH_PORT"
  printf 'export URSA_IT_SSH_USER=%q\n' "$SSH_USER"
  printf 'export URSA_IT_SSH_KEY=%q\n' "$D/client_ed25519"
  printf 'export URSA_IT_SSH_KNOWN_HOSTS=%q\n' "$D/known_hosts"
  printf 'export URSA_IT_REDIS_URL=%q\n' "redis://127.0.0.1:$REDIS_PORT/0"
} >"$STATE_DIR/env.tmp"
mv "$STATE_DIR/env.tmp" "$STATE_DIR/env"
log "ready; environment in .integration/env"
