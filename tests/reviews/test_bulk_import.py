"""Bulk import of weekly reviews (reviews.bulk_import, reviews.import_views): upload, preview with
errors per row and column, confirm; all rows or none; access per role.

The clock is frozen on Wednesday 2026-11-25 (ISO week 2026-W48).
"""

import datetime
import io
from decimal import Decimal

import openpyxl
import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from reviews import bulk_import
from reviews.models import Flag, WeeklyReview
from reviews.services import weekly_review_submit
from tests.conftest import make_user
from tests.factories import WeeklyReviewFactory
from usecases.models import ChangeKind, ModelChange, Stage

pytestmark = pytest.mark.django_db

HEADER = (
    "week,active_users,target_users,tasks_total,tasks_with_ai,reworked_outputs,exceptions,"
    "minutes_saved_per_task,rework_minutes_per_output,quality_score,backlog,"
    "declared_hours_saved,model_version,notes,user_barriers"
)
ROWS = (
    "2026-W44,80,100,1000,800,80,20,3.5,5,85,100,40,,Quiet week,",
    "2026-W45,82,100,1000,820,70,18,3.5,5,86,95,42,,,Login slow",
    "2026-W46,85,,1000,850,60,15,3.75,5,88.5,90,,,,",
)


@pytest.fixture(autouse=True)
def frozen_today():
    with time_machine.travel(
        timezone.make_aware(datetime.datetime(2026, 11, 25, 10, 0)), tick=False
    ):
        yield


def csv_file(*rows, header=HEADER, name="reviews.csv", encoding="utf-8"):
    text = "\n".join([header, *rows]) + "\n"
    return SimpleUploadedFile(name, text.encode(encoding), content_type="text/csv")


def xlsx_file(rows, name="reviews.xlsx"):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue())


def import_url(use_case):
    return reverse("reviews:weekly_import", args=[use_case.pk])


def confirm_url(use_case):
    return reverse("reviews:weekly_import_confirm", args=[use_case.pk])


def upload(client, use_case, upload_file):
    return client.post(import_url(use_case), {"file": upload_file})


def errors_of(response) -> list[tuple]:
    return [(e.row, e.column, str(e.message)) for e in response.context["result"].errors]


# --- access ---------------------------------------------------------------------------------------


@pytest.fixture
def foreign_contributor(other_use_case):
    user = make_user("cora")
    other_use_case.contributors.add(user)
    return user


@pytest.fixture
def users(role_users, foreign_contributor):
    return {**role_users, "foreign_contributor": foreign_contributor, "anonymous": None}


ACCESS = {
    "anonymous": 302,
    "outsider": 404,
    "foreign_contributor": 404,
    "other_owner": 403,
    "leader": 403,
    "pmo": 200,  # the issue: "a value owner or PMO uploads"
    "contributor": 200,
    "owner": 200,
    "admin": 200,
}


@pytest.mark.parametrize("role", ACCESS)
def test_access_per_role(role, users, use_case, client_for):
    status = ACCESS[role]
    client = client_for(users[role])
    template = reverse("reviews:weekly_import_template", args=[use_case.pk])
    assert client.get(import_url(use_case)).status_code == status
    assert client.get(template).status_code == status
    response = upload(client, use_case, csv_file(*ROWS))
    assert response.status_code == status
    if status == 302:
        assert response.url.startswith(reverse("login"))
    confirm = client.post(confirm_url(use_case), {"token": "x"})
    assert confirm.status_code == (302 if status == 200 else status)
    if status == 200:  # the preview was shown, then confirmed with a wrong token
        assert confirm.url == import_url(use_case)
    assert not WeeklyReview.objects.exists()


def test_wrong_methods(client_for, owner, use_case):
    client = client_for(owner)
    assert client.get(confirm_url(use_case)).status_code == 405
    template = reverse("reviews:weekly_import_template", args=[use_case.pk])
    assert client.post(template).status_code == 405


def test_use_case_page_offers_the_import_to_those_who_may(client_for, owner, leader, use_case):
    assert (
        import_url(use_case) in client_for(owner).get(use_case.get_absolute_url()).content.decode()
    )
    assert import_url(use_case) not in (
        client_for(leader).get(use_case.get_absolute_url()).content.decode()
    )


# --- the happy paths ------------------------------------------------------------------------------


def test_valid_csv_preview_then_import(client_for, owner, use_case):
    client = client_for(owner)
    page = client.get(import_url(use_case)).content.decode()
    assert "Download the template (CSV)" in page
    assert "minutes_saved_per_task" in page

    response = upload(client, use_case, csv_file(*ROWS))
    assert response.status_code == 200
    result = response.context["result"]
    assert result.ok and not result.committed
    assert not WeeklyReview.objects.exists()  # the preview saves nothing
    html = response.content.decode()
    assert "Every row is valid." in html
    assert "Import 3 weekly reviews" in html
    assert [row.adoption_rate for row in result.rows] == [
        Decimal("0.8"),
        Decimal("0.82"),
        Decimal("0.85"),
    ]

    response = client.post(confirm_url(use_case), {"token": response.context["token"]})
    assert response.status_code == 302
    assert response.url == f"{use_case.get_absolute_url()}#reviews"
    reviews = {r.week: r for r in WeeklyReview.objects.filter(use_case=use_case)}
    assert sorted(reviews) == ["2026-W44", "2026-W45", "2026-W46"]
    assert reviews["2026-W44"].notes == "Quiet week"
    assert reviews["2026-W45"].user_barriers == "Login slow"
    assert reviews["2026-W46"].target_users == 100  # empty: the use case's
    assert reviews["2026-W46"].declared_hours_saved == 0  # empty: 0
    assert str(reviews["2026-W46"].quality_score) == "88.50"
    assert all(r.submitted_by == owner for r in reviews.values())
    page = client.get(response.url).content.decode()
    assert "3 weekly reviews imported from reviews.csv." in page

    # The token is used up: a second confirm imports nothing more.
    again = client.post(confirm_url(use_case), {"token": "anything"})
    assert again.status_code == 302 and again.url == import_url(use_case)
    assert WeeklyReview.objects.count() == 3


def test_valid_xlsx_with_numbers_as_numbers(client_for, contributor, use_case):
    ModelChange.objects.create(
        use_case=use_case,
        version_label="prompt-v2",
        kind=ChangeKind.PROMPT,
        effective_date=datetime.date(2026, 10, 1),
    )
    header = [
        "Week",
        "Active users",
        "tasks_total",
        "tasks_with_ai",
        "reworked_outputs",
        "exceptions",
        "minutes_saved_per_task",
        "rework_minutes_per_output",
        "quality_score",
        "backlog",
        "model_version",
    ]
    rows = [
        header,
        ["2026-W45", 80, 1000, 800, 80, 20, 3.5, 5, 85.25, 100, "prompt-v2"],
        ["2026-W46", 81.0, 1000, 810, 70, 20, 2, 5, 86, 100, None],
        [None] * len(header),  # an empty row: skipped
    ]
    client = client_for(contributor)
    response = upload(client, use_case, xlsx_file(rows))
    assert response.context["result"].ok, errors_of(response)
    client.post(confirm_url(use_case), {"token": response.context["token"]})
    reviews = {r.week: r for r in WeeklyReview.objects.filter(use_case=use_case)}
    assert sorted(reviews) == ["2026-W45", "2026-W46"]
    assert reviews["2026-W45"].model_version.version_label == "prompt-v2"
    assert str(reviews["2026-W45"].quality_score) == "85.25"
    assert reviews["2026-W46"].active_users == 81
    # Empty model version: the one in effect that week, as on the form.
    assert reviews["2026-W46"].model_version.version_label == "prompt-v2"


def test_semicolon_csv_with_bom_and_loose_headers(client_for, owner, use_case):
    header = HEADER.replace(",", ";").replace("active_users", " Active Users ")
    rows = [r.replace(",", ";") for r in ROWS[:1]]
    response = upload(
        client_for(owner), use_case, csv_file(*rows, header=header, encoding="utf-8-sig")
    )
    assert response.context["result"].ok, errors_of(response)


def test_template_csv(client_for, owner, use_case):
    response = client_for(owner).get(reverse("reviews:weekly_import_template", args=[use_case.pk]))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    assert response.content.decode() == HEADER + "\r\n"


# --- errors: nothing is imported ------------------------------------------------------------------


def test_one_bad_cell_nothing_imported_and_error_names_row_and_column(client_for, owner, use_case):
    rows = list(ROWS)
    rows[1] = rows[1].replace("2026-W45,82,", "2026-W45,lots,")
    client = client_for(owner)
    response = upload(client, use_case, csv_file(*rows))
    assert response.status_code == 200
    assert errors_of(response) == [(3, "active_users", "Enter a whole number.")]
    html = response.content.decode()
    assert "Nothing has been imported." in html
    assert '<td class="import-row">3</td>' in html
    assert "<code>active_users</code>" in html
    assert confirm_url(use_case) not in html  # no import button
    assert response.context["token"] is None
    assert not WeeklyReview.objects.exists()


def test_cross_field_rule_of_the_form(client_for, owner, use_case):
    rows = [ROWS[0].replace("1000,800,80", "1000,1200,80")]
    response = upload(client_for(owner), use_case, csv_file(*rows))
    assert errors_of(response) == [
        (2, "tasks_with_ai", "Tasks with AI (1200) cannot exceed tasks in total (1000).")
    ]


def test_several_errors_per_row_and_future_week(client_for, owner, use_case):
    rows = [
        ROWS[0].replace(",85,100,", ",120,100,"),  # quality above 100
        "2026-W48" + ROWS[1][len("2026-W45") :],  # the current week: not ended
        "2026-W60" + ROWS[2][len("2026-W46") :],  # no such week
    ]
    response = upload(client_for(owner), use_case, csv_file(*rows))
    errors = errors_of(response)
    assert (2, "quality_score", "Ensure this value is less than or equal to 100.") in errors
    assert (3, "week", "2026-W48 ends on Sunday 29 Nov; submit it from Monday 30 Nov.") in errors
    assert any(e[:2] == (4, "week") and "not an ISO week" in e[2] for e in errors)
    assert not WeeklyReview.objects.exists()


def test_an_unfinished_week_is_a_row_error_and_nothing_is_imported(owner, use_case):
    """Issue 14: the current week (W48 on its Wednesday) and a future week are refused at their
    row with the day they can be submitted; the valid rows are not saved either."""
    rows = rows_of(
        *ROWS[:2],
        "2026-W48" + ROWS[2][len("2026-W46") :],
        "2026-W50" + ROWS[2][len("2026-W46") :],
    )
    result = bulk_import.weekly_reviews_import(
        user=owner, use_case=use_case, rows=rows, commit=True
    )
    assert [(e.row, e.column, str(e.message)) for e in result.errors] == [
        (4, "week", "2026-W48 ends on Sunday 29 Nov; submit it from Monday 30 Nov."),
        (5, "week", "2026-W50 ends on Sunday 13 Dec; submit it from Monday 14 Dec."),
    ]
    assert not result.committed and result.imported == 0
    assert not WeeklyReview.objects.exists()


def test_an_unfinished_week_in_an_xlsx_file_is_told_at_its_row(client_for, owner, use_case):
    header = HEADER.split(",")
    rows = [header, ROWS[0].split(","), ("2026-W48" + ROWS[1][len("2026-W45") :]).split(",")]
    response = upload(client_for(owner), use_case, xlsx_file(rows))
    assert errors_of(response) == [
        (3, "week", "2026-W48 ends on Sunday 29 Nov; submit it from Monday 30 Nov.")
    ]
    assert not WeeklyReview.objects.exists()


def test_duplicate_week_in_the_file(client_for, owner, use_case):
    rows = [ROWS[0], ROWS[1], ROWS[0].replace("Quiet week", "again")]
    response = upload(client_for(owner), use_case, csv_file(*rows))
    assert errors_of(response) == [
        (4, "week", "2026-W44 appears more than once in the file (first in row 2).")
    ]
    assert not WeeklyReview.objects.exists()


def test_duplicate_week_in_the_database(client_for, owner, use_case):
    existing = WeeklyReviewFactory(
        use_case=use_case,
        week="2026-W45",
        active_users=1,
        target_users=100,
        tasks_total=1,
        tasks_with_ai=1,
        reworked_outputs=0,
        exceptions=0,
        minutes_saved_per_task=1,
        rework_minutes_per_output=1,
        quality_score=50,
        backlog=0,
    )
    response = upload(client_for(owner), use_case, csv_file(*ROWS))
    [(row, column, message)] = errors_of(response)
    assert (row, column) == (3, "week")
    assert f"review #{existing.pk}" in message and "already exists" in message
    assert WeeklyReview.objects.count() == 1


def test_unknown_model_version(client_for, owner, use_case):
    rows = [ROWS[0].replace(",40,,Quiet", ",40,v9,Quiet")]
    response = upload(client_for(owner), use_case, csv_file(*rows))
    assert errors_of(response) == [
        (2, "model_version", "No version “v9” in this use case's model/prompt log.")
    ]


def test_confirm_validates_again(client_for, owner, contributor, use_case):
    client = client_for(owner)
    response = upload(client, use_case, csv_file(*ROWS))
    token = response.context["token"]
    # Meanwhile a contributor submits one of the weeks through the form.
    data = dict(
        active_users=1,
        target_users=100,
        tasks_total=1,
        tasks_with_ai=1,
        reworked_outputs=0,
        exceptions=0,
        minutes_saved_per_task=1,
        rework_minutes_per_output=1,
        quality_score=50,
        backlog=0,
    )
    weekly_review_submit(user=contributor, use_case=use_case, week="2026-W46", data=data)
    response = client.post(confirm_url(use_case), {"token": token})
    assert response.status_code == 200
    assert [e[:2] for e in errors_of(response)] == [(4, "week")]
    assert "Nothing was imported" in response.content.decode()
    assert list(WeeklyReview.objects.values_list("week", flat=True)) == ["2026-W46"]


@pytest.mark.parametrize(
    ("upload_file", "message"),
    [
        (csv_file(*ROWS, name="reviews.txt"), "Upload a .csv or .xlsx file"),
        (csv_file(*ROWS, header=HEADER + ",colour"), "Unknown column “colour”"),
        (
            csv_file(*ROWS, header=HEADER.replace("backlog,", "")),
            "Required column missing: backlog.",
        ),
        (csv_file(header=HEADER), "The file has a header but no data rows."),
        (SimpleUploadedFile("empty.csv", b"\n\n"), "The file is empty."),
        (SimpleUploadedFile("bad.xlsx", b"not a zip"), "not a readable XLSX workbook"),
        (SimpleUploadedFile("latin.csv", HEADER.encode() + b"\n\xe9"), "not UTF-8 text"),
        (csv_file(*([ROWS[0]] * 521)), "more than 520 rows"),
        (
            SimpleUploadedFile("big.csv", HEADER.encode() + b"\n" + b"x" * (1024 * 1024)),
            "larger than 1 MB",
        ),
    ],
)
def test_file_level_errors(client_for, owner, use_case, upload_file, message):
    response = upload(client_for(owner), use_case, upload_file)
    assert response.status_code == 400
    html = response.content.decode()
    assert "The file cannot be imported" in html
    assert message in html
    assert not WeeklyReview.objects.exists()


def test_no_file_or_an_empty_one(client_for, owner, use_case):
    client = client_for(owner)
    response = client.post(import_url(use_case), {})
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    response = upload(client, use_case, SimpleUploadedFile("empty.csv", b""))
    assert "The submitted file is empty." in response.content.decode()


# --- the service ----------------------------------------------------------------------------------


def rows_of(*lines):
    parsed = bulk_import.parse_weekly_file(csv_file(*lines))
    assert not parsed.errors
    return parsed.rows


def test_service_is_all_or_nothing(owner, use_case):
    rows = rows_of(*ROWS[:2], ROWS[2].replace(",88.5,", ",101,"))
    result = bulk_import.weekly_reviews_import(
        user=owner, use_case=use_case, rows=rows, commit=True
    )
    assert not result.committed and result.imported == 0
    assert {e.row for e in result.errors} == {4}
    assert not WeeklyReview.objects.exists()
    result = bulk_import.weekly_reviews_import(
        user=owner, use_case=use_case, rows=rows_of(*ROWS), commit=True
    )
    assert result.committed and result.imported == 3
    assert WeeklyReview.objects.count() == 3


def test_service_refuses_who_may_not_import(leader, other_owner, use_case):
    for user in (leader, other_owner):
        with pytest.raises(bulk_import.PermissionDenied):
            bulk_import.weekly_reviews_import(
                user=user, use_case=use_case, rows=rows_of(ROWS[0]), commit=False
            )


def test_pmo_imports_although_it_does_not_submit_reviews_one_by_one(pmo, use_case):
    result = bulk_import.weekly_reviews_import(
        user=pmo, use_case=use_case, rows=rows_of(*ROWS), commit=True
    )
    assert result.committed and result.imported == 3
    assert set(WeeklyReview.objects.values_list("submitted_by", flat=True)) == {pmo.pk}


def test_preview_tells_what_the_import_raises_and_keeps_nothing(client_for, owner, use_case):
    # Rework 25% in the latest week breaches the default policy (15%): flag and redesign.
    rows = [*ROWS[:2], ROWS[2].replace("1000,850,60", "1000,800,200")]
    client = client_for(owner)
    response = upload(client, use_case, csv_file(*rows))
    result = response.context["result"]
    assert result.ok
    assert [f.period for f in result.flags] == ["2026-W46"]
    assert result.stage_change == ("Rollout", "Redesign")
    html = response.content.decode()
    assert "The import will raise 1 flag" in html
    assert "from Rollout to <strong>Redesign</strong>" in html
    use_case.refresh_from_db()
    assert use_case.stage == Stage.ROLLOUT  # the preview rolled back
    assert not Flag.objects.exists()
    client.post(confirm_url(use_case), {"token": response.context["token"]})
    use_case.refresh_from_db()
    assert use_case.stage == Stage.REDESIGN
    assert Flag.objects.get().period == "2026-W46"


def test_rows_are_submitted_in_week_order(owner, use_case):
    rows = rows_of(ROWS[2], ROWS[0], ROWS[1])
    result = bulk_import.weekly_reviews_import(
        user=owner, use_case=use_case, rows=rows, commit=True
    )
    assert [r.number for r in result.rows] == [2, 3, 4]  # reported in file order
    weeks = WeeklyReview.objects.order_by("pk").values_list("week", flat=True)
    assert list(weeks) == ["2026-W44", "2026-W45", "2026-W46"]
