"""Shared fixtures: one user per role and a use case with a business case (built with
``tests/factories.py``). ``ROLES`` names them, in the order of the permission tables:

- ``owner``: value owner of ``use_case``
- ``other_owner``: value owner of ``other_use_case`` (reads the portfolio, changes nothing here)
- ``contributor``: named contributor on ``use_case`` only
- ``leader``: member of Leadership
- ``pmo``: member of PMO
- ``admin_user``: superuser
- ``outsider``: logged in, no role and owns nothing

``role_users[role]`` is the user of a role (``user_of("anonymous", role_users)`` is None).
"""

import datetime
import importlib
import os
import shutil

import pytest
import time_machine

from tests.alert_receiver import alert_settings, receiver  # noqa: F401 (fixtures of the alert tests)
from tests.factories import PASSWORD, AdminFactory, UseCaseFactory, UserFactory

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

__all__ = ["PASSWORD", "ROLES", "make_use_case", "make_user", "user_of"]

#: ``make mutate``: a migrated SQLite database file made once before the run. Every mutant's
#: pytest run starts from a copy of it (with ``--reuse-db``) instead of migrating a fresh test
#: database (~8 s of CPU per mutant, most of the run's time).
TEST_DB_TEMPLATE = os.environ.get("VALUEGATE_TEST_DB_TEMPLATE")

if TEST_DB_TEMPLATE:

    @pytest.fixture(scope="session")
    def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
        from django.conf import settings

        database = settings.DATABASES["default"]
        assert database["ENGINE"] == "django.db.backends.sqlite3", "the template is SQLite"
        copy = f"{TEST_DB_TEMPLATE}.{os.getpid()}"
        shutil.copyfile(TEST_DB_TEMPLATE, copy)
        database.setdefault("TEST", {})["NAME"] = copy
        yield
        for path in (copy, f"{copy}-wal", f"{copy}-shm"):  # SQLite's WAL files beside it
            if os.path.exists(path):
                os.unlink(path)


#: Every role of the fixtures below, and "anonymous" (not logged in).
ROLES = ("anonymous", "outsider", "other_owner", "contributor", "leader", "pmo", "owner", "admin")


def restore_migrated_reference_data() -> None:
    """The role groups and the default stop-loss policy come from data migrations; a
    ``transaction=True`` test flushes them when it ends. Put them back (idempotent)."""
    from django.apps import apps

    for module in (
        "usecases.migrations.0002_roles_groups",
        "reviews.migrations.0003_default_policy",
    ):
        migration = importlib.import_module(module)
        forward = getattr(migration, "create_groups", None) or migration.create_default_policy
        forward(apps, None)


TRANSACTIONAL_FIXTURES = ("transactional_db", "live_server")


@pytest.hookimpl(tryfirst=True)
def pytest_itemcollected(item):
    """Every transactional test rolls back by serialization, whatever its marker says.

    Django's flush after a plain ``transaction=True`` test emits ``post_migrate``, which makes
    the content types and permissions again under new ids; a later ``serialized_rollback`` test
    then loads the rows as migrated (their first ids) and fails in setup on PostgreSQL
    (``django_content_type_app_label_model`` duplicate: tests/usecases/test_alerts_worker.py
    after tests/browser/test_model_prices_page.py). Django's rule is one policy per suite; this
    is that policy (a serialized test's flush inhibits ``post_migrate``, the next one loads the
    rows as migrated)."""
    marker = item.get_closest_marker("django_db")
    kwargs = dict(marker.kwargs) if marker is not None else {}
    if marker is not None and marker.args:
        raise pytest.UsageError(f"{item.nodeid}: give django_db's options by keyword")
    uses_fixture = any(name in getattr(item, "fixturenames", ()) for name in TRANSACTIONAL_FIXTURES)
    if not (kwargs.get("transaction") or uses_fixture) or kwargs.get("serialized_rollback"):
        return
    mark = pytest.mark.django_db(**{**kwargs, "transaction": True, "serialized_rollback": True})
    item.add_marker(mark, append=False)  # before the module's: the closest marker


@pytest.fixture(autouse=True)
def _reference_data_for_transactional_tests(request):
    marker = request.node.get_closest_marker("django_db")
    transactional = bool(marker and marker.kwargs.get("transaction")) or any(
        name in request.fixturenames for name in ("transactional_db", "live_server")
    )
    if transactional:
        request.getfixturevalue("transactional_db")
        # The content types were just restored (or re-created) under the ids of the database as
        # migrated; ids cached by an earlier test may name rows that no longer exist.
        from django.contrib.contenttypes.models import ContentType

        ContentType.objects.clear_cache()
        restore_migrated_reference_data()


def api_token(user) -> str:
    """A new API token for ``user``: what a client gets (the database keeps only its digest)."""
    from portfolio.api_tokens import api_token_issue

    return api_token_issue(user=user)[0]


@pytest.fixture(autouse=True)
def _login_check_limits(settings):
    """The site-wide and per-address limits on password checks (portfolio/login_limits.py) count
    in the cache: start each test from zero, with limits no ordinary test reaches (the fast test
    hasher makes dozens of logins a second). The throttling tests set their own."""
    from django.core.cache import cache

    settings.VALUEGATE_LOGIN_LIMITS = {"ip": (10_000, 60), "global": (10_000, 1)}
    cache.clear()


#: Noon, 30 s into a minute: the middle of a 60 s window of the login limits and of a one-day one.
LOGIN_CLOCK_START = datetime.datetime(2026, 12, 1, 12, 0, 30, tzinfo=datetime.UTC)


@pytest.fixture
def login_clock():
    """Time held still for the login limits' fixed windows (``portfolio/login_limits.py``): a
    test that counts checks in one window must not see it roll over between two requests (a
    minute boundary falls inside such a test a few times in a hundred on a slow machine).
    ``login_clock.shift(seconds)`` moves it."""
    with time_machine.travel(LOGIN_CLOCK_START, tick=False) as traveller:
        yield traveller


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    """PBKDF2 makes every create_user cost ~0.3 s; tests do not need key stretching."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True, scope="session")
def _celery_in_process():
    """Tasks enqueued by code under test (e-mails after commit) run in the test process, never
    through whatever broker the environment names. Tests with a real worker
    (tests/worker_support.py) publish through an app of their own and are not affected."""
    from portfolio.celery import app

    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True
    yield
    app.conf.task_always_eager = False


@pytest.fixture(autouse=True)
def _project_celery_app_is_current():
    """Celery makes every app it creates the *current* app of the thread, and the shared tasks
    (``@shared_task`` in usecases/reviews/stagegates ``tasks``) resolve to the current app at each
    call. The worker tests create a producer app of their own (tests/worker_support.py): after
    them, every ``.delay()`` of the code under test went through that producer — not eager, its
    default queue the stopped worker's — so e-mails after commit silently never ran. Make the
    project app current again before and after every test."""
    from portfolio.celery import app

    app.set_current()
    yield
    app.set_current()


def make_user(username, *groups, **extra):
    return UserFactory(username=username, groups=groups, **extra)


@pytest.fixture
def owner(db):
    return make_user("olivia", first_name="Olivia", last_name="Owner")


@pytest.fixture
def other_owner(db):
    return make_user("oscar", first_name="Oscar", last_name="Other")


@pytest.fixture
def contributor(db):
    return make_user("carl", first_name="Carl", last_name="Contributor")


@pytest.fixture
def leader(db):
    return make_user("lena", "Leadership", first_name="Lena", last_name="Leader")


@pytest.fixture
def pmo(db):
    return make_user("pia", "PMO", first_name="Pia", last_name="PMO")


@pytest.fixture
def admin_user(db):
    return AdminFactory(username="root")


@pytest.fixture
def outsider(db):
    return make_user("otto")


def make_use_case(name="Customer-response assistant", owner=None, **fields):
    """A use case in rollout with the suite's business case (``tests.factories``)."""
    return UseCaseFactory(name=name, value_owner=owner, **fields)


@pytest.fixture
def use_case(owner, contributor):
    uc = make_use_case(owner=owner)
    uc.contributors.add(contributor)
    return uc


@pytest.fixture
def other_use_case(other_owner):
    return make_use_case(name="Invoice matching", owner=other_owner, business_unit="Finance")


@pytest.fixture
def role_users(
    owner, other_owner, contributor, leader, pmo, admin_user, outsider, use_case, other_use_case
):
    """Every role at once, keyed by the name used in permission tables."""
    return {
        "owner": owner,
        "other_owner": other_owner,
        "contributor": contributor,
        "leader": leader,
        "pmo": pmo,
        "admin": admin_user,
        "outsider": outsider,
    }


def user_of(role, role_users):
    """The user of ``role`` (None for "anonymous")."""
    return None if role == "anonymous" else role_users[role]


@pytest.fixture
def client_for(client):
    """``client_for(user)`` → the test client logged in as ``user`` (None: anonymous)."""

    def login(user):
        client.logout()
        if user is not None:
            client.force_login(user)
        return client

    return login


# --- Browser (Playwright on the system Chromium) ---------------------------------------------
@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": shutil.which("chromium") or shutil.which("chromium-browser"),
        "args": [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


@pytest.fixture(scope="session")
def artifacts_dir():
    path = os.path.join(os.path.dirname(__file__), "..", "var", "test-artifacts")
    os.makedirs(path, exist_ok=True)
    return os.path.abspath(path)
