"""One review per use case and period (a database constraint), written once: the lookup of the
review a new one would duplicate, the ``DuplicateReview`` error ``reviews.services`` raises, and
its message — plain for the API and the bulk import, with a link for the pages."""

from django.core.exceptions import ValidationError
from django.utils.html import format_html


def existing_review(model, *, use_case, period: str | None):
    """The ``model`` review (weekly or monthly) of ``use_case`` for ``period``, or None."""
    if not period:
        return None
    field = model.period_field
    return (
        model.objects.filter(use_case=use_case, **{field: period})
        .only("pk", field, "use_case_id")
        .first()
    )


def duplicate_message(existing) -> str:
    """``A weekly review for 2026-W47 already exists (review #12, /reviews/weekly/12/): correct
    that one instead.``"""
    period = getattr(existing, existing.period_field)
    return (
        f"A {existing._meta.verbose_name} for {period} already exists "
        f"(review #{existing.pk}, {existing.get_absolute_url()}): correct that one instead."
    )


def linked_duplicate_message(existing):
    """The message for a page: the existing review's URL rendered as a link."""
    message, url = duplicate_message(existing), existing.get_absolute_url()
    before, _, after = message.partition(f"review #{existing.pk}, {url}")
    return format_html('{}<a href="{}">review #{}</a>{}', before, url, existing.pk, after)


class DuplicateReview(ValidationError):
    """A review of the same use case and period exists (``existing``); nothing was written.

    A ``ValidationError`` on the period field with ``duplicate_message``: the API answers it with
    a 400 that names the existing review, the pages link to it, the bulk import reports it at
    the row's ``week``."""

    def __init__(self, existing):
        self.existing = existing
        self.period_field = existing.period_field
        super().__init__({self.period_field: [duplicate_message(existing)]})
