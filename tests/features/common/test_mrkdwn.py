"""Text Slack parses is built one safe way: every value escaped, links only to http(s) URLs."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from handlers.common.mrkdwn import Mrkdwn, channel_link, cut, escaped, link, mention, moment
from tests.support.fakes.block_kit import mrkdwn_problems

HOSTILE = "Pager <!channel> Relay <@UEVIL> | <https://evil.example|click> & co"


def test_values_are_escaped_and_the_template_is_kept() -> None:
    text = Mrkdwn("*{}* `{}`").format(HOSTILE, "tag&<>")

    assert text == (
        "*Pager &lt;!channel&gt; Relay &lt;@UEVIL&gt; | &lt;https://evil.example|click&gt; "
        "&amp; co* `tag&amp;&lt;&gt;`"
    )


def test_mrkdwn_inside_mrkdwn_is_not_escaped_twice() -> None:
    inner = Mrkdwn("*{}*").format("a & b")

    assert Mrkdwn("{} and {}").format(inner, "<x>") == "*a &amp; b* and &lt;x&gt;"
    assert Mrkdwn(", ").join([inner, "<y>"]) == "*a &amp; b*, &lt;y&gt;"
    assert inner + "<z>" == "*a &amp; b*&lt;z&gt;"
    assert "<z>" + inner == "&lt;z&gt;*a &amp; b*"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://example.com/a?b=1&c=2", "<https://example.com/a?b=1&amp;c=2|T &lt;x&gt;>"),
        ("HTTP://example.com", "<HTTP://example.com|T &lt;x&gt;>"),
        ("https://example.com/x|<!here>", "T &lt;x&gt; (https://example.com/x|&lt;!here&gt;)"),
        ("https://example.com/<!channel>", "T &lt;x&gt; (https://example.com/&lt;!channel&gt;)"),
        ("javascript:alert(1)", "T &lt;x&gt; (javascript:alert(1))"),
        ("https://exa mple.com", "T &lt;x&gt; (https://exa mple.com)"),
        (None, "T &lt;x&gt;"),
    ],
    ids=["query", "upper case", "pipe", "angle brackets", "not http", "space", "none"],
)
def test_a_url_is_a_link_only_when_slack_can_hold_it(url: str | None, expected: str) -> None:
    assert link(url, "T <x>") == expected


def test_mentions_and_channels_are_made_only_of_slack_ids() -> None:
    assert mention("U0ADMIN") == "<@U0ADMIN>"
    assert mention("U1><!channel") == "U1&gt;&lt;!channel"
    assert channel_link("C0GENERAL") == "<#C0GENERAL>"
    assert channel_link("C1|x") == "C1|x"


def test_a_moment_is_a_slack_date_with_a_fallback() -> None:
    when = datetime(2026, 1, 2, 3, 4, tzinfo=UTC)

    assert moment(when) == (
        f"<!date^{int(when.timestamp())}^{{date_short_pretty}} at {{time}}|2026-01-02 03:04 UTC>"
    )


@pytest.mark.parametrize(
    "text",
    [
        Mrkdwn("abc <https://example.com|label> def"),
        Mrkdwn("abc &amp;&amp;&amp;&amp; def"),
        Mrkdwn("<@U0ADMIN> <@U0ADMIN> <@U0ADMIN>"),
    ],
)
def test_cutting_mrkdwn_never_breaks_a_link_an_escape_or_a_mention(text: Mrkdwn) -> None:
    for limit in range(2, len(text)):
        shorter = cut(text, limit)
        assert len(shorter) <= limit
        assert shorter.endswith("…")
        assert mrkdwn_problems("cut", shorter) == []


def test_cutting_plain_text_is_plain() -> None:
    assert cut("abcdef", 4) == "abc…"
    assert type(cut("abcdef", 4)) is str
    assert cut("abc", 4) == "abc"


@given(value=st.text(), url=st.text(), limit=st.integers(min_value=2, max_value=80))
def test_any_value_in_any_builder_is_safe_markup(value: str, url: str, limit: int) -> None:
    built = [
        Mrkdwn("*{}* `{}`").format(value, value),
        escaped(value),
        link(url, value),
        link("https://example.com/" + url, value),
        mention(value),
        Mrkdwn(" · ").join([value, link(url, value)]),
    ]
    for text in built:
        assert mrkdwn_problems("built", text) == []
        assert mrkdwn_problems("cut", cut(text, limit)) == []
