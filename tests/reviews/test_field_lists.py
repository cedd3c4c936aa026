"""The review fields are listed once, on the model (``INPUT_FIELDS`` with labels and help texts):
the pages' forms, the API serializers, the bulk import's columns and the service all take that
list, so a KPI added to the model reaches each of them — or a test here says where it is missing.
"""

import datetime
import random
from types import SimpleNamespace

import pytest
from django.utils.text import capfirst

from benchmarks import generate, measure
from reviews import bulk_import, change_impact, forms, rules, thresholds
from reviews.models import WEEK_FIGURE_FIELDS, MonthlyReview, WeeklyReview
from reviews.serializers import MonthlyReviewSerializer, WeeklyReviewSerializer

pytestmark = pytest.mark.django_db

KINDS = [
    (WeeklyReview, forms.WeeklyReviewForm, WeeklyReviewSerializer),
    (MonthlyReview, forms.MonthlyReviewForm, MonthlyReviewSerializer),
]


@pytest.mark.parametrize("model, form_class, serializer_class", KINDS)
def test_every_input_field_has_a_label_and_a_help_text(model, form_class, serializer_class):
    for name in (model.period_field, *model.INPUT_FIELDS):
        field = model._meta.get_field(name)
        assert field.help_text, f"{model.__name__}.{name} has no help text"


@pytest.mark.parametrize("model, form_class, serializer_class", KINDS)
def test_the_form_shows_every_input_field_in_a_section_with_the_models_wording(
    model, form_class, serializer_class, use_case
):
    form = form_class(use_case=use_case)
    in_sections = [bound.name for _legend, fields in form.field_sections() for bound in fields]
    assert sorted(in_sections) == sorted((model.period_field, *model.INPUT_FIELDS))
    for name in model.INPUT_FIELDS:
        field = model._meta.get_field(name)
        assert form.fields[name].help_text == field.help_text
        assert form.fields[name].label.startswith(capfirst(field.verbose_name))  # + currency


@pytest.mark.parametrize("model, form_class, serializer_class", KINDS)
def test_the_api_takes_every_input_field_with_the_models_help_text(
    model, form_class, serializer_class
):
    fields = serializer_class().fields
    for name in (model.period_field, *model.INPUT_FIELDS):
        assert name in fields and not fields[name].read_only, name
        # model_version: declared by the serializer (an id, said so in its help); the period: below
        if name not in ("model_version", model.period_field):
            assert fields[name].help_text == model._meta.get_field(name).help_text, name


#: The period's help text as the form and the API give it (issue 14: only ended periods; the
#: model's own text still says "started" until a migration brings it along).
PERIOD_HELP = {WeeklyReview: rules.WEEK_HELP, MonthlyReview: rules.MONTH_HELP}


@pytest.mark.parametrize("model, form_class, serializer_class", KINDS)
def test_the_period_field_says_only_ended_periods_in_the_form_and_the_api(
    model, form_class, serializer_class, use_case
):
    help_text = PERIOD_HELP[model]
    assert "Only weeks that have ended" in rules.WEEK_HELP
    assert "Only months that have ended" in rules.MONTH_HELP
    assert form_class(use_case=use_case).fields[model.period_field].help_text == help_text
    assert serializer_class().fields[model.period_field].help_text == help_text


def test_the_bulk_import_columns_are_the_weekly_input_fields():
    assert ("week", *WeeklyReview.INPUT_FIELDS) == bulk_import.COLUMNS


def test_the_engine_reads_weekly_kpis_only():
    """The engine's inputs (``WEEK_FIGURE_FIELDS``) are KPIs of the model's one list, which the
    change impact and the trends read (``week_figures``)."""
    assert set(WEEK_FIGURE_FIELDS) <= set(WeeklyReview.KPI_FIELDS)
    assert set(WEEK_FIGURE_FIELDS) <= set(change_impact.WEEK_FIELDS)
    assert set(WEEK_FIGURE_FIELDS) <= set(thresholds.TREND_FIELDS)


def _plan(pk=7):
    return generate.Plan(
        pk=pk,
        target_users=100,
        tasks_per_user=10.0,
        minutes_saved=5.0,
        adoption_level=0.8,
        rework_level=0.05,
        exception_level=0.03,
        quality_level=85.0,
        backlog_start=1000.0,
        change_week=None,
        changes=[],
        breach=None,
        backlog_stalls=False,
        quality_drops=False,
    )


def _weekly_lines(weeks=2):
    steward = SimpleNamespace(pk=3)
    mondays = generate.review_weeks(datetime.date(2026, 11, 20), weeks)
    return list(generate.weekly_lines([_plan()], mondays, rng=random.Random(1), stewards=[steward]))


def test_the_benchmark_generator_writes_every_kpi_of_the_model():
    fields = generate.weekly_fields()
    assert [name for name in fields if name in WeeklyReview.KPI_FIELDS] == list(
        WeeklyReview.KPI_FIELDS
    )
    first, _ = _weekly_lines()
    row = dict(zip(fields, first.split("\t"), strict=True))
    assert (row["use_case_id"], row["week"], row["submitted_by_id"]) == ("7", "2026-W44", "3")
    assert all(row[name] not in ("", "\\N") for name in WeeklyReview.KPI_FIELDS)
    assert WeeklyReview._meta.get_field("quality_score").to_python(row["quality_score"])


def test_a_kpi_added_to_the_model_reaches_the_benchmark(monkeypatch):
    """The generator's columns and the load client's carried figures follow the model's list: a
    new KPI without a generated value stops the generator, naming it."""
    monkeypatch.setattr(WeeklyReview, "KPI_FIELDS", (*WeeklyReview.KPI_FIELDS, "handover_time"))
    assert "handover_time" in generate.weekly_fields()
    assert "handover_time" in measure.carried_fields()
    assert "backlog" not in measure.carried_fields()  # lowered by the load client, not carried
    with pytest.raises(KeyError, match="handover_time"):
        _weekly_lines()
