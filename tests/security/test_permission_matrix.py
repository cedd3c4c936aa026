"""The permission matrix, generated from the URL configuration.

Every route of ``portfolio.urls`` (namespaced includes and the DRF router included) is requested
by every role of ``tests/conftest.py`` — anonymous, outsider, the value owner of another use case,
contributor, leadership, PMO, and the use case's owner and an admin for the happy path — with
each method the table in ``permission_matrix.py`` names, and the status must be the one it expects.

A route in the URLconf without an entry in the table fails (``new URL without a permission
entry``), and so does an entry whose route is gone or a viewset method without an entry: a new
page or endpoint cannot ship without someone deciding, in one readable table, who may use it.

Beyond the status: whatever the contributor or the outsider may open never names a use case they
may not see (the contributor sees ``use_case`` only, the outsider none), and an API list the
outsider may ask for comes back empty.

Fast: the world (users, a use case and one object of every kind a URL names) is built once per
module inside a transaction rolled back at its end; each request runs in a savepoint of its own
and logs in with a session made once per role.

Left out on purpose (``permission_matrix.NOT_IN_MATRIX``): the Django admin (only its index is
checked: staff-only, everyone else is sent to the admin login), the login and logout pages, and
static files (not in the URLconf; whitenoise serves them).
"""

from __future__ import annotations

import datetime
import io
import json
import zipfile
import zoneinfo
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from types import SimpleNamespace

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth.models import User
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from pypdf import PdfReader
from rest_framework.test import APIClient

from reviews.ingest_keys import ingest_key_create
from reviews.models import (
    Comparison,
    Flag,
    FlagKind,
    Metric,
    ModelPrice,
    RuleAction,
    StopLossRule,
)
from stagegates import services as gate_services
from tests.conftest import api_token, make_use_case, make_user
from tests.factories import MonthlyReviewFactory, WeeklyReviewFactory
from usecases import sealed
from usecases.models import ModelChange, Notification, NotificationChannel, ProposedChange

from .permission_matrix import API_ANON, EMPTY, LOGIN, NOT_IN_MATRIX, ROLES, TABLE

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
#: Wednesday 25 November 2026: ISO week 2026-W48, quarter 2026-Q4.
NOW = datetime.datetime(2026, 11, 25, 10, 30, tzinfo=BERLIN)


# --- the routes ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    name: str  # "namespace:name" as ``reverse`` takes it
    pattern: str  # the full pattern, for messages
    kwargs: tuple[str, ...]  # the URL's keyword arguments
    namespace: str | None
    callback: object = None

    def api_methods(self) -> set[str]:
        """The methods a DRF viewset route offers (empty for a plain view)."""
        actions = getattr(self.callback, "actions", None) or {}
        cls = getattr(self.callback, "cls", None)
        allowed = set(getattr(cls, "http_method_names", ())) - {"head", "options"}
        return {m.upper() for m in actions if m in allowed}


def _kwarg_names(pattern) -> list[str]:
    converters = getattr(pattern, "converters", None)
    if converters is not None and hasattr(pattern, "_route"):  # RoutePattern
        return list(converters)
    return list(pattern.regex.groupindex)  # RegexPattern (the DRF router)


def _walk(patterns, *, prefix: str, namespace: str | None, kwargs: tuple) -> Iterator[Route]:
    for entry in patterns:
        names = tuple(kwargs) + tuple(_kwarg_names(entry.pattern))
        text = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            ns = namespace
            if entry.namespace:
                ns = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
            yield from _walk(entry.url_patterns, prefix=text, namespace=ns, kwargs=names)
        elif isinstance(entry, URLPattern):
            if entry.name is None:
                yield Route(f"<unnamed {text}>", text, names, namespace, entry.callback)
            else:
                name = f"{namespace}:{entry.name}" if namespace else entry.name
                yield Route(name, text, names, namespace, entry.callback)


def url_routes() -> dict[str, Route]:
    """Every named route of the URLconf, once: the admin site and the format-suffix twins the
    DRF router adds (``.json``) are left out."""
    routes: dict[str, Route] = {}
    for route in _walk(get_resolver().url_patterns, prefix="", namespace=None, kwargs=()):
        if (route.namespace or "").split(":")[0] == "admin" or "format" in route.kwargs:
            continue
        routes.setdefault(route.name, route)
    return routes


ROUTES = url_routes()


def _cases():
    for name in sorted(ROUTES.keys() | TABLE.keys()):
        if name in NOT_IN_MATRIX:
            continue
        if name not in TABLE:
            yield pytest.param(name, None, None, id=f"{name}-MISSING")
        elif name not in ROUTES:
            yield pytest.param(name, None, None, id=f"{name}-STALE")
        else:
            for method in TABLE[name].checks:
                for role in TABLE[name].roles:
                    yield pytest.param(name, method, role, id=f"{name}-{method}-{role}")


# --- the world every request runs against ---------------------------------------------------------


WEEKLY = dict(
    active_users=70,
    target_users=100,
    tasks_total=1000,
    tasks_with_ai=800,
    reworked_outputs=80,
    exceptions=30,
    minutes_saved_per_task=Decimal("2.50"),
    rework_minutes_per_output=Decimal("6.00"),
    quality_score=Decimal("91.50"),
    backlog=40,
    declared_hours_saved=Decimal("30.00"),
)
MONTHLY = dict(
    training_cost=Decimal("500.00"),
    support_cost=Decimal("800.00"),
    integration_cost=Decimal("300.00"),
    run_cost=Decimal("1200.00"),
    maintenance_cost=Decimal("400.00"),
    other_cost=Decimal("100.00"),
)


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """Users of every role and one object of every kind a URL names, all about ``use_case``
    (owned by ``owner``, ``contributor`` named on it) unless said otherwise.

    Built once for the module inside a transaction that is rolled back at its end; each test
    runs in a savepoint inside it (pytest-django's ``db``), so a test's writes never reach the
    next test and the world costs one setup instead of one per request."""
    with django_db_blocker.unblock(), transaction.atomic():
        with time_machine.travel(NOW, tick=False):
            built = _build_world()
        yield built
        transaction.set_rollback(True)


def _build_world() -> SimpleNamespace:
    owner = make_user("olivia")
    other_owner = make_user("oscar")
    contributor = make_user("carl")
    leader = make_user("lena", "Leadership")
    pmo = make_user("pia", "PMO")
    admin = User.objects.create_superuser("root", "root@example.com", "x")
    outsider = make_user("otto")
    use_case = make_use_case(owner=owner, live_since=datetime.date(2026, 6, 1))
    use_case.contributors.add(contributor)
    other_use_case = make_use_case("Invoice matching", owner=other_owner)
    weekly_review = WeeklyReviewFactory(
        use_case=use_case, week="2026-W46", submitted_by=owner, **WEEKLY
    )
    monthly_review = MonthlyReviewFactory(
        use_case=use_case, month="2026-09", submitted_by=owner, **MONTHLY
    )
    model_change = ModelChange.objects.create(
        use_case=use_case,
        version_label="v2",
        kind="prompt",
        effective_date=datetime.date(2026, 10, 1),
        created_by=owner,
    )
    flag = Flag.objects.create(
        use_case=use_case,
        kind=FlagKind.STOP_LOSS,
        rule_key="rule:matrix",
        period="2026-W46",
        observed_value=Decimal("0.2"),
        threshold=Decimal("0.15"),
        explanation="Rework rate 20.0% exceeds 15.0%.",
    )
    rule = StopLossRule.objects.get(use_case=None, metric=Metric.REWORK_RATE)
    override_rule = StopLossRule.objects.create(
        use_case=use_case,
        metric=Metric.REWORK_RATE,
        comparison=Comparison.EXCEEDS,
        threshold=Decimal("0.25"),
        consecutive_weeks=2,
        grace_weeks=0,
        action=RuleAction.REDESIGN,
    )
    gate = gate_services.gate_create(
        user=pmo,
        data={
            "quarter": "2026-Q4",
            "opens_on": datetime.date(2026, 11, 16),
            "closes_on": datetime.date(2026, 12, 4),
            "chair": leader,
        },
    )
    gate_services.gate_open_voting(user=pmo, gate=gate)
    notification = Notification.objects.create(
        recipient=owner,
        kind="weekly_reminder",
        subject_type=ContentType.objects.get_for_model(use_case),
        subject_id=use_case.pk,
        period="2026-W47",
        title="Weekly review 2026-W47 is due",
    )
    ingest_key = ingest_key_create(user=owner, use_case=use_case)[1]
    proposed_change = ProposedChange.objects.create(
        use_case=use_case,
        kind="model",
        previous_value="gpt-4o",
        new_value="gpt-4.1",
        first_seen=datetime.date(2026, 11, 20),
    )
    portfolio_key = ingest_key_create(user=pmo, use_case=None)[1]
    model_price = ModelPrice.objects.create(
        model="gpt-4o",
        input_per_million=Decimal("2.50"),
        output_per_million=Decimal("10.00"),
        currency="EUR",
        effective_from=datetime.date(2026, 11, 1),
    )
    # The owner's personal chat channel; its URL is on loopback and not allowed (SSRF), so a test
    # message is refused at once, without any network.
    channel = NotificationChannel.objects.create(
        kind="json",
        name="Olivia's alerts",
        url_sealed=sealed.seal("http://127.0.0.1:9/hook"),
        url_hint="http://127.0.0.1/…/hook",
        secret_sealed=sealed.seal("a-secret-of-sixteen-chars"),
        events=["flag_raised"],
        owner=owner,
    )
    users = dict(
        anonymous=None,
        outsider=outsider,
        other_owner=other_owner,
        contributor=contributor,
        leader=leader,
        pmo=pmo,
        owner=owner,
        admin=admin,
    )
    sessions = {}
    for role, user in users.items():
        if user is not None:
            login = Client()
            login.force_login(user)
            sessions[role] = login.cookies[settings.SESSION_COOKIE_NAME].value
    return SimpleNamespace(
        users=users,
        sessions=sessions,
        use_case=use_case,
        other_use_case=other_use_case,
        weekly_review=weekly_review,
        monthly_review=monthly_review,
        model_change=model_change,
        flag=flag,
        rule=rule,
        override_rule=override_rule,
        gate=gate,
        gate_item=gate.items.get(use_case=use_case),
        notification=notification,
        ingest_key=ingest_key,
        proposed_change=proposed_change,
        portfolio_key=portfolio_key,
        model_price=model_price,
        week=SimpleNamespace(pk="2026-W47"),  # a URL's ISO week (workflow metrics)
        channel=channel,
        business_case_version=use_case.business_case.history.order_by("history_id").first(),
    )


def _pk(obj) -> int:
    return getattr(obj, "history_id", None) or obj.pk


# --- the tests ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "method", "role"), list(_cases()))
def test_permission_matrix(name, method, role, world, db, client):
    if name not in TABLE:
        pytest.fail(
            f"new URL without a permission entry: {name} ({ROUTES[name].pattern}); add it to "
            "tests/security/permission_matrix.py TABLE with the status each role must get"
        )
    if name not in ROUTES:
        pytest.fail(f"permission entry for a URL that no longer exists: {name}; remove it")
    entry = TABLE[name]
    route = ROUTES[name]
    missing = set(route.kwargs) - set(entry.kwargs)
    assert not missing, f"{name}: no object for URL kwargs {sorted(missing)} in its entry"
    url = reverse(name, kwargs={k: _pk(getattr(world, v)) for k, v in entry.kwargs.items()})
    url += entry.query

    if role in world.sessions:  # logged in once for the module (a login costs queries)
        client.cookies[settings.SESSION_COOKIE_NAME] = world.sessions[role]
    is_api = route.pattern.startswith("api/")
    body = entry.bodies.get(method)
    data = body(world) if callable(body) else (body or {})
    with time_machine.travel(NOW, tick=False):
        if method == "GET":
            response = client.get(url)
        elif is_api:
            response = client.generic(
                method, url, data=_json(data), content_type="application/json"
            )
        else:
            response = getattr(client, method.lower())(url, data=data)

    expected = entry.checks[method][role]
    got = response.status_code
    where = f"{method} {url} as {role}"
    if expected == EMPTY:
        assert got == 200, f"{where}: expected 200 and an empty list, got {got}"
        body = response.json()
        assert body["count"] == 0, f"{where}: expected an empty list, got {body['count']} rows"
        return
    if expected == LOGIN:
        assert got == 302, f"{where}: expected a redirect to the login page, got {got}"
        assert response["Location"].startswith(reverse("login") + "?next="), (
            f"{where}: redirected to {response['Location']}, not to the login page"
        )
    else:
        assert got == expected, f"{where}: expected {expected}, got {got}"
    if role in ("outsider", "contributor") and got == 200:
        _assert_hides_foreign_use_cases(response, world, role, where)


def _assert_hides_foreign_use_cases(response, world, role, where) -> None:
    """Whatever a contributor or an outsider may open, it never names a use case they may not
    see: the contributor sees ``use_case`` only, the outsider nothing."""
    content_type = response.get("Content-Type", "")
    if content_type == "application/pdf":  # the gate pack PDFs: their text
        text = _pdf_text(response.content)
    elif content_type == "application/zip":  # the evidence packs: every file's text
        text = _zip_text(b"".join(response.streaming_content))
    elif response.streaming or not content_type.startswith(("text/", "application/json")):
        return
    else:
        text = response.content.decode(errors="replace")
    hidden = [world.other_use_case.name]
    if role == "outsider":
        hidden.append(world.use_case.name)
    for name in hidden:
        assert name not in text, f"{where}: the response names {name!r}, which {role} may not see"


def _pdf_text(data: bytes) -> str:
    return " ".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)


def _zip_text(data: bytes) -> str:
    texts = []
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for name in archive.namelist():
            content = archive.read(name)
            texts.append(
                _pdf_text(content) if name.endswith(".pdf") else content.decode(errors="replace")
            )
    return " ".join(texts)


def _json(data) -> str:
    return json.dumps(data, default=str)


def test_the_walk_finds_pages_namespaced_routes_and_router_routes():
    """The matrix is only as good as the walk: it must see every kind of route."""
    for name in (
        "portfolio:healthz",
        "usecases:detail",
        "reviews:weekly_new",
        "api:api-root",
        "api:flag-resolve",
    ):
        assert name in ROUTES, f"{name} not found by the URL walk"
    assert ROUTES["reviews:weekly_new"].kwargs == ("use_case_pk",)
    assert ROUTES["api:flag-resolve"].kwargs == ("pk",)
    assert not any(name.startswith("admin:") for name in ROUTES)


def test_every_api_method_has_a_permission_entry():
    """A viewset that gains a method (say DELETE) must say who may use it."""
    missing = [
        f"{method} {name}"
        for name, route in sorted(ROUTES.items())
        if name in TABLE
        for method in sorted(route.api_methods() - set(TABLE[name].checks))
    ]
    assert not missing, "API method without a permission entry: " + ", ".join(missing)


def test_every_url_has_a_permission_entry():
    """All at once (the parametrized test fails per route): the list to add to the table."""
    missing = sorted(set(ROUTES) - set(TABLE) - NOT_IN_MATRIX)
    stale = sorted(set(TABLE) - set(ROUTES))
    assert not missing, "new URL without a permission entry: " + ", ".join(missing)
    assert not stale, "permission entry for a URL that no longer exists: " + ", ".join(stale)


@pytest.mark.parametrize("role", ROLES)
def test_admin_site_is_for_staff_only(role, world, db, client):
    """The Django admin is out of the matrix; its index sends everyone but staff to its login."""
    user = world.users[role]
    if user is not None:
        client.force_login(user)
    response = client.get(reverse("admin:index"))
    if role == "admin":
        assert response.status_code == 200
    else:
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))


@pytest.mark.parametrize(
    ("role", "method", "name", "expected"),
    [
        ("pmo", "get", "api:use-case-list", 200),
        ("outsider", "get", "api:flag-detail", 404),
        ("owner", "post", "api:use-case-list", 403),
        ("anonymous", "get", "api:use-case-list", API_ANON),
    ],
)
def test_token_authentication_gets_the_same_answers(role, method, name, expected, world, db):
    """The matrix logs in with a session; a token must get the same answers (spot checks)."""
    client = APIClient()
    if world.users[role] is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Token {api_token(world.users[role])}")
    kwargs = {k: _pk(getattr(world, v)) for k, v in TABLE[name].kwargs.items()}
    response = getattr(client, method)(reverse(name, kwargs=kwargs), {}, format="json")
    assert response.status_code == expected
