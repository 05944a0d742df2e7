"""Service configuration, read from environment variables prefixed ``CREDCHECK_``.

See the README's "Configuration" table for every variable.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from engine import available_cpus, default_rules_dir

__all__ = ["Settings"]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CREDCHECK_", env_ignore_empty=True, extra="ignore")

    rules_dir: Path = Field(default_factory=default_rules_dir, description="Rule set directory.")
    host: str = Field("127.0.0.1", description="Address `credcheck serve` binds to.")
    port: int = Field(8000, ge=1, le=65535, description="Port `credcheck serve` listens on.")
    workers: int = Field(1, ge=1, le=64, description="Worker processes for `credcheck serve`.")
    log_level: str = Field("info", description="Log level: debug, info, warning, error.")
    batch_limit: int = Field(10_000, ge=1, le=10_000, description="Most items accepted in one batch request.")
    batch_workers: int = Field(
        default_factory=available_cpus,
        ge=1,
        le=64,
        description="Worker processes each service process uses for large batches (1: evaluate in process).",
    )
