"""The one pager (``templates/_pager.html``) on the four paged lists: each link keeps the
request's filters and changes only ``page``."""

import pytest

from tests.conftest import make_user
from tests.portfolio.test_dashboard import add_flag
from tests.usecases.test_inbox import note

pytestmark = pytest.mark.django_db


def test_flags_keep_their_filter_across_pages(client_for, pmo, use_case, monkeypatch):
    from reviews import flag_views

    monkeypatch.setattr(flag_views, "PAGE_SIZE", 2)
    for week in ("2026-W40", "2026-W41", "2026-W42"):
        add_flag(use_case, period=week)
    client = client_for(pmo)
    first = client.get(f"/reviews/flags/?kind=stop_loss&use_case={use_case.pk}").content.decode()
    assert f'href="?kind=stop_loss&amp;use_case={use_case.pk}&amp;page=2">Older →</a>' in first
    second = client.get(f"/reviews/flags/?kind=stop_loss&use_case={use_case.pk}&page=2")
    body = second.content.decode()
    assert f'href="?kind=stop_loss&amp;use_case={use_case.pk}&amp;page=1">← Newer</a>' in body
    assert "Page 2 of 2" in body and len(second.context["flags"]) == 1


def test_the_inbox_keeps_unread_only_across_pages(client_for, use_case, monkeypatch):
    from usecases import inbox_views

    monkeypatch.setattr(inbox_views, "PAGE_SIZE", 1)
    reader = make_user("reader")
    for period in ("2026-W20", "2026-W21"):
        note(reader, use_case, period=period)
    body = client_for(reader).get("/inbox/?show=unread").content.decode()
    assert 'href="?show=unread&amp;page=2">Older →</a>' in body
    assert "Page 1 of 2" in body


def test_one_page_has_no_pager(client_for, pmo, use_case):
    add_flag(use_case)
    assert 'class="pager"' not in client_for(pmo).get("/reviews/flags/").content.decode()
