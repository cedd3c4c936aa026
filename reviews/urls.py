from django.urls import path

from . import flag_views, import_views, policy_views, views

app_name = "reviews"
urlpatterns = [
    path("use-cases/<int:use_case_pk>/weekly/new/", views.weekly_new, name="weekly_new"),
    path("weekly/<int:pk>/", views.weekly_edit, name="weekly_edit"),
    path(
        "use-cases/<int:use_case_pk>/weekly/preview/", views.weekly_preview, name="weekly_preview"
    ),
    path("weekly/<int:pk>/preview/", views.weekly_edit_preview, name="weekly_edit_preview"),
    path("use-cases/<int:use_case_pk>/monthly/new/", views.monthly_new, name="monthly_new"),
    path("monthly/<int:pk>/", views.monthly_edit, name="monthly_edit"),
    path(
        "use-cases/<int:use_case_pk>/monthly/preview/",
        views.monthly_preview,
        name="monthly_preview",
    ),
    path("monthly/<int:pk>/preview/", views.monthly_edit_preview, name="monthly_edit_preview"),
    # Stop-loss flags and policy (reviews/flag_views.py, reviews/policy_views.py)
    path("flags/", flag_views.flag_list, name="flags"),
    path("flags/<int:pk>/resolve/", flag_views.flag_resolve_view, name="flag_resolve"),
    path("policy/", policy_views.policy, name="policy"),
    path("policy/rules/new/", policy_views.rule_new, name="policy_rule_new"),
    path("policy/rules/<int:pk>/edit/", policy_views.rule_edit, name="policy_rule_edit"),
    path(
        "use-cases/<int:use_case_pk>/policy/",
        policy_views.use_case_policy,
        name="policy_use_case",
    ),
    # Bulk import of weekly reviews (reviews/import_views.py)
    path(
        "use-cases/<int:use_case_pk>/weekly/import/",
        import_views.weekly_import,
        name="weekly_import",
    ),
    path(
        "use-cases/<int:use_case_pk>/weekly/import/confirm/",
        import_views.weekly_import_confirm,
        name="weekly_import_confirm",
    ),
    path(
        "use-cases/<int:use_case_pk>/weekly/import/template.csv",
        import_views.weekly_import_template,
        name="weekly_import_template",
    ),
]
