"""The app's PostgreSQL connections run without JIT compilation (issue 20: at 20,000 use cases
compiling the report aggregates cost seconds per query); DATABASE_JIT=true gives it back."""

import pytest
from django.db import connection


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="a PostgreSQL setting")
@pytest.mark.django_db
def test_connections_run_with_jit_off():
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"
