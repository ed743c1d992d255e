"""One way to build what Slack reads, so a new builder cannot forget escaping or Slack's limits.

mypy already refuses a `str` where `Mrkdwn` belongs; these checks keep builders from going around
the safe way: text-bearing Block Kit parts are made only in `handlers/common/kit.py`, messages are
sent only through `handlers/common/context.py`, and nothing marks an f-string as safe mrkdwn.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
SOURCES = sorted([*ROOT.glob("handlers/**/*.py"), *ROOT.glob("bot/**/*.py")])
TEXT_PARTS = {
    "MarkdownTextObject",
    "PlainTextObject",
    "HeaderBlock",
    "SectionBlock",
    "ContextBlock",
    "ButtonElement",
    "Option",
    "View",
}
SENDERS = {"chat_postMessage", "chat_update", "chat_postEphemeral", "send", "files_upload_v2"}
KIT = ROOT / "handlers/common/kit.py"
CONTEXT = ROOT / "handlers/common/context.py"


def calls(path: Path) -> Iterator[tuple[str, ast.Call]]:
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
            yield name, node


def where(path: Path, node: ast.AST) -> str:
    return f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', 0)}"


@pytest.mark.parametrize("path", SOURCES, ids=lambda path: str(path.relative_to(ROOT)))
def test_text_is_built_and_sent_only_the_safe_way(path: Path) -> None:
    found = []
    for name, node in calls(path):
        if name in TEXT_PARTS and path != KIT:
            found.append(f"{where(path, node)}: {name}(…) outside handlers/common/kit.py")
        if name in SENDERS and path != CONTEXT:
            found.append(f"{where(path, node)}: .{name}(…) outside handlers/common/context.py")
        if name == "Mrkdwn" and node.args and isinstance(node.args[0], ast.JoinedStr):
            found.append(f"{where(path, node)}: Mrkdwn(f'…') marks its values as safe")
    assert found == []
