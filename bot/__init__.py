"""Core of the Cortex chat-ops bot: everything that is not a Slack listener."""
