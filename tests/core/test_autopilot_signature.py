"""Rootly's webhook signature: HMAC-SHA256 of the timestamp and the raw body, 5 minutes' grace."""

from __future__ import annotations

import pytest

from bot.autopilot.signature import SIGNATURE_HEADER, signature_problem
from tests.support.fakes.rootly import sign_delivery

SECRET = "whsec-0123456789abcdef"
BODY = b'{"event": {"id": "ev1", "type": "incident.created"}, "data": {"id": "inc1"}}'
NOW = 1_800_000_000


def header(secret: str = SECRET, body: bytes = BODY, timestamp: int = NOW) -> str:
    return sign_delivery(secret, body, timestamp)[SIGNATURE_HEADER]


def test_a_delivery_signed_with_the_secret_is_accepted() -> None:
    assert signature_problem(SECRET, header(), BODY, now=NOW) is None


@pytest.mark.parametrize("offset", [-299, 299])
def test_a_timestamp_within_five_minutes_either_way_is_accepted(offset: int) -> None:
    assert signature_problem(SECRET, header(timestamp=NOW + offset), BODY, now=NOW) is None


@pytest.mark.parametrize("offset", [-301, 301])
def test_a_timestamp_more_than_five_minutes_away_is_refused(offset: int) -> None:
    problem = signature_problem(SECRET, header(timestamp=NOW + offset), BODY, now=NOW)

    assert problem == "a timestamp more than 5 minutes away"


def test_another_secret_is_refused() -> None:
    assert signature_problem(SECRET, header(secret="other"), BODY, now=NOW) == "a wrong signature"


def test_a_changed_body_is_refused() -> None:
    problem = signature_problem(SECRET, header(), BODY.replace(b"inc1", b"inc2"), now=NOW)

    assert problem == "a wrong signature"


def test_the_timestamp_is_part_of_what_is_signed() -> None:
    signed = header(timestamp=NOW)
    moved = signed.replace(f"t={NOW}", f"t={NOW + 1}")

    assert signature_problem(SECRET, moved, BODY, now=NOW) == "a wrong signature"


def test_one_matching_signature_among_several_is_enough() -> None:
    valid = header().split("v1=")[1]
    several = f"t={NOW},v1={'0' * 64},v1={valid}"

    assert signature_problem(SECRET, several, BODY, now=NOW) is None


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        (None, "no signature"),
        ("", "no signature"),
        ("v1=abc", "a malformed signature"),
        (f"t={NOW}", "a malformed signature"),
        ("t=soon,v1=abc", "a malformed signature"),
        (f"t={NOW},v1=é", "a wrong signature"),
        (f"t=١٢٣,v1={'0' * 64}", "a malformed signature"),
    ],
)
def test_a_missing_or_malformed_header_is_refused(value: str | None, problem: str) -> None:
    assert signature_problem(SECRET, value, BODY, now=NOW) == problem
