"""Configuration: the contract's variables, their defaults, and one clear line on a mistake."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import ConfigError, Settings, load_settings

VARIABLES = (
    "SLACK_SIGNING_SECRET",
    "SLACK_BOT_TOKEN",
    "SLACK_CLIENT_ID",
    "SLACK_CLIENT_SECRET",
    "SLACK_APP_TOKEN",
    "SLACK_API_URL",
    "CORTEX_API_URL",
    "ROOTLY_API_URL",
    "DATABASE_URL",
    "ENCRYPTION_KEYS",
    "BOT_ADMINS",
    "PORT",
    "SLACK_COMMAND",
    "PUBLIC_URL",
)
KEY = base64.urlsafe_b64encode(bytes(range(32))).decode()
OTHER_KEY = base64.urlsafe_b64encode(bytes(range(32, 64))).decode()


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for variable in VARIABLES:
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .env from the developer's checkout


def test_defaults_follow_the_contract() -> None:
    settings = load_settings()

    assert settings.slack_base_url == "https://slack.com/api/"
    assert settings.cortex_base_url == "https://api.getcortexapp.com"
    assert settings.rootly_base_url == "https://api.rootly.com"
    assert settings.database_url == "sqlite+aiosqlite:///cortex-bot.db"
    assert settings.port == 3000
    assert settings.encryption_keys == []
    assert settings.bot_admins == []
    assert settings.slack_bot_token is None
    assert settings.slack_command == "/cortex"
    assert settings.public_base_url is None


def test_values_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORT", "8080")
    monkeypatch.setenv("BOT_ADMINS", "U111, U222")
    monkeypatch.setenv("ENCRYPTION_KEYS", f"{KEY},{OTHER_KEY}")
    monkeypatch.setenv("SLACK_API_URL", "http://127.0.0.1:9999/api")
    monkeypatch.setenv("CORTEX_API_URL", "https://cortex.internal.example.com/")
    monkeypatch.setenv("SLACK_COMMAND", "/SVC")
    monkeypatch.setenv("PUBLIC_URL", "https://bot.example.com/")

    settings = load_settings()

    assert settings.port == 8080
    assert settings.bot_admins == ["U111", "U222"]
    assert [key.get_secret_value() for key in settings.encryption_keys] == [KEY, OTHER_KEY]
    assert settings.slack_base_url == "http://127.0.0.1:9999/api/"
    assert settings.cortex_base_url == "https://cortex.internal.example.com"
    assert settings.slack_command == "/svc"  # Slack's command names are lower case
    assert settings.public_base_url == "https://bot.example.com"


def test_values_come_from_a_dotenv_file(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("SLACK_BOT_TOKEN=xoxb-from-dotenv\nPORT=4000\n")

    settings = load_settings()

    assert settings.port == 4000
    assert settings.slack_bot_token is not None
    assert settings.slack_bot_token.get_secret_value() == "xoxb-from-dotenv"


def test_secrets_are_never_shown(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-super-secret")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "signing-super-secret")
    monkeypatch.setenv("ENCRYPTION_KEYS", KEY)

    shown = repr(load_settings()) + str(load_settings())

    for secret in ("xoxb-super-secret", "signing-super-secret", KEY):
        assert secret not in shown


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("PORT", "eighty"),
        ("PORT", "70000"),
        ("CORTEX_API_URL", "not a url"),
        ("ENCRYPTION_KEYS", "too-short-secret-value"),
        ("DATABASE_URL", "cortex.db"),
        ("SLACK_COMMAND", "services"),
        ("SLACK_COMMAND", "/svc now"),
        ("SLACK_COMMAND", "/" + "s" * 32),
        ("PUBLIC_URL", "bot.example.com"),
    ],
)
def test_a_malformed_value_is_one_line_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)

    with pytest.raises(ConfigError) as caught:
        load_settings()

    message = str(caught.value)
    assert message.startswith(f"Configuration error: {variable}:")
    assert "\n" not in message
    assert value not in message


def test_slack_credentials_are_required_to_serve() -> None:
    with pytest.raises(ConfigError, match="SLACK_BOT_TOKEN"):
        Settings().require_slack_credentials()
    with pytest.raises(ConfigError, match="SLACK_SIGNING_SECRET"):
        Settings(slack_bot_token="xoxb-1").require_slack_credentials()

    Settings(slack_bot_token="xoxb-1", slack_signing_secret="s").require_slack_credentials()
    Settings(
        slack_client_id="1.2", slack_client_secret="c", slack_app_token="xapp-1"
    ).require_slack_credentials()


def run_cli(*arguments: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in VARIABLES}
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *arguments],
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"PORT": "eighty"}, "Configuration error: PORT:"),
        ({"SLACK_SIGNING_SECRET": "s"}, "Slack credentials missing: set SLACK_BOT_TOKEN"),
    ],
)
def test_the_cli_stops_with_one_line_and_no_traceback(env: dict[str, str], expected: str) -> None:
    result = run_cli("serve", env=env)

    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert expected in lines[0]
    assert "Traceback" not in result.stderr
