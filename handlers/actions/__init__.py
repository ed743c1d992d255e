"""Listeners for buttons and other interactive elements."""
