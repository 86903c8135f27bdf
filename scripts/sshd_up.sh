#!/bin/bash
# OpenSSH sshd on 127.0.0.1:2222 for the integration tier, with fresh ed25519 host and client
# keys under .integration/ssh and the login user 'ursatest' (bash, may use Slurm and tmux).
# Idempotent: when our sshd already runs, nothing changes.
set -euo pipefail
# shellcheck source=scripts/integration_lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/integration_lib.sh"
require_root

D="$STATE_DIR/ssh"
ensure_packages openssh-server

if alive "$D/sshd.pid" && [ -s "$D/client_ed25519" ] && [ -s "$D/known_hosts" ]; then
  log "sshd already up on $SSH_HOST:$SSH_PORT (pid $(cat "$D/sshd.pid"))"
  exit 0
fi

mkdir -p "$D" /run/sshd
chmod 700 "$D"
rm -f "$D"/host_ed25519 "$D"/host_ed25519.pub "$D"/client_ed25519 "$D"/client_ed25519.pub
ssh-keygen -q -t ed25519 -N '' -C ursa-it-host -f "$D/host_ed25519"
ssh-keygen -q -t ed25519 -N '' -C ursa-it-client -f "$D/client_ed25519"
printf '[%s]:%s %s\n' "$SSH_HOST" "$SSH_PORT" "$(cut -d' ' -f1,2 "$D/host_ed25519.pub")" \
  >"$D/known_hosts"

# The account: created once, unlocked without a usable password ('*'; useradd leaves it
# locked, which sshd refuses with UsePAM no), bash as the login shell.
id "$SSH_USER" >/dev/null 2>&1 || useradd -m -s /bin/bash "$SSH_USER"
usermod -p '*' -s /bin/bash "$SSH_USER"
HOME_DIR=$(getent passwd "$SSH_USER" | cut -d: -f6)
install -d -m 700 -o "$SSH_USER" -g "$SSH_USER" "$HOME_DIR/.ssh"
install -m 600 -o "$SSH_USER" -g "$SSH_USER" "$D/client_ed25519.pub" "$HOME_DIR/.ssh/authorized_keys"

cat >"$D/sshd_config" <<CONF
Port $SSH_PORT
ListenAddress $SSH_HOST
HostKey $D/host_ed25519
PidFile $D/sshd.pid
AllowUsers $SSH_USER
PasswordAuthentication no
KbdInteractiveAuthentication no
PubkeyAuthentication yes
PermitRootLogin no
UsePAM no
StrictModes no
Subsystem sftp internal-sftp
CONF
/usr/sbin/sshd -t -f "$D/sshd_config"
/usr/sbin/sshd -f "$D/sshd_config" -E "$D/sshd.log"

ssh_check() {
  ssh -q -n -i "$D/client_ed25519" -o BatchMode=yes -o IdentitiesOnly=yes \
    -o UserKnownHostsFile="$D/known_hosts" -o StrictHostKeyChecking=yes \
    -p "$SSH_PORT" "$SSH_USER@$SSH_HOST" true
}
if ! wait_for 50 0.1 ssh_check; then
  tail -n 30 "$D/sshd.log" >&2 || true
  die "sshd on $SSH_HOST:$SSH_PORT does not accept $SSH_USER with the client key"
fi
log "sshd up on $SSH_HOST:$SSH_PORT (pid $(cat "$D/sshd.pid")), user $SSH_USER"
