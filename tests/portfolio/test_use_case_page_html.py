"""The use case page's value rows written in Python (``portfolio.use_case_value_rows``) are the
template loops they replaced, byte for byte: the loops are kept here as they were in
``templates/portfolio/_uc_value.html``, rendered by the same engine over random figures."""

import datetime
from decimal import Decimal

from django.template import engines
from hypothesis import example, given, settings
from hypothesis import strategies as st

from portfolio import use_case_page_html as page_html
from usecases import economics, money
from usecases.waterfall_bars import WaterfallBar

WATERFALL_LOOP = """{% for bar in waterfall %}
        <tr class="{% if bar.is_total %}step-total{% else %}step-leak leak-{{ bar.leakage_point }}{% endif %}" data-step="{{ bar.step }}">
          <th scope="row">{% if not bar.is_total %}− {% endif %}{{ bar.label }}</th>
          <td>{% if bar.leakage_point %}<span class="pill pill-leak-{{ bar.leakage_point }}">{{ bar.leakage_point|capfirst }}</span>{% endif %}</td>
          <td class="num{% if bar.is_total and bar.amount < 0 %} neg{% endif %}">{{ bar.amount|money }}</td>
        </tr>
      {% endfor %}"""  # noqa: E501

MONTHS_LOOP = """{% for month, f in value_months %}
      <tr{% if not f %} class="no-data"{% endif %}>
        <th scope="row">{{ month|date:"M Y" }}</th>
        {% if f %}
        <td class="num">{{ f.gross_efficiency|money }}</td>
        <td class="num">{{ f.absorption_cost|money }}</td>
        <td class="num{% if f.net_value < 0 %} neg{% endif %}">{{ f.net_value|money }}</td>
        <td class="num">{{ f.translation_gap|money }}</td>
        {% else %}
        <td class="num muted" title="No review in {{ month|date:"M Y" }}">—</td><td class="num muted">—</td><td class="num muted">—</td><td class="num muted">—</td>
        {% endif %}
      </tr>
    {% endfor %}"""  # noqa: E501

NINETY_LOOP = (
    '{% for m in months %}{{ m.0 }}-{{ m.1|stringformat:"02d" }}'
    "{% if not forloop.last %}, {% endif %}{% endfor %}"
)

amounts = st.decimals(
    min_value=Decimal("-1e9"), max_value=Decimal("1e9"), places=4, allow_nan=False
)
bars = st.lists(
    st.builds(
        WaterfallBar,
        step=st.sampled_from(sorted(economics.STEP_LABELS)),
        leakage_point=st.sampled_from([None, "", "adoption", "effort", "translation", 'a<b&"c']),
        amount=amounts,
        low=st.just(Decimal(0)),
        high=st.just(Decimal(0)),
    ),
    max_size=15,
)
figures = st.builds(
    money.Figures,
    pilot_promise=amounts,
    adoption_gap=amounts,
    gross_efficiency=amounts,
    translation_gap=amounts,
    rework=amounts,
    training=amounts,
)
months = st.lists(
    st.tuples(
        st.dates(min_value=datetime.date(1990, 1, 1), max_value=datetime.date(2100, 12, 1)).map(
            lambda d: d.replace(day=1)
        ),
        st.none() | figures,
    ),
    max_size=36,
)


def render(source, **context):
    return engines["django"].from_string(source).render(context)


@settings(max_examples=60, deadline=None)
@given(bars)
def test_waterfall_rows_are_the_template_loop(bars):
    assert page_html.waterfall_rows(bars) == render(WATERFALL_LOOP, waterfall=bars)


@settings(max_examples=60, deadline=None)
@given(months)
@example([(datetime.date(2026, 1, 1), money.Figures()), (datetime.date(2026, 2, 1), None)])
def test_month_rows_are_the_template_loop(value_months):
    assert page_html.month_rows(value_months) == render(MONTHS_LOOP, value_months=value_months)


@given(st.lists(st.tuples(st.integers(1, 9999), st.integers(1, 12)), max_size=3))
def test_ninety_day_months_are_the_template_loop(months):
    assert page_html.month_list(months) == render(NINETY_LOOP, months=months)


PLACEHOLDER_LOOP = """{% for s in sections %}{% comment %}…{% endcomment %}
<section class="card uc-section-later" id="{{ s.slug }}" aria-labelledby="{{ s.slug }}-title" aria-busy="true"
         hx-get="{{ s.url }}" hx-trigger="intersect once" hx-swap="outerHTML">
  <h2 id="{{ s.slug }}-title">{{ s.title }}</h2>
  <p class="muted small">{{ s.summary }} <a href="{{ s.url }}">Open the section “{{ s.nav }}”</a></p>
</section>
{% endfor %}"""  # noqa: E501

texts = st.text(alphabet=st.sampled_from("ab <>&\"'“”é-/?=#"), max_size=12)


@given(
    st.lists(
        st.fixed_dictionaries(dict.fromkeys(("slug", "url", "title", "summary", "nav"), texts)),
        max_size=9,
    )
)
def test_section_placeholders_are_the_template_loop(sections):
    assert page_html.section_placeholders(sections) == render(PLACEHOLDER_LOOP, sections=sections)


def test_the_page_places_each_section_placeholder():
    """The real sections' links, as the page shows them (``Section.link``)."""
    from portfolio.use_case_sections import SECTIONS

    links = [s.link(7, "start=2026-01&end=2026-03") for s in SECTIONS.values()]
    assert page_html.section_placeholders(links) == render(PLACEHOLDER_LOOP, sections=links)


INDEX_LOOP = """{% for s in sections %}<a href="#{{ s.slug }}">{{ s.nav }}</a>
  {% endfor %}"""

PRESETS_LOOP = (
    '{% for p in presets %}<a href="{{ page_url }}?start={{ p.range.start_param }}&amp;end='
    '{{ p.range.end_param }}#value"{% if p.range == month_range %} aria-current="true"{% endif %}>'
    "{{ p.label }}</a>{% endfor %}"
)


@given(st.lists(st.fixed_dictionaries({"slug": texts, "nav": texts}), max_size=9))
def test_section_index_is_the_template_loop(sections):
    assert page_html.section_index(sections) == render(INDEX_LOOP, sections=sections)


@given(st.dates(min_value=datetime.date(2000, 1, 1), max_value=datetime.date(2090, 1, 1)), texts)
def test_preset_links_are_the_template_loop(today, page_url):
    from portfolio import dashboard
    from portfolio.use_case_page import _presets

    presets = _presets(today)
    for month_range in (presets[0]["range"], presets[-1]["range"], dashboard.default_range(today)):
        assert page_html.preset_links(page_url, presets, month_range) == render(
            PRESETS_LOOP, presets=presets, page_url=page_url, month_range=month_range
        )
