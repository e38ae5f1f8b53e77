"""Reliability under load (``make load``): a bounded fixed-rate mix of list, filter, detail and
write requests from several agencies' editors, with reminder sweeps running at the same time;
then a check that nothing failed and nothing written was lost.

    python -m bench.reliability_load                       # 15 operations/s for 90 s
    python -m bench.reliability_load --rate 40 --seconds 30

- Data: 10,000 initiatives and 100,000 milestones (``generate_load_data``), built once into a
  template database and cloned for the run (bench/common.py).
- Server: gunicorn with 2 x cores + 1 workers on loopback, production settings (DEBUG off).
- Load: operations arrive at a constant rate whatever the server does (wrk2-style, as in
  bench/load.py), each latency counted from when the operation was due, so a slow server cannot
  hide its queueing. Bounded in operations and seconds; it stops by itself.
- Writes: each editor changes only its own agency's rows, with the ETag it has just read in
  If-Match. A 412 (another writer got there first) is counted apart and acknowledges nothing.
- Sweeps: pairs of ``manage.py send_reminders`` processes started at the same moment, again and
  again while the load runs, mailing an SMTP sink (aiosmtpd) on loopback.
- Checks afterwards: no request failed (any status other than 2xx, or a 412 on a write, or no
  answer); every acknowledged write is in the database with the value written, and in the
  history as its own version by its editor (none lost, none overwritten by something
  unacknowledged); the reminder ledger holds each (milestone, recipient, slot, due date) once and
  no digest was mailed twice. Exits 1 when any check fails.
"""

from __future__ import annotations

import argparse
import datetime
import email
import email.policy
import hashlib
import http.client
import json
import math
import os
import queue
import random
import re
import secrets
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict, deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import psycopg

from bench.common import (
    BASE_DIR,
    SIZES,
    Server,
    app_env,
    cloned,
    database_url,
    free_port,
    run_in_app,
    template_for,
)

MAX_SECONDS = 600.0  # the load phase never runs longer, whatever is asked
MAX_OPERATIONS = 30_000
DRAIN_SECONDS = 60.0  # time left to operations still in flight when the schedule ends
SWEEP_TIMEOUT = 180.0  # a sweep process that takes longer is stopped and counted as failed
REQUEST_TIMEOUT = 60.0

# Operation kinds and their weights in the mix (reads about 3 in 4).
MIX: dict[str, int] = {
    "list_initiatives": 8,
    "list_milestones": 8,
    "filter_initiatives": 8,
    "filter_milestones": 8,
    "detail": 28,
    "patch_milestone": 14,
    "patch_initiative": 8,
    "post_update": 8,
    "post_milestone": 10,
}
WRITE_KINDS = {"patch_milestone", "patch_initiative", "post_update", "post_milestone"}
CONFIDENCES = ["green", "amber_green", "amber", "amber_red", "red", "not_assessed"]


# --- Records and the checks on them (pure functions: tests/ops/test_reliability_load.py) -----------
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


# --- The data and the people -------------------------------------------------------------------
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


# --- The client side ---------------------------------------------------------------------------
class Connection:
    """One keep-alive connection; records every exchange, reconnects after a failure."""

    def __init__(self, port: int, exchanges: list[Exchange]) -> None:
        self.port = port
        self.exchanges = exchanges
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT)

    def call(
        self,
        kind: str,
        method: str,
        path: str,
        headers: dict[str, str],
        body: dict[str, Any] | None = None,
    ) -> tuple[int, http.client.HTTPMessage | None, Any]:
        data = None if body is None else json.dumps(body).encode()
        all_headers = {**headers, "Accept": "application/json"}
        if data is not None:
            all_headers["Content-Type"] = "application/json"
        try:
            self.connection.request(method, path, body=data, headers=all_headers)
            response = self.connection.getresponse()
            raw = response.read()
        except (OSError, http.client.HTTPException) as error:
            self.connection.close()
            self.connection = http.client.HTTPConnection(
                "127.0.0.1", self.port, timeout=REQUEST_TIMEOUT
            )
            self.exchanges.append(Exchange(kind, method, path, 0, repr(error)))
            return 0, None, None
        detail = "" if response.status < 400 else raw[:300].decode(errors="replace")
        self.exchanges.append(Exchange(kind, method, path, response.status, detail))
        try:
            payload = json.loads(raw) if raw else None
        except ValueError:
            payload = None
        return response.status, response.headers, payload

    def close(self) -> None:
        self.connection.close()


def version_of(headers: http.client.HTTPMessage | None) -> int | None:
    etag = headers.get("ETag", "") if headers is not None else ""
    match = re.fullmatch(r'(?:W/)?"v(\d+)"', etag or "")
    return int(match.group(1)) if match else None


class Mix:
    """The operations of the run, each a function of a connection, its random source and its
    number; acknowledged writes are collected in ``writes``."""

    def __init__(self, editors: list[Editor], pools: Pools, tag: str) -> None:
        self.editors = editors
        self.pools = pools
        self.tag = tag
        self.today = datetime.date.today()  # noqa: DTZ011  dates for filters only
        self.writes: list[Write] = []
        self.next_pages: deque[str] = deque(maxlen=500)
        self.operations: dict[str, Callable[[Connection, random.Random, int], None]] = {
            kind: getattr(self, kind) for kind in MIX
        }

    def marker(self, number: int) -> str:
        return f"Load test {self.tag}, write {number}"

    def day(self, rng: random.Random, low: int, high: int) -> str:
        return (self.today + datetime.timedelta(days=rng.randint(low, high))).isoformat()

    # Reads, by any editor, of any agency's rows
    def list_initiatives(self, c: Connection, rng: random.Random, n: int) -> None:
        editor = rng.choice(self.editors)
        path = f"/api/v1/initiatives/?page={rng.randint(1, 20)}&page_size=50"
        c.call("list_initiatives", "GET", path, editor.headers)

    def list_milestones(self, c: Connection, rng: random.Random, n: int) -> None:
        editor = rng.choice(self.editors)
        path = "/api/v1/milestones/?page_size=50"
        if self.next_pages and rng.random() < 0.7:
            path = self.next_pages[rng.randrange(len(self.next_pages))]
        status, _, payload = c.call("list_milestones", "GET", path, editor.headers)
        if status == 200 and payload and payload.get("next"):
            self.next_pages.append(re.sub(r"^https?://[^/]+", "", payload["next"]))

    def filter_initiatives(self, c: Connection, rng: random.Random, n: int) -> None:
        editor = rng.choice(self.editors)
        agency = rng.choice(self.pools.agencies)
        path = rng.choice(
            [
                "/api/v1/initiatives/?status=in_progress,stalled&page_size=50",
                f"/api/v1/initiatives/?owner_agency={agency}&confidence=amber_red,red",
                f"/api/v1/initiatives/?has_overdue=true&owner_agency={agency}",
                f"/api/v1/initiatives/?target_after={self.day(rng, -30, 0)}"
                f"&target_before={self.day(rng, 30, 365)}",
                f"/api/v1/initiatives/?agency={agency}&theme=5G",
            ]
        )
        c.call("filter_initiatives", "GET", path, editor.headers)

    def filter_milestones(self, c: Connection, rng: random.Random, n: int) -> None:
        editor = rng.choice(self.editors)
        agency = rng.choice(self.pools.agencies)
        path = rng.choice(
            [
                "/api/v1/milestones/?overdue=true&page_size=50",
                f"/api/v1/milestones/?agency={agency}&due_after={self.day(rng, -10, 0)}"
                f"&due_before={self.day(rng, 20, 60)}",
                "/api/v1/milestones/?due_within=14&status=planned,in_progress",
                f"/api/v1/milestones/?initiative={rng.choice(self.pools.initiatives)}",
                f"/api/v1/milestones/?agency={agency}&overdue=true",
            ]
        )
        c.call("filter_milestones", "GET", path, editor.headers)

    def detail(self, c: Connection, rng: random.Random, n: int) -> None:
        editor = rng.choice(self.editors)
        if rng.random() < 0.5:
            path = f"/api/v1/initiatives/{rng.choice(self.pools.initiatives)}/"
        else:
            path = f"/api/v1/milestones/{rng.choice(self.pools.milestones)}/"
        c.call("detail", "GET", path, editor.headers)

    # Writes, each by an editor on its own agency's rows, after reading the row's ETag
    def patch_milestone(self, c: Connection, rng: random.Random, n: int) -> None:
        editor = rng.choice(self.editors)
        path = f"/api/v1/milestones/{rng.choice(editor.milestones)}/"
        status, headers, row = c.call("patch_milestone", "GET", path, editor.headers)
        if status != 200:
            return
        due = row["due_date"]
        while due == row["due_date"]:
            due = self.day(rng, -20, 60)
        body = {
            "description": self.marker(n),
            "due_date": due,
            "due_date_reason": f"Load test {self.tag}: moved by write {n}",
        }
        if_match = {**editor.headers, "If-Match": headers["ETag"]}  # type: ignore[index]
        status, headers, _ = c.call("patch_milestone", "PATCH", path, if_match, body)
        if 200 <= status < 300:
            self.acknowledged("patch_milestone", "milestone", row["id"], headers, editor, body)

    def patch_initiative(self, c: Connection, rng: random.Random, n: int) -> None:
        editor = rng.choice(self.editors)
        path = f"/api/v1/initiatives/{rng.choice(editor.initiatives)}/"
        status, headers, row = c.call("patch_initiative", "GET", path, editor.headers)
        if status != 200:
            return
        confidence = rng.choice([c for c in CONFIDENCES if c != row["confidence"]])
        body = {"notes": self.marker(n), "confidence": confidence}
        if_match = {**editor.headers, "If-Match": headers["ETag"]}  # type: ignore[index]
        status, headers, _ = c.call("patch_initiative", "PATCH", path, if_match, body)
        if 200 <= status < 300:
            self.acknowledged("patch_initiative", "initiative", row["id"], headers, editor, body)

    def post_update(self, c: Connection, rng: random.Random, n: int) -> None:
        editor = rng.choice(self.editors)
        path = f"/api/v1/initiatives/{rng.choice(editor.initiatives)}/"
        status, headers, row = c.call("post_update", "GET", path, editor.headers)
        if status != 200:
            return
        # A progress the initiative does not have, so the update changes it (a new version).
        progress = rng.choice([p for p in range(0, 101, 5) if p != row["progress"]])
        body: dict[str, Any] = {"body": self.marker(n), "progress": progress}
        if_match = {**editor.headers, "If-Match": headers["ETag"]}  # type: ignore[index]
        status, headers, answer = c.call("post_update", "POST", path + "updates/", if_match, body)
        if 200 <= status < 300:
            update = {
                "id": str(answer["id"]),
                "initiative_id": str(row["id"]),
                "author_id": str(editor.user_id),
                "body": body["body"],
                "progress": str(progress),
            }
            fields = {"progress": str(progress)}
            self.acknowledged(
                "post_update", "initiative", row["id"], headers, editor, fields, update=update
            )

    def post_milestone(self, c: Connection, rng: random.Random, n: int) -> None:
        editor = rng.choice(self.editors)
        body: dict[str, Any] = {
            "initiative": rng.choice(editor.initiatives),
            "title": self.marker(n),
            "due_date": self.day(rng, 1, 45),
        }
        status, headers, answer = c.call(
            "post_milestone", "POST", "/api/v1/milestones/", editor.headers, body
        )
        if 200 <= status < 300:
            fields = {"title": body["title"], "due_date": body["due_date"]}
            version = version_of(headers) or answer.get("version")
            self.writes.append(
                Write(
                    "post_milestone",
                    "milestone",
                    answer["id"],
                    int(version),
                    editor.user_id,
                    fields,
                    created=True,
                )
            )
            editor.milestones.append(answer["id"])  # later writes may change it too

    def acknowledged(
        self,
        kind: str,
        table: str,
        row_id: int,
        headers: http.client.HTTPMessage | None,
        editor: Editor,
        body: dict[str, Any],
        update: dict[str, str] | None = None,
    ) -> None:
        version = version_of(headers)
        fields = {
            name: str(value)
            for name, value in body.items()
            if name in ("description", "due_date", "notes", "confidence", "progress", "title")
        }
        # An answer without its version ETag still acknowledged the write: version 0 makes the
        # check report it rather than let it pass unchecked.
        self.writes.append(
            Write(kind, table, row_id, version or 0, editor.user_id, fields, update=update)
        )


@dataclass
class Timings:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    operations: int = 0
    started: float = 0.0
    finished: float = 0.0
    unfinished: int = 0


def drive(
    port: int, mix: Mix, rate: float, seconds: float, connections: int, seed: int
) -> tuple[Timings, list[Exchange]]:
    """Run the mix at ``rate`` operations per second for ``seconds``; each operation's latency
    is counted from when it was due, not from when a connection was free to send it."""
    seconds = min(seconds, MAX_SECONDS)
    total = min(int(rate * seconds), MAX_OPERATIONS)
    schedule_rng = random.Random(seed)
    kinds = schedule_rng.choices(list(MIX), weights=list(MIX.values()), k=total)
    due: queue.Queue[tuple[int, str, float] | None] = queue.Queue()
    exchanges: list[Exchange] = []
    timings = Timings()
    lock = threading.Lock()

    def worker() -> None:
        connection = Connection(port, exchanges)
        while (item := due.get()) is not None:
            number, kind, scheduled = item
            try:
                mix.operations[kind](connection, random.Random(seed * 1_000_003 + number), number)
            except Exception as error:  # an answer the client could not use is a failure too
                exchanges.append(Exchange(kind, "-", "-", 0, f"client: {error!r}"))
            finished = time.perf_counter()
            with lock:
                timings.latencies[kind].append(finished - scheduled)
                timings.operations += 1
        connection.close()

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(connections)]
    for thread in threads:
        thread.start()
    timings.started = time.perf_counter()
    interval = 1.0 / rate
    for number, kind in enumerate(kinds):
        scheduled = timings.started + number * interval
        delay = scheduled - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        due.put((number, kind, scheduled))
    for _ in threads:
        due.put(None)
    deadline = time.perf_counter() + DRAIN_SECONDS
    for thread in threads:
        thread.join(timeout=max(0.1, deadline - time.perf_counter()))
    timings.finished = time.perf_counter()
    with lock:
        timings.unfinished = total - timings.operations
        return timings, list(exchanges)


def warm_up(port: int, mix: Mix, workers: int) -> list[Exchange]:
    """A few reads of each kind per gunicorn worker, not timed: first requests open database
    connections and prepare statements."""
    exchanges: list[Exchange] = []
    connection = Connection(port, exchanges)
    rng = random.Random(0)
    for n in range(workers * 3):
        for kind in ("list_initiatives", "list_milestones", "filter_milestones", "detail"):
            mix.operations[kind](connection, rng, -n)
    connection.close()
    return exchanges


# --- Reminder sweeps beside the load -----------------------------------------------------------
class MailSink:
    """An SMTP server on loopback that keeps the Message-ID of every message it accepts."""

    def __init__(self) -> None:
        from aiosmtpd.controller import Controller

        self.message_ids: list[str] = []
        self.port = free_port()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.message_ids.append(str(message.get("Message-ID", "")).strip())
        return "250 OK"

    def stop(self) -> None:
        self.controller.stop()


@dataclass
class Sweep:
    day: datetime.date
    started: float
    finished: float = 0.0
    returncode: int | None = None
    output: str = ""

    @property
    def summary(self) -> str:
        lines = self.output.strip().splitlines()
        return lines[-1] if lines else ""


def sweep_pairs(
    database: str, sink: MailSink, stop: threading.Event, every: float, sweeps: list[Sweep]
) -> None:
    """Until ``stop``: start two ``send_reminders`` processes at once for the same day, wait for
    both, then the next pair (for the next day) at the next tick."""
    env = app_env(database, EMAIL_URL=f"smtp://127.0.0.1:{sink.port}", LOG_LEVEL="ERROR")
    day = datetime.date.today()  # noqa: DTZ011  the sweep judges days in TIME_ZONE itself
    tick = time.perf_counter()
    while not stop.is_set():
        processes = []
        for _ in range(2):
            sweep = Sweep(day, time.perf_counter())
            process = subprocess.Popen(
                [sys.executable, "manage.py", "send_reminders", "--today", day.isoformat()],
                cwd=BASE_DIR,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
            processes.append((sweep, process))
        for sweep, process in processes:
            try:
                sweep.output, _ = process.communicate(timeout=SWEEP_TIMEOUT)
            except subprocess.TimeoutExpired:
                process.kill()
                sweep.output, _ = process.communicate()
                sweep.output += f"\nstopped after {SWEEP_TIMEOUT:.0f}s"
            sweep.finished = time.perf_counter()
            sweep.returncode = process.returncode
            sweeps.append(sweep)
        day += datetime.timedelta(days=1)
        tick += every
        stop.wait(max(0.0, tick - time.perf_counter()))


def overlapping_pairs(sweeps: Sequence[Sweep]) -> int:
    """How many pairs of sweep processes ran at the same time."""
    return sum(
        1
        for i, a in enumerate(sweeps)
        for b in sweeps[i + 1 :]
        if a.started < b.finished and b.started < a.finished
    )


SWEEP_SUMMARY = re.compile(r"(\d+) planned, (\d+) digests sent, (\d+) failed")


# --- Reading back --------------------------------------------------------------------------------
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


# --- The run -------------------------------------------------------------------------------------
def report_latencies(timings: Timings, exchanges: Sequence[Exchange]) -> None:
    requests = Counter(exchange.kind for exchange in exchanges)
    print(
        f"{'operation':<20}{'ops':>7}{'requests':>10}{'p50':>9}{'p90':>9}{'p99':>9}{'max':>9}"
        "   (ms, from when due)"
    )
    everything: list[float] = []
    for kind in MIX:
        values = sorted(timings.latencies.get(kind, []))
        everything += values
        print(row_line(kind, values, requests[kind]))
    print(row_line("all", sorted(everything), sum(requests.values())))


def row_line(name: str, ordered: list[float], requests: int) -> str:
    figures = "".join(
        f"{percentile(ordered, share) * 1000:>9.1f}" for share in (0.5, 0.9, 0.99, 1.0)
    )
    return f"{name:<20}{len(ordered):>7}{requests:>10}{figures}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=15.0, help="Operations per second.")
    parser.add_argument("--seconds", type=float, default=90.0, help="Length of the load phase.")
    parser.add_argument("--editors", type=int, default=6, help="Editors of as many agencies.")
    parser.add_argument("--connections", type=int, default=16, help="Client connections.")
    parser.add_argument(
        "--sweep-every", type=float, default=15.0, help="Seconds between pairs of sweeps."
    )
    parser.add_argument("--seed", type=int, default=2023)
    options = parser.parse_args()
    if not 0 < options.rate * min(options.seconds, MAX_SECONDS) <= MAX_OPERATIONS:
        parser.error(f"--rate x --seconds must be between 1 and {MAX_OPERATIONS} operations")

    begun = time.monotonic()
    template = template_for("load")
    initiatives, per = SIZES["load"]
    workers = 2 * (os.cpu_count() or 1) + 1
    with cloned(template) as database:
        editors = editors_for(database, options.editors)
        mix = Mix(editors, Pools.load(database), secrets.token_hex(3))
        sink = MailSink()
        server = Server(database, workers=workers)
        sweeps: list[Sweep] = []
        stop = threading.Event()
        try:
            exchanges = warm_up(server.port, mix, workers)
            sweeper = threading.Thread(
                target=sweep_pairs, args=(database, sink, stop, options.sweep_every, sweeps)
            )
            sweeper.start()
            timings, measured = drive(
                server.port,
                mix,
                options.rate,
                options.seconds,
                options.connections,
                options.seed,
            )
            exchanges += measured
            stop.set()
            sweeper.join()
        finally:
            stop.set()
            server.stop()
            sink.stop()
        state = snapshot(database, mix.writes)
        rows, distinct, sent, by_status = ledger(database)

    elapsed = timings.finished - timings.started
    errors, conflicts = request_errors(exchanges)
    if timings.unfinished:
        errors.append(f"{timings.unfinished} operations still unfinished when the run ended")
    lost = lost_writes(mix.writes, state)
    sweep_failures = [
        f"sweep for {s.day} exited {s.returncode}: {s.output.strip()[-300:]}"
        for s in sweeps
        if s.returncode != 0 or not SWEEP_SUMMARY.search(s.summary)
    ]
    summaries = [SWEEP_SUMMARY.search(s.summary) for s in sweeps]
    digests = sum(int(m.group(2)) for m in summaries if m)
    failed_digests = sum(int(m.group(3)) for m in summaries if m)
    if failed_digests:
        sweep_failures.append(f"{failed_digests} digests could not be sent")
    overlaps = overlapping_pairs(sweeps)
    if overlaps < 1:
        sweep_failures.append("no two sweeps ran at the same time")
    duplicates = ledger_problems(rows, distinct, sink.message_ids, sent)

    print(
        f"data: {initiatives:,} initiatives, {initiatives * per:,} milestones (template {template});"
        f" gunicorn {workers} workers on 127.0.0.1; {len(editors)} editors of"
        f" {len({e.agency_id for e in editors})} agencies"
    )
    print(
        f"schedule: {options.rate:g} operations/s for {options.seconds:g} s"
        f" ({timings.operations + timings.unfinished:,} operations), {options.connections}"
        f" connections, seed {options.seed}"
    )
    report_latencies(timings, measured)
    print(
        f"achieved: {timings.operations / elapsed:.1f} operations/s,"
        f" {len(measured) / elapsed:.1f} requests/s over {elapsed:.1f} s"
        f" ({len(exchanges) - len(measured)} warm-up requests before)"
    )
    days = sorted({s.day for s in sweeps})
    print(
        f"sweeps: {len(sweeps)} send_reminders processes in pairs for {len(days)} days"
        f" ({days[0] if days else '-'} to {days[-1] if days else '-'}), {overlaps} pairs ran at"
        f" the same time; {digests:,} digests sent, {failed_digests} failed"
    )
    # Each process prints the ledger rows added while it planned, its twin's included.
    for day in days:
        pair = [s for s in sweeps if s.day == day]
        counts = [SWEEP_SUMMARY.search(s.summary) for s in pair]
        print(
            f"  --today {day}: planned {'+'.join(m.group(1) if m else '?' for m in counts)},"
            f" digests {'+'.join(m.group(2) if m else '?' for m in counts)},"
            f" {' / '.join(f'{s.finished - s.started:.1f}' for s in pair)} s"
        )
    print(
        f"ledger: {rows:,} rows, {distinct:,} distinct (milestone, recipient, slot, due date);"
        f" by status {dict(sorted(by_status.items()))}; {len(sink.message_ids):,} digests"
        f" received by the sink, {len(set(sink.message_ids)):,} distinct"
    )
    kinds = Counter(write.kind for write in mix.writes)
    print(
        f"writes acknowledged: {len(mix.writes):,} ({', '.join(f'{k} {v}' for k, v in sorted(kinds.items()))});"
        f" 412 conflicts (not acknowledged): {conflicts}"
    )
    for title, problems in (
        ("errors", errors),
        ("lost writes", lost),
        ("sweep failures", sweep_failures),
        ("duplicate reminders", duplicates),
    ):
        print(f"{title}: {len(problems)}")
        for line in problems[:20]:
            print(f"  {line}")
        if len(problems) > 20:
            print(f"  … and {len(problems) - 20} more")
    failed = bool(errors or lost or sweep_failures or duplicates)
    print(
        f"verdict: {'FAIL' if failed else 'PASS'}: {len(errors)} errors, {len(lost)} lost writes"
        f" of {len(mix.writes):,} acknowledged, {len(sweep_failures)} sweep failures,"
        f" {len(duplicates)} duplicate-reminder findings (run took"
        f" {time.monotonic() - begun:.0f} s in all)"
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
