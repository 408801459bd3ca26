"""The api process's settings (NAVIGATOR_* environment variables or `.env`); search settings live in knowledge."""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class ApiSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="NAVIGATOR_API_", env_file=".env", extra="ignore")

    host: str = Field(default="127.0.0.1", description="Interface to bind; 127.0.0.1 keeps it off the network.")
    port: int = Field(default=8000, ge=1, le=65535)
    workers: int = Field(default=1, ge=1, description="Uvicorn workers (local Qdrant mode allows only 1).")
    log_level: Literal["debug", "info", "warning", "error"] = "info"


class SecuritySettings(BaseSettings):
    """Shared with the action server: NAVIGATOR_SERVICE_TOKEN identifies it to the api."""

    model_config = SettingsConfigDict(env_prefix="NAVIGATOR_", env_file=".env", extra="ignore")

    service_token: str = Field(default="", description="Bearer token of the action server; empty = none accepted.")
