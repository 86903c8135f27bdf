# Shared helpers for the integration-tier scripts (sourced, not run). Every path derives from
# this file's location: the state directory is <repo>/.integration (git-ignored).
# shellcheck shell=bash

REPO_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
STATE_DIR="$REPO_DIR/.integration"
SSH_HOST=127.0.0.1
SSH_PORT=2222
SSH_USER=ursatest
REDIS_PORT=6390
export DEBIAN_FRONTEND=noninteractive

log() { printf '[%s] %s\n' "$(basename "$0" .sh)" "$*"; }
die() { printf '[%s] ERROR: %s\n' "$(basename "$0" .sh)" "$*" >&2; exit 1; }

require_root() {
  [ "$(id -u)" = 0 ] || die "must run as root: it installs Debian packages, adds the user" \
    "'$SSH_USER' and writes /etc/slurm, /etc/munge, /run and /var/spool (disposable machines only)"
}

# Seconds since the epoch with microseconds (bash 5's EPOCHREALTIME).
now() { printf '%s' "$EPOCHREALTIME"; }
since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1fs", b - a }'; }

# running PID: the process exists and is not a zombie (PID 1 here reaps orphans lazily, so a
# stopped daemon can linger as a zombie that `kill -0` still reports).
running() { [ -r "/proc/$1/status" ] && ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status"; }

# alive PIDFILE: the process named in PIDFILE runs.
alive() { [ -s "$1" ] && running "$(cat "$1")"; }

# stop_pidfile PIDFILE NAME: TERM, wait up to 5 s, then KILL.
stop_pidfile() {
  local pidfile=$1 name=$2 pid i
  alive "$pidfile" || { rm -f "$pidfile"; return 0; }
  pid=$(cat "$pidfile")
  kill "$pid" 2>/dev/null || true
  for i in $(seq 1 50); do running "$pid" || break; sleep 0.1; done
  if running "$pid"; then
    log "$name (pid $pid) ignored TERM; sending KILL"
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$pidfile"
}

# wait_for TRIES DELAY CMD...: retry CMD until it succeeds; returns 1 when it never does.
wait_for() {
  local tries=$1 delay=$2 i
  shift 2
  for i in $(seq 1 "$tries"); do "$@" >/dev/null 2>&1 && return 0; sleep "$delay"; done
  return 1
}

missing_packages() {
  local pkg
  for pkg in "$@"; do
    dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null | grep -qx installed \
      || printf '%s ' "$pkg"
  done
}

# ensure_packages PKG...: apt-get install the missing ones; apt-get update first when the
# package lists are empty, and once more if the install fails on stale lists.
ensure_packages() {
  local missing
  missing=$(missing_packages "$@")
  [ -n "$missing" ] || return 0
  log "installing: $missing"
  if ! compgen -G '/var/lib/apt/lists/*_Packages*' >/dev/null; then
    apt-get update -qq
  fi
  # shellcheck disable=SC2086  # the package list is meant to split
  if ! apt-get install -y -qq --no-install-recommends $missing >/dev/null; then
    apt-get update -qq
    # shellcheck disable=SC2086
    apt-get install -y -qq --no-install-recommends $missing >/dev/null
  fi
}
