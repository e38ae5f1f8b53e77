"""A constant-arrival-rate load generator (in the manner of wrk2 or k6's constant-arrival-rate):
requests are scheduled at a fixed rate whatever the server does, and each latency is counted
from the moment its request was due, so a slow server cannot hide its queueing (no coordinated
omission). Loopback only, bounded in requests and seconds, and it stops by itself.
"""

from __future__ import annotations

import http.client
import queue
import statistics
import threading
import time
from dataclasses import dataclass

MAX_SECONDS = 10.0  # a trial never runs longer, whatever the rate
MAX_REQUESTS = 20_000


@dataclass
class Trial:
    rate: float  # requests per second asked for
    sent: int
    completed: int
    errors: int
    seconds: float
    p50: float
    p99: float

    @property
    def achieved(self) -> float:
        return self.completed / self.seconds

    @property
    def kept_up(self) -> bool:
        """The server served the rate: nearly all on time, no errors, no runaway queue."""
        return self.errors == 0 and self.achieved >= 0.95 * self.rate and self.p99 < 0.5


def run_trial(
    port: int, path: str, rate: float, seconds: float, headers: dict[str, str], connections: int
) -> Trial:
    """Issue ``rate`` requests per second for ``seconds`` over ``connections`` keep-alive
    connections on 127.0.0.1:``port``."""
    seconds = min(seconds, MAX_SECONDS)
    total = min(int(rate * seconds), MAX_REQUESTS)
    due: queue.Queue[float | None] = queue.Queue()
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()

    def worker() -> None:
        nonlocal errors
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        while (scheduled := due.get()) is not None:
            try:
                connection.request("GET", path, headers=headers)
                response = connection.getresponse()
                response.read()
                ok = response.status == 200
            except (OSError, http.client.HTTPException):
                ok = False
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            finished = time.perf_counter()
            with lock:
                if ok:
                    latencies.append(finished - scheduled)
                else:
                    errors += 1
        connection.close()

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(connections)]
    for thread in threads:
        thread.start()
    started = time.perf_counter()
    interval = 1.0 / rate
    for n in range(total):
        scheduled = started + n * interval
        delay = scheduled - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        due.put(scheduled)
    for _ in threads:
        due.put(None)
    deadline = time.perf_counter() + MAX_SECONDS
    for thread in threads:
        thread.join(timeout=max(0.1, deadline - time.perf_counter()))
    elapsed = time.perf_counter() - started
    ordered = sorted(latencies) or [float("inf")]
    return Trial(
        rate=rate,
        sent=total,
        completed=len(latencies),
        errors=errors,
        seconds=elapsed,
        p50=statistics.median(ordered),
        p99=ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))],
    )


def sustainable_rate(
    port: int,
    path: str,
    headers: dict[str, str],
    *,
    start: float = 20,
    seconds: float = 3,
    connections: int = 16,
    limit: float = 5000,
    warm_up: bool = True,
) -> tuple[float, list[Trial]]:
    """The highest rate the server keeps up with: doubling until it falls behind, then halving
    steps between the last rate kept and the first missed (five: the rate found is within 1/32
    of the bracket; three left it up to an eighth short).

    A rate counts as missed when two trials in a row miss it: a trial's p99 is nearly its
    slowest request, and one stall of the machine (seen: a second, once, at a rate the same
    server then kept twice over) would otherwise end the search below what the server serves.
    """
    # Every worker's first requests open its database connection and prepare its statements; a
    # trial that counted them would measure start-up, not the rate the server keeps up with.
    if warm_up:
        run_trial(port, path, start * 2, seconds, headers, connections)
    trials: list[Trial] = []

    def kept_up(rate: float) -> bool:
        for _ in range(2):
            trials.append(run_trial(port, path, rate, seconds, headers, connections))
            if trials[-1].kept_up:
                return True
        return False

    low, high = 0.0, start
    while high <= limit:
        if not kept_up(high):
            break
        low, high = high, high * 2
    else:
        return low, trials
    for _ in range(5):
        middle = (low + high) / 2
        low, high = (middle, high) if kept_up(middle) else (low, middle)
    return low, trials
