"""REST API v1 serializers for use cases, business cases, scenario forecasts and the model log.

Conventions for the whole API (the reviews serializers use the same fields):

- **Money** is a string with 2 decimals (``"1234.50"``). Stored amounts already have 2 places;
  computed amounts (engine results) are rounded ``ROUND_HALF_UP`` here and nowhere before.
- **Fractions** (0..1: adoption, rework rate, pilot effort reduction, ...) are strings with
  4 decimals (``"0.6000"``). Input accepts a JSON number or a string.
- **Users** are usernames.
- **Unknown fields** in a request body are a 400 (``RejectUnknownFieldsMixin``); read-only fields
  a client sends back are ignored.

Serializers only convert and check types; business rules live in the services
(``usecases.services``, ``reviews.services``) which the API views call.
"""

import decimal
from collections.abc import Mapping
from decimal import Decimal

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from .fastpaths import ClassFieldsMixin
from .models import BusinessCase, ModelChange, UseCase
from .selectors import active_users

MONEY_PLACES = Decimal("0.01")
FRACTION_PLACES = Decimal("0.0001")

#: Business case fields, in the order of DESIGN.md "Domain".
BUSINESS_CASE_FIELDS = (
    "baseline_tasks_per_week",
    "baseline_minutes_per_task",
    "baseline_source",
    "hourly_cost",
    "pilot_effort_reduction",
    "reclaimable_share",
    "adoption_pessimistic",
    "adoption_base",
    "adoption_optimistic",
    "planned_monthly_run_cost",
    "planned_monthly_support_cost",
    "planned_monthly_maintenance_cost",
    "one_off_integration_cost",
    "one_off_training_cost",
)


def _quantized(value, places: Decimal) -> str:
    with decimal.localcontext(prec=60):
        return str(Decimal(value).quantize(places, rounding=decimal.ROUND_HALF_UP))


def money(value) -> str:
    """An amount as the API returns it: a string with 2 decimals, rounded half up."""
    return _quantized(value, MONEY_PLACES)


def fraction(value) -> str:
    """A 0..1 fraction as the API returns it: a string with 4 decimals, rounded half up."""
    return _quantized(value, FRACTION_PLACES)


MONEY_SCHEMA = {
    "type": "string",
    "format": "decimal",
    "pattern": r"^-?\d+\.\d{2}$",
    "example": "1234.50",
    "description": "Money: a string with 2 decimals.",
}
FRACTION_SCHEMA = {
    "type": "string",
    "format": "decimal",
    "pattern": r"^-?\d+\.\d{4}$",
    "example": "0.6000",
    "description": "A fraction 0..1 as a string with 4 decimals.",
}


@extend_schema_field(MONEY_SCHEMA)
class MoneyField(serializers.Field):
    """A computed amount of money (read-only): a string with 2 decimals."""

    def __init__(self, **kwargs):
        kwargs["read_only"] = True
        super().__init__(**kwargs)

    def to_representation(self, value):
        return money(value)


@extend_schema_field(FRACTION_SCHEMA)
class FractionField(serializers.Field):
    """A computed fraction 0..1 (read-only): a string with 4 decimals."""

    def __init__(self, **kwargs):
        kwargs["read_only"] = True
        super().__init__(**kwargs)

    def to_representation(self, value):
        return fraction(value)


class RejectUnknownFieldsMixin:
    """A request body key that is not a field of the serializer is a 400, not silently dropped."""

    def to_internal_value(self, data):
        if isinstance(data, Mapping):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError(
                    {name: ["Unknown field: not part of this resource."] for name in unknown}
                )
        return super().to_internal_value(data)


def is_plain_id(data) -> bool:
    """A JSON integer or a string of ASCII digits: the only ways to write an id."""
    if isinstance(data, bool):
        return False
    return isinstance(data, int) or (isinstance(data, str) and data.isascii() and data.isdigit())


class IdField(serializers.PrimaryKeyRelatedField):
    """An object by id, written as a JSON integer or a string of ASCII digits, nothing else.

    ``int()`` (and so DRF's own field) also reads ``2.0``, ``" 2"``, ``"+2"`` or ``"٢"`` as 2,
    after the view's visibility check looked only for plain ids: a use case one may not see then
    answered differently from one that does not exist. ``1e400`` (a float infinity once parsed)
    made ``int()`` raise ``OverflowError``: a 500. Any other spelling is refused here with one
    message, whether or not such an object exists."""

    default_error_messages = {
        "not_an_id": "An id is a whole number written with the digits 0-9, e.g. 42.",
    }

    def to_internal_value(self, data):
        if not is_plain_id(data):
            self.fail("not_an_id")
        return super().to_internal_value(data)


class UsernameField(serializers.SlugRelatedField):
    """A user by ``username``. A name holding a NUL character is "no such user" (a 400): looking
    it up would make PostgreSQL refuse the query (a 500)."""

    def __init__(self, **kwargs):
        super().__init__(slug_field="username", **kwargs)

    def to_internal_value(self, data):
        if isinstance(data, str) and "\x00" in data:
            self.fail("does_not_exist", slug_name=self.slug_field, value=data.replace("\x00", ""))
        return super().to_internal_value(data)


class UseCaseSerializer(ClassFieldsMixin, RejectUnknownFieldsMixin, serializers.ModelSerializer):
    value_owner = UsernameField(
        queryset=active_users(),
        allow_null=True,
        required=False,
        help_text="Username of the one person accountable for the net value (may be empty).",
    )
    contributors = UsernameField(
        queryset=active_users(),
        many=True,
        required=False,
        help_text="Usernames of the people who may submit reviews for this use case.",
    )
    change_reason = serializers.CharField(
        write_only=True,
        required=False,
        allow_blank=True,
        trim_whitespace=True,
        help_text="Why the stage or funding changes (PATCH). Required when a PATCH changes "
        "`stage` or `funding_status` (outside a gate decision): kept in the audit "
        "(StageTransition) and sent to the value owner. Leaving redesign while a stop-loss "
        "flag is open is refused at `stage` whatever the reason: resolve the flag, or decide "
        "at a gate.",
    )

    class Meta:
        model = UseCase
        fields = [
            "id",
            "name",
            "description",
            "business_unit",
            "workflow",
            "stage",
            "value_owner",
            "contributors",
            "target_users",
            "live_since",
            "scaled_on",
            "funding_status",
            "change_reason",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]
        # Uniqueness is the database's and the service's job (one message for pages and API).
        extra_kwargs = {"name": {"validators": []}}
        validators = []

    def to_representation(self, instance):
        data = super().to_representation(instance)
        # Contributors in a stable order, whatever order the database returns them in.
        data["contributors"] = sorted(data["contributors"])
        return data


class BusinessCaseSerializer(
    ClassFieldsMixin, RejectUnknownFieldsMixin, serializers.ModelSerializer
):
    """Every field of the business case. PUT replaces it whole: every field is required."""

    class Meta:
        model = BusinessCase
        fields = [*BUSINESS_CASE_FIELDS, "updated_at"]
        read_only_fields = ["updated_at"]
        extra_kwargs = {name: {"required": True} for name in BUSINESS_CASE_FIELDS}


class ScenarioForecastSerializer(serializers.Serializer):
    """One adoption scenario's weekly run-rate at full scale (DESIGN.md "Scenario forecast")."""

    scenario = serializers.ChoiceField(choices=["pessimistic", "base", "optimistic"])
    adoption = FractionField()
    weekly_gross = MoneyField()
    weekly_net = MoneyField()
    first_year_net = MoneyField()


class ModelChangeSerializer(
    ClassFieldsMixin, RejectUnknownFieldsMixin, serializers.ModelSerializer
):
    use_case = IdField(queryset=UseCase.objects.all())
    created_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )

    class Meta:
        model = ModelChange
        fields = [
            "id",
            "use_case",
            "version_label",
            "kind",
            "effective_date",
            "description",
            "created_by",
            "created_at",
        ]
        read_only_fields = ["created_at"]
        # The unique label per use case is checked by the service (a field message).
        validators = []
