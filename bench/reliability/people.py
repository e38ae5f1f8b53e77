"""The people and the data of a run: the editors who write (each with an API token and its
agency's rows) and the ids the reads pick from, read from the cloned database."""

from __future__ import annotations

import json
from dataclasses import dataclass

import psycopg

from bench.common import database_url, run_in_app


@dataclass
class Editor:
    username: str
    user_id: int
    agency_id: int
    token: str
    initiatives: list[int]
    milestones: list[int]

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


ISSUE_TOKENS = """
import io, json, sys, django
django.setup()
from django.core.management import call_command
tokens = {}
for username in sys.argv[1:]:
    out = io.StringIO()
    call_command("create_api_token", username, "--name", "reliability load", stdout=out, stderr=io.StringIO())
    tokens[username] = out.getvalue().strip()
print(json.dumps(tokens))
"""


def editors_for(database: str, count: int) -> list[Editor]:
    """The editors of the first ``count`` generated agencies, an API token each, and the ids of
    the rows each may change (its agency's initiatives and their milestones)."""
    with psycopg.connect(database_url(database)) as connection:
        people = connection.execute(
            "SELECT u.username, u.id, m.agency_id FROM auth_user u"
            " JOIN initiatives_membership m ON m.user_id = u.id AND m.role = 'editor'"
            " WHERE u.username LIKE 'load-%%-editor' ORDER BY u.username LIMIT %s",
            [count],
        ).fetchall()
        rows: dict[int, tuple[list[int], list[int]]] = {}
        for _, _, agency_id in people:
            initiatives = [
                r[0]
                for r in connection.execute(
                    "SELECT id FROM initiatives_initiative WHERE owner_agency_id = %s ORDER BY id",
                    [agency_id],
                )
            ]
            milestones = [
                r[0]
                for r in connection.execute(
                    "SELECT id FROM initiatives_milestone WHERE initiative_id = ANY(%s) ORDER BY id",
                    [initiatives],
                )
            ]
            rows[agency_id] = (initiatives, milestones)
    output = run_in_app(database, "-c", ISSUE_TOKENS, *(username for username, _, _ in people))
    tokens = json.loads(output.strip().splitlines()[-1])
    return [
        Editor(username, user_id, agency_id, tokens[username], *rows[agency_id])
        for username, user_id, agency_id in people
    ]


@dataclass
class Pools:
    """Ids the reads pick from (every agency's rows, not only the editors')."""

    initiatives: list[int]
    milestones: list[int]
    agencies: list[int]

    @classmethod
    def load(cls, database: str) -> Pools:
        with psycopg.connect(database_url(database)) as connection:

            def ids(sql: str) -> list[int]:
                return [row[0] for row in connection.execute(sql)]

            return cls(
                ids("SELECT id FROM initiatives_initiative ORDER BY id"),
                ids("SELECT id FROM initiatives_milestone ORDER BY id"),
                ids("SELECT id FROM initiatives_agency WHERE short_name LIKE 'LOAD-%' ORDER BY id"),
            )
