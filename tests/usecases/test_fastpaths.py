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
