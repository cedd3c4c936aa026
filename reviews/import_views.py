"""Bulk import of weekly reviews: upload → preview → confirm (``reviews.bulk_import``).

1. ``weekly_import`` GET: the upload form with the file format; POST: reads the file, validates
   every row exactly as the import would (and rolls back) and shows the preview: the errors per
   row and column, or the rows to import with what they would raise. A file that cannot be read
   at all (type, size, a bomb, malformed XML, no header) or no file: the upload page again with
   the reason, status 400.
2. ``weekly_import_confirm`` POST: imports the rows of the preview, validated again; nothing is
   imported unless every row is valid. The preview's rows wait in the session (never the file)
   under a one-time token, so the confirm needs no second upload and a stale or replayed
   confirm is refused.
3. ``weekly_import_template`` GET: the header row as a CSV file to fill in.

Access (``usecases.permissions.can_import_reviews``): the value owner, contributors, admins and
the PMO; anyone else who may see the use case gets 403, an outsider 404.
"""

import uuid

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from usecases.models import UseCase
from usecases.permissions import can_import_reviews, get_use_case_for_user

from . import bulk_import
from .models import WeeklyReview

UPLOAD_TEMPLATE = "reviews/import.html"
PREVIEW_TEMPLATE = "reviews/import_preview.html"


class WeeklyImportForm(forms.Form):
    file = forms.FileField(
        label="CSV or XLSX file",
        help_text=f"At most {bulk_import.MAX_SIZE} and {bulk_import.MAX_ROWS} rows; "
        "the first row names the columns.",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx"}),
    )


def _use_case_for(user, pk) -> UseCase:
    return get_use_case_for_user(user, pk, check=can_import_reviews)


def _session_key(use_case: UseCase) -> str:
    return f"weekly-import:{use_case.pk}"


def _columns() -> list[dict]:
    """The file's columns as the page documents them: the model fields' labels and help."""
    fields = [WeeklyReview._meta.get_field(name) for name in bulk_import.COLUMNS]
    return [
        {
            "name": field.name,
            "label": field.verbose_name,
            "help": field.help_text,
            "required": field.name not in bulk_import.OPTIONAL,
            "example": bulk_import.EXAMPLES.get(field.name, ""),
        }
        for field in fields
    ]


def _upload_page(request, use_case, form, errors=(), status=200):
    return render(
        request,
        UPLOAD_TEMPLATE,
        {
            "use_case": use_case,
            "form": form,
            "file_errors": list(errors),
            "columns": _columns(),
            "max_rows": bulk_import.MAX_ROWS,
            "max_size": bulk_import.MAX_SIZE,
        },
        status=status,
    )


def _preview_page(request, use_case, result, *, filename, token=None):
    return render(
        request,
        PREVIEW_TEMPLATE,
        {
            "use_case": use_case,
            "result": result,
            "filename": filename,
            "token": token,
            "columns": bulk_import.COLUMNS,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def weekly_import(request, use_case_pk):
    use_case = _use_case_for(request.user, use_case_pk)
    if request.method == "GET":
        return _upload_page(request, use_case, WeeklyImportForm())
    form = WeeklyImportForm(request.POST, request.FILES)
    if not form.is_valid():
        return _upload_page(request, use_case, form, status=400)
    parsed = bulk_import.parse_weekly_file(form.cleaned_data["file"])
    if parsed.errors:
        return _upload_page(request, use_case, form, parsed.errors, status=400)
    result = bulk_import.weekly_reviews_import(
        user=request.user, use_case=use_case, rows=parsed.rows, commit=False
    )
    token = None
    if result.ok:
        token = uuid.uuid4().hex
        request.session[_session_key(use_case)] = {
            "token": token,
            "filename": parsed.filename,
            "rows": [[number, values] for number, values in parsed.rows],
        }
    else:
        request.session.pop(_session_key(use_case), None)
    return _preview_page(request, use_case, result, filename=parsed.filename, token=token)


@login_required
@require_POST
def weekly_import_confirm(request, use_case_pk):
    use_case = _use_case_for(request.user, use_case_pk)
    key = _session_key(use_case)
    stored = request.session.get(key)
    if not stored or stored.get("token") != request.POST.get("token"):
        messages.error(
            request,
            "This import preview is no longer valid (already imported, replaced by another "
            "upload, or your session ended). Upload the file again.",
        )
        return redirect("reviews:weekly_import", use_case_pk=use_case.pk)
    del request.session[key]
    rows = [(int(number), dict(values)) for number, values in stored["rows"]]
    result = bulk_import.weekly_reviews_import(
        user=request.user, use_case=use_case, rows=rows, commit=True
    )
    if not result.committed:
        messages.error(
            request,
            "Nothing was imported: some rows are no longer valid (the data changed since the "
            "preview). Fix them and upload the file again.",
        )
        return _preview_page(request, use_case, result, filename=stored["filename"])
    count = result.imported
    messages.success(
        request,
        f"{count} weekly review{'s' if count != 1 else ''} imported from {stored['filename']}.",
    )
    return redirect(f"{reverse('usecases:detail', args=[use_case.pk])}#reviews")


@login_required
@require_GET
def weekly_import_template(request, use_case_pk):
    _use_case_for(request.user, use_case_pk)
    response = HttpResponse(bulk_import.template_csv(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="weekly-reviews-template.csv"'
    return response
