"""The PMO's model price table: writes (atomic, audited by who saved them)."""

from django.db import transaction

from .telemetry_models import ModelPrice

FIELDS = ("model", "input_per_million", "output_per_million", "currency", "effective_from")


@transaction.atomic
def model_price_save(*, user, data: dict, price: ModelPrice | None = None) -> ModelPrice:
    price = price or ModelPrice(created_by=user)
    for field in FIELDS:
        if field in data:
            setattr(price, field, data[field])
    price.full_clean()
    price.save()
    return price


@transaction.atomic
def model_price_delete(*, user, price: ModelPrice) -> None:
    price.delete()
