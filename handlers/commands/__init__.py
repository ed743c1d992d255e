"""Listeners for the `/cortex` slash command, and the grammar of its text."""
