from django.urls import path

from . import views

app_name = "reviews"
urlpatterns = [
    path("use-cases/<int:use_case_pk>/weekly/new/", views.weekly_new, name="weekly_new"),
    path("weekly/<int:pk>/", views.weekly_edit, name="weekly_edit"),
    path(
        "use-cases/<int:use_case_pk>/weekly/preview/", views.weekly_preview, name="weekly_preview"
    ),
    path("use-cases/<int:use_case_pk>/monthly/new/", views.monthly_new, name="monthly_new"),
    path("monthly/<int:pk>/", views.monthly_edit, name="monthly_edit"),
    path(
        "use-cases/<int:use_case_pk>/monthly/preview/",
        views.monthly_preview,
        name="monthly_preview",
    ),
]
