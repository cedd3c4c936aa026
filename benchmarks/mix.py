"""The mixed load of issue 20 (``make bench-mix``): an open-loop load client on loopback against
gunicorn serving the generated portfolio, then every acknowledged write checked in the database.

The mix (seeded, so two runs send the same sequence):

- 70 % reads by six roles: the PMO, Leadership, an admin, a value owner, a contributor (data
  steward) as signed-in pages (session cookie) — the portfolio dashboard, the CFO report, a use
  case page, the flags, the inbox — and the API as a token client (the steward's use case,
  its weekly reviews, its economics, the use case list), each with its share in
  ``READ_WEIGHTS`` (who reads what: the owners' and contributors' pages and API most);
- 20 % new weekly reviews: ``POST /api/v1/weekly-reviews/`` as the data stewards, each a distinct
  (use case, week): the week left open by the generator, then the weeks before the first
  generated one (a pilot's weeks: a new review may be up to a year before ``live_since``);
- 10 % corrections: ``PATCH /api/v1/weekly-reviews/{id}/`` of a distinct existing review with
  the version it was generated at (new notes and declared hours).

Open loop: request ``i`` is due at ``start + i / rate`` whatever the server does (a slow answer
does not slow the arrivals, so a saturated server shows as latency, not as a lower offered
rate). Its latency counts from that due time, not from when a thread was free to send it (no
coordinated omission). At most ``--max-in-flight`` requests are outstanding (threads); a
request that finds every thread busy for longer than its timeout, or that raises, times out
(``--timeout``, 10 s) or answers an unexpected status, is an error. Bounded: the run stops
sending at ``--seconds`` and waits at most ``--timeout`` more.

Afterwards every 201 and every 200 of a write is looked up: the review exists with the figures
sent (POST), the correction's notes and version are stored (PATCH); the count of new reviews of
the mix equals the count of 201s. The RSS of each gunicorn worker (``/proc``) is sampled at the
start, the middle and the end.

Run through ``scripts/bench.sh`` (``make bench-mix``); it prints the target beside the result:
100 req/s, p95 ≤ 250 ms, zero errors for 10 minutes.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import http.client
import json
import os
import queue
import random
import sys
import threading
import time
import urllib.parse
from collections import Counter, defaultdict
from pathlib import Path

from . import load
from .generate import BENCH_PASSWORD, PMO_USERNAME, steward_username, submission_week, week_label

TARGET_RATE = 100  # requests per second
TARGET_P95 = 0.250  # seconds
TARGET_SECONDS = 600
READ_SHARE, POST_SHARE = 0.70, 0.20  # corrections: the rest (10 %)
MIX_NOTE = "mix load"

#: Who reads what, in percent of all reads. Not uniform over the endpoints: in an installation of
#: 2,000 use cases the value owners and contributors (one to three per use case, their team tools
#: reading through the API) outnumber the PMO and leadership (a handful of people each) by a
#: hundred to one, so their pages and API calls are most of the reads. The portfolio-wide pages
#: (dashboards, CFO report, flags) still get a quarter of the reads, far more than their readers'
#: share of the users: deliberately pessimistic, as they are the most expensive pages.
READ_WEIGHTS = (
    ("page: dashboard (PMO)", 6),
    ("page: dashboard by net value p2 (PMO)", 3),
    ("page: flags (PMO)", 5),
    ("page: dashboard (Leadership)", 6),
    ("page: CFO report (Leadership)", 5),
    ("page: use case (admin)", 2),
    ("page: use case (value owner)", 15),
    ("page: inbox (value owner)", 10),
    ("page: use case (contributor)", 15),
    ("api: use case (contributor)", 10),
    ("api: weekly reviews of a use case (contributor)", 10),
    ("api: economics (contributor)", 8),
    ("api: use case list (contributor)", 5),
)
assert sum(weight for _name, weight in READ_WEIGHTS) == 100


@dataclasses.dataclass
class Planned:
    kind: str
    request: load.Request
    check: tuple | None = None  # what to look up afterwards when acknowledged


@dataclasses.dataclass
class Outcome:
    kind: str
    latency: float  # from the due time
    status: int | None
    problem: str | None
    check: tuple | None
    due: float = 0.0  # when it was due (time.perf_counter())


# --- set-up: users, sessions, tokens ------------------------------------------------------------


def ensure_user(username: str, *, group: str | None = None, superuser: bool = False):
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import Group

    user, created = get_user_model().objects.get_or_create(
        username=username,
        defaults={"email": f"{username}@bench.invalid", "is_superuser": superuser},
    )
    if created:
        user.password = make_password(BENCH_PASSWORD)
        user.is_staff = superuser
        user.save()
    if group:
        user.groups.add(Group.objects.get_or_create(name=group)[0])
    return user


def session_cookie(user) -> str:
    """A signed-in session of ``user`` in the site's session store (the test client's
    ``force_login``, which writes the same session a login would)."""
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


def api_token(base_url: str, username: str) -> str:
    status, body = load.fetch(
        base_url,
        load.Request.json(
            "POST", "/api/v1/auth/token/", {"username": username, "password": BENCH_PASSWORD}
        ),
    )
    if status != 200:
        raise RuntimeError(f"POST /api/v1/auth/token/ for {username}: {status} {body[:200]!r}")
    return json.loads(body)["token"]


def plan_requests(*, base_url: str, total: int, seed: int, today) -> list[Planned]:
    """``total`` requests in the mix's proportions, in a seeded random order."""
    from django.contrib.auth import get_user_model

    from reviews.models import WeeklyReview
    from usecases import economics
    from usecases.models import UseCase
    from usecases.roles import LEADERSHIP

    from .measure import submission_payload

    rng = random.Random(seed)
    User = get_user_model()
    pmo = User.objects.get(username=PMO_USERNAME)
    leader = ensure_user("bench-leader", group=LEADERSHIP)
    admin = ensure_user("bench-admin", superuser=True)
    owner = User.objects.filter(username__startswith="bench-owner-").order_by("username")[0]
    steward_name = steward_username(0)
    steward = User.objects.get(username=steward_name)
    cookies = {
        who: session_cookie(user)
        for who, user in (
            ("PMO", pmo),
            ("Leadership", leader),
            ("admin", admin),
            ("value owner", owner),
            ("contributor", steward),
        )
    }
    page = lambda who, path: load.Request("GET", path, None, {"Cookie": cookies[who]})  # noqa: E731
    stewards = list(User.objects.filter(username__startswith="bench-steward-").order_by("username"))
    tokens = {s.username: api_token(base_url, s.username) for s in stewards}

    def api(username, method, path, payload=None, expect=200):
        headers = {"Authorization": f"Token {tokens[username]}", "Accept": "application/json"}
        if payload is None:
            return load.Request(method, path, None, headers, expect)
        return load.Request.json(method, path, payload, headers=headers, expect=expect)

    owned = list(owner.owned_use_cases.order_by("pk").values_list("pk", flat=True)[:20]) or [
        UseCase.objects.order_by("pk")[0].pk
    ]
    contributed = list(
        UseCase.contributors.through.objects.filter(user=steward)
        .order_by("usecase_id")
        .values_list("usecase_id", flat=True)[:20]
    )
    last = economics.add_months(today, -1)
    first = economics.add_months(last, -11)
    cfo = f"/reports/cfo/?start={first:%Y-%m}&end={last:%Y-%m}"
    # The reads, each with its share of all reads in percent (READ_WEIGHTS, same order).
    reads = [
        lambda: page("PMO", "/portfolio/"),
        lambda: page("PMO", "/portfolio/?sort=-net_value&page=2"),
        lambda: page("PMO", "/reviews/flags/"),
        lambda: page("Leadership", "/portfolio/"),
        lambda: page("Leadership", cfo),
        lambda: page("admin", f"/use-cases/{rng.choice(owned + contributed)}/"),
        lambda: page("value owner", f"/use-cases/{rng.choice(owned)}/"),
        lambda: page("value owner", "/inbox/"),
        lambda: page("contributor", f"/use-cases/{rng.choice(contributed)}/"),
        lambda: api(steward_name, "GET", f"/api/v1/use-cases/{rng.choice(contributed)}/"),
        lambda: api(
            steward_name, "GET", f"/api/v1/weekly-reviews/?use_case={rng.choice(contributed)}"
        ),
        lambda: api(steward_name, "GET", f"/api/v1/use-cases/{rng.choice(contributed)}/economics/"),
        lambda: api(steward_name, "GET", "/api/v1/use-cases/"),
    ]
    read_names = [name for name, _weight in READ_WEIGHTS]
    read_weights = [weight for _name, weight in READ_WEIGHTS]
    assert len(reads) == len(READ_WEIGHTS)

    # New weekly reviews: the open week, then the weeks before the first generated one.
    open_monday = submission_week(today)
    first_week = WeeklyReview.objects.order_by("week_start").values_list("week_start", flat=True)[0]
    weeks = [week_label(open_monday)] + [
        week_label(first_week - datetime.timedelta(weeks=k)) for k in range(1, 41)
    ]
    steward_of = dict(
        UseCase.contributors.through.objects.filter(user__in=stewards)
        .order_by("usecase_id")
        .values_list("usecase_id", "user__username")
    )
    taken = set(WeeklyReview.objects.filter(week__in=weeks).values_list("use_case_id", "week"))
    template = WeeklyReview.objects.filter(use_case_id=next(iter(steward_of))).values(
        *WeeklyReview.KPI_FIELDS
    )[0]
    posts = (
        (uc, week) for week in weeks for uc in steward_of if (uc, week) not in taken
    )  # lazily: only as many as the mix sends

    # Corrections: distinct reviews, each at the version it was generated with.
    correctable = iter(
        WeeklyReview.objects.filter(use_case_id__in=list(steward_of), version=1)
        .exclude(week__in=weeks)
        .order_by("week_start", "use_case_id")
        .values_list("pk", "use_case_id", "version", "declared_hours_saved")
        .iterator()
    )

    planned: list[Planned] = []
    for i in range(total):
        draw = rng.random()
        if draw < READ_SHARE:
            k = rng.choices(range(len(reads)), weights=read_weights)[0]
            planned.append(Planned(read_names[k], reads[k]()))
        elif draw < READ_SHARE + POST_SHARE:
            uc, week = next(posts)
            payload = submission_payload(uc, week, template)
            payload["notes"] = f"{MIX_NOTE} {i}"
            request = api(steward_of[uc], "POST", "/api/v1/weekly-reviews/", payload, expect=201)
            planned.append(Planned("api: new weekly review", request, ("post", uc, week, payload)))
        else:
            pk, uc, version, declared = next(correctable)
            payload = {
                "version": version,
                "notes": f"{MIX_NOTE} correction {i}",
                "declared_hours_saved": str(declared + 1),
            }
            request = api(steward_of[uc], "PATCH", f"/api/v1/weekly-reviews/{pk}/", payload)
            planned.append(Planned("api: correction", request, ("patch", pk, version, payload)))
    return planned


# --- the open-loop run --------------------------------------------------------------------------


def send(host: str, port: int, item: load.Request, timeout: float) -> tuple[int, bytes]:
    """One request on a connection of its own (gunicorn's sync workers close after each)."""
    connection = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        connection.request(item.method, item.path, item.body, item.headers)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def run_open_loop(
    base_url: str,
    planned: list[Planned],
    *,
    rate: float,
    max_in_flight: int,
    timeout: float,
    on_progress=None,
) -> tuple[list[Outcome], float]:
    """Send ``planned[i]`` at ``start + i / rate`` from at most ``max_in_flight`` threads;
    return the outcomes and the wall time from the first due time to the last answer."""
    parts = urllib.parse.urlsplit(base_url)
    host, port = parts.hostname, parts.port or 80
    due: queue.SimpleQueue = queue.SimpleQueue()
    outcomes: list[Outcome] = []
    lock = threading.Lock()

    def worker() -> None:
        while True:
            job = due.get()
            if job is None:
                return
            at, item = job
            status, problem = None, None
            waited = time.perf_counter() - at
            if waited > timeout:  # every thread was busy for the whole timeout
                problem = f"{item.kind}: not sent, the client was saturated for {waited:.1f} s"
            else:
                try:
                    status, body = send(host, port, item.request, timeout - waited)
                    if status != item.request.expect:
                        problem = f"{item.kind}: {status} {body[:200]!r}"
                except (OSError, http.client.HTTPException) as exc:
                    problem = f"{item.kind}: {type(exc).__name__}: {exc}"
            outcome = Outcome(item.kind, time.perf_counter() - at, status, problem, item.check, at)
            with lock:
                outcomes.append(outcome)

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(max_in_flight)]
    for thread in threads:
        thread.start()
    start = time.perf_counter() + 0.2
    next_report = 0.5
    for i, item in enumerate(planned):
        at = start + i / rate
        pause = at - time.perf_counter()
        if pause > 0:
            time.sleep(pause)
        due.put((at, item))
        if on_progress and i >= next_report * len(planned):
            on_progress(i)
            next_report = 2.0  # once, at the middle
    for _ in threads:
        due.put(None)
    deadline = time.perf_counter() + timeout + 5
    for thread in threads:
        thread.join(max(0.0, deadline - time.perf_counter()))
    wall = time.perf_counter() - start
    with lock:
        return list(outcomes), wall


# --- after the run ------------------------------------------------------------------------------


def verify_writes(outcomes: list[Outcome]) -> list[str]:
    """Every acknowledged write in the database: each 201's review with the figures sent, each
    correction's notes and next version; and no mix review stored without its 201."""
    from reviews.models import WeeklyReview

    problems = []
    posts = [o.check for o in outcomes if o.check and o.check[0] == "post" and o.status == 201]
    patches = [o.check for o in outcomes if o.check and o.check[0] == "patch" and o.status == 200]
    stored = {
        (r["use_case_id"], r["week"]): r
        for r in WeeklyReview.objects.filter(notes__startswith=f"{MIX_NOTE} ")
        .exclude(notes__startswith=f"{MIX_NOTE} correction")
        .values("use_case_id", "week", "notes", "tasks_total", "backlog", "quality_score")
    }
    for _, uc, week, payload in posts:
        row = stored.get((uc, week))
        if row is None:
            problems.append(f"POST acknowledged, no review: use case {uc}, {week}")
            continue
        for name in ("notes", "tasks_total", "backlog"):
            if str(row[name]) != str(payload[name]):
                problems.append(f"POST {uc} {week}: {name} {row[name]!r} != {payload[name]!r}")
    unacknowledged = len(stored) - len(posts)
    # A request that timed out may have been committed: only more rows than 201s *and* errors
    # is a write the client was never told of.
    errored_posts = sum(1 for o in outcomes if o.check and o.check[0] == "post" and o.problem)
    if unacknowledged > errored_posts or unacknowledged < 0:
        problems.append(f"{len(stored)} mix reviews stored for {len(posts)} acknowledged POSTs")
    corrected = {
        r["pk"]: r
        for r in WeeklyReview.objects.filter(pk__in=[c[1] for c in patches]).values(
            "pk", "notes", "version", "declared_hours_saved"
        )
    }
    for _, pk, version, payload in patches:
        row = corrected.get(pk)
        if row is None or row["notes"] != payload["notes"] or row["version"] != version + 1:
            problems.append(f"PATCH {pk} acknowledged, stored {row!r}")
        elif str(row["declared_hours_saved"]) != payload["declared_hours_saved"]:
            problems.append(f"PATCH {pk}: declared {row['declared_hours_saved']}")
    return problems


def worker_rss(master_pid: int | None) -> dict[int, int]:
    """RSS in kB of each child of gunicorn's master (its workers)."""
    if not master_pid:
        return {}
    children = Path(f"/proc/{master_pid}/task/{master_pid}/children")
    try:
        pids = [int(p) for p in children.read_text().split()]
    except OSError:
        return {}
    rss = {}
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    rss[pid] = int(line.split()[1])
        except OSError:
            continue
    return rss


def describe_rss(label: str, rss: dict[int, int]) -> str:
    workers = ", ".join(f"{pid}: {kb / 1024:.0f} MB" for pid, kb in sorted(rss.items()))
    return f"  worker RSS at the {label}: {workers or 'n/a'}"


def report(
    outcomes: list[Outcome], *, wall: float, rate: float, seconds: float, problems: list[str]
) -> tuple[str, bool]:
    by_kind: dict[str, list[Outcome]] = defaultdict(list)
    for o in outcomes:
        by_kind[o.kind].append(o)
    width = max(len(k) for k in [*by_kind, "all"])
    lines = [
        f"{'request kind':<{width}}  {'n':>6}  {'p50':>8}  {'p95':>8}  {'p99':>8}  errors",
        f"{'-' * width}  {'-' * 6}  {'-' * 8}  {'-' * 8}  {'-' * 8}  ------",
    ]

    def line(name, items):
        lat = [o.latency for o in items]
        errors = sum(1 for o in items if o.problem)
        p50, p95, p99 = (load.percentile(lat, q) * 1000 for q in (50, 95, 99))
        return (
            f"{name:<{width}}  {len(items):>6}  {p50:>5.0f} ms  {p95:>5.0f} ms  {p99:>5.0f} ms"
            f"  {errors}"
        )

    for kind in sorted(by_kind):
        lines.append(line(kind, by_kind[kind]))
    lines.append(line("all", outcomes))
    errors = sum(1 for o in outcomes if o.problem)
    achieved = len(outcomes) / wall if wall else 0.0
    p95 = load.percentile([o.latency for o in outcomes], 95)
    statuses = Counter(str(o.status or "no answer") for o in outcomes)
    lines.append("")
    lines.append(
        f"offered {rate:.0f} req/s for {seconds:.0f} s; achieved {achieved:.1f} req/s "
        f"({len(outcomes)} answered in {wall:.1f} s); p95 {p95 * 1000:.0f} ms; {errors} errors; "
        f"statuses {dict(sorted(statuses.items()))}"
    )
    samples = [o.problem for o in outcomes if o.problem][:5]
    lines += [f"  error: {s[:200]}" for s in samples]
    lines.append(
        f"writes verified in the database: {'all' if not problems else 'NOT all'} "
        f"({sum(1 for o in outcomes if o.check and not o.problem)} acknowledged)"
    )
    lines += [f"  lost or wrong: {p}" for p in problems[:10]]
    met = (
        achieved >= TARGET_RATE * 0.98
        and p95 <= TARGET_P95
        and not errors
        and not problems
        and seconds >= TARGET_SECONDS
    )
    ok_here = p95 <= TARGET_P95 and not errors and not problems
    lines.append(
        f"target: {TARGET_RATE} req/s, p95 ≤ {TARGET_P95 * 1000:.0f} ms, zero errors for "
        f"{TARGET_SECONDS // 60} minutes: "
        + (
            "MET"
            if met
            else (
                "not the target run (shorter or slower than the target; at this rate and "
                f"length: {'p95 and errors within it' if ok_here else 'ABOVE'})"
            )
        )
    )
    return "\n".join(lines), not errors and not problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="The mixed load of issue 20.")
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--rate", type=float, default=TARGET_RATE, help="requests per second")
    parser.add_argument("--seconds", type=float, default=TARGET_SECONDS)
    parser.add_argument("--max-in-flight", type=int, default=64)
    parser.add_argument("--timeout", type=float, default=10.0)
    parser.add_argument("--seed", type=int, default=20)
    parser.add_argument("--gunicorn-pid", type=int, help="gunicorn's master (worker RSS)")
    args = parser.parse_args(argv)
    if not (0 < args.rate <= 1000 and 0 < args.seconds <= 3600):
        parser.error("--rate must be in (0, 1000] and --seconds in (0, 3600]")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portfolio.settings")
    import django

    django.setup()
    from usecases import clock

    total = int(args.rate * args.seconds)
    began = time.perf_counter()
    planned = plan_requests(
        base_url=args.base_url, total=total, seed=args.seed, today=clock.today()
    )
    kinds = Counter(p.kind.split(":")[0] if p.check is None else p.kind for p in planned)
    print(
        f"mix: {total} requests planned in {time.perf_counter() - began:.1f} s "
        f"({dict(sorted(kinds.items()))}); {args.rate:.0f} req/s for {args.seconds:.0f} s, "
        f"at most {args.max_in_flight} in flight, {args.timeout:.0f} s timeout",
        flush=True,
    )
    rss = {"start": worker_rss(args.gunicorn_pid)}
    outcomes, wall = run_open_loop(
        args.base_url,
        planned,
        rate=args.rate,
        max_in_flight=args.max_in_flight,
        timeout=args.timeout,
        on_progress=lambda _i: rss.__setitem__("middle", worker_rss(args.gunicorn_pid)),
    )
    rss["end"] = worker_rss(args.gunicorn_pid)
    problems = verify_writes(outcomes)
    text, ok = report(outcomes, wall=wall, rate=args.rate, seconds=args.seconds, problems=problems)
    print()
    print(text)
    for label, sample in rss.items():
        print(describe_rss(label, sample))
    print(
        "  (gunicorn recycles a worker after GUNICORN_MAX_REQUESTS requests, so a worker pid may "
        "change between samples)"
    )
    load_avg = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"load average at the end: {load_avg} (other processes on the machine skew every row)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
