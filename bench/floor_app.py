"""The app as gunicorn serves it, plus floor endpoints under /bench/floor/ in the same process.

A floor endpoint answers with the same rows as its API counterpart, fetched with hand-written
SQL through psycopg and encoded with orjson: the least a Python server can do for that answer,
measured on the same server, database and data as the real endpoint.
"""

from __future__ import annotations

import datetime
import os
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs

import orjson
import psycopg

from config.wsgi import application as django_application

OPEN = ("planned", "in_progress")
DUE_SOON_DAYS = int(os.environ.get("REMINDER_DUE_SOON_DAYS", "14"))
_connection: psycopg.Connection[Any] | None = None


def connection() -> psycopg.Connection[Any]:
    global _connection
    if _connection is None or _connection.closed:
        _connection = psycopg.connect(os.environ["DATABASE_URL"], autocommit=True)
    return _connection


def today() -> datetime.date:
    from django.utils import timezone

    return timezone.localdate()


INITIATIVES_SQL = """
WITH page AS (
    SELECT * FROM initiatives_initiative ORDER BY id LIMIT %(limit)s
)
SELECT i.id, i.title, i.slug, i.summary, i.theme, i.status, i.confidence, i.progress,
       i.announced_on, i.start_date, i.target_date, i.completed_on, i.notes, i.version,
       i.created_at, i.updated_at,
       a.id, a.short_name, a.name, p.id, p.title, s.id, s.title,
       (SELECT coalesce(json_agg(json_build_object(
                'agency', json_build_object('id', ra.id, 'short_name', ra.short_name, 'name', ra.name),
                'role', r.role) ORDER BY r.id), '[]')
          FROM initiatives_initiativeagency r JOIN initiatives_agency ra ON ra.id = r.agency_id
         WHERE r.initiative_id = i.id),
       (SELECT coalesce(json_agg(t.slug ORDER BY t.name), '[]')
          FROM initiatives_initiative_tags it JOIN initiatives_tag t ON t.id = it.tag_id
         WHERE it.initiative_id = i.id),
       (SELECT coalesce(json_agg(json_build_object(
                'source', json_build_object('id', so.id, 'kind', so.kind, 'publisher', so.publisher,
                                            'title', so.title, 'url', so.url,
                                            'published_on', so.published_on),
                'excerpt', c.excerpt, 'speaker', c.speaker) ORDER BY c.id), '[]')
          FROM initiatives_initiativesource c JOIN initiatives_source so ON so.id = c.source_id
         WHERE c.initiative_id = i.id),
       (SELECT count(*) FROM initiatives_milestone m
         WHERE m.initiative_id = i.id AND m.status IN ('planned', 'in_progress')),
       (SELECT count(*) FROM initiatives_milestone m
         WHERE m.initiative_id = i.id AND m.status IN ('planned', 'in_progress')
           AND m.due_date < %(today)s),
       (SELECT min(m.due_date) FROM initiatives_milestone m
         WHERE m.initiative_id = i.id AND m.status IN ('planned', 'in_progress')),
       (SELECT count(*) FROM initiatives_initiative)
  FROM page i
  JOIN initiatives_agency a ON a.id = i.owner_agency_id
  LEFT JOIN initiatives_initiative p ON p.id = i.parent_id
  LEFT JOIN initiatives_initiative s ON s.id = i.superseded_by_id
 ORDER BY i.id
"""


def initiatives(query: dict[str, list[str]]) -> dict[str, Any]:
    size = int(query.get("page_size", ["50"])[0])
    rows = connection().execute(INITIATIVES_SQL, {"today": today(), "limit": size}).fetchall()
    results = [
        {
            "id": r[0], "title": r[1], "slug": r[2], "summary": r[3],
            "owner_agency": {"id": r[16], "short_name": r[17], "name": r[18]},
            "supporting_agencies": r[23], "parent": {"id": r[19], "title": r[20]} if r[19] else None,
            "theme": r[4], "tags": r[24], "status": r[5],
            "superseded_by": {"id": r[21], "title": r[22]} if r[21] else None,
            "confidence": r[6], "progress": r[7], "announced_on": r[8], "start_date": r[9],
            "target_date": r[10], "completed_on": r[11], "notes": r[12], "citations": r[25],
            "open_milestones": r[26], "overdue_milestones": r[27], "next_due_date": r[28],
            "version": r[13], "created_at": r[14], "updated_at": r[15],
        }
        for r in rows
    ]  # fmt: skip
    count = rows[0][29] if rows else 0
    return {"count": count, "next": None, "previous": None, "results": results}


MILESTONE_COLUMNS = """
m.id, m.title, m.description, m.due_date, m.baseline_due_date, m.due_date_reason, m.status,
m.completed_on, m.version, m.created_at, m.updated_at, i.id, i.title, u.id, u.username
"""
MILESTONE_JOINS = """
  FROM initiatives_milestone m
  JOIN initiatives_initiative i ON i.id = m.initiative_id
  LEFT JOIN auth_user u ON u.id = m.owner_id
"""


def milestone_rows(rows: Iterable[Any], on: datetime.date) -> list[dict[str, Any]]:
    def due_status(status: str, due: datetime.date | None) -> str:
        if status in ("done", "cancelled"):
            return status
        if due is None:
            return "no_date"
        if due < on:
            return "overdue"
        return "due_soon" if (due - on).days <= DUE_SOON_DAYS else "upcoming"

    return [
        {
            "id": r[0], "initiative": {"id": r[11], "title": r[12]}, "title": r[1],
            "description": r[2], "due_date": r[3], "baseline_due_date": r[4],
            "due_date_reason": r[5],
            "days_slipped": (r[3] - r[4]).days if r[3] and r[4] else None,
            "status": r[6], "completed_on": r[7],
            "owner": {"id": r[13], "username": r[14]} if r[13] else None,
            "due_status": due_status(r[6], r[3]), "is_overdue": due_status(r[6], r[3]) == "overdue",
            "version": r[8], "created_at": r[9], "updated_at": r[10],
        }
        for r in rows
    ]  # fmt: skip


def overdue_milestones(query: dict[str, list[str]]) -> dict[str, Any]:
    size = int(query.get("page_size", ["100"])[0])
    on = today()
    rows = (
        connection()
        .execute(
            f"SELECT {MILESTONE_COLUMNS} {MILESTONE_JOINS}"
            " WHERE m.status IN ('planned', 'in_progress') AND m.due_date < %(today)s"
            " ORDER BY m.due_date, m.id LIMIT %(limit)s",
            {"today": on, "limit": size + 1},
        )
        .fetchall()
    )
    return {"next": None, "previous": None, "results": milestone_rows(rows[:size], on)}


def dashboard(query: dict[str, list[str]]) -> dict[str, Any]:
    on = today()
    horizon = on + datetime.timedelta(days=30)
    db = connection()
    by_status = dict(
        db.execute("SELECT status, count(*) FROM initiatives_initiative GROUP BY 1").fetchall()
    )
    by_confidence = dict(
        db.execute("SELECT confidence, count(*) FROM initiatives_initiative GROUP BY 1").fetchall()
    )
    by_agency = db.execute(
        "SELECT a.id, a.short_name, a.name, count(*) FROM initiatives_initiative i"
        " JOIN initiatives_agency a ON a.id = i.owner_agency_id GROUP BY a.id ORDER BY 4 DESC, 2"
    ).fetchall()
    open_where = "m.status IN ('planned', 'in_progress')"
    overdue = f"{open_where} AND m.due_date < %(today)s"
    soon = f"{open_where} AND m.due_date >= %(today)s AND m.due_date <= %(horizon)s"
    params = {"today": on, "horizon": horizon}
    lists = {}
    for name, where in (("overdue_milestones", overdue), ("milestones_due_next_30_days", soon)):
        count = db.execute(
            f"SELECT count(*) FROM initiatives_milestone m WHERE {where}", params
        ).fetchone()
        rows = db.execute(
            f"SELECT {MILESTONE_COLUMNS} {MILESTONE_JOINS} WHERE {where} ORDER BY m.due_date, m.id LIMIT 50",
            params,
        ).fetchall()
        lists[name] = {"count": count[0] if count else 0, "items": milestone_rows(rows, on)}
    rates = db.execute(
        "SELECT a.id, a.short_name, a.name,"
        " count(*) FILTER (WHERE m.status IN ('planned', 'in_progress', 'done')),"
        " count(*) FILTER (WHERE m.status = 'done' AND m.completed_on <= m.baseline_due_date)"
        " FROM initiatives_agency a JOIN initiatives_initiative i ON i.owner_agency_id = a.id"
        " JOIN initiatives_milestone m ON m.initiative_id = i.id"
        " WHERE m.baseline_due_date < %(today)s GROUP BY a.id ORDER BY a.short_name",
        params,
    ).fetchall()
    return {
        "as_of": on,
        "initiatives_by_status": by_status,
        "initiatives_by_confidence": by_confidence,
        "initiatives_by_lead_agency": [
            {"agency": {"id": r[0], "short_name": r[1], "name": r[2]}, "count": r[3]}
            for r in by_agency
        ],
        **lists,
        "on_time_rate_by_agency": [
            {
                "agency": {"id": r[0], "short_name": r[1], "name": r[2]},
                "milestones_due": r[3],
                "done_on_time": r[4],
                "rate": round(r[4] / r[3], 4) if r[3] else None,
            }
            for r in rates
        ],
    }


FLOORS: dict[str, Callable[[dict[str, list[str]]], dict[str, Any]]] = {
    "/bench/floor/initiatives/": initiatives,
    "/bench/floor/milestones/overdue/": overdue_milestones,
    "/bench/floor/dashboard/": dashboard,
}


def application(environ: dict[str, Any], start_response: Any) -> Any:
    floor = FLOORS.get(environ.get("PATH_INFO", ""))
    if floor is None:
        return django_application(environ, start_response)
    body = orjson.dumps(floor(parse_qs(environ.get("QUERY_STRING", ""))))
    start_response(
        "200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    )
    return [body]
