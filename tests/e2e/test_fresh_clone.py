"""A clone of the project alone, with no `../shared` beside it, runs its tests green.

The project's files (what git tracks, and new files it does not ignore) are copied to a temporary
folder with nothing beside them, and the tests run there as a newcomer would run them, on this
environment's `.venv` rather than a new one. Only the checks against the official API documents may
be skipped, and the summary says so in one line. To stay a small part of `make test`, the copy runs
a few test files that prove the point: checks against the documents (skipped there), fakes that
validate what they serve against them (answering unchecked there), and tests that need no
documents. A whole `make test` on a real clone is the README's recipe.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.contract import PROJECT_ROOT

# Set in the run inside the copy, so that the copy does not start a copy of its own.
INSIDE_THE_CLONE = "CORTEX_BOT_INSIDE_FRESH_CLONE"
VENV = Path(sys.prefix)
RUN_SECONDS = 300
# Checks against the documents (manifest, requests), and fakes that check what they serve.
SUBSET = (
    "tests/features/test_manifest.py",
    "tests/core/test_contract.py",
    "tests/core/test_rootly_client.py",
    "tests/features/lookup/test_lookup.py",
    "tests/core/test_sync_bulk.py",
)
# What this environment knows of the machine that a newcomer's clone would not have.
NOT_IN_A_NEWCOMERS_SHELL = ("SPECS_DIR", "REQUIRE_SPECS", "TEST_DATABASE_URL", "TEST_REDIS_URL")


def project_files() -> list[str]:
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        check=True,
        timeout=60,
    )
    return [name for name in listed.stdout.decode().split("\0") if name]


def copy_project(destination: Path) -> None:
    for name in project_files():
        source = PROJECT_ROOT / name
        if source.is_file():  # a file deleted in the working tree is still listed by git
            target = destination / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)


@pytest.mark.skipif(os.environ.get(INSIDE_THE_CLONE) == "1", reason="already inside the copy")
@pytest.mark.skipif(
    not (PROJECT_ROOT / ".git").exists() or shutil.which("git") is None,
    reason="needs the project as a git checkout",
)
@pytest.mark.skipif(not (VENV / "bin" / "pytest").exists(), reason="needs the project's .venv")
def test_a_clone_without_shared_runs_green_with_one_skip_line(tmp_path: Path) -> None:
    clone = tmp_path / "cortex-bot"
    copy_project(clone)
    (clone / ".venv").symlink_to(VENV, target_is_directory=True)
    env = {key: value for key, value in os.environ.items() if key not in NOT_IN_A_NEWCOMERS_SHELL}
    # The copy's own code, not the checkout this environment was installed from.
    env |= {INSIDE_THE_CLONE: "1", "PYTHONPATH": str(clone)}

    run = subprocess.run(
        [str(clone / ".venv" / "bin" / "pytest"), "-q", "-p", "no:cacheprovider", *SUBSET],
        cwd=clone,
        env=env,
        capture_output=True,
        text=True,
        timeout=RUN_SECONDS,
    )

    output = run.stdout + run.stderr
    # What failed inside, first: teardown log noise can fill the end of the output.
    failed = [line for line in output.splitlines() if line.startswith(("FAILED", "ERROR"))]
    report = "\n".join([*failed, output[-3000:]])
    assert run.returncode == 0, report
    notes = [line for line in output.splitlines() if line.startswith("Contract checks skipped")]
    assert len(notes) == 1, report
    assert "set SPECS_DIR" in notes[0]
    assert re.search(r"^\d+ passed", run.stdout, re.MULTILINE), report
