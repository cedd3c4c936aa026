"""The expected permission table for ``test_permission_matrix.py``: route name → the status each
role gets for each method. Read it as the product's access rules, route by route.

Roles (``tests/conftest.py``; every object in ``world`` belongs to ``use_case`` unless named):

- ``anonymous``: not logged in. Pages redirect to the login page (``LOGIN``); the API answers
  401 with a ``WWW-Authenticate: Token`` challenge (token authentication comes first).
- ``outsider``: logged in, no group, owns nothing, named nowhere: sees nothing (404).
- ``other_owner``: value owner of ``other_use_case``: reads the whole portfolio, changes
  nothing of ``use_case`` (403).
- ``contributor``: named on ``use_case``: reads it and submits its reviews; nothing else.
- ``leader`` (Leadership): reads everything, votes; ``gate`` is chaired by the leader.
- ``pmo`` (PMO): manages use cases, policy, flags and gates; never votes.
- ``owner``: value owner of ``use_case``; ``admin``: superuser.

Statuses of allowed writes are those of the representative body each entry sends: a valid body
gives the success status (302 after a form, 201/200 from the API); an empty body gives the form
again (200) or a 400. Either way it is not 401/403/404, which is what the matrix is about.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from portfolio.use_case_sections import SECTIONS
from tests.conftest import ROLES

LOGIN = "login"
#: What an anonymous API request gets: 401 with a ``WWW-Authenticate: Token`` challenge.
API_ANON = 401

#: Routes deliberately outside the matrix (see the test module's docstring).
#: ``account_login``/``account_logout`` are allauth's names for the same two pages.
NOT_IN_MATRIX = frozenset({"login", "logout", "account_login", "account_logout"})


def expect(everyone, **by_role) -> dict[str, int | str]:
    """``everyone`` for each role, except the roles named."""
    unknown = set(by_role) - set(ROLES)
    assert not unknown, f"unknown roles {unknown}"
    return {role: by_role.get(role, everyone) for role in ROLES}


@dataclass(frozen=True)
class Entry:
    #: URL kwarg → the name of the ``world`` object whose pk fills it.
    kwargs: dict[str, str] = field(default_factory=dict)
    #: method → expected status per role.
    checks: dict[str, dict[str, int | str]] = field(default_factory=dict)
    #: method → body (a dict, or ``world → dict``); JSON for the API, form-encoded otherwise.
    bodies: dict[str, dict | Callable] = field(default_factory=dict)
    query: str = ""
    #: The roles to ask (a public route gives everyone the same answer: two suffice).
    roles: tuple[str, ...] = ROLES


#: A public route: anonymous and one logged-in role (the outsider).
PUBLIC = ("anonymous", "outsider")

# --- shorthands ------------------------------------------------------------------------------
#: 200 and an empty list (``count`` 0): an API list that hides everything from this role.
EMPTY = "empty"
#: GET on a POST-only page: 405 for everyone (``require_POST`` runs before ``login_required``).
POST_ONLY = expect(405)
#: The same where ``login_required`` comes first: anonymous users are sent to log in.
POST_ONLY_LOGIN_FIRST = expect(405, anonymous=LOGIN)
#: An API route's GET when the route offers no GET (authentication runs first: 401 anonymous).
API_NO_GET = expect(405, anonymous=API_ANON)

#: A page about ``use_case`` everyone who may see it reads: all but the outsider (404).
READ_USE_CASE_PAGE = expect(200, anonymous=LOGIN, outsider=404)
#: The same through the API.
READ_USE_CASE_API = expect(200, anonymous=API_ANON, outsider=404)
#: An API list anyone logged in may ask for; the outsider's comes back empty.
API_LIST = expect(200, anonymous=API_ANON, outsider=EMPTY)
#: Submitting and correcting ``use_case``'s reviews: its owner, its contributor and admins.
REVIEW_PAGE = expect(403, anonymous=LOGIN, outsider=404, contributor=200, owner=200, admin=200)
#: The same, a write that succeeds (a redirect after the form).
REVIEW_SAVED = expect(403, anonymous=LOGIN, outsider=404, contributor=302, owner=302, admin=302)
#: Importing ``use_case``'s weekly reviews from a spreadsheet: the same people, and the PMO.
IMPORT_PAGE = {**REVIEW_PAGE, "pmo": 200}
#: The import's POST without a file: a 400 with the form's message for those who may import.
IMPORT_WITHOUT_FILE = {role: 400 if code == 200 else code for role, code in IMPORT_PAGE.items()}
#: PMO-only pages about no particular object (admins are PMO too).
PMO_PAGE = expect(403, anonymous=LOGIN, pmo=200, admin=200)


WEEKLY_FIGURES = dict(
    active_users=70,
    target_users=100,
    tasks_total=1000,
    tasks_with_ai=800,
    reworked_outputs=80,
    exceptions=30,
    minutes_saved_per_task="2.50",
    rework_minutes_per_output="6.00",
    quality_score="91.50",
    backlog=40,
    declared_hours_saved="30.00",
)
MONTHLY_FIGURES = dict(
    training_cost="500.00",
    support_cost="800.00",
    integration_cost="300.00",
    run_cost="1200.00",
    maintenance_cost="400.00",
    other_cost="100.00",
)


def _weekly_form(world) -> dict:
    """A valid weekly review of 2026-W47 (the week before the frozen today)."""
    return {"week": "2026-W47", **{k: str(v) for k, v in WEEKLY_FIGURES.items()}}


def _monthly_form(world) -> dict:
    return {"month": "2026-10", **{k: str(v) for k, v in MONTHLY_FIGURES.items()}}


#: Chat channels: the PMO, admins and value owners (their own); others 403.
CHANNELS_PAGE = expect(403, anonymous=LOGIN, other_owner=200, pmo=200, owner=200, admin=200)
#: The owner's personal channel: the owner, the PMO and admins; another value owner 404.
CHANNEL_PAGE_OWN = expect(403, anonymous=LOGIN, other_owner=404, pmo=200, owner=200, admin=200)
CHANNELS_API_NONE = expect(403, anonymous=API_ANON)
CHANNELS_API_LIST = {
    **CHANNELS_API_NONE,
    "other_owner": EMPTY,
    "pmo": 200,
    "owner": 200,
    "admin": 200,
}
CHANNEL_API_OWN = {**CHANNELS_API_NONE, "other_owner": 404, "pmo": 200, "owner": 200, "admin": 200}
CHANNEL_BODY = {
    "kind": "slack",
    "name": "#ai-portfolio",
    "url": "https://93.184.216.34/services/T0/B0/XXXX",
    "events": ["flag_raised", "gate_closed"],
}
CHANNEL_FORM = {
    "kind": "slack",
    "name": "#ai-portfolio",
    "url": "https://93.184.216.34/services/T0/B0/XXXX",
    "events": ["flag_raised"],
    "enabled": "on",
}
CHANNEL = {"pk": "channel"}
UC = {"pk": "use_case"}
UC_PK = {"use_case_pk": "use_case"}
GATE = {"pk": "gate"}
ITEM = {"pk": "gate_item"}


TABLE: dict[str, Entry] = {
    # --- public -------------------------------------------------------------------------------
    "portfolio:healthz": Entry(checks={"GET": expect(200)}, roles=PUBLIC),
    # Sign-in pages (portfolio/account_urls.py, django-allauth). Public notices: an inactive
    # account, a cancelled single sign-on (200), a failed one (401). The provider's login and
    # callback are 404 without single sign-on configured (tests/oidc covers them with a real
    # provider); the social sign-up form only follows a pending single sign-on (else back to
    # the login page).
    "account_inactive": Entry(checks={"GET": expect(200)}, roles=PUBLIC),
    "socialaccount_login_cancelled": Entry(checks={"GET": expect(200)}, roles=PUBLIC),
    "socialaccount_login_error": Entry(checks={"GET": expect(401)}, roles=PUBLIC),
    "socialaccount_signup": Entry(checks={"GET": expect(302)}, roles=PUBLIC),
    "openid_connect_login": Entry(checks={"GET": expect(404)}, roles=PUBLIC),
    "openid_connect_callback": Entry(checks={"GET": expect(404)}, roles=PUBLIC),
    # Two-factor pages: one's own, for anyone logged in. The code step of a sign-in exists only
    # between password and code (else back to the login page, 302); setting up, showing or
    # renewing codes first asks for the password again (a session older than five minutes, or
    # one made without a sign-in: 302 to reauthenticate); the code asked to confirm a change,
    # turning TOTP off and the recovery codes need TOTP on (302 / 404 without it).
    "account_reauthenticate": Entry(checks={"GET": expect(200, anonymous=LOGIN)}),
    "mfa_index": Entry(checks={"GET": expect(200, anonymous=LOGIN)}),
    "mfa_authenticate": Entry(checks={"GET": expect(302)}),
    "mfa_reauthenticate": Entry(checks={"GET": expect(302, anonymous=LOGIN)}),
    "mfa_activate_totp": Entry(checks={"GET": expect(302, anonymous=LOGIN)}),
    "mfa_deactivate_totp": Entry(checks={"GET": expect(404, anonymous=LOGIN)}),
    "mfa_view_recovery_codes": Entry(checks={"GET": expect(404, anonymous=LOGIN)}),
    "mfa_generate_recovery_codes": Entry(checks={"GET": expect(302, anonymous=LOGIN)}),
    "mfa_download_recovery_codes": Entry(checks={"GET": expect(404, anonymous=LOGIN)}),
    # The site's icon for browsers that ask for /favicon.ico: a redirect to the static file.
    "favicon": Entry(checks={"GET": expect(302)}, roles=PUBLIC),
    # The schema and its docs page describe the API, not its data: public (drf-spectacular's
    # default, SERVE_PERMISSIONS AllowAny); every operation in it needs authentication.
    "api:schema": Entry(checks={"GET": expect(200)}, roles=PUBLIC),
    "api:docs": Entry(checks={"GET": expect(200)}, roles=PUBLIC),
    # Anyone may ask for a token; wrong credentials are a 400 for everyone. Revoking takes the
    # token itself: a session has none to revoke (401, with the Token challenge).
    "api:token": Entry(
        checks={"GET": expect(405), "POST": expect(400), "DELETE": expect(401)},
        bodies={"POST": {"username": "olivia", "password": "wrong"}},
        roles=PUBLIC,
    ),
    # --- pages anyone logged in may open (their content is filtered) --------------------------
    "portfolio:home": Entry(checks={"GET": expect(200, anonymous=LOGIN)}),
    "usecases:list": Entry(checks={"GET": expect(200, anonymous=LOGIN)}),
    "reviews:flags": Entry(checks={"GET": expect(200, anonymous=LOGIN)}),
    # The use case search of the flags, policy and gate pages: names of the use cases each role
    # may see (none for the outsider: an empty list, like an empty flags page).
    "usecases:use_case_options": Entry(
        checks={"GET": expect(200, anonymous=LOGIN)}, query="?use_case=a"
    ),
    # The value-owner search of the dashboard and the overdue tracker: owners of the use cases
    # each role may see (none for the outsider).
    "usecases:owner_options": Entry(checks={"GET": expect(200, anonymous=LOGIN)}, query="?owner=o"),
    # The use case form's people search: for who may use the form (the PMO, admins).
    "usecases:people_options": Entry(checks={"GET": PMO_PAGE}, query="?value_owner=o"),
    "stagegates:list": Entry(checks={"GET": expect(200, anonymous=LOGIN)}),
    "usecases:inbox": Entry(checks={"GET": expect(200, anonymous=LOGIN)}),
    "usecases:inbox_read_all": Entry(
        checks={"GET": POST_ONLY, "POST": expect(302, anonymous=LOGIN)}
    ),
    # Only the recipient may mark a notification read; for anyone else it does not exist.
    "usecases:inbox_read": Entry(
        kwargs={"pk": "notification"},
        checks={"GET": POST_ONLY, "POST": expect(404, anonymous=LOGIN, owner=302)},
    ),
    # --- chat channels (usecases/channel_views.py): see api:notification-channel-* below -------
    "usecases:channels": Entry(checks={"GET": CHANNELS_PAGE}),
    "usecases:channel_create": Entry(
        checks={
            "GET": CHANNELS_PAGE,
            "POST": {**CHANNELS_PAGE, "other_owner": 302, "pmo": 302, "owner": 302, "admin": 302},
        },
        bodies={"POST": CHANNEL_FORM},
    ),
    "usecases:channel_edit": Entry(
        kwargs=CHANNEL,
        checks={
            "GET": CHANNEL_PAGE_OWN,
            "POST": {**CHANNEL_PAGE_OWN, "pmo": 302, "owner": 302, "admin": 302},
        },
        bodies={"POST": CHANNEL_FORM},
    ),
    "usecases:channel_test": Entry(
        kwargs=CHANNEL,
        checks={
            "GET": POST_ONLY_LOGIN_FIRST,
            "POST": {**CHANNEL_PAGE_OWN, "pmo": 302, "owner": 302, "admin": 302},
        },
    ),
    "usecases:channel_delete": Entry(
        kwargs=CHANNEL,
        checks={
            "GET": POST_ONLY_LOGIN_FIRST,
            "POST": {**CHANNEL_PAGE_OWN, "pmo": 302, "owner": 302, "admin": 302},
        },
    ),
    # --- portfolio pages: whoever sees a use case (the contributor sees theirs only) ----------
    "portfolio:dashboard": Entry(checks={"GET": expect(200, anonymous=LOGIN, outsider=403)}),
    "portfolio:cfo_report": Entry(checks={"GET": expect(200, anonymous=LOGIN, outsider=403)}),
    "portfolio:cfo_export": Entry(checks={"GET": expect(200, anonymous=LOGIN, outsider=403)}),
    # The monthly CFO report by e-mail: Leadership and the PMO (and admins) subscribe; the form
    # posts subscribed=on and lands back on the report.
    "portfolio:cfo_subscription": Entry(
        checks={
            "GET": expect(405, anonymous=LOGIN),
            "POST": expect(403, anonymous=LOGIN, leader=302, pmo=302, admin=302),
        },
        bodies={"POST": {"subscribed": "on"}},
    ),
    # The evidence pack (issue 19): the portfolio's for the PMO; ``world`` is small (two use
    # cases, two agenda items), so the ZIP is built in the request and "prepare" sends to it.
    "portfolio:evidence": Entry(checks={"GET": PMO_PAGE}),
    "portfolio:evidence_status": Entry(checks={"GET": PMO_PAGE}),
    "portfolio:evidence_pack": Entry(checks={"GET": PMO_PAGE}),
    "portfolio:evidence_prepare": Entry(
        checks={
            "GET": POST_ONLY,
            "POST": expect(403, anonymous=LOGIN, pmo=302, admin=302),
        }
    ),
    "reviews:overdue": Entry(checks={"GET": PMO_PAGE}),
    "reviews:overdue_csv": Entry(checks={"GET": PMO_PAGE}),
    # --- a use case and what hangs off it -----------------------------------------------------
    "usecases:detail": Entry(kwargs=UC, checks={"GET": READ_USE_CASE_PAGE}),
    # A use case's evidence pack (ZIP): whoever may see the use case.
    "portfolio:use_case_evidence_pack": Entry(kwargs=UC, checks={"GET": READ_USE_CASE_PAGE}),
    # The page's sections that load as needed (portfolio.use_case_sections): as the page.
    **{
        f"portfolio:{section.url_name}": Entry(kwargs=UC, checks={"GET": READ_USE_CASE_PAGE})
        for section in SECTIONS.values()
    },
    "usecases:create": Entry(checks={"GET": PMO_PAGE, "POST": PMO_PAGE}),  # empty form: 200
    "usecases:edit": Entry(
        kwargs=UC,
        checks={
            "GET": expect(403, anonymous=LOGIN, outsider=404, pmo=200, admin=200),
            "POST": expect(403, anonymous=LOGIN, outsider=404, pmo=200, admin=200),
        },
    ),
    "usecases:business_case_edit": Entry(
        kwargs=UC,
        checks={
            "GET": expect(403, anonymous=LOGIN, outsider=404, pmo=200, owner=200, admin=200),
            "POST": expect(403, anonymous=LOGIN, outsider=404, pmo=200, owner=200, admin=200),
        },
    ),
    "usecases:business_case_history": Entry(kwargs=UC, checks={"GET": READ_USE_CASE_PAGE}),
    "usecases:business_case_version": Entry(
        kwargs={"pk": "use_case", "history_id": "business_case_version"},
        checks={"GET": READ_USE_CASE_PAGE},
    ),
    # The model/prompt log and the checklist: the value owner (and admins), not the PMO.
    "usecases:model_change_create": Entry(
        kwargs=UC,
        checks={
            "GET": expect(403, anonymous=LOGIN, outsider=404, owner=200, admin=200),
            "POST": expect(403, anonymous=LOGIN, outsider=404, owner=200, admin=200),
        },
    ),
    "usecases:checklist_edit": Entry(
        kwargs=UC,
        checks={
            "GET": expect(403, anonymous=LOGIN, outsider=404, owner=200, admin=200),
            "POST": expect(403, anonymous=LOGIN, outsider=404, owner=302, admin=302),
        },
    ),
    # --- reviews ------------------------------------------------------------------------------
    "reviews:weekly_new": Entry(
        kwargs=UC_PK,
        checks={
            "GET": REVIEW_PAGE,
            "POST": expect(
                403, anonymous=LOGIN, outsider=404, contributor=302, owner=302, admin=302
            ),
        },
        bodies={"POST": _weekly_form},
    ),
    "reviews:weekly_edit": Entry(
        kwargs={"pk": "weekly_review"}, checks={"GET": REVIEW_PAGE, "POST": REVIEW_PAGE}
    ),
    "reviews:weekly_preview": Entry(
        kwargs=UC_PK, checks={"GET": POST_ONLY_LOGIN_FIRST, "POST": REVIEW_PAGE}
    ),
    "reviews:weekly_edit_preview": Entry(
        kwargs={"pk": "weekly_review"},
        checks={"GET": POST_ONLY_LOGIN_FIRST, "POST": REVIEW_PAGE},
    ),
    # Bulk import: whoever submits the use case's reviews, and the PMO, who often holds the
    # teams' sheets (usecases.permissions.can_import_reviews).
    "reviews:weekly_import": Entry(
        kwargs=UC_PK, checks={"GET": IMPORT_PAGE, "POST": IMPORT_WITHOUT_FILE}
    ),
    "reviews:weekly_import_confirm": Entry(
        kwargs=UC_PK,
        checks={
            "GET": POST_ONLY_LOGIN_FIRST,
            # Nothing to confirm (no upload in the session): back to the upload page.
            "POST": expect(
                403, anonymous=LOGIN, outsider=404, contributor=302, pmo=302, owner=302, admin=302
            ),
        },
    ),
    "reviews:weekly_import_template": Entry(kwargs=UC_PK, checks={"GET": IMPORT_PAGE}),
    "reviews:monthly_new": Entry(
        kwargs=UC_PK,
        checks={
            "GET": REVIEW_PAGE,
            "POST": expect(
                403, anonymous=LOGIN, outsider=404, contributor=302, owner=302, admin=302
            ),
        },
        bodies={"POST": _monthly_form},
    ),
    "reviews:monthly_edit": Entry(
        kwargs={"pk": "monthly_review"}, checks={"GET": REVIEW_PAGE, "POST": REVIEW_PAGE}
    ),
    "reviews:monthly_preview": Entry(
        kwargs=UC_PK, checks={"GET": POST_ONLY_LOGIN_FIRST, "POST": REVIEW_PAGE}
    ),
    "reviews:monthly_edit_preview": Entry(
        kwargs={"pk": "monthly_review"},
        checks={"GET": POST_ONLY_LOGIN_FIRST, "POST": REVIEW_PAGE},
    ),
    # --- flags and the stop-loss policy (PMO) -------------------------------------------------
    "reviews:flag_resolve": Entry(
        kwargs={"pk": "flag"},
        checks={
            "GET": expect(403, anonymous=LOGIN, outsider=404, pmo=200, admin=200),
            "POST": expect(403, anonymous=LOGIN, outsider=404, pmo=302, admin=302),
        },
        bodies={"POST": {"note": "Rework back under 10% after the prompt fix."}},
    ),
    "reviews:policy": Entry(checks={"GET": PMO_PAGE}),
    "reviews:policy_rule_new": Entry(checks={"GET": PMO_PAGE, "POST": PMO_PAGE}),
    "reviews:policy_rule_edit": Entry(
        kwargs={"pk": "rule"}, checks={"GET": PMO_PAGE, "POST": PMO_PAGE}
    ),
    "reviews:policy_use_case": Entry(
        kwargs=UC_PK, checks={"GET": expect(403, anonymous=LOGIN, outsider=404, pmo=200, admin=200)}
    ),
    # --- stage gates (``gate`` is open for votes, chaired by the leader) ----------------------
    # A contributor sees the gates whose agenda holds their use case, and those items.
    "stagegates:detail": Entry(kwargs=GATE, checks={"GET": READ_USE_CASE_PAGE}),
    "stagegates:item": Entry(kwargs=ITEM, checks={"GET": READ_USE_CASE_PAGE}),
    "stagegates:checklist": Entry(kwargs=UC_PK, checks={"GET": READ_USE_CASE_PAGE}),
    # The gate pack PDFs: whoever sees the pack page gets its PDF (its content is filtered:
    # only the items they may see, the votes by the blind rule). ``gate`` is small: "prepare"
    # sends to the PDF itself (large gates prepare it in a Celery task).
    "stagegates:gate_pdf": Entry(kwargs=GATE, checks={"GET": READ_USE_CASE_PAGE}),
    "stagegates:item_pdf": Entry(kwargs=ITEM, checks={"GET": READ_USE_CASE_PAGE}),
    "stagegates:gate_pdf_status": Entry(kwargs=GATE, checks={"GET": READ_USE_CASE_PAGE}),
    "stagegates:gate_pdf_prepare": Entry(
        kwargs=GATE,
        checks={"GET": POST_ONLY, "POST": expect(302, anonymous=LOGIN, outsider=404)},
    ),
    # Items closed without a decision (carried over to the next gate): the PMO's list.
    "stagegates:undecided": Entry(checks={"GET": PMO_PAGE}),
    "stagegates:new": Entry(
        checks={"GET": PMO_PAGE, "POST": expect(403, anonymous=LOGIN, pmo=400, admin=400)}
    ),
    "stagegates:edit": Entry(
        kwargs=GATE,
        checks={
            "GET": expect(403, anonymous=LOGIN, outsider=404, pmo=200, admin=200),
            "POST": expect(403, anonymous=LOGIN, outsider=404, pmo=400, admin=400),
        },
    ),
    # Already open for votes: the PMO is told so (a message and back to the gate).
    "stagegates:open_voting": Entry(
        kwargs=GATE,
        checks={
            "GET": POST_ONLY,
            "POST": expect(403, anonymous=LOGIN, outsider=404, pmo=302, admin=302),
        },
    ),
    "stagegates:refresh": Entry(
        kwargs=GATE,
        checks={
            "GET": POST_ONLY,
            "POST": expect(403, anonymous=LOGIN, outsider=404, pmo=302, admin=302),
        },
    ),
    "stagegates:add_item": Entry(
        kwargs=GATE,
        checks={
            "GET": POST_ONLY,
            "POST": expect(403, anonymous=LOGIN, outsider=404, pmo=400, admin=400),
        },
    ),
    "stagegates:remove_item": Entry(
        kwargs=ITEM,
        checks={
            "GET": POST_ONLY,
            "POST": expect(403, anonymous=LOGIN, outsider=404, pmo=302, admin=302),
        },
    ),
    # The chair or the PMO closes a gate; GET is the close summary with the confirm button.
    "stagegates:close": Entry(
        kwargs=GATE,
        checks={
            "GET": expect(403, anonymous=LOGIN, outsider=404, leader=200, pmo=200, admin=200),
            "POST": expect(403, anonymous=LOGIN, outsider=404, leader=302, pmo=302, admin=302),
        },
    ),
    # Leadership votes; the PMO never does (nor does an admin outside Leadership).
    "stagegates:vote": Entry(
        kwargs=ITEM,
        checks={"GET": POST_ONLY, "POST": expect(403, anonymous=LOGIN, outsider=404, leader=302)},
        bodies={"POST": {"choice": "scale", "rationale": "Adoption is above plan."}},
    ),
    # The chair records decisions (an admin may stand in); the gate is not closed yet: 400.
    "stagegates:decide": Entry(
        kwargs=ITEM,
        checks={
            "GET": POST_ONLY,
            "POST": expect(403, anonymous=LOGIN, outsider=404, leader=400, admin=400),
        },
        bodies={"POST": {"decision": "hold", "rationale": "Wait for Q1 figures."}},
    ),
    # --- REST API -----------------------------------------------------------------------------
    "api:api-root": Entry(checks={"GET": expect(200, anonymous=API_ANON)}),
    "api:use-case-list": Entry(
        checks={
            "GET": API_LIST,
            "POST": expect(403, anonymous=API_ANON, pmo=400, admin=400),  # empty body
        }
    ),
    "api:use-case-detail": Entry(
        kwargs=UC,
        checks={
            "GET": READ_USE_CASE_API,
            "PATCH": expect(403, anonymous=API_ANON, outsider=404, pmo=200, admin=200),
        },
        bodies={"PATCH": {"description": "Triage of inbound e-mail, reviewed."}},
    ),
    "api:use-case-business-case": Entry(
        kwargs=UC,
        checks={
            "GET": READ_USE_CASE_API,
            "PUT": expect(403, anonymous=API_ANON, outsider=404, pmo=400, owner=400, admin=400),
        },
    ),
    "api:use-case-scenarios": Entry(kwargs=UC, checks={"GET": READ_USE_CASE_API}),
    "api:use-case-economics": Entry(kwargs=UC, checks={"GET": READ_USE_CASE_API}),
    "api:model-change-list": Entry(
        checks={
            "GET": API_LIST,
            # Naming a use case the user may not see: 404, as for its URL.
            "POST": expect(403, anonymous=API_ANON, outsider=404, owner=201, admin=201),
        },
        bodies={
            "POST": lambda w: {
                "use_case": w.use_case.pk,
                "version_label": "v3",
                "kind": "model",
                "effective_date": "2026-11-02",
                "description": "Moved to the new model.",
            }
        },
    ),
    "api:model-change-detail": Entry(
        kwargs={"pk": "model_change"}, checks={"GET": READ_USE_CASE_API}
    ),
    # Previewing a correction: as correcting (PATCH), nothing saved.
    "api:weekly-review-correction-preview": Entry(
        kwargs={"pk": "weekly_review"},
        checks={
            "GET": API_NO_GET,
            "POST": expect(
                403, anonymous=API_ANON, outsider=404, contributor=200, owner=200, admin=200
            ),
        },
        bodies={"POST": {"version": 1, "notes": "Corrected the backlog count."}},
    ),
    "api:weekly-review-list": Entry(
        checks={
            "GET": API_LIST,
            "POST": expect(
                403, anonymous=API_ANON, outsider=404, contributor=201, owner=201, admin=201
            ),
        },
        bodies={"POST": lambda w: {"use_case": w.use_case.pk, **_weekly_form(w)}},
    ),
    "api:weekly-review-preview": Entry(
        checks={
            "POST": expect(
                403, anonymous=API_ANON, outsider=404, contributor=200, owner=200, admin=200
            ),
        },
        bodies={"POST": lambda w: {"use_case": w.use_case.pk, **_weekly_form(w)}},
    ),
    "api:weekly-review-detail": Entry(
        kwargs={"pk": "weekly_review"},
        checks={
            "GET": READ_USE_CASE_API,
            "PATCH": expect(
                403, anonymous=API_ANON, outsider=404, contributor=200, owner=200, admin=200
            ),
        },
        bodies={"PATCH": {"version": 1, "notes": "Corrected the backlog count."}},
    ),
    # Previewing a correction: as correcting (PATCH), nothing saved.
    "api:monthly-review-correction-preview": Entry(
        kwargs={"pk": "monthly_review"},
        checks={
            "GET": API_NO_GET,
            "POST": expect(
                403, anonymous=API_ANON, outsider=404, contributor=200, owner=200, admin=200
            ),
        },
        bodies={"POST": {"version": 1, "notes": "Support invoice added."}},
    ),
    "api:monthly-review-list": Entry(
        checks={
            "GET": API_LIST,
            "POST": expect(
                403, anonymous=API_ANON, outsider=404, contributor=201, owner=201, admin=201
            ),
        },
        bodies={"POST": lambda w: {"use_case": w.use_case.pk, **_monthly_form(w)}},
    ),
    "api:monthly-review-preview": Entry(
        checks={
            "POST": expect(
                403, anonymous=API_ANON, outsider=404, contributor=200, owner=200, admin=200
            ),
        },
        bodies={"POST": lambda w: {"use_case": w.use_case.pk, **_monthly_form(w)}},
    ),
    "api:monthly-review-detail": Entry(
        kwargs={"pk": "monthly_review"},
        checks={
            "GET": READ_USE_CASE_API,
            "PATCH": expect(
                403, anonymous=API_ANON, outsider=404, contributor=200, owner=200, admin=200
            ),
        },
        bodies={"PATCH": {"version": 1, "notes": "Support invoice added."}},
    ),
    "api:overdue-review-list": Entry(
        checks={"GET": expect(403, anonymous=API_ANON, pmo=200, admin=200)}
    ),
    "api:flag-list": Entry(checks={"GET": API_LIST}),
    # --- telemetry evidence (issue 17) --------------------------------------------------------
    # The OTLP receiver authenticates by ingest key only: a session is no key (401 for all).
    "otlp:traces": Entry(checks={"GET": expect(405), "POST": expect(401)}, roles=PUBLIC),
    "api:use-case-telemetry": Entry(kwargs=UC, checks={"GET": READ_USE_CASE_API}),
    # A workflow system pushes a week's tasks in total and backlog: the owner's or PMO's token.
    "api:use-case-workflow-metrics": Entry(
        kwargs={"pk": "use_case", "week": "week"},
        checks={
            "GET": API_NO_GET,
            "PUT": expect(403, anonymous=API_ANON, outsider=404, pmo=201, owner=201, admin=201),
        },
        bodies={"PUT": {"tasks_total": 120, "backlog": 14}},
    ),
    # A weekly draft names its use case in the query: without one, a 400 for everyone logged in
    # (per role: tests/reviews/test_telemetry_drafts.py).
    "api:weekly-review-draft": Entry(checks={"GET": expect(400, anonymous=API_ANON)}),
    "api:monthly-review-draft": Entry(checks={"GET": expect(400, anonymous=API_ANON)}),
    # The PMO's model price page (an empty form: 200 again).
    "reviews:model_prices": Entry(checks={"GET": PMO_PAGE, "POST": PMO_PAGE}),
    "reviews:model_price_delete": Entry(
        kwargs={"pk": "model_price"},
        checks={"GET": POST_ONLY, "POST": expect(403, anonymous=LOGIN, pmo=302, admin=302)},
    ),
    # The change log with each entry's impact, and the changes proposed from telemetry: who
    # sees the use case reads them; its value owner and the PMO (admins) confirm or dismiss.
    "api:use-case-changes": Entry(kwargs=UC, checks={"GET": READ_USE_CASE_API}),
    "api:use-case-proposed-changes": Entry(kwargs=UC, checks={"GET": READ_USE_CASE_API}),
    "api:proposed-change-confirm": Entry(
        kwargs={"pk": "proposed_change"},
        checks={
            "GET": API_NO_GET,
            "POST": expect(403, anonymous=API_ANON, outsider=404, pmo=201, owner=201, admin=201),
        },
    ),
    "api:proposed-change-dismiss": Entry(
        kwargs={"pk": "proposed_change"},
        checks={
            "GET": API_NO_GET,
            "POST": expect(403, anonymous=API_ANON, outsider=404, pmo=200, owner=200, admin=200),
        },
    ),
    "usecases:proposal_confirm": Entry(
        kwargs={"pk": "proposed_change"},
        checks={
            "GET": expect(403, anonymous=LOGIN, outsider=404, pmo=200, owner=200, admin=200),
            "POST": expect(403, anonymous=LOGIN, outsider=404, pmo=200, owner=200, admin=200),
        },
    ),
    "usecases:proposal_dismiss": Entry(
        kwargs={"pk": "proposed_change"},
        checks={
            "GET": POST_ONLY_LOGIN_FIRST,
            "POST": expect(403, anonymous=LOGIN, outsider=404, pmo=302, owner=302, admin=302),
        },
    ),
    # A use case's ingest keys: its value owner and the PMO (admins).
    "api:use-case-ingest-keys": Entry(
        kwargs=UC,
        checks={
            "GET": expect(403, anonymous=API_ANON, outsider=404, pmo=200, owner=200, admin=200),
            "POST": expect(403, anonymous=API_ANON, outsider=404, pmo=201, owner=201, admin=201),
        },
    ),
    "api:use-case-ingest-key": Entry(
        kwargs={"pk": "use_case", "key_id": "ingest_key"},
        checks={
            "GET": API_NO_GET,
            "DELETE": expect(403, anonymous=API_ANON, outsider=404, pmo=204, owner=204, admin=204),
        },
    ),
    # Portfolio keys: the PMO's.
    "api:ingest-keys": Entry(
        checks={
            "GET": expect(403, anonymous=API_ANON, pmo=200, admin=200),
            "POST": expect(403, anonymous=API_ANON, pmo=201, admin=201),
        }
    ),
    "api:ingest-key": Entry(
        kwargs={"key_id": "portfolio_key"},
        checks={
            "GET": API_NO_GET,
            "DELETE": expect(403, anonymous=API_ANON, pmo=204, admin=204),
        },
    ),
    # Model prices: whoever reads a use case reads them; the PMO writes.
    "api:model-price-list": Entry(
        checks={
            "GET": expect(200, anonymous=API_ANON, outsider=403),
            "POST": expect(403, anonymous=API_ANON, outsider=403, pmo=400, admin=400),
        }
    ),
    "api:model-price-detail": Entry(
        kwargs={"pk": "model_price"},
        checks={
            "GET": expect(200, anonymous=API_ANON, outsider=403),
            "PUT": expect(403, anonymous=API_ANON, pmo=400, admin=400),  # empty body
            "PATCH": expect(403, anonymous=API_ANON, pmo=200, admin=200),
            "DELETE": expect(403, anonymous=API_ANON, pmo=204, admin=204),
        },
        bodies={"PATCH": {"input_per_million": "3.0000"}},
    ),
    "api:model-price-unpriced": Entry(
        checks={"GET": expect(200, anonymous=API_ANON, outsider=403)}
    ),
    "api:flag-detail": Entry(kwargs={"pk": "flag"}, checks={"GET": READ_USE_CASE_API}),
    "api:flag-resolve": Entry(
        kwargs={"pk": "flag"},
        checks={
            "GET": API_NO_GET,
            "POST": expect(403, anonymous=API_ANON, outsider=404, pmo=200, admin=200),
        },
        bodies={"POST": {"note": "Rework back under 10% after the prompt fix."}},
    ),
    # The default policy is readable by everyone logged in; an override only by who sees its
    # use case. Only the PMO writes.
    "api:stop-loss-rule-list": Entry(
        checks={
            "GET": expect(200, anonymous=API_ANON),
            "POST": expect(403, anonymous=API_ANON, pmo=400, admin=400),  # empty body
        }
    ),
    # A write by a non-PMO is refused before the rule is looked up: 403 whatever the id, so the
    # outsider learns nothing either.
    "api:stop-loss-rule-detail": Entry(
        kwargs={"pk": "override_rule"},
        checks={
            "GET": READ_USE_CASE_API,
            "PUT": expect(403, anonymous=API_ANON, pmo=400, admin=400),
            "PATCH": expect(403, anonymous=API_ANON, pmo=200, admin=200),
        },
        bodies={"PATCH": {"threshold": "0.2000"}},
    ),
    "api:gate-list": Entry(
        checks={
            "GET": API_LIST,
            "POST": expect(403, anonymous=API_ANON, pmo=400, admin=400),  # empty body
        }
    ),
    "api:gate-detail": Entry(
        kwargs=GATE,
        checks={
            "GET": READ_USE_CASE_API,
            "PATCH": expect(403, anonymous=API_ANON, outsider=404, pmo=200, admin=200),
        },
        bodies={"PATCH": {"closes_on": "2026-12-11"}},  # voting runs a week longer
    ),
    "api:gate-open-voting": Entry(
        kwargs=GATE,
        checks={
            "GET": API_NO_GET,
            "POST": expect(403, anonymous=API_ANON, outsider=404, pmo=400, admin=400),
        },
    ),
    "api:gate-refresh-agenda": Entry(
        kwargs=GATE,
        checks={
            "GET": API_NO_GET,
            "POST": expect(403, anonymous=API_ANON, outsider=404, pmo=400, admin=400),
        },
    ),
    "api:gate-items": Entry(
        kwargs=GATE,
        checks={
            "GET": API_NO_GET,
            "POST": expect(403, anonymous=API_ANON, outsider=404, pmo=400, admin=400),
        },
        bodies={"POST": lambda w: {"use_case": w.other_use_case.pk}},
    ),
    "api:gate-close": Entry(
        kwargs=GATE,
        checks={
            "GET": API_NO_GET,
            "POST": expect(403, anonymous=API_ANON, outsider=404, leader=200, pmo=200, admin=200),
        },
    ),
    "api:gate-item-detail": Entry(
        kwargs=ITEM,
        checks={
            "GET": READ_USE_CASE_API,
            "DELETE": expect(403, anonymous=API_ANON, outsider=404, pmo=400, admin=400),
        },
    ),
    "api:gate-pack-pdf": Entry(kwargs=GATE, checks={"GET": READ_USE_CASE_API}),
    # The evidence packs: a use case's for whoever sees it, the portfolio's for the PMO.
    "api:use-case-evidence-pack": Entry(kwargs=UC, checks={"GET": READ_USE_CASE_API}),
    "api:portfolio-evidence-pack": Entry(
        checks={"GET": expect(403, anonymous=API_ANON, pmo=200, admin=200)}
    ),
    "api:gate-item-pack-pdf": Entry(kwargs=ITEM, checks={"GET": READ_USE_CASE_API}),
    "api:gate-item-undecided": Entry(
        checks={"GET": expect(403, anonymous=API_ANON, pmo=200, admin=200)}
    ),
    "api:gate-item-vote": Entry(
        kwargs=ITEM,
        checks={
            "GET": API_NO_GET,
            "POST": expect(403, anonymous=API_ANON, outsider=404, leader=201),
        },
        bodies={"POST": {"choice": "scale", "rationale": "Adoption is above plan."}},
    ),
    # The caller's own inbox: everyone logged in has one (the outsider's is empty); marking a
    # notification read is for its recipient only, anyone else's is a 404 (admins included).
    "api:notification-list": Entry(checks={"GET": API_LIST}),
    "api:notification-read": Entry(
        kwargs={"pk": "notification"},
        checks={"GET": API_NO_GET, "POST": expect(404, anonymous=API_ANON, owner=200)},
    ),
    # Chat channels (usecases.channels): the PMO all; a value owner their own personal channels
    # (the other owner has none: an empty list, and the owner's channel is a 404 to them);
    # everyone else 403. Saved URLs are literal public addresses (no DNS in the test).
    "api:notification-channel-list": Entry(
        checks={
            "GET": CHANNELS_API_LIST,
            "POST": {
                **CHANNELS_API_NONE,
                "other_owner": 201,
                "pmo": 201,
                "owner": 201,
                "admin": 201,
            },
        },
        bodies={"POST": CHANNEL_BODY},
    ),
    "api:notification-channel-detail": Entry(
        kwargs=CHANNEL,
        checks={
            "GET": CHANNEL_API_OWN,
            "PUT": CHANNEL_API_OWN,
            "PATCH": CHANNEL_API_OWN,
            "DELETE": {**CHANNEL_API_OWN, "owner": 204, "pmo": 204, "admin": 204},
        },
        bodies={"PUT": CHANNEL_BODY, "PATCH": {"name": "Renamed"}},
    ),
    "api:notification-channel-test": Entry(
        kwargs=CHANNEL,
        checks={
            "GET": {
                **CHANNELS_API_NONE,
                "other_owner": 405,
                "pmo": 405,
                "owner": 405,
                "admin": 405,
            },
            "POST": CHANNEL_API_OWN,
        },
    ),
    "api:gate-item-decide": Entry(
        kwargs=ITEM,
        checks={
            "GET": API_NO_GET,
            "POST": expect(403, anonymous=API_ANON, outsider=404, leader=400, admin=400),
        },
        bodies={"POST": {"decision": "hold", "rationale": "Wait for Q1 figures."}},
    ),
}
