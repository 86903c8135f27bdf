"""Engine settings (``URSA_ENGINE_*``, ``URSA_CLUSTER_*``, ``URSA_SSH_*``), read with the
rest of ``Settings``. ``cluster_mode`` picks the cluster adapters:

* ``simulated``: the timeline head node of ``ursa dev`` (no SSH, no cloud);
* ``static``: one configured head node over SSH, results copied back over SFTP;
* ``pcluster``: AWS ParallelCluster through the ``pcluster`` CLI, export from FSx."""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from dataclasses import dataclass

CLUSTER_MODES = ("simulated", "static", "pcluster")


class EngineSettingsError(ValueError):
    pass


@dataclass(frozen=True, slots=True, kw_only=True)
class EngineSettings:
    enabled: bool = False
    cluster_mode: str = "simulated"
    max_concurrent: int = 4
    lease_s: float = 300.0
    heartbeat_s: float = 60.0
    takeover_margin_s: float = 30.0
    poll_s: float = 30.0
    fast_poll_s: float = 10.0
    claim_interval_s: float = 5.0
    command_timeout_s: float = 60.0
    pipeline_base: str = "/fsx/analysis_results/ubuntu/"
    stage_base: str = "/fsx/data/staged_sample_data/"
    pipeline_command: tuple[str, ...] = ()
    clone_command: tuple[str, ...] = ()
    pipeline_environment: tuple[tuple[str, str], ...] = ()
    simulated_failing_samples: tuple[str, ...] = ()
    cluster_name: str = "ursa-static"
    cluster_regions: tuple[str, ...] = ()
    head_host: str | None = None
    head_port: int = 22
    head_user: str = "ubuntu"
    ssh_key_path: str | None = None
    ssh_known_hosts_path: str | None = None
    pcluster_path: str = "pcluster"
    max_transfer_bytes: int = 8 * 2**30

    @classmethod
    def from_env(cls, env: Mapping[str, str], *, dev: bool) -> EngineSettings:
        d = cls()

        def get(name: str, default: str) -> str:
            return env.get(f"URSA_{name}", default)

        def words(name: str) -> tuple[str, ...]:
            return tuple(shlex.split(get(name, "")))

        mode = get("CLUSTER_MODE", d.cluster_mode)
        if mode not in CLUSTER_MODES:
            raise EngineSettingsError(
                f"URSA_CLUSTER_MODE must be one of {', '.join(CLUSTER_MODES)}, not {mode!r}"
            )
        environment = tuple(
            tuple(item.split("=", 1)) for item in words("PIPELINE_ENV") if "=" in item
        )
        settings = cls(
            enabled=get("ENGINE", "true" if dev else "false").strip().lower()
            in ("1", "true", "yes"),
            cluster_mode=mode,
            max_concurrent=int(get("ENGINE_MAX_CONCURRENT", str(d.max_concurrent))),
            lease_s=float(get("ENGINE_LEASE_S", str(d.lease_s))),
            heartbeat_s=float(get("ENGINE_HEARTBEAT_S", str(d.heartbeat_s))),
            takeover_margin_s=float(get("ENGINE_TAKEOVER_MARGIN_S", str(d.takeover_margin_s))),
            poll_s=float(get("ENGINE_POLL_S", "3" if dev else str(d.poll_s))),
            fast_poll_s=float(get("ENGINE_FAST_POLL_S", "2" if dev else str(d.fast_poll_s))),
            claim_interval_s=float(get("ENGINE_CLAIM_INTERVAL_S", "2" if dev else "5")),
            command_timeout_s=float(get("ENGINE_COMMAND_TIMEOUT_S", str(d.command_timeout_s))),
            pipeline_base=get("PIPELINE_BASE", d.pipeline_base),
            stage_base=get("STAGE_BASE", d.stage_base),
            pipeline_command=words("PIPELINE_COMMAND"),
            clone_command=words("CLONE_COMMAND"),
            pipeline_environment=environment,  # type: ignore[arg-type]
            simulated_failing_samples=words("SIMULATED_FAILING_SAMPLES")
            or (("CB302",) if dev else ()),
            cluster_name=get("CLUSTER_NAME", d.cluster_name),
            cluster_regions=words("CLUSTER_REGIONS"),
            head_host=env.get("URSA_HEAD_HOST") or None,
            head_port=int(get("HEAD_PORT", str(d.head_port))),
            head_user=get("HEAD_USER", d.head_user),
            ssh_key_path=env.get("URSA_SSH_KEY_PATH") or None,
            ssh_known_hosts_path=env.get("URSA_SSH_KNOWN_HOSTS_PATH") or None,
            pcluster_path=get("PCLUSTER_PATH", d.pcluster_path),
            max_transfer_bytes=int(get("MAX_TRANSFER_BYTES", str(d.max_transfer_bytes))),
        )
        settings.check()
        return settings

    def check(self) -> None:
        if not 0 < self.heartbeat_s * 3 <= self.lease_s:
            raise EngineSettingsError(
                "URSA_ENGINE_HEARTBEAT_S must be at most a third of URSA_ENGINE_LEASE_S, so a "
                "lease survives two missed heartbeats"
            )
        if self.cluster_mode == "simulated" or not self.enabled:
            return
        if self.cluster_mode == "static" and not self.head_host:
            raise EngineSettingsError("URSA_HEAD_HOST is required with URSA_CLUSTER_MODE=static")
        if not self.ssh_key_path or not self.ssh_known_hosts_path:
            raise EngineSettingsError(
                "URSA_SSH_KEY_PATH and URSA_SSH_KNOWN_HOSTS_PATH are required to reach head "
                "nodes (host keys are pinned, never skipped)"
            )
