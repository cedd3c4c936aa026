"""The PMO's model price page: the price table, a form to add a price, deleting one, and the
models whose tokens no price covers (never costed at zero). PMO only (403 for anyone else)."""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from usecases.permissions import can_manage_model_prices

from . import model_prices, telemetry_figures
from .telemetry_models import ModelPrice


class ModelPriceForm(forms.ModelForm):
    class Meta:
        model = ModelPrice
        fields = model_prices.FIELDS
        widgets = {"effective_from": forms.DateInput(attrs={"type": "date"})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["currency"].initial = settings.VALUEGATE_CURRENCY

    def clean_currency(self):
        value = self.cleaned_data["currency"].strip().upper()
        if len(value) != 3 or not value.isascii() or not value.isalpha():
            raise ValidationError("Three letters, like EUR (ISO 4217).")
        return value

    def clean_model(self):
        return self.cleaned_data["model"].strip()


def _require_pmo(user) -> None:
    if not can_manage_model_prices(user):
        raise PermissionDenied("Only the PMO keeps the model prices.")


@login_required
def model_price_list(request):
    _require_pmo(request.user)
    form = ModelPriceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            price = model_prices.model_price_save(user=request.user, data=form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(
                request, f"Price of {price.model} from {price.effective_from:%-d %b %Y} saved."
            )
            return redirect("reviews:model_prices")
    return render(
        request,
        "reviews/model_prices.html",
        {
            "form": form,
            "prices": ModelPrice.objects.order_by("model", "-effective_from"),
            "unpriced": telemetry_figures.unpriced_models(),
        },
    )


@require_POST
@login_required
def model_price_delete(request, pk):
    _require_pmo(request.user)
    price = get_object_or_404(ModelPrice, pk=pk)
    model_prices.model_price_delete(user=request.user, price=price)
    messages.success(request, f"Price of {price.model} from {price.effective_from} deleted.")
    return redirect("reviews:model_prices")
