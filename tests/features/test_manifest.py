"""manifest.yaml is a valid Slack app manifest that points every request at /slack/events."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest
import yaml

from bot.app import BOT_SCOPES, REDIRECT_PATH
from handlers import BOT_EVENTS, SHORTCUTS
from tests.support.contract import PROJECT_ROOT, SPECS_DIR, requires_specs


@pytest.fixture(scope="module")
def manifest() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((PROJECT_ROOT / "manifest.yaml").read_text())
    return loaded


@requires_specs
def test_manifest_validates_against_the_official_schema(manifest: dict[str, Any]) -> None:
    schema = json.loads((SPECS_DIR / "slack-manifest.schema.json").read_text())

    jsonschema.Draft7Validator(schema).validate(manifest)


@requires_specs
def test_the_schema_check_rejects_a_broken_manifest(manifest: dict[str, Any]) -> None:
    schema = json.loads((SPECS_DIR / "slack-manifest.schema.json").read_text())
    broken = {**manifest, "features": {"slash_commands": [{"command": "cortex"}]}}

    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft7Validator(schema).validate(broken)


def test_scopes_and_events_match_what_the_app_uses(manifest: dict[str, Any]) -> None:
    assert tuple(manifest["oauth_config"]["scopes"]["bot"]) == BOT_SCOPES
    assert set(manifest["settings"]["event_subscriptions"]["bot_events"]) == set(BOT_EVENTS)
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True
    assert manifest["oauth_config"]["redirect_urls"][0].endswith(REDIRECT_PATH)


def test_shortcuts_are_the_ones_the_app_listens_for(manifest: dict[str, Any]) -> None:
    declared = {shortcut["callback_id"] for shortcut in manifest["features"]["shortcuts"]}

    assert declared == set(SHORTCUTS)


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
