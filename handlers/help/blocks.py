"""The answer to `help`: the commands grouped by task, one line each, examples on a service of this
workspace's own catalog, and a *Connect Cortex* button for admins of a workspace not connected."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from slack_sdk.models.blocks import Block

from bot.cortex.models import Entity
from handlers.common.blocks import not_connected_blocks
from handlers.common.commands import HelpLine, Task
from handlers.common.kit import header, section
from handlers.common.mrkdwn import Mrkdwn

# A first word this short makes a poor search example ("a", "my"): the tag is searched instead.
SEARCH_WORD_MIN = 3


@dataclass(frozen=True)
class Example:
    """A service of this workspace's catalog the examples name, and a word that finds it."""

    tag: str
    word: str

    @classmethod
    def among(cls, services: Sequence[Entity]) -> Example | None:
        """The first service by name whose tag reads as one word in a command; None when the
        catalog is not known (help never waits for Cortex) or has no such service."""
        usable = sorted(
            (entity for entity in services if entity.name.strip() and _typeable(entity.tag)),
            key=lambda entity: (entity.name.lower(), entity.tag),
        )
        if not usable:
            return None
        first = usable[0]
        word = first.name.split()[0]
        searchable = len(word) >= SEARCH_WORD_MIN and _typeable(word)
        return cls(first.tag, word.lower() if searchable else first.tag)


def _typeable(text: str) -> bool:
    """Whether a word can be typed after the command as one word and shown inside `code`."""
    return text.isprintable() and not any(char in text for char in " `\"'")


def _task_section(task: Task, lines: Sequence[HelpLine]) -> Block:
    listed = [Mrkdwn("`{}` — {}").format(line.synopsis, line.does) for line in lines]
    return section(Mrkdwn("*{}*\n{}").format(task.value, Mrkdwn("\n").join(listed)))


def _examples(example: Example, slash: str) -> Block:
    tried = [
        Mrkdwn("`{} {}` — its card").format(slash, example.tag),
        Mrkdwn("`{} oncall {}` — who to page").format(slash, example.tag),
        Mrkdwn("`{} search {}` — services like it").format(slash, example.word),
        Mrkdwn('`{} deploy {} "Release 4.2" env=production` — record a deploy').format(
            slash, example.tag
        ),
    ]
    return section(Mrkdwn("*Try*\n{}").format(Mrkdwn("\n").join(tried)))


def help_blocks(
    lines: Sequence[HelpLine],
    slash: str,
    example: Example | None,
    *,
    connected: bool,
    admin: bool,
) -> list[Block]:
    blocks: list[Block] = [
        header("Cortex for Slack"),
        section(
            Mrkdwn(
                "Look up services, record deploys and events, gather what changed for an "
                "incident, and keep Rootly in step with your Cortex catalog."
            )
        ),
    ]
    if not connected:
        blocks += not_connected_blocks(slash, admin=admin)
    for task in Task:
        listed = [line for line in lines if line.task is task]
        if listed:
            blocks.append(_task_section(task, listed))
    if example is not None:
        blocks.append(_examples(example, slash))
    return blocks
