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
import json
import sys

import psycopg

from bench.common import (
    Client,
    Report,
    Server,
    cloned,
    database_url,
    manage,
    median_pair,
    template_for,
)


def api_token(database: str) -> str:
    return manage(database, "create_api_token", "load-0000-editor", "--name", "bench").strip()


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
            measured, base = median_pair(
                functools.partial(api.get, path), functools.partial(floor.get, floor_path), runs
            )
            report.ratio(name, measured, base, 2.0 if name == "dashboard" else 3.0)
        bench_depth(report, database, api, runs)
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", choices=["full", "quick"], default="full")
    parser.add_argument("--runs", type=int, default=None, help="Timed requests per figure.")
    options = parser.parse_args()
    runs = options.runs or (200 if options.size == "full" else 30)
    template = template_for(options.size)
    report = Report()
    with cloned(template) as database:
        bench_api_lists(report, database, runs)
    report.print_medians()
    print(f"{len(report.lines)} figures, {report.missed} missed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
