"""The framework shortcuts of ``usecases.fastpaths`` keep the frameworks' behaviour."""

import pytest

from reviews.models import WeeklyReview
from tests.conftest import make_use_case
from usecases import fastpaths
from usecases.models import ModelChange
from usecases.roles import roles


def test_a_memo_has_a_known_name_and_is_computed_once(owner):
    calls = []
    first = fastpaths.memo(owner, "is_owner", lambda: calls.append(1) or False)
    again = fastpaths.memo(owner, "is_owner", lambda: calls.append(1) or True)
    assert (first, again, calls) == (False, False, [1])  # False is an answer, not "unknown"
    fastpaths.forget(owner, "is_owner")
    assert fastpaths.recall(owner, "is_owner") is None
    with pytest.raises(ValueError, match="unknown memo"):
        fastpaths.memo(owner, "anything", lambda: 1)


def test_roles_are_not_kept_on_an_anonymous_user():
    from django.contrib.auth.models import AnonymousUser

    anonymous = AnonymousUser()
    assert roles(anonymous) is not roles(anonymous)
    assert fastpaths.recall(anonymous, "roles") is None


@pytest.mark.django_db
def test_the_history_manager_class_is_built_once_and_works(use_case, owner):
    review = WeeklyReview(use_case=use_case, week="2026-W40")
    assert type(review.history) is type(WeeklyReview(use_case=use_case).history)
    assert isinstance(review.history, fastpaths.OnceBuiltHistoryManager)
    assert WeeklyReview.history.count() == 0


@pytest.mark.django_db
def test_loaded_relations_names_only_saved_objects_that_match(use_case, owner):
    change = ModelChange(use_case=use_case, version_label="v1", kind="prompt")
    review = WeeklyReview(use_case=use_case, submitted_by=owner, model_version=change)
    assert sorted(fastpaths.loaded_relations(review)) == ["submitted_by", "use_case"]  # unsaved: no
    other = make_use_case("Other")
    review.use_case_id = other.pk  # the id no longer matches the object held
    assert fastpaths.loaded_relations(review) == ["submitted_by"]


def _flags(use_case, periods, **fields):
    from reviews.flags import flag_row
    from reviews.models import Flag, FlagKind

    flags = [
        flag_row(
            use_case_id=use_case.pk,
            kind=FlagKind.STOP_LOSS,
            rule_key="rule:1",
            period=period,
            explanation="breach",
            **fields,
        )
        for period in periods
    ]
    return Flag.objects.bulk_create(flags)


def _records(flags):
    from reviews.models import Flag

    columns = [
        f.attname
        for f in Flag.history.model.tracked_fields
        if f.attname not in ("id", "period", "raised_at")
    ]
    rows = Flag.history.filter(id__in=[f.pk for f in flags]).order_by("history_id")
    raised = dict(Flag.objects.filter(pk__in=[f.pk for f in flags]).values_list("pk", "raised_at"))
    assert all(h.raised_at == raised[h.id] for h in rows)
    return [
        (
            tuple(getattr(h, c) for c in columns),
            h.history_type,
            h.history_user_id,
            h.history_change_reason,
            h.instance.period,
        )
        for h in rows
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("stamped", ["none", "one reason", "reasons differ"])
def test_history_copied_from_the_created_rows_is_bulk_historys(use_case, pmo, stamped):
    """``bulk_history_of_created`` (one INSERT … SELECT) writes the records ``bulk_history``
    writes: every tracked value, "created", the stamped user and reason (each its own when they
    differ: then it is ``bulk_history``), in insertion order."""
    from decimal import Decimal

    from usecases.audit import stamp

    fields = dict(observed=Decimal("0.19"), threshold=Decimal("0.15"), triggered_by="sweep")
    periods = ["2026-W40", "2026-W41", "2026-W42"]
    reference = _flags(use_case, [f"{p}r" for p in periods], **fields)
    copied = _flags(use_case, periods, **fields)
    for i, (a, b) in enumerate(zip(reference, copied, strict=True)):
        if stamped != "none":
            reason = "raised" if stamped == "one reason" else f"raised {i}"
            stamp(a, reason=reason, user=pmo)
            stamp(b, reason=reason, user=pmo)
    fastpaths.bulk_history(type(reference[0]), reference, update=False)
    fastpaths.bulk_history_of_created(type(copied[0]), copied)
    expected = [(*r[:4], r[4][:-1]) for r in _records(reference)]
    assert _records(copied) == expected
    assert [r[4] for r in expected] == periods
    assert {r[2] for r in expected} == ({None} if stamped == "none" else {pmo.pk})
