"""Configuration: every variable of the product contract, read from the environment and `.env`.

`load_settings()` turns any validation failure into a `ConfigError` whose message is one line naming
the variable, so the CLI can print it and exit without a traceback. Values are never echoed back,
because the offending value may be a secret.
"""

from __future__ import annotations

import base64
import binascii
import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AnyHttpUrl, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_SLACK_API_URL = "https://slack.com/api/"
DEFAULT_CORTEX_API_URL = "https://api.getcortexapp.com"
DEFAULT_ROOTLY_API_URL = "https://api.rootly.com"
DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///cortex-bot.db"
DEFAULT_SLACK_COMMAND = "/cortex"
SLASH_COMMAND = re.compile(r"/[^\s/]{1,31}")
ENCRYPTION_KEY_BYTES = 32
REDIS_SCHEMES = ("redis://", "rediss://", "unix://")


class ConfigError(Exception):
    """A configuration problem, described in one line that names the variable to fix."""


def _split_csv(value: Any) -> Any:
    if isinstance(value, str):
        return [item.strip() for item in value.split(",") if item.strip()]
    return value


def _normalise_url(url: AnyHttpUrl) -> str:
    return str(url).rstrip("/")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        case_sensitive=False,
        hide_input_in_errors=True,
    )

    slack_signing_secret: SecretStr | None = None
    slack_bot_token: SecretStr | None = None
    slack_client_id: str | None = None
    slack_client_secret: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_api_url: AnyHttpUrl = AnyHttpUrl(DEFAULT_SLACK_API_URL)
    cortex_api_url: AnyHttpUrl = AnyHttpUrl(DEFAULT_CORTEX_API_URL)
    rootly_api_url: AnyHttpUrl = AnyHttpUrl(DEFAULT_ROOTLY_API_URL)
    database_url: str = DEFAULT_DATABASE_URL
    # Where Slack and Rootly reach this bot from outside (`https://bot.example.com`).
    public_url: AnyHttpUrl | None = None
    # The slash command the app answers; a workspace with Cortex's own Slack app (`/cortex`) needs
    # another one.
    slack_command: str = DEFAULT_SLACK_COMMAND
    encryption_keys: Annotated[list[SecretStr], NoDecode] = Field(default_factory=list)
    bot_admins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    # Lets workspaces connect a Cortex on loopback, private or link-local addresses, or over http.
    allow_private_cortex_urls: bool = False
    port: int = Field(default=3000, ge=1, le=65535)
    redis_url: SecretStr | None = None
    # Not in the product's table: Cortex's documented limit per key, for a Cortex that allows
    # another, and for tests that run the same limit over a shorter period.
    cortex_rate_limit: int = Field(default=1000, ge=1)
    cortex_rate_period: float = Field(default=60.0, gt=0)
    # Not in the product's table, for operators: JSON lines unless stderr is a terminal.
    log_format: Literal["auto", "json", "text"] = "auto"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    _split_lists = field_validator("encryption_keys", "bot_admins", mode="before")(_split_csv)

    @field_validator("encryption_keys")
    @classmethod
    def _keys_are_32_bytes(cls, keys: list[SecretStr]) -> list[SecretStr]:
        for position, key in enumerate(keys, start=1):
            try:
                raw = base64.urlsafe_b64decode(key.get_secret_value().encode())
            except (binascii.Error, ValueError):
                raw = b""
            if len(raw) != ENCRYPTION_KEY_BYTES:
                raise ValueError(
                    f"key #{position} is not url-safe base64 of 32 bytes "
                    "(make one with `cortex-bot keygen`)"
                )
        return keys

    @field_validator("database_url")
    @classmethod
    def _database_url_is_async(cls, url: str) -> str:
        if "://" not in url:
            raise ValueError("must be an SQLAlchemy URL such as sqlite+aiosqlite:///cortex-bot.db")
        return url

    @field_validator("redis_url")
    @classmethod
    def _redis_url_is_redis(cls, url: SecretStr | None) -> SecretStr | None:
        if url is not None and not url.get_secret_value().startswith(REDIS_SCHEMES):
            raise ValueError("must be a redis://, rediss:// or unix:// URL")
        return url

    @property
    def cortex_base_url(self) -> str:
        return _normalise_url(self.cortex_api_url)

    @property
    def rootly_base_url(self) -> str:
        return _normalise_url(self.rootly_api_url)

    @field_validator("slack_command")
    @classmethod
    def _is_a_slash_command(cls, command: str) -> str:
        return slash_command(command)

    @property
    def public_base_url(self) -> str | None:
        return None if self.public_url is None else _normalise_url(self.public_url)

    @property
    def slack_base_url(self) -> str:
        # slack_sdk joins method names onto this URL, so it must end with a slash.
        return _normalise_url(self.slack_api_url) + "/"

    @property
    def uses_oauth(self) -> bool:
        return bool(self.slack_client_id and self.slack_client_secret)

    @property
    def uses_socket_mode(self) -> bool:
        return self.slack_app_token is not None

    def require_slack_credentials(self) -> None:
        """Raise a one-line `ConfigError` unless Slack can reach and authenticate this app."""
        if not (self.slack_bot_token or self.uses_oauth):
            raise ConfigError(
                "Slack credentials missing: set SLACK_BOT_TOKEN (one workspace) or "
                "SLACK_CLIENT_ID and SLACK_CLIENT_SECRET (OAuth install for many workspaces)."
            )
        if not self.uses_socket_mode and self.slack_signing_secret is None:
            raise ConfigError(
                "SLACK_SIGNING_SECRET is required to verify requests from Slack "
                "(or set SLACK_APP_TOKEN to use Socket Mode)."
            )


def slash_command(command: str) -> str:
    """A slash command's name as Slack takes it (a slash, then up to 31 characters, no spaces),
    lower-cased; `ValueError` saying so otherwise."""
    if not SLASH_COMMAND.fullmatch(command):
        raise ValueError(
            "must be a slash and a name of up to 31 characters without spaces, such as /svc"
        )
    return command.lower()


def public_base_url(url: str) -> str:
    """An http(s) base URL, without a trailing slash; `ValueError` saying so otherwise."""
    try:
        return _normalise_url(AnyHttpUrl(url))
    except ValueError:
        raise ValueError("must be an http or https URL, such as https://bot.example.com") from None


def sqlite_path(database_url: str) -> Path | None:
    """The file behind an SQLite URL, or None for other databases and in-memory SQLite."""
    if not database_url.startswith("sqlite"):
        return None
    path = database_url.partition(":///")[2].split("?")[0]
    return Path(path) if path and path != ":memory:" else None


def describe_validation_error(error: ValidationError) -> str:
    """One line naming the first offending variable and what is wrong with it."""
    first = error.errors()[0]
    variable = str(first["loc"][0]).upper() if first["loc"] else "configuration"
    message = first["msg"].removeprefix("Value error, ")
    return f"Configuration error: {variable}: {message}."


def load_settings(**overrides: Any) -> Settings:
    try:
        return Settings(**overrides)
    except ValidationError as error:
        raise ConfigError(describe_validation_error(error)) from None
