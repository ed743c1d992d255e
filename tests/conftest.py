"""Registers the shared test support as pytest plugins; the fixtures themselves live in
tests/support (import helpers from there, never from this file)."""

pytest_plugins = [
    "tests.support.contract",
    "tests.support.apis",
    "tests.support.databases",
    "tests.support.lost_failures",
    "tests.support.slack_harness",
    "tests.support.services",
]
