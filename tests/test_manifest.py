"""manifest.yaml is a valid Slack app manifest that points every request at /slack/events."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest
import yaml

from tests.contract import PROJECT_ROOT, SPECS_DIR


@pytest.fixture(scope="module")
def manifest() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((PROJECT_ROOT / "manifest.yaml").read_text())
    return loaded


def test_manifest_validates_against_the_official_schema(manifest: dict[str, Any]) -> None:
    schema = json.loads((SPECS_DIR / "slack-manifest.schema.json").read_text())

    jsonschema.Draft7Validator(schema).validate(manifest)


def test_the_schema_check_rejects_a_broken_manifest(manifest: dict[str, Any]) -> None:
    schema = json.loads((SPECS_DIR / "slack-manifest.schema.json").read_text())
    broken = {**manifest, "features": {"slash_commands": [{"command": "cortex"}]}}

    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft7Validator(schema).validate(broken)


def test_command_and_interactivity_use_slack_events(manifest: dict[str, Any]) -> None:
    [command] = manifest["features"]["slash_commands"]
    interactivity = manifest["settings"]["interactivity"]

    assert command["command"] == "/cortex"
    assert command["url"].endswith("/slack/events")
    assert interactivity["is_enabled"] is True
    assert interactivity["request_url"].endswith("/slack/events")
    assert interactivity["message_menu_options_url"].endswith("/slack/events")
