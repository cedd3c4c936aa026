"""The dashboard table's rows as HTML, written in Python: 50 rows × 9 cells a page, which the
template engine took longer to render (about 18 variables and 8 ``{% if %}`` a row) than the rest
of the table. The HTML is what the template's row rendered; the template keeps the table
around it (``templates/portfolio/dashboard.html``)."""

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from .dashboard import DashboardRow

MUTED_DASH = '<span class="muted">—</span>'


def row_html(row: DashboardRow, *, no_data_title: str, flags_url: str) -> SafeString:
    """One ``<tr>`` (with the newline and indentation before it). ``no_data_title``: the net
    value cell's title without a review in the range; ``flags_url``: the flags page."""
    uc = row.use_case
    pk = uc.pk
    owner = (
        escape(row.owner_name) if row.owner_name else '<span class="warning">No value owner</span>'
    )
    if row.latest_week:
        adoption = (
            f'{escape(row.adoption_text)}<div class="muted small">{escape(row.latest_week)}</div>'
        )
        rework = escape(row.rework_text)
    else:
        adoption = rework = MUTED_DASH
    if row.has_data:
        net_class = " neg" if row.net_value < 0 else ""
        net = escape(row.net_value_text)
    else:
        net_class = ""
        net = f'<span class="muted" title="{escape(no_data_title)}">—</span>'
    if row.open_flags:
        flags = (
            f'<a class="pill pill-bad" href="{escape(flags_url)}?use_case={pk}&amp;open=true">'
            f"{row.open_flags}</a>"
        )
    else:
        flags = '<span class="muted">0</span>'
    return mark_safe(
        f'\n      <tr data-use-case="{pk}">\n'
        f'        <td><a href="{escape(row.url)}">{escape(uc.name)}</a></td>\n'
        f"        <td>{escape(uc.business_unit)}</td>\n"
        f'        <td><span class="pill pill-{escape(uc.stage)}">'
        f"{escape(uc.get_stage_display())}</span></td>\n"
        f'        <td><span class="pill pill-{escape(uc.funding_status)}">'
        f"{escape(uc.get_funding_status_display())}</span></td>\n"
        f"        <td>{owner}</td>\n"
        f'        <td class="num">{adoption}</td>\n'
        f'        <td class="num">{rework}</td>\n'
        f'        <td class="num net-value{net_class}">{net}</td>\n'
        f'        <td class="num">{flags}</td>\n'
        f"      </tr>"
    )


def rows_html(rows, *, no_data_title: str, flags_url: str) -> list[SafeString]:
    return [row_html(r, no_data_title=no_data_title, flags_url=flags_url) for r in rows]
