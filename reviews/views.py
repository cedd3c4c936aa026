"""Weekly and monthly review pages (being built: see the reviews issue)."""

from django.http import Http404


def _not_built(*args, **kwargs):
    raise Http404("Not built yet.")


weekly_new = weekly_edit = weekly_preview = _not_built
monthly_new = monthly_edit = monthly_preview = _not_built
