"""The error map: one sentence a person can act on, without the bot's internals."""

from __future__ import annotations

import re

import pytest

from bot.crypto import DecryptionError
from bot.errors import (
    EmptyCatalogError,
    LeaseLostError,
    NotAdminError,
    NotConnectedError,
    OversizeAnswerError,
    PublicUrlMissingError,
    RateLimitedError,
    RootlyNotConnectedError,
    SyncInProgressError,
    UnauthorizedError,
    UnavailableError,
    UnreadableAnswerError,
)
from handlers.common.errors import slack_refusal, user_message

SLASH = "/svc"
# Every error a member can meet, as the core raises it (details as the HTTP layer writes them).
MEMBERS_SEE = [
    NotConnectedError("T1"),
    NotAdminError("U1", "disconnect Cortex"),
    UnauthorizedError("Cortex", "the API key was refused", status=401),
    RateLimitedError("Rootly", "slow down", retry_after=12),
    UnavailableError("Cortex", "could not connect"),
    UnavailableError("Cortex", "timed out after 10 s"),
    UnavailableError("Cortex", "answered with a redirect, which the bot does not follow"),
    UnreadableAnswerError("Cortex", "an answer of an unexpected shape (3 problems)"),
    OversizeAnswerError("Cortex", "an answer over 8 MiB"),
    RootlyNotConnectedError("T1"),
    SyncInProgressError("T1"),
    EmptyCatalogError(),
    LeaseLostError("sync:T1"),
    DecryptionError("stored under a key fingerprint 1a2b which is not in ENCRYPTION_KEYS"),
]
# The bot's settings, and words that give away the bot's internals rather than what happened.
INTERNALS = re.compile(
    r"[A-Z][a-z]+(Error|Exception)\b|BOT_ADMINS|ENCRYPTION_KEYS|DATABASE_URL|SLACK_[A-Z_]+"
    r"|Traceback|aiohttp|pydantic"
)


@pytest.mark.parametrize("error", MEMBERS_SEE, ids=lambda error: type(error).__name__)
def test_what_members_read_names_no_exception_setting_or_library(error: Exception) -> None:
    sentence = str(user_message(error, SLASH))

    assert not INTERNALS.search(sentence), sentence
    assert sentence.endswith("."), sentence  # one sentence, said to its end


def test_a_failed_connection_says_what_to_do_not_how_it_failed() -> None:
    sentence = str(user_message(UnavailableError("Cortex", "could not connect"), SLASH))

    assert sentence == "Cortex is not answering right now; try again in a minute."


def test_the_operators_setting_is_named_only_where_an_admin_relays_it() -> None:
    assert "PUBLIC_URL" in str(user_message(PublicUrlMissingError(), SLASH))
    assert "ask the people who run the bot" in str(user_message(PublicUrlMissingError(), SLASH))


@pytest.mark.parametrize(
    ("code", "meaning"),
    [
        ("not_in_channel", "I am not a member of the channel: invite me to it"),
        ("is_archived", "the channel is archived"),
        ("missing_scope", "the app lacks a permission it needs: an admin can reinstall it"),
        ("something_new<!channel>", "Slack refused it"),
    ],
)
def test_slacks_refusals_are_said_in_words_not_codes(code: str, meaning: str) -> None:
    said = str(slack_refusal(code))

    assert said == meaning
    assert "_" not in said
