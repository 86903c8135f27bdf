"""Settings: frozen, read once from ``URSA_*`` environment variables at start-up."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from ursa.app.engine_settings import EngineSettings, EngineSettingsError


class Environment(StrEnum):
    DEV = "dev"
    TEST = "test"
    PRODUCTION = "production"


DEV_SESSION_SECRET = "dev-only-session-secret-change-me"  # noqa: S105  (refused in production)


def _flag(value: str) -> bool:
    return value.strip().lower() in ("1", "true", "yes")


def _limit_storage(env: Mapping[str, str]) -> str:
    """Redis when ``URSA_REDIS_URL`` is set (``redis://h:p/0`` → ``async+redis://h:p/0``)."""
    url = env.get("URSA_REDIS_URL")
    return f"async+{url}" if url and not url.startswith("async+") else url or "async+memory://"


def _origins(value: str) -> tuple[str, ...]:
    """``URSA_CORS_ORIGINS``: comma-separated, blanks dropped."""
    return tuple(o.strip() for o in value.split(",") if o.strip())


SESSION_STORES = ("memory", "redis")
_ORIGIN = re.compile(r"\*|https?://[A-Za-z0-9*.-]+(:[0-9]{1,5})?")
"""An origin as browsers send it: scheme, host, optional port; no path, no trailing slash."""
_REDIS_SCHEMES = ("redis://", "rediss://", "unix://")


class SettingsError(ValueError):
    """A setting is missing or unsafe; the message names it."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Settings:
    env: Environment = Environment.DEV
    host: str = "127.0.0.1"
    port: int = 8914
    session_secret: str = DEV_SESSION_SECRET
    dev_sign_in: bool = True
    store: str = "memory"
    aws_region: str = "us-west-2"
    aws_endpoint_url: str | None = None
    aws_table: str = "ursa"
    aws_connect_timeout_s: float = 5.0
    aws_read_timeout_s: float = 15.0
    aws_max_attempts: int = 5
    cognito_user_pool_id: str | None = None
    cognito_client_id: str | None = None
    cognito_jwks_url: str | None = None
    """Defaults to ``<issuer>/.well-known/jwks.json``; emulators override only this."""
    sns_topic_arn: str | None = None
    redis_url: str | None = None
    session_store: str = "memory"
    """Where portal sessions live: ``memory`` (one process) or ``redis`` (``redis_url``)."""
    cors_origins: tuple[str, ...] = ()
    """Browser origins allowed to call the API cross-origin; empty: no CORS at all."""
    rate_limit_storage: str = "async+memory://"
    """``async+redis://host:port/db`` shares budgets across processes; memory is per process."""
    rate_limit_auth: str = "20/minute"
    rate_limit_read: str = "600/minute"
    rate_limit_write: str = "120/minute"
    rate_limit_admin: str = "60/minute"
    log_level: str = "INFO"
    engine: EngineSettings = field(default_factory=EngineSettings)

    @property
    def rate_budgets(self) -> dict[str, str]:
        return {
            "auth": self.rate_limit_auth,
            "read": self.rate_limit_read,
            "write": self.rate_limit_write,
            "admin": self.rate_limit_admin,
        }

    @property
    def cognito_issuer(self) -> str | None:
        """Always the AWS issuer (region + pool id), never derived from the JWKS URL."""
        if not self.cognito_user_pool_id:
            return None
        region = self.cognito_user_pool_id.split("_", 1)[0]
        return f"https://cognito-idp.{region}.amazonaws.com/{self.cognito_user_pool_id}"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        defaults = cls()

        def get(name: str, default: str) -> str:
            return env.get(f"URSA_{name}", default)

        try:
            settings = cls(
                env=Environment(get("ENV", "dev")),
                host=get("HOST", defaults.host),
                port=int(get("PORT", str(defaults.port))),
                session_secret=get("SESSION_SECRET", defaults.session_secret),
                dev_sign_in=_flag(get("DEV_SIGN_IN", "true")),
                store=get("STORE", defaults.store),
                aws_region=get("AWS_REGION", defaults.aws_region),
                aws_endpoint_url=env.get("URSA_AWS_ENDPOINT_URL") or None,
                aws_table=get("AWS_TABLE", defaults.aws_table),
                aws_connect_timeout_s=float(
                    get("AWS_CONNECT_TIMEOUT_S", str(defaults.aws_connect_timeout_s))
                ),
                aws_read_timeout_s=float(
                    get("AWS_READ_TIMEOUT_S", str(defaults.aws_read_timeout_s))
                ),
                aws_max_attempts=int(get("AWS_MAX_ATTEMPTS", str(defaults.aws_max_attempts))),
                cognito_user_pool_id=env.get("URSA_COGNITO_USER_POOL_ID") or None,
                cognito_client_id=env.get("URSA_COGNITO_CLIENT_ID") or None,
                cognito_jwks_url=env.get("URSA_COGNITO_JWKS_URL") or None,
                sns_topic_arn=env.get("URSA_SNS_TOPIC_ARN") or None,
                redis_url=env.get("URSA_REDIS_URL") or None,
                session_store=get(
                    "SESSION_STORE", "redis" if env.get("URSA_REDIS_URL") else "memory"
                )
                .strip()
                .lower(),
                cors_origins=_origins(get("CORS_ORIGINS", "")),
                rate_limit_storage=get("RATE_LIMIT_STORAGE", _limit_storage(env)),
                rate_limit_auth=get("RATE_LIMIT_AUTH", defaults.rate_limit_auth),
                rate_limit_read=get("RATE_LIMIT_READ", defaults.rate_limit_read),
                rate_limit_write=get("RATE_LIMIT_WRITE", defaults.rate_limit_write),
                rate_limit_admin=get("RATE_LIMIT_ADMIN", defaults.rate_limit_admin),
                log_level=get("LOG_LEVEL", defaults.log_level).upper(),
                engine=EngineSettings.from_env(env, dev=get("ENV", "dev") == "dev"),
            )
        except EngineSettingsError as exc:
            raise SettingsError(str(exc)) from exc
        except ValueError as exc:
            raise SettingsError(f"invalid URSA_* setting: {exc}") from exc
        settings.check()
        return settings

    def check(self) -> None:
        """Production refuses unsafe settings (defect 7)."""
        if self.store not in ("memory", "aws"):
            raise SettingsError(f"URSA_STORE must be memory or aws, not {self.store!r}")
        self._check_sessions_and_cors()
        self.engine.check()
        if self.env is not Environment.PRODUCTION:
            return
        if self.engine.enabled and self.engine.cluster_mode == "simulated":
            raise SettingsError(
                "URSA_CLUSTER_MODE=simulated fakes every run; production engines need static or "
                "pcluster"
            )
        if self.session_secret == DEV_SESSION_SECRET or len(self.session_secret) < 32:
            raise SettingsError(
                "URSA_SESSION_SECRET must be set to a random value of at least 32 characters "
                "in production"
            )
        if self.dev_sign_in:
            raise SettingsError("URSA_DEV_SIGN_IN must be false in production")
        if self.store == "memory":
            raise SettingsError("URSA_STORE=memory is for development only; use aws in production")
        if self.rate_limit_storage.startswith("async+memory"):
            raise SettingsError(
                "URSA_RATE_LIMIT_STORAGE (or URSA_REDIS_URL) must name a Redis in production: "
                "in-memory limits are per process"
            )
        if self.session_store == "memory":
            raise SettingsError(
                "URSA_SESSION_STORE=memory keeps portal sessions in one process; production "
                "needs redis (set URSA_REDIS_URL)"
            )
        if any("*" in origin for origin in self.cors_origins):
            raise SettingsError(
                "URSA_CORS_ORIGINS must list exact origins in production, without '*' "
                f"(now {','.join(self.cors_origins)})"
            )

    def _check_sessions_and_cors(self) -> None:
        """Checked in every environment: values that cannot work anywhere."""
        if self.session_store not in SESSION_STORES:
            raise SettingsError(
                f"URSA_SESSION_STORE must be memory or redis, not {self.session_store!r}"
            )
        if self.session_store == "redis" and not self.redis_url:
            raise SettingsError("URSA_SESSION_STORE=redis needs URSA_REDIS_URL")
        url = (self.redis_url or "").removeprefix("async+")
        if self.session_store == "redis" and not url.startswith(_REDIS_SCHEMES):
            raise SettingsError(
                "URSA_REDIS_URL must start with redis://, rediss:// or unix:// "
                f"(now {url.split('://', 1)[0]!r})"
            )
        for origin in self.cors_origins:
            if not _ORIGIN.fullmatch(origin):
                raise SettingsError(
                    f"URSA_CORS_ORIGINS: {origin!r} is not an origin; write scheme://host[:port] "
                    "(no path, no trailing slash), comma-separated"
                )
