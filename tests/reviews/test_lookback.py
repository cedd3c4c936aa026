"""Issue 14 item 4: back-filled history raises no penalties.

A breach at a week older than the stop-loss look-back (``VALUEGATE_STOP_LOSS_LOOKBACK_WEEKS``,
default 4 complete weeks) is recorded as a historical flag: never open, no stage change, nobody
notified, not on My work; shown on the use case page and in the import preview. The sweep judges
alike. Today is Wednesday 2026-11-25 (ISO week 2026-W48): the look-back is 2026-W44..W47.
"""

import pytest
from django.urls import reverse

from reviews import bulk_import, lookback
from reviews.models import Flag, WeeklyReview
from reviews.sweep import sweep_portfolio
from tests.factories import WeeklyReviewFactory
from usecases.models import Notification, StageTransition

from .stoploss_helpers import HEALTHY, TODAY, frozen_today, rework, submit_week  # noqa: F401
from .test_bulk_import import HEADER, csv_file

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_today")]

SEPTEMBER_ROW = "{week},80,100,10000,10000,2000,0,3.5,5,85,100,0,,,"  # 20 % rework


def stage_of(use_case):
    use_case.refresh_from_db()
    return use_case.stage, use_case.funding_status


def test_the_lookback_starts_four_complete_weeks_back():
    assert lookback.lookback_start(TODAY).isoformat() == "2026-10-26"  # Monday of 2026-W44
    assert not lookback.is_historical("2026-W44", TODAY)
    assert lookback.is_historical("2026-W43", TODAY)
    assert not lookback.is_historical("2026-10", TODAY)  # ends 31 Oct, inside
    assert lookback.is_historical("2026-09", TODAY)


def test_import_of_old_weeks_raises_no_flag_and_moves_nothing(owner, use_case, client_for):
    stage = stage_of(use_case)
    rows = bulk_import.parse_weekly_file(
        csv_file(*(SEPTEMBER_ROW.format(week=w) for w in ("2026-W37", "2026-W38")))
    ).rows
    preview = bulk_import.weekly_reviews_import(
        user=owner, use_case=use_case, rows=rows, commit=False
    )
    assert preview.ok and preview.flags == []
    assert preview.historical == [
        f"historical: week {w} breached rework rate (20.0% > 15.0%), no flag — older than the "
        "4-week look-back"
        for w in ("2026-W37", "2026-W38")
    ]
    result = bulk_import.weekly_reviews_import(
        user=owner, use_case=use_case, rows=rows, commit=True
    )
    assert result.committed and WeeklyReview.objects.count() == 2
    assert not Flag.objects.open().exists()
    assert set(Flag.objects.values_list("period", "historical")) == {
        ("2026-W37", True),
        ("2026-W38", True),
    }
    assert stage_of(use_case) == stage
    assert not StageTransition.objects.exists()
    assert not Notification.objects.exists()
    # Not an action item on My work; shown as historical on the use case page.
    client = client_for(owner)
    assert list(client.get("/").context["work"].reviews.flags) == []
    page = client.get(use_case.get_absolute_url()).content.decode()
    assert "historical: week 2026-W37 breached rework rate (20.0% &gt; 15.0%)" in page
    assert "pill-historical" in page


def test_import_preview_page_names_the_historical_breaches(owner, use_case, client_for):
    upload = csv_file(SEPTEMBER_ROW.format(week="2026-W38"), header=HEADER)
    response = client_for(owner).post(
        reverse("reviews:weekly_import", args=[use_case.pk]), {"file": upload}
    )
    text = response.content.decode()
    assert 'id="import-historical"' in text
    assert "historical: week 2026-W38 breached rework rate (20.0% &gt; 15.0%), no flag" in text
    assert "The import will raise" not in text


def test_a_breach_inside_the_lookback_still_flags(owner, use_case):
    submit_week(use_case, "2026-W44", user=owner, **rework("0.20"))
    flag = Flag.objects.get()
    assert flag.is_open and not flag.historical
    assert stage_of(use_case) == ("redesign", "conditional")


def test_a_breach_just_outside_the_lookback_is_historical(owner, use_case):
    stage = stage_of(use_case)
    review = submit_week(use_case, "2026-W43", user=owner, **rework("0.20"))
    flag = Flag.objects.get()
    assert flag.historical and not flag.is_open
    assert flag.resolution_note.startswith("Historical: older than the 4-week stop-loss look-back")
    assert stage_of(use_case) == stage
    assert review.outcome.flags == [] and review.outcome.historical == [flag]


def test_the_lookback_is_a_setting(owner, use_case, settings):
    settings.VALUEGATE_STOP_LOSS_LOOKBACK_WEEKS = 10
    submit_week(use_case, "2026-W43", user=owner, **rework("0.20"))
    assert Flag.objects.get().is_open
    assert stage_of(use_case) == ("redesign", "conditional")


def test_the_sweep_agrees(owner, use_case, other_use_case):
    """Rows saved without the hook: the sweep judges each use case's latest week."""
    for uc, week in ((use_case, "2026-W40"), (other_use_case, "2026-W47")):
        WeeklyReviewFactory(use_case=uc, week=week, **{**HEALTHY, **rework("0.20")})
    stage = stage_of(use_case)
    sweep_portfolio(today=TODAY)
    stop_loss = Flag.objects.filter(kind="stop_loss")
    old = stop_loss.get(use_case=use_case)
    assert old.historical and not old.is_open
    assert stage_of(use_case) == stage
    recent = stop_loss.get(use_case=other_use_case)
    assert recent.is_open and not recent.historical
    assert stage_of(other_use_case) == ("redesign", "conditional")
    sweep_portfolio(today=TODAY)  # idempotent: the historical record holds its key
    assert stop_loss.count() == 2
