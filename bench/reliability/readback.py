"""Reading the database back after the run: the rows written and their history, and the
reminder ledger, in the shapes the checks take."""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import psycopg

from bench.common import database_url
from bench.reliability.checks import Snapshot, Write

TABLES = {
    "milestone": ("initiatives_milestone", ["version", "title", "description", "due_date"]),
    "initiative": ("initiatives_initiative", ["version", "notes", "confidence", "progress"]),
}


def text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


def snapshot(database: str, writes: Sequence[Write]) -> Snapshot:
    result = Snapshot()
    with psycopg.connect(database_url(database)) as connection:
        for table, (name, columns) in TABLES.items():
            ids = sorted({w.row_id for w in writes if w.table == table})
            listed = ", ".join(columns)
            for row_id, *values in connection.execute(
                f"SELECT id, {listed} FROM {name} WHERE id = ANY(%s)", [ids]
            ):
                result.rows[table, row_id] = dict(zip(columns, map(text, values), strict=True))
            history = name.replace("initiatives_", "initiatives_historical")
            for row_id, user_id, kind, *values in connection.execute(
                f"SELECT id, history_user_id, history_type, {listed} FROM {history}"
                " WHERE id = ANY(%s) ORDER BY history_id",
                [ids],
            ):
                entry = dict(zip(columns, map(text, values), strict=True))
                entry |= {"history_user_id": text(user_id), "history_type": kind}
                result.history.setdefault((table, row_id, int(entry["version"])), []).append(entry)
        update_ids = [int(w.update["id"]) for w in writes if w.update is not None]
        for update_id, initiative_id, author_id, body, progress in connection.execute(
            "SELECT id, initiative_id, author_id, body, progress FROM initiatives_progressupdate"
            " WHERE id = ANY(%s)",
            [update_ids],
        ):
            result.updates[update_id] = {
                "initiative_id": text(initiative_id),
                "author_id": text(author_id),
                "body": body,
                "progress": text(progress),
            }
    return result


def ledger(database: str) -> tuple[int, int, dict[str, list[int]], dict[str, int]]:
    with psycopg.connect(database_url(database)) as connection:
        rows, distinct = connection.execute(
            "SELECT count(*), count(DISTINCT (milestone_id, recipient, slot, due_date))"
            " FROM tracker_reminder"
        ).fetchone()  # type: ignore[misc]
        sent: dict[str, list[int]] = defaultdict(list)
        for message_id, row_id in connection.execute(
            "SELECT message_id, id FROM tracker_reminder WHERE status = 'sent'"
        ):
            sent[message_id].append(row_id)
        by_status: dict[str, int] = dict(
            connection.execute("SELECT status, count(*) FROM tracker_reminder GROUP BY status")
        )
    return rows, distinct, sent, by_status
