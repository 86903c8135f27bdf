"""Production refuses unsafe security settings, each with a message naming the variable at
fault; development accepts them. Sessions and CORS are read and checked in every
environment (``Settings.from_env``)."""

from __future__ import annotations

import pytest

from ursa.app.settings import DEV_SESSION_SECRET, Settings, SettingsError

SAFE = {
    "URSA_ENV": "production",
    "URSA_SESSION_SECRET": "p" * 40,
    "URSA_DEV_SIGN_IN": "false",
    "URSA_STORE": "aws",
    "URSA_REDIS_URL": "redis://redis.internal:6379/0",
    "URSA_CORS_ORIGINS": "https://lab.acme.example, https://portal.globex.example:8443",
}


def _refused(**changes: str | None) -> str:
    env = {k: v for k, v in {**SAFE, **changes}.items() if v is not None}
    with pytest.raises(SettingsError) as caught:
        Settings.from_env(env)
    return str(caught.value)


def test_a_safe_production_configuration_is_accepted() -> None:
    settings = Settings.from_env(SAFE)
    assert settings.session_store == "redis"  # the default once a Redis is configured
    assert settings.cors_origins == (
        "https://lab.acme.example",
        "https://portal.globex.example:8443",
    )
    assert settings.rate_limit_storage == "async+redis://redis.internal:6379/0"


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        ({"URSA_SESSION_SECRET": None}, "URSA_SESSION_SECRET"),  # the dev default
        ({"URSA_SESSION_SECRET": DEV_SESSION_SECRET}, "URSA_SESSION_SECRET"),
        ({"URSA_SESSION_SECRET": "s" * 31}, "URSA_SESSION_SECRET"),  # too short
        ({"URSA_DEV_SIGN_IN": "true"}, "URSA_DEV_SIGN_IN"),
        ({"URSA_DEV_SIGN_IN": None}, "URSA_DEV_SIGN_IN"),  # on by default
        ({"URSA_STORE": "memory"}, "URSA_STORE"),
        ({"URSA_SESSION_STORE": "memory"}, "URSA_SESSION_STORE"),
        ({"URSA_CORS_ORIGINS": "*"}, "URSA_CORS_ORIGINS"),
        ({"URSA_CORS_ORIGINS": "https://lab.acme.example,*"}, "URSA_CORS_ORIGINS"),
        ({"URSA_CORS_ORIGINS": "https://*.acme.example"}, "URSA_CORS_ORIGINS"),
    ],
)
def test_production_refuses_and_names_the_setting(
    changes: dict[str, str | None], named: str
) -> None:
    message = _refused(**changes)
    assert named in message, message
    assert "p" * 40 not in message  # a refusal never prints the secret


def test_production_refuses_memory_sessions_when_no_redis_is_configured() -> None:
    """Without a Redis the rate limits are refused first; with them stored elsewhere, the
    sessions are."""
    assert "URSA_RATE_LIMIT_STORAGE" in _refused(URSA_REDIS_URL=None)
    message = _refused(
        URSA_REDIS_URL=None, URSA_RATE_LIMIT_STORAGE="async+redis://limits.internal:6379/1"
    )
    assert "URSA_SESSION_STORE=memory" in message and "URSA_REDIS_URL" in message


def test_development_allows_memory_sessions_and_any_origin() -> None:
    dev = Settings.from_env({"URSA_CORS_ORIGINS": "*"})
    assert (dev.session_store, dev.cors_origins) == ("memory", ("*",))
    wildcard = Settings.from_env({"URSA_CORS_ORIGINS": "http://*.localhost:5173"})
    assert wildcard.cors_origins == ("http://*.localhost:5173",)
    assert Settings.from_env({}).cors_origins == ()  # default: no CORS


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"URSA_SESSION_STORE": "cookie"}, "URSA_SESSION_STORE"),
        ({"URSA_SESSION_STORE": "redis"}, "URSA_REDIS_URL"),  # redis without a URL
        (
            {"URSA_SESSION_STORE": "redis", "URSA_REDIS_URL": "http://redis:6379"},
            "URSA_REDIS_URL",
        ),
        ({"URSA_CORS_ORIGINS": "https://lab.acme.example/"}, "URSA_CORS_ORIGINS"),
        ({"URSA_CORS_ORIGINS": "https://lab.acme.example/api"}, "URSA_CORS_ORIGINS"),
        ({"URSA_CORS_ORIGINS": "lab.acme.example"}, "URSA_CORS_ORIGINS"),
        ({"URSA_CORS_ORIGINS": "https://lab.acme.example https://x.example"}, "URSA_CORS_ORIGINS"),
    ],
)
def test_every_environment_refuses_settings_that_cannot_work(
    env: dict[str, str], named: str
) -> None:
    with pytest.raises(SettingsError, match=named):
        Settings.from_env(env)


def test_session_store_and_origins_are_read_leniently() -> None:
    settings = Settings.from_env(
        {
            "URSA_SESSION_STORE": " Redis ",
            "URSA_REDIS_URL": "async+redis://127.0.0.1:6390/7",
            "URSA_CORS_ORIGINS": " https://a.example ,, http://localhost:5173 ,",
        }
    )
    assert settings.session_store == "redis"
    assert settings.cors_origins == ("https://a.example", "http://localhost:5173")
    memory = Settings.from_env(
        {"URSA_REDIS_URL": "redis://127.0.0.1:6390/7", "URSA_SESSION_STORE": "memory"}
    )
    assert memory.session_store == "memory"  # an explicit choice beats the default
