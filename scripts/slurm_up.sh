#!/bin/bash
# Single-node Slurm on loopback for the integration tier (TOOLCHAIN.md §7, WITH_DBD=0): munge,
# slurmctld, slurmd; no database. Accounting is off; finished jobs are logged by
# jobcomp/filetxt (read them with `sacct -c`). Idempotent: running daemons are left alone.
# Writes system paths (/etc/slurm, /etc/munge, /run/{munge,slurm}, /var/spool, /var/log/slurm).
set -euo pipefail
# shellcheck source=scripts/integration_lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/integration_lib.sh"
require_root

ensure_packages munge slurmctld slurmd slurm-client
mkdir -p /etc/slurm /run/munge /run/slurm /var/spool/slurmctld /var/spool/slurmd /var/log/slurm

start_munge() {
  if [ ! -s /etc/munge/munge.key ]; then
    dd if=/dev/urandom of=/etc/munge/munge.key bs=1 count=1024 2>/dev/null
    chown munge:munge /etc/munge/munge.key
    chmod 400 /etc/munge/munge.key
  fi
  chown munge:munge /run/munge
  chmod 755 /run/munge
  munge -n >/dev/null 2>&1 || runuser -u munge -- /usr/sbin/munged --force
  wait_for 50 0.1 sh -c 'munge -n | unmunge' || die "munged does not answer"
}

write_config() {
  cat >/etc/slurm/slurm.conf <<CONF
# Written by ursa scripts/slurm_up.sh: single node, loopback, no accounting database.
ClusterName=ursa-test
SlurmctldHost=localhost
SlurmUser=root
AuthType=auth/munge
CredType=cred/munge
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/filetxt
JobCompLoc=/var/log/slurm/jobcomp.log
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
SlurmctldPidFile=/run/slurm/slurmctld.pid
SlurmdPidFile=/run/slurm/slurmd.pid
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$(nproc) RealMemory=1000 State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
}

node_idle() { sinfo -h -N -o '%T' | grep -qE '^idle'; }
ctld_up() { scontrol ping | grep -q UP; }

start_munge
write_config
ctld_up 2>/dev/null || slurmctld
wait_for 100 0.2 ctld_up || true
alive /run/slurm/slurmd.pid || slurmd -N localhost
if ! wait_for 100 0.3 node_idle; then
  sinfo -N -o '%N %T %E' >&2 || true
  tail -n 30 /var/log/slurm/slurmctld.log /var/log/slurm/slurmd.log >&2 || true
  die "the Slurm node never reached idle"
fi
sinfo -N -o '%N %T %C %m %P'
