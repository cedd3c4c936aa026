"""Input rules of issue 13 ("LOW"), each through the API and the page where both exist (and the
weekly review import where it applies): control characters in names and e-mail subjects,
active users above target users, periods before 2000 or long before go-live, target users 0,
adoption scenarios out of order, names differing only in case, free text without a limit,
unknown fields on flags/{id}/resolve/ and stop-loss-rules/, and one log line per 403.

Today is 2026-11-25 (tests/api/conftest.py); ``use_case`` went live on 2026-06-01.
"""

import importlib
import logging
from decimal import Decimal

import pytest
from django.apps import apps
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, connection, transaction
from django.urls import reverse

from reviews import bulk_import
from reviews.models import Flag, FlagKind, MonthlyReview, StopLossRule, WeeklyReview
from stagegates.models import Vote
from tests.conftest import make_use_case
from usecases import notify
from usecases.models import NAME_TAKEN, BusinessCase, UseCase
from usecases.text import NOTE_MAX

from .conftest import monthly_payload, weekly_payload

pytestmark = pytest.mark.django_db

USE_CASES = "/api/v1/use-cases/"
WEEKLY = "/api/v1/weekly-reviews/"
MONTHLY = "/api/v1/monthly-reviews/"


def new_use_case(**overrides):
    body = {
        "name": "Contract clause extraction",
        "business_unit": "Procurement",
        "stage": "pilot",
        "target_users": 40,
        "funding_status": "conditional",
    }
    body.update(overrides)
    return body


def use_case_form(**overrides):
    data = {
        "name": "Contract clause finder",
        "business_unit": "Legal",
        "workflow": "Contract review",
        "description": "",
        "stage": "pilot",
        "funding_status": "conditional",
        "value_owner": "",
        "contributors": [],
        "target_users": "40",
        "live_since": "",
        "scaled_on": "",
    }
    data.update(overrides)
    return data


def weekly_form(**overrides):
    data = {
        "week": "2026-W47",
        "active_users": "75",
        "target_users": "100",
        "tasks_total": "1000",
        "tasks_with_ai": "800",
        "reworked_outputs": "100",
        "exceptions": "50",
        "minutes_saved_per_task": "2.5",
        "rework_minutes_per_output": "7.5",
        "quality_score": "88",
        "backlog": "120",
        "declared_hours_saved": "40",
        "model_version": "",
        "notes": "",
        "user_barriers": "",
    }
    data.update(overrides)
    return data


def form_errors(response) -> dict:
    assert response.status_code == 200, response.status_code
    return response.context["form"].errors


# --- names: one line; e-mail subjects safe anyway -----------------------------------------------


@pytest.mark.parametrize("name", ["Contract\nfinder", "Contract\r\nfinder", "Tab\tname", "NUL\x00"])
def test_control_characters_in_a_name_are_a_field_error(name, api_for, client_for, pmo, use_case):
    before = UseCase.objects.count()
    response = api_for("pmo").post(USE_CASES, new_use_case(name=name), format="json")
    assert response.status_code == 400
    assert "name" in response.json()
    patch = api_for("pmo").patch(f"{USE_CASES}{use_case.pk}/", {"name": name}, format="json")
    assert patch.status_code == 400 and "name" in patch.json()
    errors = form_errors(client_for(pmo).post(reverse("usecases:create"), use_case_form(name=name)))
    assert "name" in errors
    assert UseCase.objects.count() == before


def test_line_separator_and_break_in_business_unit_and_version_label(api_for, use_case):
    response = api_for("pmo").post(
        USE_CASES, new_use_case(name="Fine name", business_unit="Fin\u2028ance"), format="json"
    )
    assert response.status_code == 400 and "business_unit" in response.json()
    change = api_for("owner").post(
        "/api/v1/model-changes/",
        {
            "use_case": use_case.pk,
            "version_label": "v2\nBcc: x@example.com",
            "kind": "prompt",
            "effective_date": "2026-11-01",
        },
        format="json",
    )
    assert change.status_code == 400 and "version_label" in change.json()


def test_an_old_name_with_a_line_break_still_gets_its_email(owner, use_case, settings):
    """A name saved before the rule: the subject is built as one line, the e-mail goes out."""
    UseCase.objects.filter(pk=use_case.pk).update(name="Broken\r\nBcc: evil@example.com")
    use_case.refresh_from_db()
    notification, _ = notify.notify(
        recipient=owner,
        kind="weekly_reminder",
        subject=use_case,
        period="2026-W47",
        title=f"Weekly review of {use_case.name} is due",
    )
    assert notify.send_notification_email(notification.pk) is True
    assert mail.outbox[-1].subject == "Weekly review of Broken Bcc: evil@example.com is due"
    assert mail.outbox[-1].recipients() == [owner.email]


# --- names that differ only in case ---------------------------------------------------------------


def test_a_name_differing_only_in_case_is_taken(api_for, client_for, pmo, use_case):
    other = use_case.name.upper()
    response = api_for("pmo").post(USE_CASES, new_use_case(name=other), format="json")
    assert response.status_code == 400
    assert response.json()["name"] == [NAME_TAKEN]
    errors = form_errors(
        client_for(pmo).post(reverse("usecases:create"), use_case_form(name=other))
    )
    assert errors["name"] == [NAME_TAKEN]
    second = make_use_case(name="Ledger assistant")
    patch = api_for("pmo").patch(
        f"{USE_CASES}{second.pk}/", {"name": use_case.name.lower()}, format="json"
    )
    assert patch.status_code == 400 and patch.json()["name"] == [NAME_TAKEN]
    # Renaming a use case to another case of its own name is fine.
    own = api_for("pmo").patch(
        f"{USE_CASES}{use_case.pk}/", {"name": use_case.name.lower()}, format="json"
    )
    assert own.status_code == 200


def test_the_database_refuses_a_name_differing_only_in_case(use_case):
    with pytest.raises(IntegrityError), transaction.atomic():
        UseCase.objects.create(name=use_case.name.swapcase(), business_unit="X")


def test_the_migration_names_existing_clashes(use_case):
    migration = importlib.import_module("usecases.migrations.0006_use_case_name_rules")
    with connection.cursor() as cursor:
        cursor.execute("DROP INDEX unique_use_case_name_ci")
    clash = UseCase.objects.create(name=use_case.name.upper(), business_unit="X")
    with pytest.raises(RuntimeError) as exc:
        migration.report_name_clashes(apps, None)
    message = str(exc.value)
    assert f"#{use_case.pk} “{use_case.name}”" in message
    assert f"#{clash.pk} “{clash.name}”" in message
    assert "Rename all but one of each" in message


# --- target users ---------------------------------------------------------------------------------


def test_target_users_zero_is_a_field_error(api_for, client_for, pmo, use_case):
    response = api_for("pmo").post(USE_CASES, new_use_case(target_users=0), format="json")
    assert response.status_code == 400 and "target_users" in response.json()
    patch = api_for("pmo").patch(f"{USE_CASES}{use_case.pk}/", {"target_users": 0}, format="json")
    assert patch.status_code == 400 and "target_users" in patch.json()
    errors = form_errors(
        client_for(pmo).post(reverse("usecases:create"), use_case_form(target_users="0"))
    )
    assert "target_users" in errors


def test_a_use_case_saved_with_zero_target_users_can_still_be_edited(api_for, use_case):
    """Rows from before the rule keep their 0 until someone changes the figure."""
    UseCase.objects.filter(pk=use_case.pk).update(target_users=0)
    patch = api_for("pmo").patch(f"{USE_CASES}{use_case.pk}/", {"workflow": "New"}, format="json")
    assert patch.status_code == 200


def test_active_users_above_target_users_is_a_field_error(api_for, client_for, owner, use_case):
    body = weekly_payload(use_case, active_users=120, target_users=100)
    response = api_for("owner").post(WEEKLY, body, format="json")
    assert response.status_code == 400
    assert "cannot exceed target users (100)" in response.json()["active_users"][0]
    page = client_for(owner).post(
        reverse("reviews:weekly_new", args=[use_case.pk]), weekly_form(active_users="120")
    )
    assert "active_users" in form_errors(page)
    assert not WeeklyReview.objects.exists()


def test_active_users_above_target_users_in_the_import(client_for, owner, use_case):
    header = ",".join(bulk_import.COLUMNS[:11])
    row = "2026-W45,120,100,1000,800,80,20,3.5,5,85,100"
    response = client_for(owner).post(
        reverse("reviews:weekly_import", args=[use_case.pk]),
        {"file": SimpleUploadedFile("r.csv", f"{header}\n{row}\n".encode())},
    )
    errors = [(e.row, e.column) for e in response.context["result"].errors]
    assert errors == [(2, "active_users")]


# --- periods --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("week", "message"),
    [
        ("1999-W50", "1999-W50 is before 2000: check the year."),
        ("2025-W01", "more than a year before the use case went live (2026-06-01)"),
    ],
)
def test_weeks_before_2000_or_long_before_go_live(
    week, message, api_for, client_for, owner, use_case
):
    response = api_for("owner").post(WEEKLY, weekly_payload(use_case, week=week), format="json")
    assert response.status_code == 400
    assert message in response.json()["week"][0]
    page = client_for(owner).post(
        reverse("reviews:weekly_new", args=[use_case.pk]), weekly_form(week=week)
    )
    assert any(message in e for e in form_errors(page)["week"])
    assert not WeeklyReview.objects.exists()


def test_a_pilot_week_within_a_year_before_go_live_is_accepted(api_for, use_case):
    response = api_for("owner").post(
        WEEKLY, weekly_payload(use_case, week="2025-W30"), format="json"
    )
    assert response.status_code == 201, response.json()


@pytest.mark.parametrize(
    ("month", "message"),
    [("1999-12", "1999-12 is before 2000"), ("2025-05", "more than a year before")],
)
def test_months_before_2000_or_long_before_go_live(month, message, api_for, use_case):
    response = api_for("owner").post(MONTHLY, monthly_payload(use_case, month=month), format="json")
    assert response.status_code == 400
    assert message in response.json()["month"][0]
    assert not MonthlyReview.objects.exists()


def test_without_live_since_only_the_2000_floor_applies(api_for, use_case):
    UseCase.objects.filter(pk=use_case.pk).update(live_since=None)
    ok = api_for("owner").post(WEEKLY, weekly_payload(use_case, week="2001-W05"), format="json")
    assert ok.status_code == 201, ok.json()


# --- adoption scenarios ---------------------------------------------------------------------------


def business_case_body(**overrides):
    fields = {
        f.name: str(getattr(BusinessCase(), f.name))
        for f in BusinessCase._meta.concrete_fields
        if f.name not in ("id", "use_case", "updated_at")
    }
    fields.update(adoption_pessimistic="0.4", adoption_base="0.6", adoption_optimistic="0.8")
    fields.update(overrides)
    return fields


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        (
            {"adoption_pessimistic": "0.7"},
            "adoption_pessimistic",
            "The pessimistic adoption (70 %) cannot be above the base (60 %).",
        ),
        (
            {"adoption_base": "0.9"},
            "adoption_optimistic",
            "The optimistic adoption (80 %) cannot be below the base (90 %).",
        ),
    ],
)
def test_adoption_scenarios_out_of_order(
    overrides, field, message, api_for, client_for, owner, use_case
):
    url = f"{USE_CASES}{use_case.pk}/business-case/"
    response = api_for("owner").put(url, business_case_body(**overrides), format="json")
    assert response.status_code == 400
    assert response.json()[field] == [message]
    page = client_for(owner).post(
        reverse("usecases:business_case_edit", args=[use_case.pk]),
        business_case_body(**overrides),
    )
    assert form_errors(page)[field] == [message]
    assert BusinessCase.objects.get(use_case=use_case).adoption_base == Decimal("0.6")


# --- free text has a limit ------------------------------------------------------------------------

TWO_MB = "x" * (2 * 1024 * 1024)


def test_a_2_mb_note_is_a_field_error(api_for, client_for, owner, use_case):
    response = api_for("owner").post(WEEKLY, weekly_payload(use_case, notes=TWO_MB), format="json")
    assert response.status_code == 400 and "notes" in response.json()
    barriers = api_for("owner").post(
        WEEKLY, weekly_payload(use_case, user_barriers="y" * (NOTE_MAX + 1)), format="json"
    )
    assert barriers.status_code == 400 and "user_barriers" in barriers.json()
    page = client_for(owner).post(
        reverse("reviews:weekly_new", args=[use_case.pk]), weekly_form(notes=TWO_MB)
    )
    assert "notes" in form_errors(page)
    at_limit = api_for("owner").post(
        WEEKLY, weekly_payload(use_case, notes="n" * NOTE_MAX), format="json"
    )
    assert at_limit.status_code == 201


def test_long_description_flag_note_and_monthly_note(api_for, use_case):
    description = api_for("pmo").patch(
        f"{USE_CASES}{use_case.pk}/", {"description": TWO_MB}, format="json"
    )
    assert description.status_code == 400 and "description" in description.json()
    monthly = api_for("owner").post(MONTHLY, monthly_payload(use_case, notes=TWO_MB), format="json")
    assert monthly.status_code == 400 and "notes" in monthly.json()
    flag = Flag.objects.create(
        use_case=use_case, kind=FlagKind.STOP_LOSS, rule_key="r", period="2026-W47", explanation="x"
    )
    resolve = api_for("pmo").post(
        f"/api/v1/flags/{flag.pk}/resolve/", {"note": TWO_MB}, format="json"
    )
    assert resolve.status_code == 400 and "note" in resolve.json()
    flag.refresh_from_db()
    assert flag.resolved_at is None


def test_long_checklist_evidence_and_vote_rationale_are_refused(owner, use_case, leader):
    from django.core.exceptions import ValidationError

    from usecases.services import checklist_update

    with pytest.raises(ValidationError) as exc:
        checklist_update(user=owner, use_case=use_case, answers={"T1": ("yes", TWO_MB)})
    assert "At most 5000 characters" in exc.value.message_dict["T1"][0]
    assert Vote._meta.get_field("rationale").max_length == 10_000


# --- unknown fields -------------------------------------------------------------------------------


def test_unknown_fields_on_flag_resolve_and_stop_loss_rules_are_a_400(api_for, use_case):
    flag = Flag.objects.create(
        use_case=use_case, kind=FlagKind.STOP_LOSS, rule_key="r", period="2026-W47", explanation="x"
    )
    resolve = api_for("pmo").post(
        f"/api/v1/flags/{flag.pk}/resolve/", {"note": "ok", "resolved_by": "pia"}, format="json"
    )
    assert resolve.status_code == 400
    assert resolve.json() == {"resolved_by": ["Unknown field: not part of this resource."]}
    flag.refresh_from_db()
    assert flag.resolved_at is None
    before = StopLossRule.objects.count()
    create = api_for("pmo").post(
        "/api/v1/stop-loss-rules/",
        {
            "metric": "rework_rate",
            "comparison": "exceeds",
            "threshold": "0.3",
            "consecutive_weeks": 2,
            "grace_weeks": 0,
            "action": "redesign",
            "colour": "red",
        },
        format="json",
    )
    assert create.status_code == 400
    assert create.json() == {"colour": ["Unknown field: not part of this resource."]}
    assert StopLossRule.objects.count() == before
    rule = StopLossRule.objects.first()
    patch = api_for("pmo").patch(
        f"/api/v1/stop-loss-rules/{rule.pk}/", {"active": False, "enabled": False}, format="json"
    )
    assert patch.status_code == 400 and "enabled" in patch.json()


# --- a 403 is one log line ------------------------------------------------------------------------


def test_a_403_logs_one_line_without_a_traceback(client_for, leader, use_case, caplog):
    with caplog.at_level(logging.WARNING, logger="django.request"):
        response = client_for(leader).get(reverse("reviews:weekly_import", args=[use_case.pk]))
    assert response.status_code == 403
    records = [r for r in caplog.records if r.name == "django.request"]
    assert len(records) == 1
    record = records[0]
    assert record.exc_info is None and record.exc_text is None
    line = logging.Formatter().format(record)
    assert "\n" not in line
    assert line.startswith("Forbidden (Permission denied): /reviews/use-cases/")
