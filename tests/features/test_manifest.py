"""`cortex-bot manifest` prints a valid Slack app manifest that points every request at
/slack/events, under our own names; manifest.yaml is its output for the defaults."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest
import yaml

from bot.app import BOT_SCOPES, REDIRECT_PATH
from bot.cli import COMMANDS, PLACEHOLDER_URL, build_parser, main, manifest_text
from bot.config import Settings
from handlers import BOT_EVENTS, SHORTCUTS
from tests.support.contract import PROJECT_ROOT, SPECS_DIR, requires_specs

MANIFEST_FILE = PROJECT_ROOT / "manifest.yaml"


def official_schema() -> jsonschema.Draft7Validator:
    return jsonschema.Draft7Validator(
        json.loads((SPECS_DIR / "slack-manifest.schema.json").read_text())
    )


@pytest.fixture(scope="module")
def manifest() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(MANIFEST_FILE.read_text())
    return loaded


def test_manifest_yaml_is_the_commands_output_for_the_defaults() -> None:
    # Regenerate with: env -u PUBLIC_URL -u SLACK_COMMAND cortex-bot manifest > manifest.yaml
    assert MANIFEST_FILE.read_text() == manifest_text(PLACEHOLDER_URL, "/cortex")


@requires_specs
def test_the_command_prints_a_valid_manifest_for_a_url_and_a_command(
    capsys: pytest.CaptureFixture[str],
) -> None:
    arguments = build_parser().parse_args(["manifest", "--url", "https://x", "--command", "/svc"])
    code = COMMANDS[arguments.command].run(Settings(_env_file=None), arguments)

    printed: dict[str, Any] = yaml.safe_load(capsys.readouterr().out)
    assert code == 0
    official_schema().validate(printed)
    [command] = printed["features"]["slash_commands"]
    assert command == {**command, "command": "/svc", "url": "https://x/slack/events"}
    assert printed["settings"]["interactivity"]["request_url"] == "https://x/slack/events"
    assert printed["oauth_config"]["redirect_urls"] == ["https://x/slack/oauth_redirect"]


def test_our_app_is_not_named_like_cortexs_own(manifest: dict[str, Any]) -> None:
    assert manifest["display_information"]["name"] != "Cortex"
    assert manifest["features"]["bot_user"]["display_name"].lower() != "cortex"


def test_a_bad_flag_is_one_sentence(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["manifest", "--command", "svc now"])

    assert "--command: must be a slash and a name" in capsys.readouterr().err


@requires_specs
def test_manifest_validates_against_the_official_schema(manifest: dict[str, Any]) -> None:
    official_schema().validate(manifest)


@requires_specs
def test_the_schema_check_rejects_a_broken_manifest(manifest: dict[str, Any]) -> None:
    broken = {**manifest, "features": {"slash_commands": [{"command": "cortex"}]}}

    with pytest.raises(jsonschema.ValidationError):
        official_schema().validate(broken)


def test_scopes_and_events_match_what_the_app_uses(manifest: dict[str, Any]) -> None:
    assert tuple(manifest["oauth_config"]["scopes"]["bot"]) == BOT_SCOPES
    assert set(manifest["settings"]["event_subscriptions"]["bot_events"]) == set(BOT_EVENTS)
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True
    assert manifest["oauth_config"]["redirect_urls"][0].endswith(REDIRECT_PATH)


def test_shortcuts_are_the_ones_the_app_listens_for(manifest: dict[str, Any]) -> None:
    declared = {shortcut["callback_id"] for shortcut in manifest["features"]["shortcuts"]}

    assert declared == {shortcut.callback_id for shortcut in SHORTCUTS}


def test_command_and_interactivity_use_slack_events(manifest: dict[str, Any]) -> None:
    [command] = manifest["features"]["slash_commands"]
    interactivity = manifest["settings"]["interactivity"]

    assert command["command"] == "/cortex"
    assert command["url"].endswith("/slack/events")
    assert command["should_escape"] is True  # `#channel` arrives as <#C123|name>: its ID
    assert interactivity["is_enabled"] is True
    assert interactivity["request_url"].endswith("/slack/events")
    assert interactivity["message_menu_options_url"].endswith("/slack/events")
    assert manifest["settings"]["event_subscriptions"]["request_url"].endswith("/slack/events")
