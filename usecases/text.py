"""Rules on the text people type, shared by every app (issue 13): names are one line, free text
has a length limit. Both live on the model fields, so forms, API serializers, services
(``full_clean``) and the weekly review import all apply them.

- ``single_line``: names and labels refuse control characters (line breaks, tabs, NUL, …) and
  the Unicode line and paragraph separators. A name with a line break once broke every e-mail
  about its use case (the subject header); ``usecases.notify`` builds subjects safely anyway.
- ``free_text(max_length)``: a ``TextField`` whose limit is enforced everywhere (Django checks
  a ``TextField``'s ``max_length`` only in forms, so the validator is added explicitly).
  ``NOTE_MAX`` (5,000 characters, about two pages) for notes, evidence and descriptions;
  ``RATIONALE_MAX`` for decisions. A 2 MB note is refused with a field message.
"""

import unicodedata

from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.db import models
from django.utils.deconstruct import deconstructible

NOTE_MAX = 5_000
RATIONALE_MAX = 10_000


def control_characters(text: str) -> list[str]:
    """The control characters of ``text`` (category Cc, line and paragraph separators)."""
    return [c for c in text if unicodedata.category(c) in ("Cc", "Zl", "Zp")]


def single_line(value) -> None:
    """Validator: no line breaks, tabs or other control characters."""
    if isinstance(value, str) and control_characters(value):
        raise ValidationError(
            "Use one line of text: line breaks, tabs and other control characters are not "
            "allowed here.",
            code="control_characters",
        )


@deconstructible
class MaxLength(MaxLengthValidator):
    """``MaxLengthValidator`` with the message people need: how long it is, and the limit."""

    message = "At most %(limit_value)s characters (this text has %(show_value)s)."


def free_text(max_length: int = NOTE_MAX, **kwargs) -> models.TextField:
    return models.TextField(max_length=max_length, validators=[MaxLength(max_length)], **kwargs)


def check_field(model, name: str, value, key: str | None = None) -> None:
    """Run the validators of ``model``'s field ``name`` on ``value`` (for services that write a
    field without ``full_clean``); errors come back under ``key`` (default: ``name``)."""
    try:
        model._meta.get_field(name).run_validators(value)
    except ValidationError as exc:
        raise ValidationError({key or name: exc.messages}) from None
