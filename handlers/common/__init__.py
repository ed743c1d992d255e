"""Slack plumbing every feature shares: request context, ack-then-work, the error map, ids, common
blocks, the live progress message, the command lexer and the command registry."""
