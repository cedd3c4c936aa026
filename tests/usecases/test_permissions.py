"""usecases.permissions: one test per role for every rule."""

import pytest

from usecases import permissions as p

pytestmark = pytest.mark.django_db

# role -> (sees use_case, edits core, edits business case, submits review, logs change, sees others)
EXPECTED = {
    "owner": (True, False, True, True, True, True),
    "other_owner": (True, False, False, False, False, True),
    "contributor": (True, False, False, True, False, False),
    "leader": (True, False, False, False, False, True),
    "pmo": (True, True, True, False, False, True),
    "admin": (True, True, True, True, True, True),
    "outsider": (False, False, False, False, False, False),
}


@pytest.mark.parametrize("role", EXPECTED)
def test_object_rules_per_role(role, role_users, use_case, other_use_case):
    user = role_users[role]
    sees, edits, edits_bc, submits, logs, sees_other = EXPECTED[role]
    assert p.can_view_use_case(user, use_case) is sees
    assert p.can_edit_use_case(user, use_case) is edits
    assert p.can_edit_business_case(user, use_case) is edits_bc
    assert p.can_submit_review(user, use_case) is submits
    assert p.can_log_model_change(user, use_case) is logs
    visible = set(p.visible_use_cases(user).values_list("pk", flat=True))
    assert (use_case.pk in visible) is sees
    assert (other_use_case.pk in visible) is sees_other


def test_anonymous_sees_nothing(use_case):
    from django.contrib.auth.models import AnonymousUser

    anon = AnonymousUser()
    assert not p.visible_use_cases(anon).exists()
    assert not p.can_view_use_case(anon, use_case)
    assert not p.can_submit_review(anon, use_case)
    assert not p.can_edit_business_case(anon, use_case)


@pytest.mark.parametrize("role", [*EXPECTED, "anonymous"])
def test_rows_are_cut_to_the_use_cases_their_reader_sees(
    role, role_users, use_case, other_use_case
):
    """``of_visible_use_cases`` keeps exactly the rows of the use cases ``visible_use_cases``
    gives, for every role, and reads a whole-portfolio reader's rows with no subquery."""
    from django.contrib.auth.models import AnonymousUser

    from usecases.models import BusinessCase, UseCase

    user = AnonymousUser() if role == "anonymous" else role_users[role]
    expected = set(p.visible_use_cases(user).values_list("pk", flat=True))
    cases = p.of_visible_use_cases(user, BusinessCase.objects.all())
    assert set(cases.values_list("use_case_id", flat=True)) == expected
    by_pk = p.of_visible_use_cases(user, UseCase.objects.all(), field="pk")
    assert set(by_pk.values_list("pk", flat=True)) == expected
    whole = role not in ("contributor", "outsider", "anonymous")
    assert (p.visible_use_case_ids(user) is None) is whole
    if whole:
        assert "IN (SELECT" not in str(cases.query)
    assert len(expected) == {"contributor": 1, "outsider": 0, "anonymous": 0}.get(role, 2)


def test_pmo_never_votes_unless_leadership(pmo, leader):
    from django.contrib.auth.models import Group

    assert not p.can_vote(pmo)
    assert p.can_vote(leader)
    pmo.groups.add(Group.objects.get(name="Leadership"))
    pmo._valuegate_roles = None
    assert p.can_vote(type(pmo).objects.get(pk=pmo.pk))


def test_get_use_case_for_user_404_and_403(contributor, other_owner, use_case, other_use_case):
    from django.core.exceptions import PermissionDenied
    from django.http import Http404

    with pytest.raises(Http404):
        p.get_use_case_for_user(contributor, other_use_case.pk)
    with pytest.raises(PermissionDenied):
        p.get_use_case_for_user(other_owner, use_case.pk, check=p.can_edit_business_case)
    assert p.get_use_case_for_user(contributor, use_case.pk) == use_case


@pytest.mark.parametrize("role", EXPECTED)
def test_the_prepared_fetch_answers_as_get_use_case_for_user(
    role, role_users, use_case, other_use_case
):
    """``get_prepared_use_case_for_user`` (the use case page's fetch)
    gives every role the answer ``get_use_case_for_user`` gives: the same use case, 404 or 403,
    for both use cases, an id of no use case, and ids no key holds (0, negative, past bigint)."""
    from django.core.exceptions import PermissionDenied
    from django.http import Http404

    from usecases.models import BusinessCase
    from usecases.selectors import saved_business_case, use_case_detail_queryset

    def state(obj):
        return obj and {k: v for k, v in vars(obj).items() if not k.startswith("_state")}

    def answer(fetch, pk, check):
        try:
            found = fetch(pk, check)
        except (Http404, PermissionDenied) as refusal:
            return type(refusal)
        return (
            {k: v for k, v in state(found).items() if not k.startswith("_prefetched")},
            state(saved_business_case(found)),
            state(found.value_owner),
        )

    assert saved_business_case(use_case) is not None
    BusinessCase.objects.filter(use_case=other_use_case).delete()  # one with, one without
    user = role_users[role]
    for pk in (use_case.pk, other_use_case.pk, other_use_case.pk + 1000, 0, -1, 2**63, "x"):
        for check in (p.can_view_use_case, p.can_edit_business_case):
            expected = answer(
                lambda pk, check: p.get_use_case_for_user(
                    user, pk, check=check, queryset=use_case_detail_queryset()
                ),
                pk,
                check,
            )
            got = answer(
                lambda pk, check: p.get_prepared_use_case_for_user(user, pk, check=check),
                pk,
                check,
            )
            assert got == expected, (role, pk, check.__name__)
