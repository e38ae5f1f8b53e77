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
import os
import secrets
import threading
import time
from collections import Counter
from collections.abc import Sequence

from bench.common import SIZES, Server, cloned, template_for
from bench.reliability.checks import (
    Exchange,
    ledger_problems,
    lost_writes,
    percentile,
    request_errors,
)
from bench.reliability.people import Pools, editors_for
from bench.reliability.readback import ledger, snapshot
from bench.reliability.sweeps import SWEEP_SUMMARY, MailSink, Sweep, overlapping_pairs, sweep_pairs
from bench.reliability.traffic import MAX_OPERATIONS, MAX_SECONDS, MIX, Mix, Timings, drive, warm_up


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
