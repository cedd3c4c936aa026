"""What the browser tests share: their marks, signing in through the login page, screenshots.

- ``BROWSER``: a module's ``pytestmark`` (with its own marks after it, if any): the ``browser``
  mark (left out of the SQLite pass) and a transactional database, rolled back by serialization
  (the live server's thread sees what the test committed; tests/conftest.py makes every
  transactional test serialized).
- ``log_in``: the password form at ``/accounts/login/``, landing on ``next_path``.
- ``shot``: a screenshot into the test artifacts.
- ``frozen_at``: a module's clock, frozen at a moment and ticking from it (the live server's
  thread sees it too).
"""

import os

import pytest
import time_machine

from tests.conftest import PASSWORD

BROWSER = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def log_in(page, base_url: str, username: str, next_path: str = "/", *, password=PASSWORD):
    """Sign in as ``username`` through the login page and wait until ``next_path`` is shown (the
    home page when not given)."""
    query = "" if next_path == "/" else f"?next={next_path}"
    page.goto(f"{base_url}/accounts/login/{query}")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{base_url}{next_path}")


def shot(page, artifacts_dir: str, name: str, full_page: bool = True) -> str:
    """A screenshot of ``page`` into ``artifacts_dir``; its path."""
    path = os.path.join(artifacts_dir, name)
    page.screenshot(path=path, full_page=full_page)
    return path


def frozen_at(moment):
    """An autouse fixture that starts every test of the module at ``moment``, the clock ticking
    from there: ``frozen_today = frozen_at(NOW)``."""

    @pytest.fixture(autouse=True)
    def frozen_today():
        with time_machine.travel(moment, tick=True):
            yield

    return frozen_today
