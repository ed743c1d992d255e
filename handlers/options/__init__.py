"""Listeners for options loads (typeahead selects)."""
