"""CSV exports never hand a spreadsheet a formula to run (OWASP's CSV-injection rule)."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from rest_framework.test import APIClient

from tests.factories import InitiativeFactory, MilestoneFactory
from tests.initiatives.api.conftest import World

FORMULAS = ['=HYPERLINK("http://evil.example","x")', "+1+cmd|' /C calc'!A0", "@SUM(1)", "-2+3"]
FORMULAS += ["\tTAB", "\rCR"]


def cells(response: Any) -> list[dict[str, str]]:
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(body)))


@pytest.mark.parametrize("title", FORMULAS)
def test_every_export_neutralises_formulas(world: World, editor: APIClient, title: str) -> None:
    # given an initiative and a milestone whose titles a spreadsheet would run
    initiative = InitiativeFactory(owner_agency=world.lead, title=title, theme="@theme")
    MilestoneFactory(initiative=initiative, title=title, due_date=None, baseline_due_date=None)
    # when they are exported
    (initiative_row,) = cells(editor.get("/api/v1/initiatives/export/"))
    (milestone_row,) = cells(editor.get("/api/v1/milestones/export/"))
    # then each such cell starts with an apostrophe, shown as text, and says the rest as it was
    for row, column in (
        (initiative_row, "title"),
        (milestone_row, "title"),
        (milestone_row, "initiative"),
    ):
        assert row[column] == "'" + title
    assert initiative_row["theme"] == "'@theme"


def test_numbers_and_plain_text_are_left_as_they_are(world: World, editor: APIClient) -> None:
    # given a milestone brought forward ten days: a negative number, not a formula
    initiative = InitiativeFactory(owner_agency=world.lead, title="Light Chasing Action")
    MilestoneFactory(
        initiative=initiative,
        title="Plan",
        due_date="2030-06-20",
        baseline_due_date="2030-06-30",
        due_date_reason="Brought forward",
    )
    (row,) = cells(editor.get("/api/v1/milestones/export/"))
    assert (row["title"], row["initiative"]) == ("Plan", "Light Chasing Action")
    assert (row["due_date"], row["days_slipped"]) == ("2030-06-20", "-10")
