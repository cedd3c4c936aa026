"""Use case page /use-cases/<pk>/ and the business case version pages."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.conftest import make_use_case, make_user
from tests.use_case_sections import get_section, section_url, whole_page
from usecases import services
from usecases.models import (
    Answer,
    BusinessCase,
    ChangeKind,
    ChecklistAnswer,
    ChecklistItem,
    ModelChange,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def foreign_contributor(other_use_case):
    user = make_user("cora")
    other_use_case.contributors.add(user)
    return user


@pytest.fixture
def users(role_users, foreign_contributor):
    return {**role_users, "foreign_contributor": foreign_contributor, "anonymous": None}


def detail_url(use_case):
    return reverse("usecases:detail", args=[use_case.pk])


# role -> (status, edit use case, edit business case, log change, edit checklist)
EXPECTED = {
    "anonymous": (302, False, False, False, False),
    "outsider": (404, False, False, False, False),
    "foreign_contributor": (404, False, False, False, False),
    "contributor": (200, False, False, False, False),
    "other_owner": (200, False, False, False, False),
    "leader": (200, False, False, False, False),
    "pmo": (200, True, True, False, False),
    "owner": (200, False, True, True, True),
    "admin": (200, True, True, True, True),
}


@pytest.mark.parametrize("role", EXPECTED)
def test_detail_per_role(role, users, use_case, client_for):
    status, edit, edit_bc, log, checklist = EXPECTED[role]
    response = client_for(users[role]).get(detail_url(use_case))
    assert response.status_code == status
    if status == 302:
        assert response.url.startswith(reverse("login"))
    if status != 200:
        return
    html = whole_page(client_for(users[role]), detail_url(use_case))
    pk = use_case.pk
    assert (reverse("usecases:edit", args=[pk]) in html) is edit
    assert (reverse("usecases:business_case_edit", args=[pk]) in html) is edit_bc
    assert (reverse("usecases:model_change_create", args=[pk]) in html) is log
    assert (reverse("usecases:checklist_edit", args=[pk]) in html) is checklist


def test_wrong_method(client_for, pmo, use_case):
    assert client_for(pmo).post(detail_url(use_case)).status_code == 405


def test_unknown_use_case_is_404(client_for, pmo):
    assert client_for(pmo).get(reverse("usecases:detail", args=[999999])).status_code == 404


def test_shows_the_facts(client_for, leader, use_case):
    use_case.scaled_on = datetime.date(2026, 9, 1)
    use_case.description = "Drafts answers to customer e-mails."
    use_case.save()
    html = client_for(leader).get(detail_url(use_case)).content.decode()
    for text in (
        "Drafts answers to customer e-mails.",
        "Customer Service",
        "Inbound e-mail triage",
        '<span class="pill pill-rollout">Rollout</span>',
        "Funding: Conditional",
        "Olivia Owner",
        "Carl Contributor",
        "(carl)",
        "1 Jun 2026",  # live since
        "1 Sep 2026",  # scaled on
    ):
        assert text in html, text
    assert "No value owner" not in html


def test_warns_without_value_owner(client_for, pmo):
    use_case = make_use_case(name="Orphan bot", owner=None)
    html = client_for(pmo).get(detail_url(use_case)).content.decode()
    assert "No value owner" in html


def test_shows_the_business_case_with_percentages_and_money(client_for, leader, use_case):
    html = get_section(client_for(leader), use_case, "business-case").content.decode()
    for text in (
        "Baseline tasks per week",
        "2,000",
        "Pilot / test data",
        "EUR 45.00",  # hourly cost
        "30%",  # pilot effort reduction 0.30
        "50%",  # reclaimable share
        "40%",
        "60%",
        "80%",
        "EUR 1,200.00",
        "EUR 800.00",
        "EUR 500.00",
        "EUR 20,000.00",
        "EUR 5,000.00",
    ):
        assert text in html, text
    assert "0.3000" not in html


def test_model_changes_newest_first(client_for, leader, use_case, owner):
    ModelChange.objects.create(
        use_case=use_case,
        version_label="prompt-v1",
        kind=ChangeKind.PROMPT,
        effective_date=datetime.date(2026, 6, 1),
        created_by=owner,
    )
    ModelChange.objects.create(
        use_case=use_case,
        version_label="model-v2",
        kind=ChangeKind.MODEL,
        effective_date=datetime.date(2026, 8, 1),
        description="Switched to a larger model.",
        created_by=owner,
    )
    html = get_section(client_for(leader), use_case, "changes").content.decode()
    assert html.index("model-v2") < html.index("prompt-v1")
    assert "Switched to a larger model." in html


def test_checklist_shows_fifteen_items_and_unanswered(client_for, leader, use_case, owner):
    ChecklistAnswer.objects.create(
        use_case=use_case, item="T1", answer=Answer.NO, evidence="Pilot data only", updated_by=owner
    )
    response = get_section(client_for(leader), use_case, "checklist")
    sections = response.context["checklist"]
    assert [s.title for s in sections] == [
        "Translation",
        "Adoption",
        "Execution",
        "Quality and risk",
        "Value governance",
    ]
    lines = [line for s in sections for line in s.lines]
    assert len(lines) == 15
    assert lines[0].code == "T1" and lines[0].answer.answer == "no"
    html = response.content.decode()
    assert html.count("Not answered") == 14
    assert "Pilot data only" in html
    assert "Baseline from production data, not test data" in html


def test_history_shows_who_when_and_before_after(client_for, pmo, leader, use_case, other_owner):
    services.use_case_update(
        user=pmo,
        use_case=use_case,
        data={
            "stage": "scaled",
            "value_owner": other_owner,
            "contributors": [leader],
            "target_users": 150,
        },
        reason="Rolled out to every team.",
    )
    response = get_section(client_for(leader), use_case, "history")
    latest = response.context["history"][0]
    assert latest.subject == "Use case"
    assert latest.user == pmo
    changes = {c.field: (c.before, c.after) for c in latest.changes}
    assert changes == {
        "stage": ("Rollout", "Scaled"),
        "value_owner": ("Olivia Owner (olivia)", "Oscar Other (oscar)"),
        "contributors": ("Carl Contributor (carl)", "Lena Leader (lena)"),
        "target_users": ("100", "150"),
    }
    html = response.content.decode()
    assert "<del>Rollout</del> → <ins>Scaled</ins>" in html
    assert "<del>Carl Contributor (carl)</del> → <ins>Lena Leader (lena)</ins>" in html


def test_edit_business_case_twice_both_versions_retrievable(client_for, owner, leader, use_case):
    bc_before = BusinessCase.history.filter(use_case_id=use_case.pk).count()
    services.business_case_update(
        user=owner, use_case=use_case, data={"hourly_cost": Decimal("50.00")}
    )
    services.business_case_update(
        user=owner, use_case=use_case, data={"pilot_effort_reduction": Decimal("0.25")}
    )
    records = list(
        BusinessCase.history.filter(use_case_id=use_case.pk).order_by("history_date", "history_id")
    )
    assert len(records) == bc_before + 2
    first, second = records[-2], records[-1]

    client = client_for(leader)
    # Detail lists both versions and shows the diffs in the history.
    response = get_section(client, use_case, "business-case")
    version_ids = [v.history_id for v in response.context["versions"]]
    assert version_ids[:2] == [second.history_id, first.history_id]
    html = get_section(client, use_case, "history").content.decode()
    assert "<del>EUR 45.00</del> → <ins>EUR 50.00</ins>" in html
    assert "<del>30%</del> → <ins>25%</ins>" in html

    # Each version has its own page with its values and its diff against the one before.
    page = client.get(
        reverse("usecases:business_case_version", args=[use_case.pk, first.history_id])
    )
    assert page.status_code == 200
    assert {c.field: (c.before, c.after) for c in page.context["changes"]} == {
        "hourly_cost": ("EUR 45.00", "EUR 50.00")
    }
    values = {r.name: r.value for r in page.context["rows"]}
    assert values["hourly_cost"] == "EUR 50.00"
    assert values["pilot_effort_reduction"] == "30%"
    assert "An earlier version" in page.content.decode()

    page = client.get(
        reverse("usecases:business_case_version", args=[use_case.pk, second.history_id])
    )
    values = {r.name: r.value for r in page.context["rows"]}
    assert values["pilot_effort_reduction"] == "25%"
    assert {c.field: (c.before, c.after) for c in page.context["changes"]} == {
        "pilot_effort_reduction": ("30%", "25%")
    }
    assert "The current version" in page.content.decode()
    assert page.context["prev"].history_id == first.history_id
    assert page.context["newer"] is None


def test_version_of_another_use_case_is_404(client_for, pmo, use_case, other_use_case):
    foreign = BusinessCase.history.filter(use_case_id=other_use_case.pk).first()
    url = reverse("usecases:business_case_version", args=[use_case.pk, foreign.history_id])
    assert client_for(pmo).get(url).status_code == 404


@pytest.mark.parametrize("role", EXPECTED)
def test_version_pages_per_role(role, users, use_case, client_for):
    status = EXPECTED[role][0]
    record = BusinessCase.history.filter(use_case_id=use_case.pk).first()
    client = client_for(users[role])
    for url in (
        reverse("usecases:business_case_version", args=[use_case.pk, record.history_id]),
        reverse("usecases:business_case_history", args=[use_case.pk]),
    ):
        assert client.get(url).status_code == status, url
        expected_post = 302 if status == 302 else 405
        assert client.post(url).status_code == expected_post, url


def test_all_versions_page_paginates(client_for, owner, leader, use_case):
    for i in range(12):
        services.business_case_update(
            user=owner, use_case=use_case, data={"hourly_cost": Decimal(50 + i)}
        )
    client = client_for(leader)
    detail = get_section(client, use_case, "business-case")
    assert len(detail.context["versions"]) == 10
    assert detail.context["more_versions"] is True
    response = client.get(reverse("usecases:business_case_history", args=[use_case.pk]))
    assert response.status_code == 200
    assert response.context["page"].paginator.count == 13
    assert response.content.decode().count("View this version") == 12


def _count(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


ITEMS = [code for code, _ in ChecklistItem.choices]


def _grow(use_case, n, pmo, owner):
    """n of everything the page lists: contributors, changes, answers, history records."""
    for i in range(n):
        user = make_user(f"helper{use_case.pk}-{i}", first_name="Help", last_name=str(i))
        use_case.contributors.add(user)
        ModelChange.objects.create(
            use_case=use_case,
            version_label=f"v{i}",
            kind=ChangeKind.PROMPT,
            effective_date=datetime.date(2026, 6, 1),
            created_by=owner,
        )
        if i < 15:
            ChecklistAnswer.objects.create(
                use_case=use_case, item=ITEMS[i], answer=Answer.YES, updated_by=owner
            )
        services.use_case_update(
            user=pmo,
            use_case=use_case,
            data={"target_users": 200 + i, "value_owner": owner if i % 2 else pmo},
        )
        services.business_case_update(
            user=owner if i % 2 else pmo,
            use_case=use_case,
            data={"hourly_cost": Decimal(60 + i)},
        )


@pytest.mark.parametrize("role", ["leader", "contributor"])
def test_query_count_does_not_grow(role, role_users, pmo, owner, client_for):
    small = make_use_case(name="Small", owner=owner)
    big = make_use_case(name="Big", owner=owner)
    small.contributors.add(role_users["contributor"])
    big.contributors.add(role_users["contributor"])
    _grow(small, 1, pmo, owner)
    _grow(big, 30, pmo, owner)
    client = client_for(role_users[role])
    client.get(detail_url(small))  # warm up
    # The page's own: groups, "owns a use case?" (not asked for leadership), use case with
    # business case and owner, contributors (the contributor check reuses them), recent
    # business case versions, checklist, use case history, its contributor snapshots,
    # business case history, model changes. Whatever the layout adds is constant too.
    assert _count(client, detail_url(small)) == _count(client, detail_url(big))
    for slug in ("business-case", "changes", "checklist", "history"):  # the panels' sections
        assert _count(client, section_url(small, slug)) == _count(client, section_url(big, slug))
