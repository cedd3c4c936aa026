"""The portfolio's evidence pack built by a REAL Celery worker process on the test Redis and
PostgreSQL (tests/worker_support.py): the task runs twice and builds once, and the PMO downloads
the stored ZIP, whose manifest hashes all verify and whose gate pack PDF opens."""

import hashlib
import io
import json
import zipfile

import pytest
from django.db import connection
from django.urls import reverse
from pypdf import PdfReader

from portfolio.models import EvidencePack, EvidencePackStatus
from stagegates import services
from tests.conftest import make_use_case, make_user
from tests.stagegates.helpers import NOW, create_gate, weekly
from tests.worker_support import celery_worker, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.postgres]

TASK = "portfolio.tasks.build_evidence_pack"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_real_worker_builds_the_portfolio_pack(client, tmp_path, settings, time_machine):
    if connection.vendor != "postgresql":
        pytest.skip("the worker process shares the test database: PostgreSQL only")
    settings.VALUEGATE_EVIDENCE_PACK_SYNC_MAX_USE_CASES = 1
    time_machine.move_to(NOW, tick=False)
    pmo = make_user("pia", "PMO")
    leader = make_user("lena", "Leadership")
    first = make_use_case(owner=make_user("olivia"))
    make_use_case("Invoice matching", owner=make_user("oscar"))
    weekly(first, "2026-W47")
    gate = create_gate(pmo, leader)
    assert gate.items.count() == 2
    services.gate_open_voting(user=pmo, gate=gate)
    job = EvidencePack.objects.create(requested_by=pmo, requested_at=NOW)

    with celery_worker(tmp_path, concurrency=1) as worker:
        worker.producer.send_task(TASK, args=[job.pk])
        worker.producer.send_task(TASK, args=[job.pk])  # twice: built once
        wait_for(
            lambda: (
                EvidencePack.objects.filter(pk=job.pk)
                .exclude(status=EvidencePackStatus.PENDING)
                .exists()
            ),
            timeout=180,
            worker=worker,
        )
        worker.wait_idle()
        log = worker.log()
    assert "Traceback" not in log, log[-4000:]
    assert log.count(f"Task {TASK}[") >= 2 + 2  # 2 received, 2 succeeded
    assert "nothing to do" in log
    job.refresh_from_db()
    assert job.status == EvidencePackStatus.READY, job.error

    client.force_login(pmo)
    page = client.get(reverse("portfolio:evidence")).content.decode()
    assert "Download the portfolio evidence pack (ZIP)" in page
    response = client.get(reverse("portfolio:evidence_pack"))
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    data = b"".join(response.streaming_content)
    assert hashlib.sha256(data).hexdigest() == job.sha256 and len(data) == job.size
    archive = zipfile.ZipFile(io.BytesIO(data))
    manifest = json.loads(archive.read("manifest.json"))
    assert manifest["generated_by"]["username"] == "pia"
    assert [u["name"] for u in manifest["use_cases"]] == [
        "Customer-response assistant",
        "Invoice matching",
    ]
    for entry in manifest["files"]:
        assert hashlib.sha256(archive.read(entry["path"])).hexdigest() == entry["sha256"]
    pdfs = [e["path"] for e in manifest["files"] if e["path"].endswith(".pdf")]
    assert len(pdfs) == 2
    for pdf in pdfs:
        text = PdfReader(io.BytesIO(archive.read(pdf))).pages[0].extract_text()
        assert "GATE 2026-Q4 (VOTING OPEN)" in text
