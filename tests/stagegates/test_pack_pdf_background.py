"""Large gates: the pack PDF is prepared by a Celery task and offered when ready (issue 19).

``VALUEGATE_PACK_PDF_SYNC_MAX_ITEMS`` is 1 here, so the two-item gate of the fixtures counts as
large. In-process tests run the task eagerly after commit (tests/conftest.py); the last test
runs it in a REAL worker process on the test Redis and PostgreSQL (tests/worker_support.py).
"""

import io
import re

import pytest
from django.db import connection
from django.urls import reverse
from pypdf import PdfReader
from rest_framework.test import APIClient

from stagegates import pack_pdf_jobs, services, voting
from stagegates.models import PackPdf, PackPdfStatus
from tests.conftest import api_token
from tests.worker_support import celery_worker, wait_for
from usecases import clock

from .helpers import item_of

TASK = "stagegates.tasks.render_pack_pdf"


def pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return re.sub(r"\s+", " ", " ".join(page.extract_text() for page in reader.pages))


@pytest.fixture(autouse=True)
def _large_from_two_items(settings):
    settings.VALUEGATE_PACK_PDF_SYNC_MAX_ITEMS = 1


@pytest.mark.django_db
def test_the_gate_page_prepares_the_pdf_then_offers_it(
    voting_gate, leader, client, django_capture_on_commit_callbacks
):
    client.force_login(leader)
    page = client.get(voting_gate.get_absolute_url()).content.decode()
    assert "Prepare the gate pack PDF" in page
    # asking for the file before it is prepared: back to the gate page, with a word
    response = client.get(reverse("stagegates:gate_pdf", args=[voting_gate.pk]))
    assert response.status_code == 302 and response["Location"].endswith("#pack-pdf")

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        client.post(reverse("stagegates:gate_pdf_prepare", args=[voting_gate.pk]))
    job = PackPdf.objects.get()
    assert (job.viewer, job.status, job.gate_status) == (leader, "pending", "voting")
    status = client.get(reverse("stagegates:gate_pdf_status", args=[voting_gate.pk]))
    assert "being prepared" in status.content.decode()
    assert 'hx-trigger="every 3s"' in status.content.decode()  # the page polls while pending
    # asking again while pending reuses the request
    client.post(reverse("stagegates:gate_pdf_prepare", args=[voting_gate.pk]))
    assert PackPdf.objects.count() == 1

    for callback in callbacks:  # the task, run eagerly in this process
        callback()
    job.refresh_from_db()
    assert job.status == PackPdfStatus.READY and job.size == len(bytes(job.pdf)) > 1000
    page = client.get(voting_gate.get_absolute_url()).content.decode()
    assert "Download the gate pack (PDF)" in page
    response = client.get(reverse("stagegates:gate_pdf", args=[voting_gate.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    assert "Customer-response assistant" in text and "Invoice matching" in text


@pytest.mark.django_db
def test_a_file_is_its_readers_and_of_the_gates_status(
    voting_gate, use_case, leader, leader2, pmo, django_capture_on_commit_callbacks
):
    item = item_of(voting_gate, use_case)
    voting.vote_cast(user=leader, item=item, choice="stop", rationale="Rework eats the value.")
    with django_capture_on_commit_callbacks(execute=True):
        pack_pdf_jobs.request_pdf(voting_gate, viewer=leader)
    assert "Rework eats the value" in pdf_text(
        bytes(pack_pdf_jobs.ready_pdf(voting_gate, viewer=leader).pdf)
    )
    # leader2 (not voted) never gets leader's file
    assert pack_pdf_jobs.ready_pdf(voting_gate, viewer=leader2) is None
    with django_capture_on_commit_callbacks(execute=True):
        pack_pdf_jobs.request_pdf(voting_gate, viewer=leader2)
    assert "Rework eats the value" not in pdf_text(
        bytes(pack_pdf_jobs.ready_pdf(voting_gate, viewer=leader2).pdf)
    )
    # once the gate closes, the files made while voting are out of date
    gate = services.gate_close(user=pmo, gate=voting_gate)
    assert pack_pdf_jobs.ready_pdf(gate, viewer=leader) is None
    assert pack_pdf_jobs.current_pdf(gate, viewer=leader) is None


@pytest.mark.django_db
def test_the_api_answers_202_until_the_file_is_ready(
    voting_gate, pmo, outsider, django_capture_on_commit_callbacks
):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token(pmo)}")
    url = f"/api/v1/gates/{voting_gate.pk}/pack.pdf"
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        first = client.get(url)
    assert first.status_code == 202
    assert first.json()["status"] == "pending" and first["Retry-After"] == "5"
    assert client.get(url).status_code == 202  # still pending: the same request
    assert PackPdf.objects.count() == 1
    for callback in callbacks:
        callback()
    ready = client.get(url)
    assert ready.status_code == 200 and ready["Content-Type"] == "application/pdf"
    assert "Gate 2026-Q4" in pdf_text(ready.content)
    # someone who may not see the gate: 404, and no request made for them
    other = APIClient()
    other.credentials(HTTP_AUTHORIZATION=f"Token {api_token(outsider)}")
    assert other.get(url).status_code == 404
    assert not PackPdf.objects.filter(viewer=outsider).exists()


@pytest.mark.django_db
def test_a_failed_render_is_said_and_can_be_asked_again(voting_gate, pmo, client, monkeypatch):
    from stagegates import pack_pdf

    def broken(*args, **kwargs):
        raise RuntimeError("no fonts")

    monkeypatch.setattr(pack_pdf, "render_gate_pdf", broken)
    job = PackPdf.objects.create(
        gate=voting_gate, viewer=pmo, gate_status="voting", requested_at=clock.now()
    )
    assert pack_pdf_jobs.render_job(job.pk).startswith("failed")
    client.force_login(pmo)
    page = client.get(voting_gate.get_absolute_url()).content.decode()
    assert "Rendering the PDF failed; try again." in page
    assert "Prepare the gate pack PDF" in page
    assert pack_pdf_jobs.render_job(job.pk) == "nothing to do"  # done once


@pytest.mark.worker
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_real_worker_prepares_the_pdf(voting_gate, leader, client, tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("the worker process shares the test database: PostgreSQL only")
    job = PackPdf.objects.create(
        gate=voting_gate,
        viewer=leader,
        gate_status=voting_gate.status,
        requested_at=clock.now(),
    )
    with celery_worker(tmp_path, concurrency=1) as worker:
        worker.producer.send_task(TASK, args=[job.pk])
        worker.producer.send_task(TASK, args=[job.pk])  # twice: done once
        wait_for(
            lambda: PackPdf.objects.filter(pk=job.pk, status=PackPdfStatus.READY).exists(),
            timeout=120,
            worker=worker,
        )
        worker.wait_idle()
        log = worker.log()
    assert "Traceback" not in log, log[-4000:]
    assert log.count(f"Task {TASK}[") >= 2 + 2  # 2 received, 2 succeeded
    assert "nothing to do" in log
    client.force_login(leader)
    page = client.get(voting_gate.get_absolute_url()).content.decode()
    assert "Download the gate pack (PDF)" in page
    response = client.get(reverse("stagegates:gate_pdf", args=[voting_gate.pk]))
    assert response.status_code == 200
    text = pdf_text(response.content)
    assert "Gate 2026-Q4" in text and "1. Customer-response assistant" in text
