"""Settings from `MEDIANEST_*` environment variables and an optional `.env` file."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import quote, unquote, urlsplit, urlunsplit

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from medianest.log import register_secret

ENV_PREFIX = "MEDIANEST_"


class SettingsError(Exception):
    """Raised with a message that names each bad setting by its environment variable."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, env_file=".env", extra="ignore", validate_default=True
    )

    data_dir: Path = Path("data")
    database_url: str | None = Field(
        default=None, description="sqlite://… or postgres://…; default: a SQLite file in data_dir"
    )
    redis_url: str | None = None
    redis_prefix: str = Field(default="medianest:", description="namespace for every Redis key")
    download_dir: Path | None = Field(default=None, description="default: data_dir/downloads")
    secret_key: SecretStr | None = None
    secret_key_file: Path | None = None
    admin_username: str = "admin"
    admin_password: SecretStr | None = None
    public_url: str | None = Field(
        default=None, description="https://medianest.example, for Origin checks"
    )
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=1, le=65535)
    workers: int = Field(default=1, ge=1, le=64)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"
    log_format: Literal["json", "text"] = "text"
    max_body_bytes: int = Field(default=1_048_576, ge=1024)
    # NoDecode: comma-separated in the environment ("plex,youtube"), not JSON.
    plugins: Annotated[list[str] | None, NoDecode] = Field(
        default=None, description="allow-list of plugin ids"
    )
    block_plugins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    disable_plugin_autoload: bool = False
    plugin_hook_timeout: float = Field(default=10.0, gt=0)
    status_interval: float | None = Field(
        default=None,
        ge=0.5,
        description="check every service this often (seconds) instead of each probe's own interval",
    )
    trusted_proxies: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="proxy CIDRs whose X-Forwarded-For is believed"
    )
    ws_max_per_user: int = Field(
        default=20, ge=1, description="open websockets one account may hold (per process)"
    )
    ws_max_per_address: int = Field(
        default=60, ge=1, description="open websockets one address may hold (per process)"
    )
    ws_max_pending: int = Field(
        default=10, ge=1, description="websockets an address may hold before they say who they are"
    )
    metrics_token: SecretStr | None = Field(
        default=None,
        description="/metrics wants `Authorization: Bearer <this>` (with metrics_allow: either)",
    )
    metrics_allow: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="CIDRs /metrics answers without a token (comma-separated)"
    )
    session_idle_minutes: int = Field(default=24 * 60, ge=5)
    session_lifetime_hours: int = Field(default=7 * 24, ge=1)
    run_jobs: bool | None = Field(
        default=None,
        description="run background jobs in this process; default: yes without Redis, "
        "no with Redis (then `medianest worker` processes run them)",
    )
    job_concurrency: int = Field(
        default=4, ge=1, le=64, description="jobs one process runs at once"
    )
    job_lease_seconds: float = Field(
        default=30.0,
        ge=0.5,
        description="a job whose worker stops renewing for this long runs again elsewhere",
    )
    job_poll_seconds: float = Field(
        default=5.0, gt=0, description="how often workers sweep for expired leases and due jobs"
    )
    job_retry_base_seconds: float = Field(
        default=10.0,
        ge=0,
        description="wait before the first retry of a transient failure (doubles, jittered)",
    )
    job_shutdown_grace: float = Field(
        default=30.0,
        ge=0,
        description="seconds running jobs may finish on stop before they are re-queued",
    )
    extra_plugins: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="`module:attribute` plugin objects `medianest worker` loads besides the "
        "installed ones (tests, plugin development)",
    )
    start_timeout: float = Field(
        default=60.0, ge=0, description="seconds a start waits for the database and Redis"
    )
    database_password_file: Path | None = Field(
        default=None, description="a file holding the database password, for a URL without one"
    )
    access_log: bool = Field(default=True, description="one log line per HTTP request (at INFO)")
    access_log_probes: bool = Field(default=False, description="log /healthz and /readyz too")
    worker_heartbeat_file: Path | None = Field(
        default=None,
        description="`medianest worker` rewrites this file while it works; `medianest worker "
        "--check` reads it (default: <data dir>/worker.heartbeat)",
    )

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("plugins", "block_plugins", "trusted_proxies", "extra_plugins", mode="before")
    @classmethod
    def _comma_list(cls, value: object) -> object:
        if isinstance(value, str) and not value.lstrip().startswith("["):
            return [item.strip() for item in value.split(",") if item.strip()]
        return value

    @field_validator("metrics_allow", mode="before")
    @classmethod
    def _networks(cls, value: object) -> object:
        if isinstance(value, str):
            value = [item.strip() for item in value.split(",") if item.strip()]
        for network in value if isinstance(value, list) else ():
            ipaddress.ip_network(network, strict=False)  # a ValueError names the bad one
        return value

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(
            ("sqlite://", "postgres://", "postgresql://", "asyncpg://")
        ):
            raise ValueError("must start with sqlite://, postgres:// or postgresql://")
        return value

    @field_validator("redis_url")
    @classmethod
    def _known_redis(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("must start with redis://, rediss:// or unix://")
        return value

    @field_validator("database_password_file")
    @classmethod
    def _readable_file(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_file():
            raise ValueError(f"{value} is not a readable file")
        return value

    @model_validator(mode="after")
    def _download_dir_known(self) -> Settings:
        # Plugins read `core.settings.download_dir` as a Path (medianest.sdk.PlatformSettings).
        if self.download_dir is None:
            self.download_dir = self.data_dir / "downloads"
        return self

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return _with_password(self.database_url, self.database_password_file)
        return f"sqlite://{(self.data_dir / 'medianest.sqlite3').resolve()}"

    @property
    def resolved_heartbeat_file(self) -> Path:
        return self.worker_heartbeat_file or self.data_dir / "worker.heartbeat"

    @property
    def resolved_download_dir(self) -> Path:
        return self.download_dir or self.data_dir / "downloads"


def _with_password(url: str, password_file: Path | None) -> str:
    """The URL with the password from `password_file` (a secret file), unless it has one."""
    parts = urlsplit(url)
    if password_file is None or parts.password is not None or url.startswith("sqlite"):
        return url
    password = password_file.read_text(encoding="utf-8").strip()
    register_secret(password)
    user = quote(unquote(parts.username or ""), safe="")
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{user}:{quote(password, safe='')}@{host}"))


def load_settings(**overrides: Any) -> Settings:
    """Build settings, turning pydantic's error into one that names the variables."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        problems = []
        for error in exc.errors(include_url=False):
            field = str(error["loc"][0]) if error["loc"] else "?"
            problems.append(f"{ENV_PREFIX}{field.upper()}: {error['msg']}")
        raise SettingsError("invalid settings: " + "; ".join(problems)) from None
