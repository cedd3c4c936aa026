"""Every transactional test rolls back by serialization (``pytest_itemcollected`` in
tests/conftest.py): a plain ``transaction=True`` test followed by a ``serialized_rollback`` one
used to fail the second in setup on PostgreSQL (the flush after the first made the content types
again under new ids; the second loaded them under their migrated ids: duplicate key). The two
tests below run in that order."""

import pytest
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType

from usecases.roles import PMO

pytestmark = pytest.mark.django_db(transaction=True)  # plain, as a new module may write it


def test_a_plain_transactional_test_rolls_back_by_serialization(request):
    assert request.node.get_closest_marker("django_db").kwargs == {
        "transaction": True,
        "serialized_rollback": True,
    }
    ContentType.objects.clear_cache()
    assert ContentType.objects.get_for_model(Group).model == "group"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_serialized_test_after_it_loads_the_data_as_migrated():
    assert Group.objects.filter(name=PMO).exists()
    assert ContentType.objects.filter(app_label="usecases", model="usecase").count() == 1
