from django.urls import path

from . import flag_views, import_views, overdue_views, policy_views, price_views, views

app_name = "reviews"
urlpatterns = [
    # Weekly and monthly reviews: one set of views over the kind (reviews/views.py)
    *(
        route
        for pages in (views.WEEKLY, views.MONTHLY)
        for route in (
            path(
                f"reviews/use-cases/<int:use_case_pk>/{pages.name}/new/",
                views.review_new,
                {"pages": pages},
                name=f"{pages.name}_new",
            ),
            path(
                f"reviews/{pages.name}/<int:pk>/",
                views.review_edit,
                {"pages": pages},
                name=f"{pages.name}_edit",
            ),
            path(
                f"reviews/use-cases/<int:use_case_pk>/{pages.name}/preview/",
                views.review_preview,
                {"pages": pages},
                name=f"{pages.name}_preview",
            ),
            path(
                f"reviews/{pages.name}/<int:pk>/preview/",
                views.review_edit_preview,
                {"pages": pages},
                name=f"{pages.name}_edit_preview",
            ),
        )
    ),
    # Stop-loss flags and policy (reviews/flag_views.py, reviews/policy_views.py)
    path("reviews/flags/", flag_views.flag_list, name="flags"),
    path("reviews/flags/<int:pk>/resolve/", flag_views.flag_resolve_view, name="flag_resolve"),
    path("reviews/policy/", policy_views.policy, name="policy"),
    path("reviews/policy/rules/new/", policy_views.rule_new, name="policy_rule_new"),
    path("reviews/policy/rules/<int:pk>/edit/", policy_views.rule_edit, name="policy_rule_edit"),
    path(
        "reviews/use-cases/<int:use_case_pk>/policy/",
        policy_views.use_case_policy,
        name="policy_use_case",
    ),
    # The PMO's model price table (reviews/price_views.py)
    path("reviews/model-prices/", price_views.model_price_list, name="model_prices"),
    path(
        "reviews/model-prices/<int:pk>/delete/",
        price_views.model_price_delete,
        name="model_price_delete",
    ),
    # Bulk import of weekly reviews (reviews/import_views.py)
    path(
        "reviews/use-cases/<int:use_case_pk>/weekly/import/",
        import_views.weekly_import,
        name="weekly_import",
    ),
    path(
        "reviews/use-cases/<int:use_case_pk>/weekly/import/confirm/",
        import_views.weekly_import_confirm,
        name="weekly_import_confirm",
    ),
    path(
        "reviews/use-cases/<int:use_case_pk>/weekly/import/template.csv",
        import_views.weekly_import_template,
        name="weekly_import_template",
    ),
    # The PMO's overdue tracker (reviews/overdue_views.py), beside its API (reviews/cadence_api.py)
    path("overdue/", overdue_views.overdue_list, name="overdue"),
    path("overdue/export.csv", overdue_views.overdue_csv, name="overdue_csv"),
]
