"""The monthly CFO report by e-mail (issue 19): Leadership and the PMO subscribe on the CFO report
page (anyone else: 403); the beat task sends each subscriber one e-mail a month with the XLSX and a
one-page PDF summary whose figures are the CFO report's to the cent; a second run sends nothing."""

import datetime
import io
import re
from decimal import Decimal

import pytest
import time_machine
from django.core import mail
from openpyxl import load_workbook
from pypdf import PdfReader

from portfolio import cfo, cfo_subscriptions, exports
from portfolio.dashboard import MonthRange
from portfolio.models import CfoReportDelivery, CfoReportSubscription
from portfolio.settings import CELERY_BEAT_SCHEDULE
from portfolio.tasks import send_monthly_cfo_reports
from tests.portfolio.test_dashboard import add_flag, add_month, add_week
from usecases.models import Funding, Stage, StageTransition, TransitionCause
from usecases.templatetags.money import money

NOW = datetime.datetime(2026, 12, 6, 6, tzinfo=datetime.UTC)  # the 6th: November's report
NOVEMBER = datetime.date(2026, 11, 1)
PAGE = "/reports/cfo/"
TOGGLE = "/reports/cfo/subscription/"


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return re.sub(r"\s+", " ", " ".join(page.extract_text() for page in reader.pages))


def pdf_pages(data: bytes) -> int:
    return len(PdfReader(io.BytesIO(data)).pages)


@pytest.fixture
def november(use_case, other_use_case):
    add_week(use_case, "2026-W46")
    add_week(use_case, "2026-W47", tasks_with_ai=820, reworked_outputs=33)
    add_month(use_case, "2026-11")
    add_week(other_use_case, "2026-W45", minutes_saved_per_task=Decimal("3.75"))
    add_month(other_use_case, "2026-11", integration_cost=Decimal("1234.56"))
    add_week(use_case, "2026-W49")  # December: not in November's report
    StageTransition.objects.create(
        use_case=other_use_case,
        stage_before=Stage.PILOT,
        stage_after=Stage.ROLLOUT,
        funding_before=Funding.FUNDED,
        funding_after=Funding.FUNDED,
        reason="Gate Q4 approved the rollout.",
        cause_kind=TransitionCause.GATE_DECISION,
        at=datetime.datetime(2026, 11, 12, 10, tzinfo=datetime.UTC),
    )
    StageTransition.objects.create(  # October: not a move of November
        use_case=use_case,
        stage_before=Stage.PILOT,
        stage_after=Stage.ROLLOUT,
        funding_before=Funding.FUNDED,
        funding_after=Funding.FUNDED,
        reason="An older move.",
        cause_kind=TransitionCause.PMO_EDIT,
        at=datetime.datetime(2026, 10, 20, 10, tzinfo=datetime.UTC),
    )
    add_flag(use_case, "2026-W47", explanation="Rework 18.0% exceeds the 15.0% threshold.")
    add_flag(
        other_use_case,
        "2026-W44",
        explanation="A resolved breach.",
        resolved_at=datetime.datetime(2026, 11, 2, tzinfo=datetime.UTC),
    )
    return {"use_case": use_case, "other": other_use_case}


def attachments(message) -> dict[str, tuple[bytes, str]]:
    return {name: (content, mimetype) for name, content, mimetype in message.attachments}


# --- the toggle, per role -----------------------------------------------------------------------


@pytest.mark.parametrize("role", ["leader", "pmo", "admin"])
def test_leadership_and_pmo_subscribe_and_unsubscribe(client_for, role_users, role):
    user = role_users[role]
    client = client_for(user)
    page = client.get(PAGE)
    assert page.status_code == 200
    assert b'id="cfo-subscription"' in page.content and b"Subscribe</button>" in page.content
    response = client.post(TOGGLE, {"subscribed": "on"})
    assert response.status_code == 302 and response["Location"] == PAGE
    assert CfoReportSubscription.objects.filter(user=user).exists()
    assert b"Unsubscribe</button>" in client.get(PAGE).content
    client.post(TOGGLE, {"subscribed": "on"})  # twice: still one subscription
    assert CfoReportSubscription.objects.filter(user=user).count() == 1
    client.post(TOGGLE, {"subscribed": "off"})
    assert not CfoReportSubscription.objects.filter(user=user).exists()


@pytest.mark.parametrize("role", ["owner", "other_owner", "contributor", "outsider"])
def test_other_roles_get_403_and_no_toggle(client_for, role_users, role):
    client = client_for(role_users[role])
    assert client.post(TOGGLE, {"subscribed": "on"}).status_code == 403
    assert not CfoReportSubscription.objects.exists()
    page = client.get(PAGE)
    assert b'id="cfo-subscription"' not in page.content


def test_anonymous_is_sent_to_login(client, db):
    response = client.post(TOGGLE, {"subscribed": "on"})
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("value", [None, "", "yes"])
def test_bad_choice_is_a_clear_400(client_for, pmo, value):
    data = {} if value is None else {"subscribed": value}
    response = client_for(pmo).post(TOGGLE, data)
    assert response.status_code == 400
    assert b"subscribed=on or subscribed=off" in response.content
    assert not CfoReportSubscription.objects.exists()


def test_get_is_not_allowed(client_for, pmo):
    assert client_for(pmo).get(TOGGLE).status_code == 405


# --- the monthly e-mail -------------------------------------------------------------------------


def test_beat_runs_the_task_on_the_sixth():
    entry = CELERY_BEAT_SCHEDULE["send-monthly-cfo-reports"]
    assert entry["task"] == send_monthly_cfo_reports.name
    assert entry["schedule"].day_of_month == {6}


def test_one_email_per_subscriber_with_both_attachments_and_a_rerun_sends_nothing(
    role_users, november, settings
):
    leader, pmo = role_users["leader"], role_users["pmo"]
    for user in (leader, pmo):
        CfoReportSubscription.objects.create(user=user)
    assert send_monthly_cfo_reports.apply().get() == 2
    assert sorted(m.to[0] for m in mail.outbox) == sorted([leader.email, pmo.email])
    for message in mail.outbox:
        assert message.subject == "[Valuegate] CFO report Nov 2026"
        files = attachments(message)
        assert set(files) == {"cfo-report-2026-11_2026-11.xlsx", "cfo-summary-2026-11.pdf"}
        xlsx, xlsx_type = files["cfo-report-2026-11_2026-11.xlsx"]
        assert xlsx_type == exports.XLSX_CONTENT_TYPE
        assert load_workbook(io.BytesIO(xlsx)).sheetnames  # a real workbook
        pdf, pdf_type = files["cfo-summary-2026-11.pdf"]
        assert pdf_type == "application/pdf" and pdf_pages(pdf) == 1
    assert set(
        CfoReportDelivery.objects.filter(sent_at__isnull=False).values_list("user", "month")
    ) == {(leader.pk, NOVEMBER), (pmo.pk, NOVEMBER)}

    assert send_monthly_cfo_reports.apply().get() == 0  # the retry / a second beat
    assert len(mail.outbox) == 2


def test_next_month_is_sent_again(role_users, november):
    CfoReportSubscription.objects.create(user=role_users["leader"])
    cfo_subscriptions.send_monthly_reports()
    with time_machine.travel(datetime.datetime(2027, 1, 6, 6, tzinfo=datetime.UTC), tick=False):
        assert cfo_subscriptions.send_monthly_reports() == 1
    assert [m.subject for m in mail.outbox] == [
        "[Valuegate] CFO report Nov 2026",
        "[Valuegate] CFO report Dec 2026",
    ]


def test_the_pdf_holds_the_cfo_reports_figures_to_the_cent(client_for, role_users, november):
    leader = role_users["leader"]
    CfoReportSubscription.objects.create(user=leader)
    cfo_subscriptions.send_monthly_reports()
    (message,) = mail.outbox
    text = pdf_text(attachments(message)["cfo-summary-2026-11.pdf"][0])
    page = client_for(leader).get(PAGE, {"start": "2026-11", "end": "2026-11"})
    total = page.context["report"].total
    assert total.net_value != 0 and total.absorption_cost != 0
    # The figures foot on their face: gross efficiency − translation gap − absorption = net value.
    assert total.gross_efficiency - total.translation_gap - total.absorption_cost == total.net_value
    assert f"− Translation gap {money(total.translation_gap)}" in text  # the figure boxes
    for name in ("gross_efficiency", "translation_gap", "absorption_cost", "net_value"):
        shown = money(getattr(total, name))
        assert re.search(r"\d", shown)
        assert shown in text, (name, shown)
    # November's figures only: with December's week the gross efficiency would differ.
    december = datetime.date(2026, 12, 1)
    wider = cfo.cfo_report(user=leader, month_range=MonthRange(NOVEMBER, december)).total
    assert money(wider.gross_efficiency) != money(total.gross_efficiency)
    assert money(wider.gross_efficiency) not in text
    # November's stage move and the open stop-loss flag; not October's move nor a resolved flag
    assert "Invoice matching" in text and "Gate Q4 approved the rollout." in text
    assert "An older move." not in text
    assert "Rework 18.0% exceeds the 15.0% threshold." in text
    assert "A resolved breach." not in text
    assert "Value-leakage waterfall" in text


def test_the_summary_is_one_page_with_many_moves_and_flags(role_users, november):
    uc = november["use_case"]
    for i in range(30):
        add_flag(uc, f"2026-W{10 + i}", explanation=f"Breach number {i} of a long list. " * 3)
        StageTransition.objects.create(
            use_case=uc,
            stage_before=Stage.ROLLOUT,
            stage_after=Stage.SCALED if i % 2 else Stage.REDESIGN,
            funding_before=Funding.FUNDED,
            funding_after=Funding.FUNDED,
            reason=f"Move number {i} with a long reason that goes on and on. " * 2,
            cause_kind=TransitionCause.PMO_EDIT,
            at=datetime.datetime(2026, 11, 1 + i % 28, 9, tzinfo=datetime.UTC),
        )
    CfoReportSubscription.objects.create(user=role_users["pmo"])
    cfo_subscriptions.send_monthly_reports()
    (message,) = mail.outbox
    pdf = attachments(message)["cfo-summary-2026-11.pdf"][0]
    assert pdf_pages(pdf) == 1
    assert "… and 25 more open" in pdf_text(pdf)
    assert "… and 25 more (see the portfolio dashboard)" in pdf_text(pdf)


def test_unsubscribed_and_other_roles_get_nothing(role_users, november):
    # subscribed once, then the role was taken away: no e-mail
    owner, leader = role_users["owner"], role_users["leader"]
    CfoReportSubscription.objects.create(user=owner)
    CfoReportSubscription.objects.create(user=leader)
    leader.groups.clear()
    assert cfo_subscriptions.send_monthly_reports() == 0
    assert mail.outbox == []
    assert not CfoReportDelivery.objects.exists()


def test_a_subscriber_without_email_is_skipped(role_users, november):
    pmo = role_users["pmo"]
    pmo.email = ""
    pmo.save()
    CfoReportSubscription.objects.create(user=pmo)
    assert cfo_subscriptions.send_monthly_reports() == 0
    assert mail.outbox == []


def test_a_failed_send_is_retried_by_the_next_run(role_users, november, monkeypatch):
    CfoReportSubscription.objects.create(user=role_users["pmo"])

    def refuse(self, *args, **kwargs):
        raise ConnectionRefusedError("SMTP down")

    with monkeypatch.context() as m:
        m.setattr("django.core.mail.EmailMessage.send", refuse)
        assert cfo_subscriptions.send_monthly_reports() == 0
    assert not CfoReportDelivery.objects.exists()
    assert cfo_subscriptions.send_monthly_reports() == 1
    assert len(mail.outbox) == 1


def test_a_month_already_claimed_is_not_sent(role_users, november):
    """A concurrent run holds the claim (the row is there, not yet sent): this run skips it."""
    pmo = role_users["pmo"]
    CfoReportSubscription.objects.create(user=pmo)
    CfoReportDelivery.objects.create(user=pmo, month=NOVEMBER, claimed_at=NOW)
    assert cfo_subscriptions.send_monthly_reports() == 0
    assert mail.outbox == []


def test_a_claim_whose_sender_died_is_sent_after_the_lease(role_users, november, settings):
    pmo = role_users["pmo"]
    CfoReportSubscription.objects.create(user=pmo)
    lease = datetime.timedelta(seconds=settings.VALUEGATE_EMAIL_LEASE)
    CfoReportDelivery.objects.create(user=pmo, month=NOVEMBER, claimed_at=NOW - lease / 2)
    assert cfo_subscriptions.send_monthly_reports() == 0  # still inside the lease
    CfoReportDelivery.objects.update(claimed_at=NOW - lease - datetime.timedelta(seconds=1))
    assert cfo_subscriptions.send_monthly_reports() == 1
    assert cfo_subscriptions.send_monthly_reports() == 0
    assert len(mail.outbox) == 1
    assert CfoReportDelivery.objects.get().sent_at == NOW
