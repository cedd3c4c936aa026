"""Every model serializer of the API builds its fields once per class
(``usecases.fastpaths.ClassFieldsMixin``): DRF's ``ModelSerializer.get_fields`` reads the model's
fields anew for every serializer, 1–3 ms of CPU per request on the use case endpoints (issue 20,
the mixed load's API reads). Each serializer still binds copies of its own."""

import copy

import pytest
from rest_framework import serializers

import portfolio.api_urls  # noqa: F401  (imports every endpoint, so every serializer)
from usecases.fastpaths import ClassFieldsMixin, _unbound_copy

pytestmark = pytest.mark.django_db

APPS = ("portfolio", "usecases", "reviews", "stagegates")


def _model_serializers():
    found, todo = [], [serializers.ModelSerializer]
    while todo:
        for sub in todo.pop().__subclasses__():
            todo.append(sub)
            if sub.__module__.split(".")[0] in APPS and hasattr(sub, "Meta"):
                found.append(sub)
    return sorted(set(found), key=lambda cls: (cls.__module__, cls.__qualname__))


MODEL_SERIALIZERS = _model_serializers()


def test_the_api_has_model_serializers_to_check():
    names = {cls.__name__ for cls in MODEL_SERIALIZERS}
    assert {"UseCaseSerializer", "WeeklyReviewSerializer", "FlagSerializer"} <= names


@pytest.mark.parametrize("serializer_class", MODEL_SERIALIZERS, ids=lambda cls: cls.__qualname__)
def test_model_serializer_fields_are_built_once_per_class(serializer_class):
    assert issubclass(serializer_class, ClassFieldsMixin)
    first, second = serializer_class(), serializer_class()
    built = serializers.ModelSerializer.get_fields(serializer_class())
    assert {name: repr(field) for name, field in first.fields.items()} == {
        name: repr(field) for name, field in built.items()
    }
    assert "_fields_of_class" in vars(serializer_class)
    for name, field in first.fields.items():
        other = second.fields[name]
        assert field is not other
        assert (field.parent, other.parent) == (first, second)
        assert field.field_name == other.field_name == name
    # Each copy holds what ``copy.copy`` of the class's field would (``_unbound_copy``); a field
    # holding other fields (a list, a many-relation, a nested serializer) is copied deep.
    for field in serializer_class._fields_of_class.values():
        copied = _unbound_copy(field)
        assert copied is not field and type(copied) is type(field)
        inner = getattr(field, "child", None) or getattr(field, "child_relation", None)
        if inner is not None:
            copied_inner = getattr(copied, "child", None) or copied.child_relation
            assert copied_inner is not inner and repr(copied_inner) == repr(inner)
        elif not isinstance(copied, serializers.BaseSerializer):
            assert vars(copied) == vars(copy.copy(field))
