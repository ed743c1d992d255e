"""Scheduler jobs that talk to Slack outside any request (see `bot.scheduler`)."""
