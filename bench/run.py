"""Run every benchmark on PostgreSQL and print one ratio line per figure.

    python -m bench.run --size full     # make bench: 100,000 initiatives, 1,000,000 milestones
    python -m bench.run --size quick    # make bench-quick: the same scripts on a small set

The data set is built once into a template database and cloned for each run. Each figure is a
ratio against a floor measured in the same run (see bench/common.py, docs/performance.md).
"""

from __future__ import annotations

import argparse
import base64
import functools
import itertools
import json
import os
import statistics
import sys
import time
from typing import Any

import psycopg
import redis

from bench.common import (
    BENCH_REDIS_URL,
    Client,
    Report,
    Server,
    cloned,
    database_url,
    manage,
    median_pair,
    run_in_app,
    template_for,
)
from bench.load import sustainable_rate

TOKEN_NUMBERS = itertools.count()
# Rounds of sweeps on each data set, alternating between them (see bench_reminders).
SWEEP_ROUNDS = 3
# Rounds of throughput searches, ours and the floor's alternating: one search each left the
# ratio to the machine's drift (the floor's rate moved from 780 to 1,040 req/s within minutes).
THROUGHPUT_ROUNDS = 3
LIST_PAIRS = [
    (
        "api_initiatives_list",
        "/api/v1/initiatives/?page_size=50",
        "/bench/floor/initiatives/?page_size=50",
    ),
    (
        "api_milestones_overdue",
        "/api/v1/milestones/?overdue=true&page_size=100",
        "/bench/floor/milestones/overdue/?page_size=100",
    ),
]


def api_token(database: str) -> str:
    name = f"bench {next(TOKEN_NUMBERS)}"
    return manage(database, "create_api_token", "load-0000-editor", "--name", name).strip()


def cursor_for(keys: list[str], values: list[object]) -> str:
    """The API's cursor for the row after ``values`` (the format of KeysetPagination)."""
    payload = {"k": keys, "v": [None if v is None else str(v) for v in values], "b": False}
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")


def bench_api_lists(report: Report, database: str, runs: int) -> None:
    server = Server(database)
    try:
        token = api_token(database)
        api, floor = Client(server.port, token), Client(server.port)
        for name, path, floor_path in (
            (
                "api_initiatives_list",
                "/api/v1/initiatives/?page_size=50",
                "/bench/floor/initiatives/?page_size=50",
            ),
            (
                "api_milestones_overdue",
                "/api/v1/milestones/?overdue=true&page_size=100",
                "/bench/floor/milestones/overdue/?page_size=100",
            ),
            ("dashboard", "/api/v1/dashboard/", "/bench/floor/dashboard/"),
        ):
            # A dashboard request takes a fifth of a second: a quarter of the runs (fifty on
            # the full set) keep the figure as steady and the run a minute shorter.
            pairs = max(runs // 4, 10) if name == "dashboard" else runs
            measured, base = median_pair(
                functools.partial(api.get, path), functools.partial(floor.get, floor_path), pairs
            )
            report.ratio(name, measured, base, 2.0 if name == "dashboard" else 3.0)
        bench_depth(report, database, api, runs)
    finally:
        server.stop()


def bench_throughput(report: Report, database: str, seconds: float) -> None:
    """Requests per second each list endpoint sustains at a constant arrival rate, against the
    floor endpoint's on the same server (gunicorn with 2 x cores + 1 workers): the medians of
    rounds that alternate between the two, which one goes first alternating too."""
    server = Server(database, workers=2 * (os.cpu_count() or 1) + 1)
    try:
        token = api_token(database)
        auth = {"Authorization": f"Bearer {token}"}
        for name, path, floor_path in LIST_PAIRS:
            found: dict[str, list[float]] = {path: [], floor_path: []}
            searches = [(path, auth), (floor_path, {})]
            for round_ in range(THROUGHPUT_ROUNDS):
                for target, headers in searches if round_ % 2 == 0 else searches[::-1]:
                    # From half the rate the last round found, skipping the doublings below it.
                    start = max(20.0, found[target][-1] / 2) if found[target] else 20.0
                    rate, _ = sustainable_rate(
                        server.port,
                        target,
                        headers,
                        start=start,
                        seconds=seconds,
                        warm_up=not found[target],  # the workers are warm after a round
                    )
                    found[target].append(rate)
            ours, floor = statistics.median(found[path]), statistics.median(found[floor_path])
            report.at_least(f"{name}_throughput", ours, max(floor, 1.0), 0.4, "req/s")
            report.notes.append(
                f"  {name}_throughput rounds: {', '.join(f'{r:.0f}' for r in found[path])}"
                f" req/s vs floor {', '.join(f'{r:.0f}' for r in found[floor_path])}"
            )
    finally:
        server.stop()


def bench_depth(report: Report, database: str, api: Client, runs: int) -> None:
    """The 10,000th cursor page of milestones against the first (or the middle page of a
    smaller set)."""
    page_size = 50
    with psycopg.connect(database_url(database)) as connection:
        total = connection.execute("SELECT count(*) FROM initiatives_milestone").fetchone()[0]  # type: ignore[index]
        page = min(10_000, max(2, total // page_size // 2))
        row = connection.execute(
            "SELECT due_date, id FROM initiatives_milestone"
            " ORDER BY due_date ASC NULLS LAST, id OFFSET %s LIMIT 1",
            [(page - 1) * page_size - 1],
        ).fetchone()
    assert row is not None
    deep = f"/api/v1/milestones/?page_size={page_size}&cursor={cursor_for(['due_date', 'id'], list(row))}"
    first = f"/api/v1/milestones/?page_size={page_size}"
    measured, base = median_pair(lambda: api.get(deep), lambda: api.get(first), runs)
    report.ratio(f"cursor_page_{page}_vs_first", measured, base, 1.2)


def probe(database: str, *args: str, **env: str) -> dict[str, Any]:
    output = run_in_app(database, "-m", "bench.reminders_probe", *args, **env)
    return dict(json.loads(output.strip().splitlines()[-1]))


def bench_reminders(report: Report, template: str, digests: int) -> None:
    # The full set and the smaller one are swept in alternating rounds: this machine's speed
    # drifts by a third over minutes, and measured one after the other the drift landed on
    # the ratio of the two.
    fulls, smalls = [], []
    with cloned(template, "_full") as full_set, cloned(template, "_small") as small_set:
        for round_ in range(SWEEP_ROUNDS):
            fulls.append(probe(full_set, "sweep"))
            shrink = ["--keep", "0.1"] if round_ == 0 else []  # once: the copy stays small
            smalls.append(probe(small_set, "sweep", *shrink))
    full, small = fulls[0], smalls[0]

    def median_of(runs: list[dict[str, Any]], key: str) -> float:
        return statistics.median(run[key] for run in runs)

    report.ratio(
        "sweep_plan_vs_sql",
        median_of(fulls, "plan_seconds"),
        median_of(fulls, "floor_seconds"),
        2.0,
    )
    label = f"sweep_{full['milestones_stored']}_vs_{small['milestones_stored']}_stored"
    report.ratio(label, median_of(fulls, "plan_seconds"), median_of(smalls, "plan_seconds"), 1.3)
    full_rss = max(run["peak_rss_mb"] for run in fulls)
    small_rss = max(run["peak_rss_mb"] for run in smalls)
    report.ratio("sweep_peak_memory", full_rss, small_rss, 1.3, "MB")
    report.notes.append(
        f"  sweep: {full['planned']} reminders planned for {full['milestones_due']} milestones"
        f" due ({small['milestones_due']} in the smaller set); hand SQL planned"
        f" {full['floor_planned']}; peak RSS {full_rss:.0f} MB vs {small_rss:.0f} MB;"
        f" {SWEEP_ROUNDS} alternating rounds of {full['runs']} sweeps on each set"
    )
    redis.Redis.from_url(BENCH_REDIS_URL).flushdb()
    with cloned(template) as database:
        mail = probe(database, "mail", "--digests", str(digests), CELERY_BROKER_URL=BENCH_REDIS_URL)
    if mail["not_sent"]:
        raise RuntimeError(f"{mail['not_sent']} reminders were not sent")
    # Stock Django is the target now: judged only against at least 0.2x of the smtplib floor,
    # printed against it for the record.
    report.at_least(
        "mail_digest_rate", mail["ours_per_second"], mail["floor_per_second"], 0.2, "digests/s"
    )
    report.notes.append(
        f"  mail: {mail['digests']} digests through celery worker ({mail['worker_processes']}"
        " processes) to an aiosmtpd sink process; floor: one smtplib connection, before and after"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", choices=["full", "quick"], default="full")
    parser.add_argument("--runs", type=int, default=None, help="Timed requests per figure.")
    options = parser.parse_args()
    runs = options.runs or (200 if options.size == "full" else 30)
    template = template_for(options.size)
    report = Report()
    phases: dict[str, float] = {}
    started = time.monotonic()
    with cloned(template) as database:
        # The servers run as the image does, with the static files collected (the Dockerfile
        # collects them at build); without them WhiteNoise warns in every worker it starts.
        manage(database, "collectstatic", "--noinput")
        bench_api_lists(report, database, runs)
        phases["latency"] = time.monotonic() - started
        bench_throughput(report, database, 3.0 if options.size == "full" else 1.0)
        phases["throughput"] = time.monotonic() - started - sum(phases.values())
    bench_reminders(report, template, 10_000 if options.size == "full" else 500)
    phases["reminders"] = time.monotonic() - started - sum(phases.values())
    report.notes.append("  run time: " + ", ".join(f"{k} {v:.0f} s" for k, v in phases.items()))
    report.print_medians()
    print(f"{len(report.lines)} figures, {report.missed} missed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
