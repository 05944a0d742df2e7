"""Service configuration, read from environment variables prefixed ``CREDCHECK_``.

See the README's "Configuration" table for every variable.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from engine import available_cpus, default_rules_dir

__all__ = ["Settings"]


def split_list(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CREDCHECK_", env_ignore_empty=True, extra="ignore")

    rules_dir: Path = Field(default_factory=default_rules_dir, description="Rule set directory.")
    host: str = Field("127.0.0.1", description="Address `credcheck serve` binds to.")
    port: int = Field(8000, ge=1, le=65535, description="Port `credcheck serve` listens on.")
    workers: int = Field(1, ge=1, le=64, description="Worker processes for `credcheck serve`.")
    log_level: str = Field("info", description="Log level: debug, info, warning, error.")
    batch_limit: int = Field(10_000, ge=1, le=10_000, description="Most items accepted in one batch request.")
    body_limit: int = Field(1_048_576, ge=1024, description="Largest request body in bytes (batch excepted).")
    batch_body_limit: int = Field(33_554_432, ge=1024, description="Largest batch request body in bytes.")
    api_keys: str = Field("", description="Comma-separated API keys; when set, requests must present one.")
    protect_metrics: bool = Field(False, description="With API keys set, `/metrics` also requires a key.")
    auth_failure_limit: int = Field(
        5, ge=1, description="Failed authentications a client address may make per minute; then 429."
    )
    cors_origins: str = Field("", description="Comma-separated origins allowed by CORS (`*` for any); empty: off.")
    rate_limit: float = Field(0, ge=0, description="Requests per second per client and process; 0: no limit.")
    rate_burst: int = Field(50, ge=1, description="Requests a client may make at once before the rate applies.")
    reload_seconds: float = Field(
        0, ge=0, description="Check the rule files this often and reload valid changes; 0: never."
    )
    shutdown_timeout: float = Field(30, ge=0, description="Seconds in-flight requests get to finish on shutdown.")
    drain_seconds: float = Field(
        3, ge=0, description="On SIGTERM, seconds `/readyz` answers 503 (still serving) before the listener closes."
    )
    header_timeout: float = Field(10, gt=0, description="Seconds a client may take to send a request's headers.")
    body_timeout: float = Field(20, gt=0, description="Seconds a request body may stall (no data) before 408.")
    forwarded_allow_ips: str = Field(
        "", description="Comma-separated proxy addresses trusted to set X-Forwarded-For (the client address)."
    )
    full_detail_limit: int = Field(
        100, ge=1, le=10_000, description="Most items of a JSON (not NDJSON) batch answer with `detail: full`."
    )
    bench_echo: bool = Field(
        False, description="Benchmarks only: add POST /_bench/echo, which returns the JSON it receives."
    )
    batch_workers: int = Field(
        default_factory=available_cpus,
        ge=1,
        le=64,
        description="Worker processes each service process uses for large batches (1: evaluate in process).",
    )

    @model_validator(mode="after")
    def _keys_given_are_keys(self) -> Settings:
        # `CREDCHECK_API_KEYS=","` (or spaces) once turned authentication off without a word: whoever sets the
        # variable means to require keys, so a value with no key in it stops the service instead.
        if self.api_keys and not split_list(self.api_keys):
            raise ValueError("CREDCHECK_API_KEYS is set but holds no key (only commas or spaces)")
        return self
