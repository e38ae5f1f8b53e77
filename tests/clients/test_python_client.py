"""A Python client generated from the schema (openapi-python-client) makes real calls against a
live server: it lists, filters by several statuses, reads a detail, and writes with If-Match,
a stale one getting the documented 412. The client is generated into a temporary folder,
never committed."""

from __future__ import annotations

import importlib
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from initiatives.models import Initiative
from initiatives.tokens import token_issue
from tests.factories import AgencyFactory, InitiativeFactory, MembershipFactory, MilestoneFactory

PACKAGE = "tracker_client"
CONFIG = (
    f"project_name_override: tracker-client\npackage_name_override: {PACKAGE}\npost_hooks: []\n"
)


@pytest.fixture
def tracker_client(schema_file: Path, tmp_path: Path) -> Iterator[ModuleType]:
    """The generated client package, importable for the test."""
    config = tmp_path / "config.yaml"
    config.write_text(CONFIG)
    generated = subprocess.run(
        [
            *(sys.executable, "-m", "openapi_python_client", "generate"),
            *("--path", str(schema_file), "--output-path", str(tmp_path / PACKAGE)),
            *("--meta", "none", "--config", str(config), "--fail-on-warning"),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert generated.returncode == 0, generated.stdout + generated.stderr
    sys.path.insert(0, str(tmp_path))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(tmp_path))
        for name in [name for name in sys.modules if name.partition(".")[0] == PACKAGE]:
            del sys.modules[name]


def part(client: ModuleType, name: str) -> Any:
    return importlib.import_module(f"{client.__name__}.{name}")


def test_a_generated_python_client_works_against_a_live_server(
    live_server: Any, tracker_client: ModuleType
) -> None:
    # given an editor of the lead agency, initiatives in several states, and their milestones
    lead = AgencyFactory(short_name="MIIT")
    editor = MembershipFactory(agency=lead, role="editor").user
    _, token = token_issue(user=editor, name="python client")
    announced, started, stalled = (
        InitiativeFactory(owner_agency=lead, status=status)
        for status in ("announced", "in_progress", "stalled")
    )
    planned, under_way, _done = (
        MilestoneFactory(initiative=started, status=status, **extra)
        for status, extra in [
            ("planned", {}),
            ("in_progress", {}),
            ("done", {"completed_on": "2024-01-05"}),
        ]
    )
    api = tracker_client.AuthenticatedClient(base_url=live_server.url, token=token)
    models = part(tracker_client, "models")
    initiatives = part(tracker_client, "api.initiatives")
    milestones = part(tracker_client, "api.milestones")

    # when it lists initiatives of two statuses
    statuses = models.InitiativesListStatusItem
    listed = part(initiatives, "initiatives_list").sync_detailed(
        client=api, status=[statuses.ANNOUNCED, statuses.IN_PROGRESS]
    )
    # then it reads the JSON page
    assert listed.status_code == 200, listed.content
    assert isinstance(listed.parsed, models.PaginatedInitiativeList)
    assert {row.id for row in listed.parsed.results} == {announced.pk, started.pk}
    assert stalled.pk not in {row.id for row in listed.parsed.results}

    # when it filters milestones by several statuses (sent as a repeated parameter)
    open_ones = part(milestones, "milestones_list").sync(
        client=api,
        status=[
            models.MilestonesListStatusItem.PLANNED,
            models.MilestonesListStatusItem.IN_PROGRESS,
        ],
    )
    assert sorted(row.id for row in open_ones.results) == sorted([planned.pk, under_way.pk])

    # when it reads a detail
    read = part(initiatives, "initiatives_retrieve").sync_detailed(id=started.pk, client=api)
    assert read.status_code == 200
    assert read.parsed.id == started.pk
    etag = read.headers["ETag"]

    # and changes it with that ETag
    update = part(initiatives, "initiatives_partial_update")
    changed = update.sync_detailed(
        id=started.pk,
        client=api,
        body=models.PatchedInitiativeRequest(progress=40),
        if_match=etag,
    )
    assert changed.status_code == 200, changed.content
    assert changed.parsed.progress == 40
    assert changed.headers["ETag"] != etag

    # then a write with the stale ETag is the documented 412, and changes nothing
    stale = update.sync_detailed(
        id=started.pk,
        client=api,
        body=models.PatchedInitiativeRequest(progress=90),
        if_match=etag,
    )
    assert stale.status_code == 412
    assert isinstance(stale.parsed, models.Error)
    assert stale.parsed.detail
    assert Initiative.objects.get(pk=started.pk).progress == 40

    # and a progress update posted with the current ETag applies at once
    posted = part(initiatives, "initiatives_updates_create").sync_detailed(
        id=started.pk,
        client=api,
        body=models.PostUpdateRequest(body="Half way.", progress=50),
        if_match=changed.headers["ETag"],
    )
    assert posted.status_code == 201, posted.content
    assert isinstance(posted.parsed, models.ProgressUpdate)
    assert Initiative.objects.get(pk=started.pk).progress == 50
