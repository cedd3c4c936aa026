"""The usecases app's pages: the use case list, forms and page, and the user's inbox.

``usecases:detail`` (the use case page) is this app's URL, but the page aggregates reviews,
flags and gates, which ``usecases`` may not import: its view is the one named by the setting
``VALUEGATE_USE_CASE_PAGE`` (``portfolio.use_case_page.use_case_page``), imported on first use
(``views.use_case_page``). So links to a use case never name an app above this one."""

from django.urls import path

from . import channel_views, inbox_views, proposal_views, views

app_name = "usecases"
urlpatterns = [
    path("use-cases/", views.use_case_list, name="list"),
    path("use-cases/new/", views.use_case_create, name="create"),
    path("use-cases/options/", views.use_case_options_view, name="use_case_options"),
    path("use-cases/owners/", views.owner_options_view, name="owner_options"),
    path("use-cases/people/", views.people_options_view, name="people_options"),
    path("use-cases/<int:pk>/", views.use_case_page, name="detail"),
    path("use-cases/<int:pk>/edit/", views.use_case_edit, name="edit"),
    path(
        "use-cases/<int:pk>/business-case/edit/",
        views.business_case_edit,
        name="business_case_edit",
    ),
    path(
        "use-cases/<int:pk>/business-case/history/",
        views.business_case_history,
        name="business_case_history",
    ),
    path(
        "use-cases/<int:pk>/business-case/history/<int:history_id>/",
        views.business_case_version,
        name="business_case_version",
    ),
    path("use-cases/<int:pk>/changes/new/", views.model_change_create, name="model_change_create"),
    path(
        "proposed-changes/<int:pk>/confirm/",
        proposal_views.proposal_confirm,
        name="proposal_confirm",
    ),
    path(
        "proposed-changes/<int:pk>/dismiss/",
        proposal_views.proposal_dismiss,
        name="proposal_dismiss",
    ),
    path("use-cases/<int:pk>/checklist/", views.checklist_edit, name="checklist_edit"),
    # The user's notifications (usecases/inbox_views.py)
    path("inbox/", inbox_views.inbox, name="inbox"),
    path("inbox/<int:pk>/read/", inbox_views.notification_read, name="inbox_read"),
    path("inbox/read-all/", inbox_views.read_all, name="inbox_read_all"),
    # Chat channels for alerts (usecases/channel_views.py)
    path("alerts/channels/", channel_views.channel_list, name="channels"),
    path("alerts/channels/new/", channel_views.channel_create, name="channel_create"),
    path("alerts/channels/<int:pk>/edit/", channel_views.channel_edit, name="channel_edit"),
    path("alerts/channels/<int:pk>/test/", channel_views.channel_test, name="channel_test"),
    path("alerts/channels/<int:pk>/delete/", channel_views.channel_delete, name="channel_delete"),
]
