"""A TypeScript client generated from the schema (openapi-typescript, with openapi-fetch for the
calls) type-checks the calls a front-end makes (typescript/calls.ts) with ``tsc --noEmit``.

The tools are pinned in typescript/package-lock.json and installed with ``npm ci``; without
Node.js the test is skipped (a failure under REQUIRE_SERVICES=1). The client is generated into
a temporary folder, never committed.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import service_missing

TOOLS = Path(__file__).parent / "typescript"


def run(command: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="session")
def node_modules() -> Path:
    npm = shutil.which("npm")
    if npm is None or shutil.which("node") is None:
        service_missing("Node.js and npm are not installed (the TypeScript client needs them)")
    installed = TOOLS / "node_modules" / ".package-lock.json"  # written by npm ci
    lock = TOOLS / "package-lock.json"
    if not installed.exists() or installed.stat().st_mtime < lock.stat().st_mtime:
        result = run([str(npm), "ci", "--no-audit", "--no-fund"], TOOLS)
        if result.returncode != 0:
            service_missing(
                f"npm ci could not install the TypeScript tools: {result.stderr[-800:]}"
            )
    return TOOLS / "node_modules"


def test_a_generated_typescript_client_type_checks_real_calls(
    schema_file: Path, node_modules: Path, tmp_path: Path
) -> None:
    # given a client generated from the schema, beside the calls
    work = tmp_path / "client"
    work.mkdir()
    for name in ("calls.ts", "tsconfig.json"):
        shutil.copy(TOOLS / name, work / name)
    (work / "node_modules").symlink_to(node_modules, target_is_directory=True)
    generated = run(
        [str(node_modules / ".bin" / "openapi-typescript"), str(schema_file), "-o", "api.ts"],
        work,
    )
    assert generated.returncode == 0, generated.stdout + generated.stderr
    # when the calls are type-checked against it
    checked = run([str(node_modules / ".bin" / "tsc"), "-p", "tsconfig.json"], work)
    # then they compile: right types in, right types out, wrong ones refused
    assert checked.returncode == 0, checked.stdout + checked.stderr
