"""Weekly review pages: submit, correct, live preview; permissions per role; validation at the
field; duplicate week; stale version. Today is Wednesday 25 November 2026 (ISO week 2026-W48)."""

import datetime
import html
import re
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse

from reviews import services
from reviews.forms import WeeklyReviewForm
from reviews.models import WeeklyReview
from tests.conftest import make_use_case
from tests.factories import WeeklyReviewFactory
from usecases.models import ModelChange

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 11, 25, 12, tzinfo=datetime.UTC)

VALID = {
    "week": "2026-W47",
    "active_users": "75",
    "target_users": "100",
    "tasks_total": "1000",
    "tasks_with_ai": "800",
    "reworked_outputs": "100",
    "exceptions": "50",
    "minutes_saved_per_task": "2.5",
    "rework_minutes_per_output": "7.5",
    "quality_score": "88",
    "backlog": "120",
    "declared_hours_saved": "40",
    "model_version": "",
    "notes": "Steady week.",
    "user_barriers": "",
}


@pytest.fixture(autouse=True)
def frozen_today():
    with time_machine.travel(NOW, tick=False):
        yield


def make_review(use_case, week="2026-W46", **fields):
    values = {
        "active_users": 70,
        "target_users": 100,
        "tasks_total": 1000,
        "tasks_with_ai": 700,
        "reworked_outputs": 70,
        "exceptions": 30,
        "minutes_saved_per_task": Decimal("3"),
        "rework_minutes_per_output": Decimal("6"),
        "quality_score": Decimal("90"),
        "backlog": 100,
        "declared_hours_saved": Decimal("30"),
    }
    values.update(fields)
    return WeeklyReviewFactory(use_case=use_case, week=week, **values)


def form_data(review, **changes):
    """The correction form's POST data for ``review`` as it is, with ``changes``."""
    data = {k: v for k, v in VALID.items() if k != "week"}
    for name in data:
        value = getattr(review, name)
        if name == "model_version":
            value = review.model_version_id or ""
        data[name] = "" if value is None else str(value)
    data["version"] = str(review.version)
    data.update({k: str(v) for k, v in changes.items()})
    return data


def field_errors(response, name) -> list[str]:
    """The messages in the error list under the field ``name`` (tags stripped)."""
    content = response.content.decode()
    match = re.search(rf'<ul class="errorlist" id="id_{name}_error">(.*?)</ul>', content, re.S)
    if not match:
        return []
    items = re.findall(r"<li>(.*?)</li>", match[1], re.S)
    return [html.unescape(re.sub(r"<[^>]+>", "", item)) for item in items]


def input_tag(response, name) -> str:
    content = response.content.decode()
    match = re.search(rf'<(?:input|select|textarea)[^>]*name="{name}"[^>]*>', content)
    assert match, f"no field {name}"
    return match[0]


def figure(response, key) -> str:
    content = response.content.decode()
    match = re.search(rf'id="figure-{key}">.*?<dd class="figure[^"]*">(.*?)</dd>', content, re.S)
    assert match, f"no figure {key}"
    return html.unescape(match[1]).strip()


def new_url(use_case, **query):
    url = reverse("reviews:weekly_new", args=[use_case.pk])
    return f"{url}?{'&'.join(f'{k}={v}' for k, v in query.items())}" if query else url


# --- permissions ------------------------------------------------------------------------------

ALLOWED = {"owner", "contributor", "admin"}
DENIED = {"other_owner": 403, "leader": 403, "pmo": 403, "outsider": 404}
ROLES = [None, *sorted(ALLOWED), *sorted(DENIED)]


def _user(role_users, role):
    return None if role is None else role_users[role]


def _assert_denied(response, role):
    if role is None:
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
    else:
        assert response.status_code == DENIED[role]


@pytest.mark.parametrize("role", ROLES)
def test_new_page_per_role(role, role_users, use_case, client_for):
    client = client_for(_user(role_users, role))
    response = client.get(new_url(use_case))
    if role in ALLOWED:
        assert response.status_code == 200
        assert b"Submit a weekly review" in response.content
    else:
        _assert_denied(response, role)


@pytest.mark.parametrize("role", ROLES)
def test_submit_per_role(role, role_users, use_case, client_for):
    client = client_for(_user(role_users, role))
    response = client.post(new_url(use_case), VALID)
    if role in ALLOWED:
        assert response.status_code == 302
        assert response["Location"] == reverse("usecases:detail", args=[use_case.pk])
        review = WeeklyReview.objects.get(use_case=use_case, week="2026-W47")
        assert review.submitted_by == role_users[role]
    else:
        _assert_denied(response, role)
        assert not WeeklyReview.objects.exists()


@pytest.mark.parametrize("role", ROLES)
def test_edit_page_per_role(role, role_users, use_case, client_for):
    review = make_review(use_case)
    client = client_for(_user(role_users, role))
    response = client.get(reverse("reviews:weekly_edit", args=[review.pk]))
    if role in ALLOWED:
        assert response.status_code == 200
        assert b"Correct the weekly review 2026-W46" in response.content
    else:
        _assert_denied(response, role)


@pytest.mark.parametrize("role", ROLES)
def test_correct_per_role(role, role_users, use_case, client_for):
    review = make_review(use_case)
    client = client_for(_user(role_users, role))
    response = client.post(
        reverse("reviews:weekly_edit", args=[review.pk]), form_data(review, backlog=90)
    )
    review.refresh_from_db()
    if role in ALLOWED:
        assert response.status_code == 302
        assert (review.backlog, review.version) == (90, 2)
        assert review.updated_by == role_users[role]
    else:
        _assert_denied(response, role)
        assert (review.backlog, review.version) == (100, 1)


@pytest.mark.parametrize("role", ROLES)
def test_preview_per_role(role, role_users, use_case, client_for):
    client = client_for(_user(role_users, role))
    response = client.post(reverse("reviews:weekly_preview", args=[use_case.pk]), VALID)
    if role in ALLOWED:
        assert response.status_code == 200
        assert figure(response, "rework_rate") == "12.5%"
    else:
        _assert_denied(response, role)


@pytest.mark.parametrize("role", ROLES)
def test_edit_preview_per_role(role, role_users, use_case, client_for):
    review = make_review(use_case)
    client = client_for(_user(role_users, role))
    response = client.post(
        reverse("reviews:weekly_edit_preview", args=[review.pk]),
        form_data(review, reworked_outputs=140),
    )
    if role in ALLOWED:
        assert response.status_code == 200
        assert figure(response, "rework_rate") == "20.0%"
    else:
        _assert_denied(response, role)


def test_review_of_another_use_case_is_404_for_its_contributor(
    contributor, other_use_case, client_for
):
    review = make_review(other_use_case)
    client = client_for(contributor)
    assert client.get(reverse("reviews:weekly_edit", args=[review.pk])).status_code == 404
    assert client.get(reverse("reviews:weekly_new", args=[other_use_case.pk])).status_code == 404
    assert client.get(reverse("reviews:weekly_edit", args=[99999])).status_code == 404


def test_anonymous_htmx_preview_reloads_the_page_into_the_login(use_case, client):
    page = new_url(use_case, week="2026-W45")
    response = client.post(
        reverse("reviews:weekly_preview", args=[use_case.pk]),
        VALID,
        headers={"HX-Request": "true", "HX-Current-URL": f"http://testserver{page}"},
    )
    assert response.status_code == 200
    assert response["HX-Redirect"] == (
        f"{reverse('login')}?next=/reviews/use-cases/{use_case.pk}/weekly/new/%3Fweek%3D2026-W45"
    )
    assert b"<form" not in response.content


def test_preview_only_accepts_post(owner, use_case, client_for):
    response = client_for(owner).get(reverse("reviews:weekly_preview", args=[use_case.pk]))
    assert response.status_code == 405


# --- defaults ---------------------------------------------------------------------------------


def live_from(use_case, monday: datetime.date):
    """The use case owes weekly reviews from the week of ``monday`` on (``reviews.cadence``)."""
    use_case.live_since = monday
    use_case.save(update_fields=["live_since"])
    return use_case


W44_MONDAY = datetime.date(2026, 10, 26)
W47_MONDAY = datetime.date(2026, 11, 16)


def test_defaults_to_the_earliest_missing_week_and_use_case_target_users(
    owner, use_case, client_for
):
    """Issue 14: the form opened on a week already filed. Due: W44..W47; filed: W44 and W46."""
    live_from(use_case, W44_MONDAY)
    make_review(use_case, week="2026-W44")
    make_review(use_case, week="2026-W46")
    response = client_for(owner).get(new_url(use_case))
    assert 'value="2026-W45"' in input_tag(response, "week")
    assert 'type="week"' in input_tag(response, "week")
    assert 'value="100"' in input_tag(response, "target_users")
    assert "Mon 2 Nov – Sun 8 Nov 2026" in response.content.decode()
    assert not field_errors(response, "week")


def test_defaults_to_the_last_complete_week_when_none_is_missing(owner, use_case, client_for):
    live_from(use_case, W44_MONDAY)
    for week in ("2026-W44", "2026-W45", "2026-W46"):
        make_review(use_case, week=week)
    response = client_for(owner).get(new_url(use_case))
    assert 'value="2026-W47"' in input_tag(response, "week")  # missing, and the last complete
    make_review(use_case, week="2026-W47")
    response = client_for(owner).get(new_url(use_case))
    assert 'value="2026-W47"' in input_tag(response, "week")  # nothing missing
    assert "Mon 16 Nov – Sun 22 Nov 2026" in response.content.decode()


def test_a_use_case_that_owes_no_reviews_opens_on_the_last_complete_week(
    owner, use_case, client_for
):
    use_case.stage = "pilot"
    use_case.save(update_fields=["stage"])
    assert 'value="2026-W47"' in input_tag(client_for(owner).get(new_url(use_case)), "week")


def test_week_from_query_string(owner, use_case, client_for):
    response = client_for(owner).get(new_url(use_case, week="2026-W45"))
    assert 'value="2026-W45"' in input_tag(response, "week")


def test_last_complete_week_on_a_sunday_and_a_monday(owner, use_case, client_for):
    live_from(use_case, W47_MONDAY)
    client = client_for(owner)
    with time_machine.travel(datetime.datetime(2026, 11, 22, 20, tzinfo=datetime.UTC)):
        # Sunday 22 Nov, 21:00 in Berlin: the current week 2026-W47 is not over yet.
        assert 'value="2026-W46"' in input_tag(client.get(new_url(use_case)), "week")
    with time_machine.travel(datetime.datetime(2026, 11, 23, 8, tzinfo=datetime.UTC)):
        assert 'value="2026-W47"' in input_tag(client.get(new_url(use_case)), "week")


def _selected_option(response) -> str | None:
    select = re.search(r'<select name="model_version".*?</select>', response.content.decode(), re.S)
    match = re.search(r'<option value="(\d*)" selected>', select[0])
    return match[1] or None if match else None


@pytest.fixture
def versions(use_case, other_use_case):
    """v1 from October; v2 effective Friday of 2026-W47; v3 effective in 2026-W48."""
    make = ModelChange.objects.create
    return {
        "v1": make(
            use_case=use_case, version_label="v1", kind="model", effective_date="2026-10-01"
        ),
        "v2": make(
            use_case=use_case, version_label="v2", kind="prompt", effective_date="2026-11-20"
        ),
        "v3": make(
            use_case=use_case, version_label="v3", kind="config", effective_date="2026-11-23"
        ),
        "foreign": make(
            use_case=other_use_case, version_label="x1", kind="model", effective_date="2026-10-01"
        ),
    }


def test_model_version_defaults_to_the_one_in_effect_that_week(
    owner, use_case, versions, client_for
):
    live_from(use_case, W47_MONDAY)  # the form opens on 2026-W47
    client = client_for(owner)
    assert _selected_option(client.get(new_url(use_case))) == str(versions["v2"].pk)
    assert _selected_option(client.get(new_url(use_case, week="2026-W45"))) == str(
        versions["v1"].pk
    )
    assert _selected_option(client.get(new_url(use_case, week="2026-W39"))) is None
    # Only this use case's change log is offered.
    page = client.get(new_url(use_case)).content.decode()
    assert ">v1 (" in page and ">x1 (" not in page


def test_blank_model_version_saves_the_one_in_effect(owner, use_case, versions, client_for):
    response = client_for(owner).post(new_url(use_case), {**VALID, "model_version": ""})
    assert response.status_code == 302
    assert WeeklyReview.objects.get().model_version == versions["v2"]


def test_model_version_of_another_use_case_is_refused(owner, use_case, versions, client_for):
    data = {**VALID, "model_version": str(versions["foreign"].pk)}
    response = client_for(owner).post(new_url(use_case), data)
    assert response.status_code == 200
    assert field_errors(response, "model_version")
    assert not WeeklyReview.objects.exists()


def test_preview_names_the_version_in_effect_and_a_different_choice(
    owner, use_case, versions, client_for
):
    data = {**VALID, "model_version": str(versions["v1"].pk)}
    response = client_for(owner).post(reverse("reviews:weekly_preview", args=[use_case.pk]), data)
    text = re.sub(r"<[^>]+>", "", response.content.decode())
    assert "In effect that week: v2 — you selected v1." in text


# --- validation at the field, nothing saved ---------------------------------------------------

BAD_VALUES = [
    ({"active_users": "-1"}, "active_users", "greater than or equal to 0"),
    ({"target_users": "-3"}, "target_users", "greater than or equal to 0"),
    ({"target_users": "0"}, "target_users", "Target users must be at least 1"),
    ({"tasks_total": "-1"}, "tasks_total", "greater than or equal to 0"),
    ({"tasks_with_ai": "-1"}, "tasks_with_ai", "greater than or equal to 0"),
    ({"reworked_outputs": "-1"}, "reworked_outputs", "greater than or equal to 0"),
    ({"exceptions": "-1"}, "exceptions", "greater than or equal to 0"),
    ({"backlog": "-1"}, "backlog", "greater than or equal to 0"),
    ({"minutes_saved_per_task": "-0.5"}, "minutes_saved_per_task", "greater than or equal to 0"),
    ({"rework_minutes_per_output": "-1"}, "rework_minutes_per_output", "greater than or equal"),
    ({"declared_hours_saved": "-1"}, "declared_hours_saved", "greater than or equal to 0"),
    (
        {"tasks_total": "1000", "tasks_with_ai": "1001"},
        "tasks_with_ai",
        "Tasks with AI (1001) cannot exceed tasks in total (1000).",
    ),
    (
        {"tasks_with_ai": "800", "reworked_outputs": "801"},
        "reworked_outputs",
        "Reworked outputs (801) cannot exceed tasks with AI (800).",
    ),
    (
        {"tasks_total": "1000", "exceptions": "1001"},
        "exceptions",
        "Exceptions (1001) cannot exceed tasks in total (1000).",
    ),
    ({"quality_score": "-0.01"}, "quality_score", "greater than or equal to 0"),
    ({"quality_score": "100.01"}, "quality_score", "less than or equal to 100"),
    ({"active_users": "many"}, "active_users", "Enter a whole number."),
    ({"tasks_total": ""}, "tasks_total", "This field is required."),
    # 2027 has 52 ISO weeks; week 00 never exists; the format is YYYY-Www.
    ({"week": "2027-W53"}, "week", "2027-W53 is not an ISO week: year 2027 has weeks 01-52"),
    ({"week": "2026-W00"}, "week", "2026-W00 is not an ISO week"),
    ({"week": "2026-47"}, "week", "is not an ISO week; expected YYYY-Www"),
    ({"week": "2026-W7"}, "week", "is not an ISO week; expected YYYY-Www"),
    ({"week": ""}, "week", "This field is required."),
    # 2026 has 53 ISO weeks, but 2026-W53 (Mon 28 Dec – Sun 3 Jan) has not ended yet.
    ({"week": "2026-W53"}, "week", "2026-W53 ends on Sunday 3 Jan; submit it from Monday 4 Jan."),
    ({"week": "2026-W49"}, "week", "2026-W49 ends on Sunday 6 Dec; submit it from Monday 7 Dec."),
    # Issue 14: the current week (W48 on its Wednesday) is refused until it has ended.
    ({"week": "2026-W48"}, "week", "2026-W48 ends on Sunday 29 Nov; submit it from Monday 30 Nov."),
]


@pytest.mark.parametrize(("changes", "field", "message"), BAD_VALUES)
def test_bad_value_is_told_at_the_field_and_nothing_is_saved(
    changes, field, message, owner, use_case, client_for
):
    response = client_for(owner).post(new_url(use_case), {**VALID, **changes})
    assert response.status_code == 200
    assert any(message in m for m in field_errors(response, field)), field_errors(response, field)
    assert 'aria-invalid="true"' in input_tag(response, field)
    assert "Nothing was saved" in response.content.decode()
    assert not WeeklyReview.objects.exists()


def test_error_list_is_under_its_input(owner, use_case, client_for):
    response = client_for(owner).post(new_url(use_case), {**VALID, "tasks_with_ai": "1001"})
    content = response.content.decode()
    tag = input_tag(response, "tasks_with_ai")
    assert 'aria-invalid="true"' in tag
    assert 'aria-describedby="id_tasks_with_ai_helptext id_tasks_with_ai_error"' in tag
    start = content.index(tag)
    assert (
        start
        < content.index('id="id_tasks_with_ai_error"')
        < content.index('name="reworked_outputs"')
    )


@pytest.mark.parametrize(
    "changes",
    [
        {"tasks_with_ai": "1000", "tasks_total": "1000"},
        {"reworked_outputs": "800", "tasks_with_ai": "800"},
        {"exceptions": "1000", "tasks_total": "1000"},
        {"quality_score": "0"},
        {"quality_score": "100"},
        {
            "active_users": "0",
            "tasks_total": "0",
            "tasks_with_ai": "0",
            "reworked_outputs": "0",
            "exceptions": "0",
        },
        {"week": "2026-W47"},  # the last complete week
        {"week": "2026-W01"},
    ],
)
def test_boundary_values_are_accepted(changes, owner, use_case, client_for):
    response = client_for(owner).post(new_url(use_case), {**VALID, **changes})
    assert response.status_code == 302, field_errors(response, next(iter(changes)))
    assert WeeklyReview.objects.count() == 1


def test_duplicate_week_links_to_the_existing_review(owner, use_case, client_for):
    existing = make_review(use_case, week="2026-W47")
    response = client_for(owner).post(new_url(use_case), VALID)
    assert response.status_code == 200
    url = reverse("reviews:weekly_edit", args=[existing.pk])
    errors = re.search(
        r'<ul class="errorlist" id="id_week_error">(.*?)</ul>', response.content.decode(), re.S
    )[1]
    assert f'<a href="{url}">review #{existing.pk}</a>' in errors
    assert "A weekly review for 2026-W47 already exists" in field_errors(response, "week")[0]
    assert WeeklyReview.objects.count() == 1


def test_same_week_of_another_use_case_is_no_duplicate(owner, use_case, other_use_case, client_for):
    make_review(other_use_case, week="2026-W47")
    assert client_for(owner).post(new_url(use_case), VALID).status_code == 302


def test_duplicate_raised_by_the_service_is_linked_at_the_week_field(owner, use_case):
    """Two people submit the same week at once: the form was valid, then the other review
    was saved first; the service's message lands at the week field with a link."""
    form = WeeklyReviewForm(VALID, use_case=use_case)
    assert form.is_valid()
    existing = make_review(use_case, week="2026-W47")
    with pytest.raises(ValidationError) as exc:
        services.weekly_review_submit(
            user=owner, use_case=use_case, week="2026-W47", data=form.service_data()
        )
    form.add_service_errors(exc.value)
    url = reverse("reviews:weekly_edit", args=[existing.pk])
    assert f'<a href="{url}">review #{existing.pk}</a>' in str(form.errors["week"][0])


def test_preview_button_renders_figures_and_saves_nothing(owner, use_case, client_for):
    response = client_for(owner).post(new_url(use_case), {**VALID, "preview": "1"})
    assert response.status_code == 200
    assert figure(response, "gross_efficiency") == "EUR 1,500.00"
    assert 'value="800"' in input_tag(response, "tasks_with_ai")
    assert not WeeklyReview.objects.exists()


def test_submit_redirects_with_a_message_and_saves_the_typed_values(owner, use_case, client_for):
    response = client_for(owner).post(new_url(use_case), VALID, follow=True)
    assert response.redirect_chain[-1][0] == reverse("usecases:detail", args=[use_case.pk])
    assert "Weekly review 2026-W47 saved." in response.content.decode()
    review = WeeklyReview.objects.get()
    assert (review.tasks_with_ai, review.minutes_saved_per_task) == (800, Decimal("2.5"))
    assert review.week_start == datetime.date(2026, 11, 16)
    assert review.notes == "Steady week."


# --- live figures -----------------------------------------------------------------------------


def test_preview_figures_are_the_engines_hand_computed(owner, use_case, client_for):
    """H = 45: adoption 75/100; rework 100/800; exceptions 50/1000;
    gross 800 × 2.5 / 60 × 45 = 1,500; rework cost 100 × 7.5 / 60 × 45 = 562.50."""
    response = client_for(owner).post(reverse("reviews:weekly_preview", args=[use_case.pk]), VALID)
    assert response.status_code == 200
    assert b"<html" not in response.content  # only the figures partial
    assert figure(response, "adoption_rate") == "75.0%"
    assert figure(response, "rework_rate") == "12.5%"
    assert figure(response, "exception_share") == "5.0%"
    assert figure(response, "gross_efficiency") == "EUR 1,500.00"
    assert figure(response, "rework_cost") == "EUR 562.50"
    assert "EUR 45.00 per hour" in response.content.decode()


def test_preview_shows_a_dash_for_figures_whose_inputs_are_missing(owner, use_case, client_for):
    data = {**VALID, "reworked_outputs": "", "minutes_saved_per_task": "abc"}
    response = client_for(owner).post(reverse("reviews:weekly_preview", args=[use_case.pk]), data)
    assert figure(response, "rework_rate") == "—"
    assert figure(response, "rework_cost") == "—"
    assert figure(response, "gross_efficiency") == "—"
    assert figure(response, "adoption_rate") == "75.0%"


def test_preview_lists_the_rules_messages_for_the_typed_values(owner, use_case, client_for):
    data = {**VALID, "tasks_with_ai": "1200", "quality_score": "120", "backlog": "-4"}
    response = client_for(owner).post(reverse("reviews:weekly_preview", args=[use_case.pk]), data)
    checks = html.unescape(re.sub(r"<[^>]+>", "", response.content.decode()))
    assert "Tasks done with AI: Tasks with AI (1200) cannot exceed tasks in total (1000)." in checks
    # Field ranges in the words the submit uses (the model fields' validators), once each.
    assert checks.count("Quality score (0–100): Ensure this value is less than or") == 1
    assert checks.count("Backlog at week end (items): Ensure this value is greater than") == 1
    # The figures are still shown, computed from the typed values.
    assert figure(response, "rework_rate") == "8.3%"


def test_preview_tells_about_the_week(owner, use_case, client_for):
    existing = make_review(use_case, week="2026-W46")
    url = reverse("reviews:weekly_preview", args=[use_case.pk])
    client = client_for(owner)
    future = client.post(url, {**VALID, "week": "2026-W50"}).content.decode()
    assert "2026-W50 ends on Sunday 13 Dec; submit it from Monday 14 Dec." in future
    duplicate = client.post(url, {**VALID, "week": "2026-W46"}).content.decode()
    edit_url = reverse("reviews:weekly_edit", args=[existing.pk])
    assert f'<a href="{edit_url}">review #{existing.pk}</a>' in duplicate
    straddling = client.post(url, {**VALID, "week": "2026-W44"}).content.decode()
    assert "Mon 26 Oct – Sun 1 Nov 2026 · counts towards October 2026" in straddling


@pytest.mark.parametrize(
    ("now", "message"),
    [
        # Wednesday of W48, and its Sunday evening: not ended.
        (NOW, "2026-W48 ends on Sunday 29 Nov; submit it from Monday 30 Nov."),
        (
            datetime.datetime(2026, 11, 29, 22, tzinfo=datetime.UTC),
            "2026-W48 ends on Sunday 29 Nov; submit it from Monday 30 Nov.",
        ),
    ],
)
def test_the_unfinished_week_is_refused_in_the_preview_and_the_no_js_preview(
    now, message, owner, use_case, client_for
):
    client = client_for(owner)
    data = {**VALID, "week": "2026-W48"}
    with time_machine.travel(now, tick=False):
        live = client.post(reverse("reviews:weekly_preview", args=[use_case.pk]), data)
        no_js = client.post(new_url(use_case), {**data, "preview": "1"})
        submit = client.post(new_url(use_case), data)
    assert message in html.unescape(live.content.decode())
    assert message in field_errors(no_js, "week")
    assert message in html.unescape(no_js.content.decode().split('id="figures"', 1)[1])
    assert field_errors(submit, "week") == [message]
    assert not WeeklyReview.objects.exists()


def test_the_week_is_accepted_from_the_monday_after_it(owner, use_case, client_for):
    data = {**VALID, "week": "2026-W48"}
    with time_machine.travel(datetime.datetime(2026, 11, 29, 23, 1, tzinfo=datetime.UTC)):
        response = client_for(owner).post(new_url(use_case), data)  # 00:01 on Monday in Berlin
    assert response.status_code == 302, field_errors(response, "week")
    assert WeeklyReview.objects.get().week == "2026-W48"


def test_preview_without_business_case_uses_zero_hourly_cost(owner, client_for):
    bare = make_use_case(name="Bare", owner=owner)
    bare.business_case.delete()
    response = client_for(owner).post(reverse("reviews:weekly_preview", args=[bare.pk]), VALID)
    assert figure(response, "gross_efficiency") == "EUR 0.00"
    assert "no business case yet" in response.content.decode()


def test_form_posts_itself_to_the_preview_as_one_types(owner, use_case, client_for):
    page = client_for(owner).get(new_url(use_case)).content.decode()
    form = re.search(r'<form method="post" id="review-form"[^>]*>', page)[0]
    assert f'hx-post="{reverse("reviews:weekly_preview", args=[use_case.pk])}"' in form
    assert 'hx-trigger="input changed delay:300ms"' in form
    assert 'hx-target="#figures"' in form
    assert '<aside id="figures"' in page
    assert 'name="preview"' in page
    assert "<script>" not in page and " style=" not in page


# --- correcting -------------------------------------------------------------------------------


def test_correction_form_carries_the_version_and_no_week(owner, use_case, client_for):
    review = make_review(use_case)
    page = client_for(owner).get(reverse("reviews:weekly_edit", args=[review.pk]))
    assert re.search(r'<input type="hidden" name="version" value="1"', page.content.decode())
    assert 'name="week"' not in page.content.decode()
    assert f'hx-post="{reverse("reviews:weekly_edit_preview", args=[review.pk])}"' in (
        page.content.decode()
    )


def test_correction_saves_a_new_version_and_redirects(owner, use_case, client_for):
    review = make_review(use_case)
    response = client_for(owner).post(
        reverse("reviews:weekly_edit", args=[review.pk]),
        form_data(review, reworked_outputs=35),
        follow=True,
    )
    assert "Weekly review 2026-W46 corrected." in response.content.decode()
    review.refresh_from_db()
    assert (review.reworked_outputs, review.version, review.week) == (35, 2, "2026-W46")


def test_invalid_correction_is_told_at_the_field_and_changes_nothing(owner, use_case, client_for):
    review = make_review(use_case)
    response = client_for(owner).post(
        reverse("reviews:weekly_edit", args=[review.pk]), form_data(review, exceptions=1001)
    )
    assert response.status_code == 200
    assert field_errors(response, "exceptions") == [
        "Exceptions (1001) cannot exceed tasks in total (1000)."
    ]
    review.refresh_from_db()
    assert (review.exceptions, review.version) == (30, 1)


def test_stale_version_shows_the_conflict_and_overwrites_nothing(
    owner, contributor, use_case, client_for
):
    review = make_review(use_case)
    stale = form_data(review, backlog=80, notes="Owner's view")  # the owner opened version 1
    services.weekly_review_correct(
        user=contributor, review=review, data={"backlog": 95}, expected_version=1
    )
    response = client_for(owner).post(reverse("reviews:weekly_edit", args=[review.pk]), stale)
    assert response.status_code == 409
    text = html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode())))
    assert "Your changes were not saved." in text
    assert "changed by Carl Contributor at 25 Nov 2026, 13:00" in text
    assert "it is now version 2" in text
    # What the owner typed is listed beside the current value; the form holds the current data.
    assert "Backlog at week end (items) 80 95" in text
    assert "Notes Owner's view Steady" not in text
    assert 'value="95"' in input_tag(response, "backlog")
    assert re.search(r'name="version" value="2"', response.content.decode())
    review.refresh_from_db()
    assert (review.backlog, review.version, review.notes) == (95, 2, "")


def test_resubmitting_after_a_conflict_saves(owner, contributor, use_case, client_for):
    review = make_review(use_case)
    services.weekly_review_correct(
        user=contributor, review=review, data={"backlog": 95}, expected_version=1
    )
    review.refresh_from_db()
    response = client_for(owner).post(
        reverse("reviews:weekly_edit", args=[review.pk]), form_data(review, backlog=80)
    )
    assert response.status_code == 302
    review.refresh_from_db()
    assert (review.backlog, review.version) == (80, 3)


def test_page_query_count_does_not_grow_with_the_change_log(owner, use_case, client_for):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(owner)
    url = new_url(use_case)
    client.get(url)
    ModelChange.objects.create(
        use_case=use_case, version_label="v1", kind="model", effective_date="2026-10-01"
    )
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    for i in range(2, 12):
        ModelChange.objects.create(
            use_case=use_case, version_label=f"v{i}", kind="prompt", effective_date="2026-10-02"
        )
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    assert len(many) == len(one)


# --- one message per value (issue 16) -----------------------------------------------------------

OUT_OF_RANGE = {
    "quality_score": ("150", "Ensure this value is less than or equal to 100."),
    "minutes_saved_per_task": ("-1", "Ensure this value is greater than or equal to 0."),
    "rework_minutes_per_output": ("-2", "Ensure this value is greater than or equal to 0."),
    "declared_hours_saved": ("-3", "Ensure this value is greater than or equal to 0."),
    "backlog": ("-4", "Ensure this value is greater than or equal to 0."),
}


def page_text(response) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", response.content.decode()))


def test_each_out_of_range_value_is_told_once(owner, use_case, client_for):
    """The model field's validator and a rule used to both refuse quality > 100 and negative
    decimals: two messages at one field. Now each value has one message, once on the page."""
    data = {**VALID, **{field: value for field, (value, _) in OUT_OF_RANGE.items()}}
    client = client_for(owner)
    response = client.post(new_url(use_case), data)
    assert response.status_code == 200
    for field, (_, message) in OUT_OF_RANGE.items():
        assert field_errors(response, field) == [message], field
    text = page_text(response)
    assert text.count("less than or equal to 100") == 1
    assert text.count("greater than or equal to 0") == len(OUT_OF_RANGE) - 1
    assert not WeeklyReview.objects.exists()
    # The preview (as one types) says the same, once per value.
    preview = page_text(client.post(reverse("reviews:weekly_preview", args=[use_case.pk]), data))
    assert preview.count("less than or equal to 100") == 1
    assert preview.count("greater than or equal to 0") == len(OUT_OF_RANGE) - 1


def test_the_new_form_reads_the_versions_once(owner, use_case, client_for):
    """The new weekly form asks for the version in effect twice (its initial value and its
    preview) and lists the versions once, checking the initial among them: two reads of the
    change log in all, and no server-side cursor (Django's select lists its options through
    ``QuerySet.iterator()``)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for i in range(3):
        ModelChange.objects.create(
            use_case=use_case, version_label=f"v{i}", kind="model", effective_date="2026-10-01"
        )
    client = client_for(owner)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(new_url(use_case))
    assert response.status_code == 200
    reads = [q["sql"] for q in captured if "usecases_modelchange" in q["sql"]]
    assert len(reads) == 2, reads
    assert not [sql for sql in reads if "DECLARE" in sql.upper()]
    assert response.content.decode().count("<option") >= 4
