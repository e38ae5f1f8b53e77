"""The records of a run and the checks on them. Pure functions, no server and no database, so
that tests/ops/test_reliability_load.py can feed them fabricated records."""

from __future__ import annotations

import hashlib
import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Exchange:
    """One HTTP request and what came back (status 0: no answer)."""

    kind: str
    method: str
    path: str
    status: int
    error: str = ""


@dataclass(frozen=True)
class Write:
    """An acknowledged (2xx) write: the row it changed, the version the answer's ETag names, the
    editor, and the values it wrote (as text, dates ISO, null as "")."""

    kind: str
    table: str  # "initiative" or "milestone"
    row_id: int
    version: int
    user_id: int
    fields: dict[str, str]
    created: bool = False
    # A posted progress update: its id and the values it was posted with.
    update: dict[str, str] | None = None

    def __str__(self) -> str:
        return f"{self.kind} {self.table} {self.row_id} v{self.version} by user {self.user_id}"


@dataclass
class Snapshot:
    """What the database holds afterwards about the rows written."""

    # (table, id) -> current values, "version" included
    rows: dict[tuple[str, int], dict[str, str]] = field(default_factory=dict)
    # (table, id, version) -> its history rows, with "history_user_id" and "history_type"
    history: dict[tuple[str, int, int], list[dict[str, str]]] = field(default_factory=dict)
    # progress update id -> "initiative_id", "author_id", "body", "progress"
    updates: dict[int, dict[str, str]] = field(default_factory=dict)


def request_errors(exchanges: Iterable[Exchange]) -> tuple[list[str], int]:
    """Every failed request, and how many writes lost a genuine race (412, counted apart)."""
    errors, conflicts = [], 0
    for exchange in exchanges:
        if 200 <= exchange.status < 300:
            continue
        if exchange.status == 412 and exchange.method in ("PATCH", "PUT", "POST", "DELETE"):
            conflicts += 1
            continue
        what = exchange.status or exchange.error or "no answer"
        errors.append(f"{exchange.kind}: {exchange.method} {exchange.path} -> {what}")
    return errors, conflicts


def lost_writes(writes: Sequence[Write], snapshot: Snapshot) -> list[str]:
    """Every acknowledged write the database does not bear out, one line each (empty: none).

    Each write must be the one history row of the version its ETag named, by its editor, with
    the values written; a created row's history row must be its creation. On each row, the
    current version must be the last acknowledged one (nothing unacknowledged came after), and
    each field must hold what the last write that set it wrote.
    """
    problems: list[str] = []
    by_row: dict[tuple[str, int], list[Write]] = defaultdict(list)
    for write in writes:
        by_row[write.table, write.row_id].append(write)
        entries = snapshot.history.get((write.table, write.row_id, write.version), [])
        if len(entries) != 1:
            problems.append(f"{write}: {len(entries)} history rows for that version, not 1")
        else:
            entry = entries[0]
            if entry.get("history_user_id") != str(write.user_id):
                problems.append(f"{write}: history names user {entry.get('history_user_id')!r}")
            if entry.get("history_type") != ("+" if write.created else "~"):
                problems.append(f"{write}: history type {entry.get('history_type')!r}")
            for name, value in write.fields.items():
                if entry.get(name) != value:
                    problems.append(
                        f"{write}: history has {name}={entry.get(name)!r}, written {value!r}"
                    )
        if write.update is not None:
            stored = snapshot.updates.get(int(write.update["id"]))
            if stored is None:
                problems.append(f"{write}: progress update {write.update['id']} missing")
            else:
                for name, value in write.update.items():
                    if name != "id" and stored.get(name) != value:
                        problems.append(
                            f"{write}: progress update has {name}={stored.get(name)!r},"
                            f" posted {value!r}"
                        )
    for (table, row_id), row_writes in sorted(by_row.items()):
        current = snapshot.rows.get((table, row_id))
        if current is None:
            problems.append(f"{table} {row_id}: written, but no longer in the database")
            continue
        versions = Counter(write.version for write in row_writes)
        for version, count in sorted(versions.items()):
            if count > 1:
                problems.append(f"{table} {row_id}: {count} acknowledged writes made v{version}")
        last = max(versions)
        if current.get("version") != str(last):
            problems.append(
                f"{table} {row_id}: at v{current.get('version')}, the last acknowledged write"
                f" made v{last}"
            )
        latest: dict[str, tuple[int, str]] = {}
        for write in row_writes:
            for name, value in write.fields.items():
                if name not in latest or write.version > latest[name][0]:
                    latest[name] = (write.version, value)
        for name, (version, value) in sorted(latest.items()):
            if current.get(name) != value:
                problems.append(
                    f"{table} {row_id}: {name}={current.get(name)!r}, the write of v{version}"
                    f" set {value!r}"
                )
    return problems


def digest_key(row_ids: Iterable[int]) -> str:
    """The Message-ID key of the digest of these ledger rows (as tracker.services.message_id_for
    makes it: the same rows always make the same key)."""
    joined = ",".join(str(pk) for pk in sorted(row_ids))
    return hashlib.sha256(joined.encode()).hexdigest()[:24]


MESSAGE_ID = re.compile(r"<reminders-([0-9a-f]{24})@")


def ledger_problems(
    rows: int, distinct_keys: int, mailed_ids: Sequence[str], sent: dict[str, list[int]]
) -> list[str]:
    """The reminder ledger holds each (milestone, recipient, slot, due date) once, and each sent
    row went out in exactly one digest: every digest reached the sink once, is the one its rows
    were marked sent with, and still has all its rows (a row mailed again in a later digest
    would carry that one's Message-ID, and the rows left would no longer make the first)."""
    problems = []
    if rows != distinct_keys:
        problems.append(f"ledger: {rows} rows for {distinct_keys} distinct reminders")
    twice = sorted(mid for mid, count in Counter(mailed_ids).items() if count > 1)
    if twice:
        problems.append(f"mail: {len(twice)} digests mailed more than once, e.g. {twice[0]}")
    if set(mailed_ids) != set(sent):
        unmarked = len(set(mailed_ids) - set(sent))
        unmailed = len(set(sent) - set(mailed_ids))
        problems.append(
            f"mail: {unmarked} digests mailed but not marked sent, {unmailed} marked but not mailed"
        )
    for message_id, row_ids in sorted(sent.items()):
        match = MESSAGE_ID.search(message_id)
        if match is None or match.group(1) != digest_key(row_ids):
            problems.append(
                f"mail: the rows marked sent in {message_id} are not the rows it was made of"
            )
    return problems


def percentile(ordered: Sequence[float], share: float) -> float:
    """Nearest-rank percentile of sorted values."""
    if not ordered:
        return float("nan")
    rank = max(1, min(len(ordered), math.ceil(round(share * len(ordered), 9))))
    return ordered[rank - 1]
