"""Every `manage.py` command line README.md shows runs as written, on the stack `make run` sets
up (migrated, seeded, with the demo superuser), so that the README cannot drift from the code."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from tests.helpers import BASE_DIR

README = (BASE_DIR / "README.md").read_text()
FENCED_BLOCK = re.compile(r"^```[^\n]*\n(.*?)^```", re.MULTILINE | re.DOTALL)
INLINE_CODE = re.compile(r"`([^`]+)`")
# A command, not a mention of the file: manage.py followed by a subcommand.
RUNS_MANAGE_PY = re.compile(r"manage\.py\s+\S")


def manage_py_command_lines(markdown: str) -> list[str]:
    """The command lines that run manage.py, in the order the text shows them: the lines of
    fenced blocks (joined where a line ends in a backslash) and inline code spans."""
    found: list[tuple[int, str]] = []
    for block in FENCED_BLOCK.finditer(markdown):
        for line in block.group(1).replace("\\\n", " ").splitlines():
            found.append((block.start(), " ".join(line.split())))
    prose = FENCED_BLOCK.sub(lambda block: " " * len(block.group(0)), markdown)
    for span in INLINE_CODE.finditer(prose):
        found.append((span.start(), " ".join(span.group(1).split())))
    return [line for _, line in sorted(found) if RUNS_MANAGE_PY.search(line)]


COMMAND_LINES = manage_py_command_lines(README)


def test_the_parser_finds_the_command_lines_the_readme_teaches() -> None:
    shown = " | ".join(COMMAND_LINES)
    for command in ("demo_schedule", "create_api_token demo", "send_reminders", "check --deploy"):
        assert command in shown, f"{command!r} not found among {COMMAND_LINES}"


def developer_shell(var_dir: Path) -> dict[str, str]:
    """A shell in the project folder: no settings of the test run, the stack's VAR_DIR."""
    return {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", "/root"),
        "VAR_DIR": str(var_dir),
    }


def run_in_shell(line: str, var_dir: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "-c", line],
        cwd=BASE_DIR,
        env=developer_shell(var_dir),
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


@pytest.fixture(scope="module")
def make_run_stack(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A VAR_DIR prepared as scripts/run prepares it before it starts the servers."""
    var_dir = tmp_path_factory.mktemp("var")
    for step in ("migrate --noinput", "load_seed", "create_demo_superuser"):
        done = run_in_shell(f"DEBUG=true .venv/bin/python manage.py {step}", var_dir)
        assert done.returncode == 0, done.stdout + done.stderr
    return var_dir


@pytest.mark.parametrize("line", COMMAND_LINES)
def test_a_readme_command_line_runs_as_written(line: str, make_run_stack: Path) -> None:
    result = run_in_shell(line, make_run_stack)
    assert result.returncode == 0, f"{line}\n{result.stdout}\n{result.stderr}"
