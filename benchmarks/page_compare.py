"""The portfolio pages rendered by two code trees on one database: the same bytes, and the CPU each
spends per request (issue 20: cutting the dashboard's and the CFO report's Python).

``dump`` writes every response (the dashboard by default, sorted by each key both ways, page 2,
filtered, its htmx fragment; the CFO report over several ranges and its pages; every CSV table
and the XLSX; the monthly e-mail's PDF summary source), as the PMO and as leadership, into a
directory, the CSP nonce and the CSRF token masked (the XLSX: each member of the archive but its
timestamps). ``diff`` compares two such directories. ``time`` runs each page ``--requests``
times in this process (``time.process_time()`` around each test-client request, the collector
frozen after the warm-up as in the gunicorn workers; ``--only`` picks pages by name) and prints
the median, and cProfile's count of Python calls of one more request. Run it
from each tree against the same kept bench database (production settings: ``STATIC_ROOT`` the
bench run's collected static files, whose manifest the pages name)::

    BENCH_KEEP_DB=1 BENCH_ONLY=pages BENCH_DB=valuegate_bench_x BENCH_RUN_DIR=var/bench-x \
        bash scripts/bench.sh
    export DATABASE_URL=postgres://…/valuegate_bench_x STATIC_ROOT=$PWD/var/bench-x/static
    .venv/bin/python benchmarks/page_compare.py --tree /path/to/old dump --out /tmp/old
    .venv/bin/python benchmarks/page_compare.py dump --out /tmp/new
    .venv/bin/python benchmarks/page_compare.py diff /tmp/old /tmp/new
    .venv/bin/python benchmarks/page_compare.py --tree /path/to/old time --requests 50

``--tree`` is the code tree whose modules and templates serve the pages (default: this one).
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import os
import pstats
import re
import statistics
import sys
import time
import zipfile
from pathlib import Path

MASKS = (
    (re.compile(rb'nonce="[^"]*"'), b'nonce="NONCE"'),
    (
        re.compile(rb'name="csrfmiddlewaretoken" value="[^"]*"'),
        b'name="csrfmiddlewaretoken" value="T"',
    ),
    (re.compile(rb'"X-CSRFToken": "[^"]*"'), b'"X-CSRFToken": "T"'),
)
#: XLSX members that carry the time the file was written.
XLSX_VOLATILE = ("docProps/core.xml",)
#: The "About" sheet's "Generated" time.
GENERATED = re.compile(rb"(<t>Generated</t></is></c><c [^>]*><v>)[^<]*")
LEADER_USERNAME = "bench-leader"
SORT_KEYS = (
    "name",
    "business_unit",
    "stage",
    "funding",
    "owner",
    "adoption",
    "rework",
    "net_value",
    "flags",
)


def setup(tree: Path) -> None:
    tree = tree.resolve()
    os.chdir(tree)
    sys.path.insert(0, str(tree))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portfolio.settings_production")
    os.environ.setdefault("SECRET_KEY", "page-compare-" + "x" * 50)
    os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
    os.environ.setdefault("MFA_REQUIRED", "false")
    os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
    os.environ.setdefault("EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()


def clients():
    """(name, test client) for the PMO and for leadership (created on first use)."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.test import Client

    from benchmarks.generate import PMO_USERNAME
    from usecases.roles import LEADERSHIP

    User = get_user_model()
    leader, _ = User.objects.get_or_create(
        username=LEADER_USERNAME, defaults={"email": "leader@bench.invalid"}
    )
    leader.groups.add(Group.objects.get_or_create(name=LEADERSHIP)[0])
    out = []
    for name, user in (("pmo", User.objects.get(username=PMO_USERNAME)), ("leader", leader)):
        client = Client()
        client.force_login(user)
        out.append((name, client))
    return out


def urls() -> list[tuple[str, str, dict]]:
    """(file name, URL, extra headers) of every response compared."""
    from usecases import clock, economics
    from usecases.models import UseCase

    last = economics.add_months(clock.today(), -1)
    first = economics.add_months(last, -11)
    cfo_range = f"start={first:%Y-%m}&end={last:%Y-%m}"
    quarter, two_years = economics.add_months(last, -2), economics.add_months(last, -23)
    unit = UseCase.objects.order_by("pk").values_list("business_unit", flat=True)[0]
    owner = (
        UseCase.objects.filter(value_owner__isnull=False)
        .order_by("pk")
        .values_list("value_owner__username", flat=True)[0]
    )
    htmx = {"HTTP_HX_REQUEST": "true"}
    out = [
        ("dashboard", "/portfolio/", {}),
        ("dashboard-p2", "/portfolio/?page=2", {}),
        ("dashboard-12m", f"/portfolio/?{cfo_range}", {}),
        ("dashboard-filtered", f"/portfolio/?business_unit={unit}&stage=scaled", {}),
        ("dashboard-owner-flags", f"/portfolio/?owner={owner}&flags=open&sort=-flags", {}),
        ("dashboard-no-flags", "/portfolio/?flags=none&sort=-net_value&page=3", {}),
        ("dashboard-htmx", "/portfolio/?sort=-adoption&page=2", htmx),
        ("dashboard-htmx-filtered", f"/portfolio/?business_unit={unit}", htmx),
        ("dashboard-bad", "/portfolio/?start=2026-13&owner=nobody&sort=bogus", {}),
    ]
    for key in SORT_KEYS:
        out.append((f"dashboard-{key}", f"/portfolio/?sort={key}", {}))
        out.append((f"dashboard--{key}-p2", f"/portfolio/?sort=-{key}&page=2", {}))
    out += [
        ("cfo", f"/reports/cfo/?{cfo_range}", {}),
        ("cfo-default", "/reports/cfo/", {}),
        ("cfo-p2", f"/reports/cfo/?{cfo_range}&page=2&ninety_page=2", {}),
        ("cfo-last-page", f"/reports/cfo/?{cfo_range}&page=999&ninety_page=999", {}),
        ("cfo-bad-page", f"/reports/cfo/?{cfo_range}&page=x&ninety_page=-1", {}),
        ("cfo-one-month", f"/reports/cfo/?start={last:%Y-%m}&end={last:%Y-%m}&page=3", {}),
        ("cfo-quarter", f"/reports/cfo/?start={quarter:%Y-%m}&end={last:%Y-%m}", {}),
        ("cfo-24-months", f"/reports/cfo/?start={two_years:%Y-%m}&end={last:%Y-%m}", {}),
        ("cfo-no-data", "/reports/cfo/?start=2019-01&end=2019-03&page=2", {}),
        ("cfo-bad-range", "/reports/cfo/?start=2026-13&end=x", {}),
        ("cfo-xlsx", f"/reports/cfo/export/?format=xlsx&{cfo_range}", {}),
    ]
    for table in ("use_case", "business_unit", "month", "ninety_days"):
        out.append(
            (f"cfo-{table}.csv", f"/reports/cfo/export/?format=csv&table={table}&{cfo_range}", {})
        )
    quarter_range = f"start={quarter:%Y-%m}&end={last:%Y-%m}"
    out.append(("cfo-quarter.csv", f"/reports/cfo/export/?format=csv&{quarter_range}", {}))
    out.append(("cfo-quarter-xlsx", f"/reports/cfo/export/?format=xlsx&{quarter_range}", {}))
    return out


def normalized(name: str, content: bytes) -> bytes:
    if name.endswith("xlsx"):
        parts = []
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            for info in archive.infolist():
                if info.filename not in XLSX_VOLATILE:
                    member = GENERATED.sub(rb"\1WHEN", archive.read(info))
                    parts.append(b"== " + info.filename.encode() + b"\n" + member)
        return b"\n".join(parts)
    for pattern, mask in MASKS:
        content = pattern.sub(mask, content)
    return content


def dump(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    pages = urls()
    for who, client in clients():
        for name, url, headers in pages:
            response = client.get(url, **headers)
            body = normalized(name, response.content)
            head = f"{response.status_code} {response.get('Content-Type')} "
            head += f"{response.get('Content-Disposition', '')}\n"
            (out / f"{who}-{name}").write_bytes(head.encode() + body)
        (out / f"{who}-cfo-summary-pdf").write_bytes(summary_pdf_source(client))
    print(f"{len(pages) * 2} responses and 2 PDF summaries in {out}")


def summary_pdf_source(client) -> bytes:
    """What the monthly e-mail's one-page PDF summary is drawn from (its HTML, the time it was
    prepared masked, and its charts) for last month, as the report mailer builds it."""
    from django.contrib.auth import get_user_model

    from portfolio import cfo, cfo_subscriptions, cfo_summary_pdf
    from portfolio.dashboard import MonthRange
    from usecases import clock

    user = get_user_model().objects.get(pk=client.session["_auth_user_id"])
    month = cfo_subscriptions.report_month(clock.today())
    report = cfo.cfo_report(user=user, month_range=MonthRange(month, month))
    source = cfo_summary_pdf.summary_source(report, viewer=user)
    html = re.sub(r" on \d{4}-\d\d-\d\d \d\d:\d\d · ", " on WHEN · ", source.html)
    charts = b"".join(name.encode() + b"\n" + svg for name, svg in sorted(source.charts.items()))
    return html.encode() + b"\n" + charts


def diff(a: Path, b: Path) -> int:
    names = sorted({p.name for p in a.iterdir()} | {p.name for p in b.iterdir()})
    differ = [n for n in names if not (a / n).exists() or not (b / n).exists()]
    differ += [n for n in names if n not in differ and (a / n).read_bytes() != (b / n).read_bytes()]
    for name in differ:
        print(f"DIFFERS: {name}")
    print(f"{len(names) - len(differ)} of {len(names)} identical")
    return 1 if differ else 0


TIMED = (
    ("dashboard", "/portfolio/"),
    ("dashboard by net value, p. 2", "/portfolio/?sort=-net_value&page=2"),
    ("CFO report", "CFO"),
)


def timing(requests: int, who: str, only: str = "") -> None:
    from django.db import connection

    from usecases import clock, economics

    last = economics.add_months(clock.today(), -1)
    first = economics.add_months(last, -11)
    client = dict(clients())[who]
    for name, url in TIMED:
        if only.lower() not in name.lower():
            continue
        if url == "CFO":
            url = f"/reports/cfo/?start={first:%Y-%m}&end={last:%Y-%m}"
        for _ in range(3):
            client.get(url)
        gc.collect()  # what lives on moved out of the collector's sight, as gunicorn.conf.py's
        gc.freeze()  # post_worker_init does in production
        cpu = []
        for _ in range(requests):
            began = time.process_time()
            response = client.get(url)
            cpu.append(time.process_time() - began)
            assert response.status_code == 200, response.status_code
        profiler = cProfile.Profile()
        profiler.runcall(client.get, url)
        calls = pstats.Stats(profiler).total_calls
        print(
            f"{who} {name}: CPU median {statistics.median(cpu) * 1000:.1f} ms, "
            f"min {min(cpu) * 1000:.1f} ms over {requests} ({connection.vendor}); "
            f"{calls:,} Python calls (cProfile, one request)",
            flush=True,
        )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tree", default=str(Path(__file__).resolve().parent.parent))
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("dump").add_argument("--out", required=True)
    d = sub.add_parser("diff")
    d.add_argument("a")
    d.add_argument("b")
    t = sub.add_parser("time")
    t.add_argument("--requests", type=int, default=50)
    t.add_argument("--who", choices=("pmo", "leader"), default="pmo")
    t.add_argument("--only", default="", help="only the pages whose name holds this")
    args = parser.parse_args(argv)
    if args.command == "diff":
        return diff(Path(args.a), Path(args.b))
    out = Path(args.out).resolve() if args.command == "dump" else None
    setup(Path(args.tree))  # changes the working directory to the tree
    if args.command == "dump":
        dump(out)
    else:
        timing(args.requests, args.who, args.only)
    return 0


if __name__ == "__main__":
    sys.exit(main())
