"""A bounded HTTP load client for loopback: N prepared requests over T threads (standard library
only: ``threading`` + ``http.client``), then throughput, latency percentiles and errors.

Each thread keeps one ``http.client.HTTPConnection`` and reopens it when the server closes it
(gunicorn's sync workers close after every response, so the latency includes the connect, as a
real client's would). A request counts as an error when it raises or its status is not the
expected one. ``benchmarks.measure`` drives the weekly review submission with ``run()``; on its
own it loads a GET endpoint::

    python -m benchmarks.load --url http://127.0.0.1:8000/healthz --requests 500 --threads 8
"""

from __future__ import annotations

import argparse
import http.client
import json
import queue
import sys
import threading
import time
import urllib.parse
from collections import Counter
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    body: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    expect: int = 200

    @classmethod
    def json(cls, method: str, path: str, payload, *, headers=None, expect=200) -> Request:
        return cls(
            method,
            path,
            json.dumps(payload).encode(),
            {"Content-Type": "application/json", "Accept": "application/json", **(headers or {})},
            expect,
        )


@dataclass
class Result:
    requests: int
    wall_seconds: float
    latencies: list[float]  # seconds, of every request (errors included)
    statuses: Counter
    errors: int
    error_samples: list[str]

    @property
    def throughput(self) -> float:
        return self.requests / self.wall_seconds if self.wall_seconds else 0.0

    def percentile(self, q: float) -> float:
        return percentile(self.latencies, q)

    def summary(self) -> str:
        return (
            f"{self.requests} requests in {self.wall_seconds:.2f} s: "
            f"{self.throughput:.0f}/s, median {self.percentile(50) * 1000:.0f} ms, "
            f"p95 {self.percentile(95) * 1000:.0f} ms, max {max(self.latencies) * 1000:.0f} ms, "
            f"errors {self.errors} (statuses {dict(sorted(self.statuses.items()))})"
        )


def combine(results: list[Result]) -> Result:
    """Several runs as one: their requests, latencies and errors added up, their wall times
    summed (the runs followed one another), so the throughput is over the time they ran."""
    statuses: Counter = Counter()
    for result in results:
        statuses.update(result.statuses)
    return Result(
        requests=sum(r.requests for r in results),
        wall_seconds=sum(r.wall_seconds for r in results),
        latencies=[x for r in results for x in r.latencies],
        statuses=statuses,
        errors=sum(r.errors for r in results),
        error_samples=[s for r in results for s in r.error_samples][:5],
    )


def percentile(values: list[float], q: float) -> float:
    """The ``q``-th percentile (0–100), interpolated between the closest ranks; 0 for none."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def fetch(base_url: str, request: Request, *, timeout: float = 30) -> tuple[int, bytes]:
    """One request: (status, body)."""
    parts = urllib.parse.urlsplit(base_url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=timeout)
    try:
        path = parts.path.rstrip("/") + request.path
        connection.request(request.method, path, request.body, request.headers)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def run(base_url: str, requests: list[Request], *, threads: int, timeout: float = 30) -> Result:
    """Send ``requests`` (each exactly once) with ``threads`` concurrent clients."""
    parts = urllib.parse.urlsplit(base_url)
    host, port = parts.hostname, parts.port or 80
    prefix = parts.path.rstrip("/")
    work: queue.SimpleQueue[Request] = queue.SimpleQueue()
    for item in requests:
        work.put(item)
    latencies: list[float] = []
    statuses: Counter = Counter()
    samples: list[str] = []
    errors = 0
    lock = threading.Lock()
    start_line = threading.Barrier(threads + 1)

    def client() -> None:
        nonlocal errors
        connection = http.client.HTTPConnection(host, port, timeout=timeout)
        start_line.wait()
        while True:
            try:
                item = work.get_nowait()
            except queue.Empty:
                break
            began = time.perf_counter()
            status, problem = None, None
            try:
                connection.request(item.method, prefix + item.path, item.body, item.headers)
                response = connection.getresponse()
                body = response.read()
                status = response.status
                if status != item.expect:
                    problem = f"{item.method} {item.path}: {status} {body[:300]!r}"
            except (OSError, http.client.HTTPException) as exc:
                connection.close()
                problem = f"{item.method} {item.path}: {type(exc).__name__}: {exc}"
            elapsed = time.perf_counter() - began
            with lock:
                latencies.append(elapsed)
                statuses[str(status) if status else "exception"] += 1
                if problem:
                    errors += 1
                    if len(samples) < 5:
                        samples.append(problem)
        connection.close()

    workers = [threading.Thread(target=client, daemon=True) for _ in range(threads)]
    for worker in workers:
        worker.start()
    start_line.wait()
    began = time.perf_counter()
    for worker in workers:
        worker.join()
    wall = time.perf_counter() - began
    return Result(len(latencies), wall, latencies, statuses, errors, samples)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Bounded GET load on one URL.")
    parser.add_argument("--url", required=True)
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--host-header", default="")
    args = parser.parse_args(argv)
    parts = urllib.parse.urlsplit(args.url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    headers = {"Host": args.host_header} if args.host_header else {}
    base = f"{parts.scheme}://{parts.netloc}"
    result = run(base, [Request("GET", path, None, headers)] * args.requests, threads=args.threads)
    print(result.summary())
    for sample in result.error_samples:
        print(f"  error: {sample}")
    return 1 if result.errors else 0


if __name__ == "__main__":
    sys.exit(main())
