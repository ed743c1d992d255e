"""Listeners for global and message shortcuts."""
