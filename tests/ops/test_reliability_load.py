"""The checks of the reliability load test (bench/reliability/checks.py, `make load`) can fail:
fed fabricated records, they pass a consistent run and catch a failed request, a lost write and
a reminder mailed twice. Pure functions: no server, no database, instant."""

from __future__ import annotations

import dataclasses
import http.client

from bench.reliability.checks import (
    MESSAGE_ID,
    Exchange,
    Snapshot,
    Write,
    digest_key,
    ledger_problems,
    lost_writes,
    percentile,
    request_errors,
)
from bench.reliability.traffic import version_of

EDITOR = 41
D1, D2 = "2026-12-01", "2026-12-09"


def history_entry(user: int = EDITOR, kind: str = "~", **fields: str) -> dict[str, str]:
    return {"history_user_id": str(user), "history_type": kind, **fields}


def consistent_run() -> tuple[list[Write], Snapshot]:
    """Two acknowledged PATCHes of one milestone (v2, then v3), a posted progress update that
    moved an initiative to v5, and a created milestone; the database bears out all of them."""
    update = {"id": "90", "initiative_id": "3", "author_id": str(EDITOR), "body": "u"}
    writes = [
        Write("patch_milestone", "milestone", 7, 2, EDITOR, {"description": "w1", "due_date": D1}),
        Write("patch_milestone", "milestone", 7, 3, EDITOR, {"description": "w2", "due_date": D2}),
        Write("post_update", "initiative", 3, 5, EDITOR, {"progress": "40"}, update=update),
        Write("post_milestone", "milestone", 8, 1, EDITOR, {"title": "new"}, created=True),
    ]
    snapshot = Snapshot(
        rows={
            ("milestone", 7): {"version": "3", "description": "w2", "due_date": D2},
            ("initiative", 3): {"version": "5", "progress": "40"},
            ("milestone", 8): {"version": "1", "title": "new"},
        },
        history={
            ("milestone", 7, 2): [history_entry(description="w1", due_date=D1)],
            ("milestone", 7, 3): [history_entry(description="w2", due_date=D2)],
            ("initiative", 3, 5): [history_entry(progress="40")],
            ("milestone", 8, 1): [history_entry(kind="+", title="new")],
        },
        updates={90: {"initiative_id": "3", "author_id": str(EDITOR), "body": "u"}},
    )
    return writes, snapshot


def test_a_consistent_run_passes() -> None:
    writes, snapshot = consistent_run()
    assert lost_writes(writes, snapshot) == []
    assert request_errors([Exchange("detail", "GET", "/x/", 200)]) == ([], 0)


def test_a_write_acknowledged_but_not_stored_is_lost() -> None:
    writes, snapshot = consistent_run()
    # The second PATCH was answered 200 but never committed: no v3 in the history, the row
    # still holds the first write.
    del snapshot.history["milestone", 7, 3]
    snapshot.rows["milestone", 7] = {"version": "2", "description": "w1", "due_date": D1}
    problems = lost_writes(writes, snapshot)
    assert any("0 history rows for that version" in p for p in problems)
    assert any("at v2, the last acknowledged write made v3" in p for p in problems)
    assert any("description='w1', the write of v3 set 'w2'" in p for p in problems)


def test_a_write_overwritten_by_another_from_the_same_version_is_lost() -> None:
    writes, snapshot = consistent_run()
    # Two writers both acknowledged as making v3: one of them was silently overwritten.
    writes.append(Write("patch_milestone", "milestone", 7, 3, EDITOR + 1, {"description": "w3"}))
    problems = lost_writes(writes, snapshot)
    assert any("2 acknowledged writes made v3" in p for p in problems)
    assert any("history names user '41'" in p for p in problems)


def test_an_unacknowledged_change_after_the_last_write_is_reported() -> None:
    writes, snapshot = consistent_run()
    snapshot.rows["milestone", 7] = {"version": "4", "description": "zz", "due_date": ""}
    problems = lost_writes(writes, snapshot)
    assert any("at v4, the last acknowledged write made v3" in p for p in problems)


def test_history_must_name_the_editor_and_hold_the_values() -> None:
    writes, snapshot = consistent_run()
    snapshot.history["initiative", 3, 5] = [history_entry(user=99, progress="35")]
    problems = lost_writes(writes, snapshot)
    assert any("history names user '99'" in p for p in problems)
    assert any("history has progress='35', written '40'" in p for p in problems)


def test_a_missing_progress_update_or_created_row_is_lost() -> None:
    writes, snapshot = consistent_run()
    del snapshot.updates[90]
    del snapshot.rows["milestone", 8]
    snapshot.history["milestone", 8, 1] = []
    problems = lost_writes(writes, snapshot)
    assert any("progress update 90 missing" in p for p in problems)
    assert any("milestone 8: written, but no longer in the database" in p for p in problems)
    # A creation recorded as a change is no proof the row was created by that write.
    writes, snapshot = consistent_run()
    writes[3] = dataclasses.replace(writes[3], created=False)
    assert any("history type '+'" in p for p in lost_writes(writes, snapshot))


def test_failed_requests_are_errors_and_lost_races_are_counted_apart() -> None:
    exchanges = [
        Exchange("detail", "GET", "/api/v1/milestones/1/", 200),
        Exchange("post_milestone", "POST", "/api/v1/milestones/", 201),
        Exchange("patch_milestone", "PATCH", "/api/v1/milestones/1/", 412),
        Exchange("post_update", "POST", "/api/v1/initiatives/3/updates/", 412),
        Exchange("list_initiatives", "GET", "/api/v1/initiatives/", 500),
        Exchange("detail", "GET", "/api/v1/initiatives/3/", 412),  # no race on a read
        Exchange("patch_initiative", "PATCH", "/api/v1/initiatives/3/", 400, "bad"),
        Exchange("detail", "GET", "/api/v1/initiatives/4/", 0, "ConnectionResetError()"),
        Exchange("detail", "-", "-", 0, "client: KeyError('ETag')"),
    ]
    errors, conflicts = request_errors(exchanges)
    assert conflicts == 2
    assert len(errors) == 5
    assert "list_initiatives: GET /api/v1/initiatives/ -> 500" in errors
    assert any("ConnectionResetError" in e for e in errors)


def message_id(*row_ids: int) -> str:
    return f"<reminders-{digest_key(row_ids)}@127.0.0.1>"


def test_ledger_duplicates_and_double_mail_are_caught() -> None:
    a, b = message_id(1, 2), message_id(3)
    assert ledger_problems(3, 3, [a, b], {a: [2, 1], b: [3]}) == []
    c = message_id(4)
    problems = ledger_problems(5, 4, [a, b, a], {a: [1, 2], b: [3], c: [4]})
    assert any("5 rows for 4 distinct" in p for p in problems)
    assert any("1 digests mailed more than once" in p for p in problems)
    assert any(
        "0 digests mailed but not marked sent, 1 marked but not mailed" in p for p in problems
    )


def test_a_reminder_mailed_in_two_digests_is_caught() -> None:
    # Row 2 went out in digest (1, 2), then again in digest (2, 3), which re-marked it: the rows
    # still marked with the first digest's Message-ID no longer make that digest.
    first, second = message_id(1, 2), message_id(2, 3)
    problems = ledger_problems(3, 3, [first, second], {first: [1], second: [2, 3]})
    assert problems == [f"mail: the rows marked sent in {first} are not the rows it was made of"]


def test_the_digest_key_is_the_trackers() -> None:
    from tracker.services import message_id_for

    made = MESSAGE_ID.search(message_id_for([12, 3]))
    assert made is not None
    assert made.group(1) == digest_key([3, 12])


def test_percentile_is_nearest_rank() -> None:
    ordered = [float(n) for n in range(1, 101)]
    assert (percentile(ordered, 0.5), percentile(ordered, 0.99), percentile(ordered, 1.0)) == (
        50.0,
        99.0,
        100.0,
    )
    assert percentile([3.0], 0.9) == 3.0


def test_the_version_is_read_from_the_etag_a_write_answers_with() -> None:
    headers = http.client.HTTPMessage()
    headers["ETag"] = '"v7-3f2a9c0d"'
    assert version_of(headers) == 7
    headers.replace_header("ETag", '"c0ffee"')
    assert version_of(headers) is None
