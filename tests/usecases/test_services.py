"""usecases.services: the write paths the web pages, the API and tasks share.

Called here without a request, so the history user must come from the service itself.
"""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from tests.conftest import make_user
from usecases import services
from usecases.models import BusinessCase, ChecklistAnswer, ModelChange, UseCase

pytestmark = pytest.mark.django_db


def new_use_case_data(**overrides):
    data = {
        "name": "Contract clause finder",
        "business_unit": "Legal",
        "stage": "pilot",
        "funding_status": "conditional",
        "target_users": 40,
    }
    data.update(overrides)
    return data


# --- use_case_create ----------------------------------------------------------------------------
def test_create_records_user_reason_and_contributors_in_one_record(pmo, owner, contributor):
    use_case = services.use_case_create(
        user=pmo,
        data=new_use_case_data(value_owner=owner, contributors=[contributor]),
    )
    (record,) = use_case.history.all()
    assert (record.history_type, record.history_user, record.history_change_reason) == (
        "+",
        pmo,
        "Created",
    )
    assert [r.user_id for r in record.contributors.all()] == [contributor.pk]
    assert list(use_case.contributors.all()) == [contributor]
    business_case = BusinessCase.objects.get(use_case=use_case)
    assert business_case.history.get().history_user == pmo


@pytest.mark.parametrize("role", ["owner", "other_owner", "contributor", "leader", "outsider"])
def test_only_pmo_creates(role, role_users):
    with pytest.raises(PermissionDenied):
        services.use_case_create(user=role_users[role], data=new_use_case_data())
    assert not UseCase.objects.filter(name="Contract clause finder").exists()


def test_create_validates_every_field_rule_at_once(pmo, use_case):
    with pytest.raises(ValidationError) as exc:
        services.use_case_create(
            user=pmo,
            data=new_use_case_data(
                name=use_case.name,
                stage="shipped",
                live_since=datetime.date(2026, 6, 1),
                scaled_on=datetime.date(2026, 5, 1),
            ),
        )
    assert set(exc.value.message_dict) == {"name", "stage", "scaled_on"}
    assert UseCase.objects.count() == 1
    assert BusinessCase.objects.count() == 1


def test_lost_race_on_the_name_becomes_a_field_message(pmo, use_case):
    twin = UseCase(name=use_case.name, business_unit="Other")
    with pytest.raises(ValidationError) as exc:
        services._save_use_case(twin)
    assert exc.value.message_dict == {"name": [services.NAME_TAKEN]}


# --- use_case_update ----------------------------------------------------------------------------
def test_update_partial_data_and_reason(pmo, use_case):
    before = use_case.history.count()
    updated = services.use_case_update(
        user=pmo, use_case=use_case, data={"stage": "redesign"}, reason="Stop-loss: rework"
    )
    assert updated.stage == "redesign"
    assert updated.business_unit == "Customer Service"
    assert use_case.history.count() == before + 1
    record = use_case.history.first()
    assert (record.history_user, record.history_change_reason) == (pmo, "Stop-loss: rework")


def test_update_contributors_is_one_record(pmo, use_case, contributor, leader):
    before = use_case.history.count()
    services.use_case_update(
        user=pmo, use_case=use_case, data={"contributors": [leader], "target_users": 120}
    )
    assert use_case.history.count() == before + 1
    record = use_case.history.first()
    delta = record.diff_against(record.prev_record)
    assert set(delta.changed_fields) == {"contributors", "target_users"}
    assert [r.user_id for r in record.contributors.all()] == [leader.pk]


def test_update_without_change_writes_nothing(pmo, use_case, contributor):
    before = use_case.history.count()
    services.use_case_update(
        user=pmo,
        use_case=use_case,
        data={"stage": use_case.stage, "contributors": [contributor]},
    )
    assert use_case.history.count() == before


@pytest.mark.parametrize("role", ["owner", "other_owner", "contributor", "leader", "outsider"])
def test_only_pmo_updates(role, role_users, use_case):
    with pytest.raises(PermissionDenied):
        services.use_case_update(
            user=role_users[role], use_case=use_case, data={"stage": "stopped"}
        )
    use_case.refresh_from_db()
    assert use_case.stage == "rollout"


def test_update_with_invalid_dates_saves_nothing(pmo, use_case, leader):
    before = use_case.history.count()
    with pytest.raises(ValidationError) as exc:
        services.use_case_update(
            user=pmo,
            use_case=use_case,
            data={
                "stage": "scaled",
                "scaled_on": datetime.date(2026, 1, 1),
                "contributors": [leader],
            },
            reason="Rolled out to every team.",
        )
    assert list(exc.value.message_dict) == ["scaled_on"]
    use_case.refresh_from_db()
    assert use_case.stage == "rollout"
    assert [u.username for u in use_case.contributors.all()] == ["carl"]
    assert use_case.history.count() == before


# --- business_case_update -----------------------------------------------------------------------
@pytest.mark.parametrize("role", ["owner", "pmo", "admin"])
def test_business_case_update_records_the_user(role, role_users, use_case):
    user = role_users[role]
    bc = services.business_case_update(
        user=user, use_case=use_case, data={"reclaimable_share": Decimal("0.4")}
    )
    assert bc.reclaimable_share == Decimal("0.4")
    record = bc.history.first()
    assert (record.history_user, record.history_change_reason) == (user, "Business case updated")
    assert record.reclaimable_share == Decimal("0.4")
    assert record.prev_record.reclaimable_share == Decimal("0.50")


@pytest.mark.parametrize("role", ["other_owner", "contributor", "leader", "outsider"])
def test_business_case_update_refused(role, role_users, use_case):
    with pytest.raises(PermissionDenied):
        services.business_case_update(
            user=role_users[role], use_case=use_case, data={"hourly_cost": Decimal(1)}
        )
    assert BusinessCase.objects.get(use_case=use_case).hourly_cost == Decimal("45.00")


def test_business_case_update_validates_and_saves_nothing(owner, use_case):
    versions = BusinessCase.history.filter(use_case_id=use_case.pk).count()
    with pytest.raises(ValidationError) as exc:
        services.business_case_update(
            user=owner,
            use_case=use_case,
            data={
                "hourly_cost": Decimal("60"),
                "adoption_base": Decimal("1.5"),
                "one_off_training_cost": Decimal("-1"),
            },
        )
    assert set(exc.value.message_dict) == {"adoption_base", "one_off_training_cost"}
    bc = BusinessCase.objects.get(use_case=use_case)
    assert bc.hourly_cost == Decimal("45.00")
    assert BusinessCase.history.filter(use_case_id=use_case.pk).count() == versions


# --- model_change_create ------------------------------------------------------------------------
def test_model_change_create(owner, use_case, time_machine):
    time_machine.move_to(datetime.datetime(2026, 11, 18, 12, tzinfo=datetime.UTC), tick=False)
    change = services.model_change_create(
        user=owner,
        use_case=use_case,
        data={
            "version_label": "prompt-v2",
            "kind": "prompt",
            "effective_date": datetime.date(2026, 11, 18),
            "description": "",
        },
    )
    assert change.created_by == owner
    assert change.history.get().history_user == owner
    with pytest.raises(ValidationError) as exc:
        services.model_change_create(
            user=owner,
            use_case=use_case,
            data={
                "version_label": "prompt-v2",
                "kind": "config",
                "effective_date": datetime.date(2026, 11, 19),
            },
        )
    assert set(exc.value.message_dict) == {"version_label", "effective_date"}
    assert ModelChange.objects.count() == 1


@pytest.mark.parametrize("role", ["pmo", "other_owner", "contributor", "leader"])
def test_model_change_refused(role, role_users, use_case):
    with pytest.raises(PermissionDenied):
        services.model_change_create(
            user=role_users[role],
            use_case=use_case,
            data={
                "version_label": "x",
                "kind": "model",
                "effective_date": datetime.date(2026, 1, 1),
            },
        )


# --- checklist_update ---------------------------------------------------------------------------
def test_checklist_update_upserts_clears_and_counts(owner, use_case):
    ChecklistAnswer.objects.create(use_case=use_case, item="T1", answer="no")
    ChecklistAnswer.objects.create(use_case=use_case, item="T2", answer="yes", evidence="CFO")
    changed = services.checklist_update(
        user=owner,
        use_case=use_case,
        answers={
            "T1": ("yes", " Production data since May "),
            "T2": ("yes", "CFO"),  # unchanged
            "T3": ("", ""),  # stays unanswered
            "G1": ("yes", "Olivia"),
        },
    )
    assert changed == 2
    rows = {a.item: a for a in ChecklistAnswer.objects.all()}
    assert set(rows) == {"T1", "T2", "G1"}
    assert rows["T1"].evidence == "Production data since May"
    assert rows["T1"].history.first().history_user == owner
    assert services.checklist_update(user=owner, use_case=use_case, answers={"G1": ("", "")}) == 1
    assert not ChecklistAnswer.objects.filter(item="G1").exists()
    deleted = ChecklistAnswer.history.filter(item="G1", history_type="-").get()
    assert deleted.history_user == owner


def test_checklist_update_rejects_bad_input_and_saves_nothing(owner, use_case):
    with pytest.raises(ValidationError) as exc:
        services.checklist_update(
            user=owner,
            use_case=use_case,
            answers={
                "T1": ("yes", ""),
                "Z9": ("yes", ""),
                "A1": ("sometimes", ""),
                "A2": ("", "evidence, no answer"),
            },
        )
    assert set(exc.value.message_dict) == {"Z9", "A1", "A2"}
    assert not ChecklistAnswer.objects.exists()


@pytest.mark.parametrize("role", ["pmo", "other_owner", "contributor", "leader"])
def test_checklist_refused(role, role_users, use_case):
    with pytest.raises(PermissionDenied):
        services.checklist_update(user=role_users[role], use_case=use_case, answers={})


def test_services_work_for_a_user_created_in_the_same_request(use_case):
    """A fresh PMO (roles not cached yet) is recognised by the permission checks."""
    fresh = make_user("petra", "PMO")
    services.use_case_update(user=fresh, use_case=use_case, data={"target_users": 7})
    assert use_case.history.first().history_user == fresh
