"""Block Kit builders: small pure functions from data to slack_sdk models (limits are checked)."""
