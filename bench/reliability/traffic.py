"""The client side: a recording HTTP connection, the mix of operations (reads by anyone,
writes by each editor on its own rows) and the fixed-rate schedule that drives them."""

from __future__ import annotations

import datetime
import http.client
import json
import queue
import random
import re
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bench.reliability.checks import Exchange, Write
from bench.reliability.people import Editor, Pools

MAX_SECONDS = 600.0  # the load phase never runs longer, whatever is asked
MAX_OPERATIONS = 30_000
DRAIN_SECONDS = 60.0  # time left to operations still in flight when the schedule ends
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
    match = re.fullmatch(r'(?:W/)?"v(\d+)(?:-[0-9a-f]+)?"', etag or "")  # "v<version>-<digest>"
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
