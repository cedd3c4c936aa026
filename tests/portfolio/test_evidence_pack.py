"""The evidence pack (issue 19): a use case's ZIP and the portfolio's.

Time is frozen at Wednesday 2026-11-25 (2026-W48, quarter 2026-Q4). The ZIPs are opened as an
auditor would: every manifest hash recomputed, the PDFs read with pypdf, controls.csv's files
looked up in the archive. The background path of a large portfolio runs eagerly here (after
commit) and in a real worker in ``test_evidence_pack_worker.py``.
"""

from __future__ import annotations

import csv
import datetime
import hashlib
import io
import json
import zipfile
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from pypdf import PdfReader
from rest_framework.test import APIClient

from portfolio import evidence_controls, evidence_jobs, evidence_pack
from portfolio.evidence_files import FILES, GATE_PACKS
from portfolio.models import EvidencePack, EvidencePackChunk
from stagegates import decisions, services, voting
from tests.conftest import api_token, make_use_case, make_user
from tests.factories import FlagFactory, ModelChangeFactory
from tests.stagegates.helpers import NOW, create_gate, item_of, monthly, open_voting, weekly
from usecases.models import ChecklistAnswer

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _frozen_time():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def leader2(db):
    return make_user("leo", "Leadership", first_name="Leo", last_name="Leader")


def api(user) -> APIClient:
    client = APIClient()
    if user is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Token {api_token(user)}")
    return client


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def open_zip(response) -> zipfile.ZipFile:
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"] == "application/zip"
    return zipfile.ZipFile(io.BytesIO(body(response)))


def verified_manifest(archive: zipfile.ZipFile) -> dict:
    """The manifest, after checking that it lists every other member exactly once with its
    SHA-256 and size."""
    manifest = json.loads(archive.read("manifest.json"))
    listed = {f["path"]: f for f in manifest["files"]}
    assert len(listed) == len(manifest["files"])
    assert set(listed) == set(archive.namelist()) - {"manifest.json"}
    for path, entry in listed.items():
        data = archive.read(path)
        assert entry["sha256"] == hashlib.sha256(data).hexdigest(), path
        assert entry["size"] == len(data), path
    return manifest


def read_csv(archive, path) -> list[dict]:
    return list(csv.DictReader(io.StringIO(archive.read(path).decode("utf-8"))))


def pdf_text(data: bytes) -> str:
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


@pytest.fixture
def evidenced(use_case, owner, pmo, leader):
    """``use_case`` with reviews, a flag the PMO resolved, a logged change, a checklist answer,
    and a closed 2026-Q4 gate with a vote and the chair's decision."""
    change = ModelChangeFactory(
        use_case=use_case, version_label="v2", effective_date=datetime.date(2026, 10, 1)
    )
    weekly(use_case, "2026-W46", model_version=change)
    weekly(use_case, "2026-W47", model_version=change, quality_score=Decimal("90"))
    monthly(use_case, "2026-10")
    flag = FlagFactory(use_case=use_case, period="2026-W46")
    from reviews.flags import flag_resolve

    flag_resolve(user=pmo, flag=flag, note="Rework back under the threshold.")
    ChecklistAnswer.objects.create(
        use_case=use_case, item="G1", answer="yes", evidence="Olivia owns it.", updated_by=owner
    )
    gate = open_voting(create_gate(pmo, leader), pmo)
    item = item_of(gate, use_case)
    voting.vote_cast(user=leader, item=item, choice="scale", rationale="Value holds.")
    gate = services.gate_close(user=pmo, gate=gate)
    decisions.decision_record(
        user=leader, item=item_of(gate, use_case), decision="scale", rationale="Scale it."
    )
    return use_case


# --- a use case's pack ------------------------------------------------------------------------


def test_a_use_case_pack_holds_its_records_and_every_hash_verifies(
    evidenced, owner, client, settings
):
    settings.VALUEGATE_SITE_NAME = "Acme governance"
    settings.VALUEGATE_BASE_URL = "https://valuegate.acme.example"
    client.force_login(owner)
    response = client.get(reverse("portfolio:use_case_evidence_pack", args=[evidenced.pk]))
    assert 'filename="evidence-pack-use-case-' in response["Content-Disposition"]
    archive = open_zip(response)
    manifest = verified_manifest(archive)

    assert manifest["generated_by"]["username"] == "olivia"
    assert manifest["installation"] == {
        "name": "Acme governance",
        "url": "https://valuegate.acme.example",
    }
    assert manifest["valuegate_version"] == settings.VALUEGATE_VERSION != ""
    assert manifest["generated_at"].startswith("2026-11-25T10:00")
    assert manifest["scope"] == "use_case"
    folder = evidence_pack.folder_of(evidenced)
    assert manifest["use_cases"] == [
        {
            "id": evidenced.pk,
            "name": "Customer-response assistant",
            "folder": folder,
            "stage": "scaled",  # the chair's decision
            "value_owner": "Olivia Owner (olivia)",
        }
    ]

    weeks = read_csv(archive, folder + "weekly-reviews.csv")
    assert [(w["week"], w["model_version"], w["quality_score"]) for w in weeks] == [
        ("2026-W46", "v2", "85.00"),
        ("2026-W47", "v2", "90.00"),
    ]
    assert [m["month"] for m in read_csv(archive, folder + "monthly-reviews.csv")] == ["2026-10"]
    (flag,) = read_csv(archive, folder + "flags.csv")
    assert flag["state"] == "Resolved by the PMO"
    assert flag["resolution_note"] == "Rework back under the threshold."
    assert flag["resolved_by"] == "Pia PMO (pia)"
    (change,) = read_csv(archive, folder + "change-log.csv")
    assert (change["version_label"], change["weeks_reviewed_on_version"]) == ("v2", "2")
    assert change["mean_quality_score"] == "87.50"
    checklist = {row["item"]: row for row in read_csv(archive, folder + "checklist.csv")}
    assert len(checklist) == 15
    assert (checklist["G1"]["answer"], checklist["G1"]["evidence"]) == ("yes", "Olivia owns it.")
    assert checklist["G3"]["data_evidence"].startswith("Last decision: scale at gate 2026-Q4")
    (decision,) = read_csv(archive, folder + "gate-decisions.csv")
    assert (decision["gate"], decision["decision"], decision["rationale"]) == (
        "2026-Q4",
        "scale",
        "Scale it.",
    )
    # The value owner never sees individual votes (blind voting and the closed-gate rule).
    assert read_csv(archive, folder + "gate-votes.csv") == []
    (transition,) = read_csv(archive, folder + "stage-transitions.csv")
    assert (transition["stage_before"], transition["stage_after"], transition["cause"]) == (
        "rollout",
        "scaled",
        "gate_decision",
    )
    history = read_csv(archive, folder + "business-case-history.csv")
    assert history and history[-1]["action"] == "created"
    audit = read_csv(archive, folder + "audit-history.csv")
    assert {row["record"] for row in audit} == {"Use case", "Business case"}

    pdfs = [name for name in archive.namelist() if name.endswith(".pdf")]
    assert pdfs == [folder + decision["gate_pack"]]
    text = pdf_text(archive.read(pdfs[0]))
    assert "Customer-response assistant" in text and "Scale it." in text


def test_the_votes_are_those_the_reader_may_see(evidenced, leader):
    archive = open_zip(api(leader).get(f"/api/v1/use-cases/{evidenced.pk}/evidence-pack.zip"))
    verified_manifest(archive)
    folder = evidence_pack.folder_of(evidenced)
    (vote,) = read_csv(archive, folder + "gate-votes.csv")
    assert (vote["voter"], vote["choice"], vote["rationale"]) == (
        "Lena Leader (lena)",
        "scale",
        "Value holds.",
    )


def test_blind_voting_holds_in_the_pack_while_voting_is_open(use_case, pmo, leader, leader2):
    gate = open_voting(create_gate(pmo, leader), pmo)
    voting.vote_cast(
        user=leader, item=item_of(gate, use_case), choice="stop", rationale="Rework eats it."
    )
    folder = evidence_pack.folder_of(use_case)
    not_voted = open_zip(api(leader2).get(f"/api/v1/use-cases/{use_case.pk}/evidence-pack.zip"))
    assert read_csv(not_voted, folder + "gate-votes.csv") == []
    (pdf,) = [n for n in not_voted.namelist() if n.endswith(".pdf")]
    assert "Rework eats it" not in pdf_text(not_voted.read(pdf))
    voted = open_zip(api(leader).get(f"/api/v1/use-cases/{use_case.pk}/evidence-pack.zip"))
    assert [v["rationale"] for v in read_csv(voted, folder + "gate-votes.csv")] == [
        "Rework eats it."
    ]


@pytest.mark.parametrize("who", ["outsider", "contributor_of_another"])
def test_a_use_case_the_user_may_not_see_is_a_404(who, use_case, outsider, other_use_case, client):
    if who == "contributor_of_another":
        other_use_case.contributors.add(outsider)
    assert api(outsider).get(f"/api/v1/use-cases/{use_case.pk}/evidence-pack.zip").status_code == (
        404
    )
    client.force_login(outsider)
    page = client.get(reverse("portfolio:use_case_evidence_pack", args=[use_case.pk]))
    assert page.status_code == 404
    assert api(outsider).get("/api/v1/use-cases/999999/evidence-pack.zip").status_code == 404


def test_the_use_case_page_links_its_pack(use_case, contributor, client):
    client.force_login(contributor)
    page = client.get(use_case.get_absolute_url()).content.decode()
    url = reverse("portfolio:use_case_evidence_pack", args=[use_case.pk])
    assert f'href="{url}"' in page and "Evidence pack (ZIP)" in page


# --- hostile names ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("../../etc", "etc"),
        ("..\\..\\Windows\\System32", "windowssystem32"),
        ("/etc/passwd", "etcpasswd"),
        ("מסווג תלונות 🤖", "use-case"),
        ("\u202eevil\u202c 🔥 ..", "evil"),
    ],
)
def test_use_case_names_never_escape_their_folder(name, slug, pmo, client):
    use_case = make_use_case(name=name)
    client.force_login(pmo)
    archive = open_zip(client.get(reverse("portfolio:use_case_evidence_pack", args=[use_case.pk])))
    manifest = verified_manifest(archive)
    folder = f"use-cases/{use_case.pk}-{slug}/"
    assert manifest["use_cases"][0]["folder"] == folder
    assert manifest["use_cases"][0]["name"] == name  # the real name, in the manifest
    for member in archive.namelist():
        assert member in ("manifest.json", "controls.csv") or member.startswith(folder)
        assert ".." not in member.split("/") and "\\" not in member
        assert not member.startswith("/")
        assert member.isascii()


def test_a_member_name_that_is_not_ours_is_refused():
    writer = evidence_pack.PackWriter(io.BytesIO())
    for bad in ("../x.csv", "use-cases/../../x", "/etc/passwd", "a\\b", ".hidden", "é.csv"):
        with pytest.raises(ValueError, match="unsafe member name"):
            writer.add(bad, b"")


# --- controls.csv and the mapping ---------------------------------------------------------------


def test_controls_csv_names_only_files_in_the_pack_and_every_mapped_file_is_there(evidenced, pmo):
    archive = open_zip(api(pmo).get(f"/api/v1/use-cases/{evidenced.pk}/evidence-pack.zip"))
    verified_manifest(archive)
    names = set(archive.namelist())
    folder = evidence_pack.folder_of(evidenced)
    mapping = evidence_controls.load()
    for control in mapping.controls:  # every file the mapping names is in the pack
        for file in control.evidence:
            if file == GATE_PACKS:
                assert any(n.startswith(folder + GATE_PACKS) for n in names), control
            else:
                assert folder + file in names, (control, file)
    rows = read_csv(archive, "controls.csv")
    assert [(r["framework"], r["control_id"]) for r in rows] == [
        (c.framework, c.control) for c in mapping.controls
    ]
    for row in rows:  # every file controls.csv names is in the pack
        files = row["files"].split(evidence_controls.FILE_SEPARATOR)
        assert files and all(f in names for f in files), row
        assert row["status"] in ("evidenced", "partial", "gap")
    by_id = {r["control_id"]: r for r in rows}
    # ISO 9.3: the chair's decision of 2026-11-25, owned by the gate's chair
    assert by_id["9.3"]["status"] == "evidenced"
    assert (by_id["9.3"]["owner"], by_id["9.3"]["last_reviewed"]) == (
        "Lena Leader (lena)",
        "2026-11-25",
    )
    assert by_id["9.1"]["owner"] == "Olivia Owner (olivia)"
    assert by_id["GOVERN 1.5"]["owner"] == "PMO"


def test_the_mapping_covers_the_controls_the_issue_names():
    keys = {(c.framework.split(" ")[0], c.control) for c in evidence_controls.load().controls}
    for key in [
        ("ISO/IEC", "6.2"),
        ("ISO/IEC", "9.1"),
        ("ISO/IEC", "9.3"),
        ("NIST", "MAP 1.4"),
        ("NIST", "MAP 3.1"),
        ("NIST", "MAP 3.2"),
        ("NIST", "MANAGE 1.1"),
        ("NIST", "GOVERN 1.5"),
        ("EU", "Art. 72"),
        ("EU", "Art. 12"),
    ]:
        assert key in keys


def test_docs_describe_every_mapped_control():
    docs = (evidence_controls.MAPPING_PATH.parent.parent / "docs" / "evidence.md").read_text()
    for control in evidence_controls.load().controls:
        assert f"| {control.control} |" in docs, control
    for name in FILES:
        assert f"`{name}`" in docs, name


def test_a_rollout_use_case_without_recent_reviews_shows_a_gap(use_case, pmo):
    weekly(use_case, "2026-W40")  # Monday 2026-09-28: more than 21 days before 2026-11-25
    with time_machine.travel(datetime.datetime(2026, 10, 2, 12, tzinfo=NOW.tzinfo), tick=False):
        # the review was filed when its week ended
        use_case.weekly_reviews.update(updated_at=datetime.datetime.now(tz=NOW.tzinfo))
    archive = open_zip(api(pmo).get(f"/api/v1/use-cases/{use_case.pk}/evidence-pack.zip"))
    by_id = {r["control_id"]: r for r in read_csv(archive, "controls.csv")}
    assert by_id["9.1"]["status"] == "gap"
    assert by_id["9.1"]["note"] == "Nothing recorded in the last 21 days (latest 2026-10-02)."
    assert by_id["9.1"]["last_reviewed"] == "2026-10-02"
    assert by_id["MAP 3.1"]["status"] == "evidenced"  # no freshness asked
    weekly(use_case, "2026-W47")
    archive = open_zip(api(pmo).get(f"/api/v1/use-cases/{use_case.pk}/evidence-pack.zip"))
    by_id = {r["control_id"]: r for r in read_csv(archive, "controls.csv")}
    assert by_id["9.1"]["last_reviewed"] == "2026-11-25"
    assert by_id["9.1"]["status"] == "partial"  # monthly reviews, flags: none yet
    assert by_id["9.1"]["note"] == "No records yet in monthly-reviews.csv, flags.csv."


def test_a_use_case_without_a_value_owner_is_owned_by_the_pmo(pmo):
    use_case = make_use_case(name="Orphan")
    archive = open_zip(api(pmo).get(f"/api/v1/use-cases/{use_case.pk}/evidence-pack.zip"))
    by_id = {r["control_id"]: r for r in read_csv(archive, "controls.csv")}
    assert by_id["6.2"]["owner"] == "PMO (no value owner)"
    assert by_id["9.3"]["owner"] == "Leadership"  # never on a gate
    assert by_id["9.3"]["status"] == "gap"


GOOD = """
[[control]]
framework = "F"
control = "1"
requirement = "Do it."
evidence = ["flags.csv"]
owner = "pmo"
dated_by = ["flag"]
"""


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[[control]\n", "is not valid TOML"),
        ("", "maps no control"),
        ("title = 'x'\n" + GOOD, "unknown top-level key title"),
        (GOOD.replace('evidence = ["flags.csv"]', 'evidence = ["flags.xls"]'), "'flags.xls'"),
        (GOOD.replace('evidence = ["flags.csv"]', "evidence = []"), "non-empty list"),
        (GOOD.replace('owner = "pmo"', 'owner = "cfo"'), "'owner' must be one of"),
        (GOOD.replace('dated_by = ["flag"]', 'dated_by = ["weather"]'), "'weather'"),
        (GOOD.replace('requirement = "Do it."\n', ""), "control #1 (F 1): missing requirement"),
        (GOOD.replace('requirement = "Do it."', f'requirement = "{"x" * 161}"'), "160 characters"),
        (GOOD + "fresh_days = 0\n", "'fresh_days' must be a whole number"),
        (GOOD + 'fresh_days = "21"\n', "'fresh_days' must be a whole number"),
        (GOOD + "colour = 'red'\n", "unknown field colour"),
        (GOOD + GOOD, "F 1 is mapped twice"),
    ],
)
def test_a_malformed_mapping_is_refused_with_a_clear_message(text, message):
    with pytest.raises(evidence_controls.MappingError, match=None) as error:
        evidence_controls.parse(text.encode(), source="mapping.toml")
    assert message in str(error.value)


def test_the_good_mapping_parses():
    (control,) = evidence_controls.parse(GOOD.encode()).controls
    assert control.evidence == ("flags.csv",) and control.fresh_days is None


def test_a_malformed_mapping_file_stops_the_pack_before_any_file(
    use_case, pmo, tmp_path, monkeypatch
):
    broken = tmp_path / "evidence_controls.toml"
    broken.write_text(GOOD.replace('owner = "pmo"', 'owner = "nobody"'))
    monkeypatch.setattr(evidence_controls, "MAPPING_PATH", broken)
    with pytest.raises(evidence_controls.MappingError, match="'owner' must be one of"):
        evidence_pack.build(use_cases=[use_case], viewer=pmo, scope="use_case")


# --- bounded queries ----------------------------------------------------------------------------


def _queries_for(use_case, viewer) -> int:
    with CaptureQueriesContext(connection) as queries:
        zipped, _ = evidence_pack.build(use_cases=[use_case], viewer=viewer, scope="use_case")
        zipped.close()
    return len(queries)


def test_queries_per_use_case_do_not_grow_with_its_records(use_case, other_use_case, pmo):
    weekly(use_case, "2026-W40")
    monthly(use_case, "2026-09")
    _queries_for(use_case, pmo)  # the viewer's roles are read once, then remembered
    few = _queries_for(use_case, pmo)
    for n, week in enumerate(["2026-W41", "2026-W42", "2026-W43", "2026-W44", "2026-W45"]):
        change = ModelChangeFactory(
            use_case=use_case,
            version_label=f"v{n + 3}",
            effective_date=datetime.date(2026, 10, 5) + datetime.timedelta(weeks=n),
        )
        weekly(use_case, week, model_version=change)
        FlagFactory(use_case=use_case, period=week)
    monthly(use_case, "2026-10")
    for item in ("T1", "A1", "E1"):
        ChecklistAnswer.objects.create(use_case=use_case, item=item, answer="partial")
    assert _queries_for(use_case, pmo) == few
    # two use cases: twice one use case's, and no more
    weekly(other_use_case, "2026-W40")
    monthly(other_use_case, "2026-09")
    one = _queries_for(other_use_case, pmo)
    with CaptureQueriesContext(connection) as both:
        zipped, _ = evidence_pack.build(
            use_cases=[use_case, other_use_case], viewer=pmo, scope="portfolio"
        )
        zipped.close()
    assert len(both) <= few + one


# --- the portfolio's pack -----------------------------------------------------------------------


@pytest.mark.parametrize("role", ["owner", "contributor", "leader", "outsider"])
def test_the_portfolio_pack_is_for_the_pmo_only(role, role_users, client):
    user = role_users[role]
    assert api(user).get("/api/v1/portfolio/evidence-pack.zip").status_code == 403
    client.force_login(user)
    assert client.get(reverse("portfolio:evidence_pack")).status_code == 403
    assert client.get(reverse("portfolio:evidence")).status_code == 403
    assert not EvidencePack.objects.exists()


def test_a_small_portfolio_pack_is_built_in_the_request(use_case, other_use_case, pmo, client):
    archive = open_zip(api(pmo).get("/api/v1/portfolio/evidence-pack.zip"))
    manifest = verified_manifest(archive)
    assert manifest["scope"] == "portfolio"
    assert [u["name"] for u in manifest["use_cases"]] == [
        "Customer-response assistant",
        "Invoice matching",
    ]
    rows = read_csv(archive, "controls.csv")
    assert len(rows) == 2 * len(evidence_controls.load().controls)
    client.force_login(pmo)
    page = client.get(reverse("portfolio:evidence")).content.decode()
    assert "Download the portfolio evidence pack (ZIP)" in page and "MANAGE 1.1" in page
    dashboard = client.get(reverse("portfolio:dashboard")).content.decode()
    assert reverse("portfolio:evidence") in dashboard


def test_the_dashboard_links_the_portfolio_pack_for_the_pmo_only(use_case, leader, client):
    client.force_login(leader)
    assert (
        reverse("portfolio:evidence")
        not in client.get(reverse("portfolio:dashboard")).content.decode()
    )


@pytest.fixture
def large(settings):
    settings.VALUEGATE_EVIDENCE_PACK_SYNC_MAX_USE_CASES = 1


def test_a_large_portfolio_is_prepared_in_the_background_then_offered(
    large, use_case, other_use_case, pmo, client, django_capture_on_commit_callbacks
):
    client.force_login(pmo)
    page = client.get(reverse("portfolio:evidence")).content.decode()
    assert "Prepare the evidence pack" in page
    first = client.get(reverse("portfolio:evidence_pack"))
    assert first.status_code == 302 and first["Location"].endswith("#evidence-pack")

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        client.post(reverse("portfolio:evidence_prepare"))
    job = EvidencePack.objects.get()
    assert (job.requested_by, job.status) == (pmo, "pending")
    status = client.get(reverse("portfolio:evidence_status")).content.decode()
    assert "being prepared" in status and 'hx-trigger="every 3s"' in status
    client.post(reverse("portfolio:evidence_prepare"))  # again while pending: the same
    assert EvidencePack.objects.count() == 1

    for callback in callbacks:
        callback()
    job.refresh_from_db()
    assert job.status == "ready" and job.use_cases == 2
    assert job.size == sum(len(bytes(c.data)) for c in EvidencePackChunk.objects.all())
    page = client.get(reverse("portfolio:evidence")).content.decode()
    assert "Download the portfolio evidence pack (ZIP)" in page
    response = client.get(reverse("portfolio:evidence_pack"))
    assert response.streaming and response["Content-Length"] == str(job.size)
    data = body(response)
    assert hashlib.sha256(data).hexdigest() == job.sha256
    manifest = verified_manifest(zipfile.ZipFile(io.BytesIO(data)))
    assert len(manifest["use_cases"]) == 2


def test_the_api_answers_202_until_the_pack_is_ready(
    large, use_case, other_use_case, pmo, django_capture_on_commit_callbacks
):
    client = api(pmo)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        first = client.get("/api/v1/portfolio/evidence-pack.zip")
    assert first.status_code == 202
    assert first.json()["status"] == "pending" and first["Retry-After"] == "10"
    assert client.get("/api/v1/portfolio/evidence-pack.zip").status_code == 202
    assert EvidencePack.objects.count() == 1
    for callback in callbacks:
        callback()
    archive = open_zip(client.get("/api/v1/portfolio/evidence-pack.zip"))
    verified_manifest(archive)
    # an hour later the pack is old: a new one is prepared
    with time_machine.travel(NOW + datetime.timedelta(hours=2), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            assert client.get("/api/v1/portfolio/evidence-pack.zip").status_code == 202
        assert client.get("/api/v1/portfolio/evidence-pack.zip").status_code == 200
    assert EvidencePack.objects.count() == 1  # the older one was deleted


def test_a_requester_who_left_the_pmo_gets_no_pack(large, use_case, pmo):
    job = EvidencePack.objects.create(requested_by=pmo, requested_at=NOW)
    pmo.groups.clear()
    assert evidence_jobs.build_job(job.pk).startswith("failed")
    assert not EvidencePackChunk.objects.exists()
    assert evidence_jobs.build_job(job.pk) == "nothing to do"


def test_a_failed_build_is_said_and_can_be_asked_again(
    large, use_case, other_use_case, pmo, client, monkeypatch
):
    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(evidence_pack, "write_pack", broken)
    job = EvidencePack.objects.create(requested_by=pmo, requested_at=NOW)
    assert evidence_jobs.build_job(job.pk).startswith("failed")
    client.force_login(pmo)
    page = client.get(reverse("portfolio:evidence")).content.decode()
    assert "Building the evidence pack failed; try again." in page
    assert "Prepare the evidence pack" in page
