"""Reading the use case page as a person sees it once every section has loaded: the page
(``usecases:detail``) paints the header, facts, flags and value; the other sections come from
their own URLs (``portfolio.use_case_sections``), as htmx fetches them when they scroll into
view (``HX-Request: true``), or as full pages (a plain link)."""

import re

from django.urls import reverse

from portfolio.use_case_sections import SECTIONS

HTMX = {"HTTP_HX_REQUEST": "true"}


def section_url(use_case, slug: str, query: str = "") -> str:
    pk = use_case if isinstance(use_case, int) else use_case.pk
    base = reverse(f"portfolio:{SECTIONS[slug].url_name}", args=[pk])
    return f"{base}?{query}" if query else base


def get_section(client, use_case, slug: str, query: str = "", *, htmx: bool = True):
    """The section as htmx loads it (``htmx=False``: as a plain link opens it)."""
    return client.get(section_url(use_case, slug, query), **(HTMX if htmx else {}))


def _placeholder(slug: str) -> re.Pattern:
    return re.compile(rf'<section class="card uc-section-later" id="{slug}".*?</section>', re.S)


def whole_page(client, url: str) -> str:
    """The page with every placeholder replaced by its section, fetched from the URL the
    placeholder's ``hx-get`` names (so the range travels as the browser's would)."""
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    html = response.content.decode()
    for slug in SECTIONS:
        match = _placeholder(slug).search(html)
        assert match, f"no placeholder for {slug}"
        hx_get = re.search(r'hx-get="([^"]+)"', match.group(0)).group(1).replace("&amp;", "&")
        fragment = client.get(hx_get, **HTMX)
        assert fragment.status_code == 200, (slug, fragment.status_code)
        html = html[: match.start()] + fragment.content.decode() + html[match.end() :]
    return html


def detail_url(use_case) -> str:
    return reverse("usecases:detail", args=[use_case.pk])


def load_sections_in_browser(page) -> None:
    """In a Playwright page: scroll each section that loads as needed into view and wait until
    htmx swapped it in (a script scrolls, not a locator: htmx may swap the element meanwhile)."""
    for _ in range(2 * len(SECTIONS)):
        waiting = page.eval_on_selector_all(".uc-section-later", "els => els.map(e => e.id)")
        if not waiting:
            break
        page.evaluate("id => document.getElementById(id).scrollIntoView()", waiting[0])
        page.wait_for_function(
            "id => !document.querySelector('.uc-section-later#' + id)", arg=waiting[0]
        )
    page.wait_for_load_state("networkidle")
