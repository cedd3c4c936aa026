"""The gate pack PDF pages: the gate's and an item's PDF, and for large gates the request to
prepare it in the background and its status (an htmx fragment polled while pending). Object
permissions as the pack pages (``permissions.get_*_for_user``: 404 for who may not see them)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from . import pack_pdf, pack_pdf_jobs
from . import permissions as perms


def pdf_response(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"  # the reader's own (blind voting)
    return response


def status_context(gate, user) -> dict:
    """What the gate page's PDF box shows: a direct link, or (large gates) the latest request."""
    background = pack_pdf_jobs.runs_in_background(gate, viewer=user)
    # Read whatever the gate's size, so the page's queries do not depend on it.
    job = pack_pdf_jobs.current_pdf(gate, viewer=user)
    return {"gate": gate, "pdf_background": background, "pdf_job": job if background else None}


@require_GET
@login_required
def gate_pdf(request, pk):
    gate = perms.get_gate_for_user(request.user, pk)
    filename = pack_pdf.gate_filename(gate)
    if not pack_pdf_jobs.runs_in_background(gate, viewer=request.user):
        return pdf_response(pack_pdf.render_gate_pdf(gate, viewer=request.user), filename)
    ready = pack_pdf_jobs.ready_pdf(gate, viewer=request.user)
    if ready is None:
        messages.info(
            request, "This gate's pack is large: prepare its PDF first; it is offered here."
        )
        return redirect(gate.get_absolute_url() + "#pack-pdf")
    return pdf_response(bytes(ready.pdf), filename)


@require_POST
@login_required
def gate_pdf_prepare(request, pk):
    gate = perms.get_gate_for_user(request.user, pk)
    if not pack_pdf_jobs.runs_in_background(gate, viewer=request.user):
        return redirect("stagegates:gate_pdf", pk=gate.pk)  # small: rendered on the spot
    pack_pdf_jobs.request_pdf(gate, viewer=request.user)
    if request.htmx:
        return render(request, "stagegates/_pack_pdf.html", status_context(gate, request.user))
    messages.success(request, "The PDF is being prepared; it is offered below when ready.")
    return redirect(gate.get_absolute_url() + "#pack-pdf")


@require_GET
@login_required
def gate_pdf_status(request, pk):
    gate = perms.get_gate_for_user(request.user, pk)
    return render(request, "stagegates/_pack_pdf.html", status_context(gate, request.user))


@require_GET
@login_required
def item_pdf(request, pk):
    item = perms.get_item_for_user(request.user, pk)
    data = pack_pdf.render_item_pdf(item, viewer=request.user)
    return pdf_response(data, pack_pdf.item_filename(item))
