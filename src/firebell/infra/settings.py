"""Configuration, read from FIREBELL_* environment variables (nested sections use `__`)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class IngestSettings(BaseModel):
    max_body_bytes: int = Field(default=1_048_576, ge=1024)
    max_batch: int = Field(default=512, ge=1, le=10_000)
    key_cache_seconds: float = Field(default=5.0, ge=0)
    unknown_key_cache_seconds: float = Field(default=1.0, ge=0)
    config_cache_seconds: float = Field(default=2.0, ge=0)


class RetentionSettings(BaseModel):
    raw_payload_days: int = Field(default=30, ge=1)
    sweep_interval_seconds: int = Field(default=3600, ge=10)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="FIREBELL_", env_nested_delimiter="__", env_file=None, extra="ignore")

    env: Literal["dev", "prod"] = "dev"
    database_url: str = "sqlite:///./firebell.db"
    sqlite_synchronous: Literal["FULL", "NORMAL"] = "FULL"
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=1, le=65535)
    workers: int = Field(default=1, ge=1, le=64)
    public_url: str = ""
    secret_key: SecretStr = SecretStr("dev-only-secret-change-me")
    session_hours: int = Field(default=12, ge=1)
    log_level: str = "INFO"
    log_json: bool = False
    ingest: IngestSettings = IngestSettings()
    retention: RetentionSettings = RetentionSettings()

    @model_validator(mode="after")
    def _refuse_default_secret_in_prod(self) -> Settings:
        if self.env == "prod" and self.secret_key.get_secret_value().startswith("dev-only"):
            raise ValueError("FIREBELL_SECRET_KEY must be set when FIREBELL_ENV=prod")
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def base_url(self) -> str:
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")
