"""The site's session store (``SESSION_ENGINE``): Django's database store with its one read per
request (the session of the cookie, unless expired) compiled once (``usecases.prepared_sql``)
instead of built and compiled as an ORM ``get`` on every request (issue 16: ≈ 0.6 ms of the use
case page's CPU). The same row, the same rule (``expire_date`` after now), the same answer when
there is none (the key is forgotten, the session starts empty); writes, the cache of the key and
``clear_expired`` are Django's."""

import datetime

from django.contrib.sessions.backends import db
from django.contrib.sessions.models import Session
from django.utils import timezone

from usecases.prepared_sql import PreparedQuery

#: What ``db.SessionStore._get_session_from_db`` reads: the unexpired session of a key.
SESSION = PreparedQuery(
    lambda session_key, now: Session.objects.filter(session_key=session_key, expire_date__gt=now),
    session_key=str,
    now=datetime.datetime,
)


class SessionStore(db.SessionStore):
    def _get_session_from_db(self):
        rows = SESSION(session_key=self.session_key, now=timezone.now())
        if rows:
            return rows[0]
        self._session_key = None
        return None
