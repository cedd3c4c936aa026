"""A second PostgreSQL connection for tests that need another transaction beside Django's (a row
or table lock held as another process would hold it)."""

import psycopg
from django.db import connection


def other_connection() -> psycopg.Connection:
    """A second connection to the test database, as another process would hold it (psycopg's
    default: not autocommit, so its first statement opens a transaction)."""
    s = connection.settings_dict
    return psycopg.connect(
        dbname=s["NAME"],
        user=s["USER"],
        password=s["PASSWORD"],
        host=s["HOST"] or "127.0.0.1",
        port=s["PORT"] or 5432,
    )
