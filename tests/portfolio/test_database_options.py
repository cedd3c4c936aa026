"""The options the app's PostgreSQL connections run with (``portfolio/settings.py``): no JIT, and
parallel query only where it saves more than its raised setup cost (issue 20; docs/deploy.md,
"Environment")."""

import pytest
from django.db import connection

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def show(name: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SHOW {name}")
        return cursor.fetchone()[0]


def test_no_jit_and_parallel_query_only_where_it_pays():
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's own settings")
    assert show("jit") == "off"
    assert show("max_parallel_workers_per_gather") == "2"
    assert show("parallel_setup_cost") == "3000"
