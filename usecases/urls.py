from django.urls import path

from . import views

app_name = "usecases"
urlpatterns = [
    path("", views.use_case_list, name="list"),
    path("new/", views.use_case_create, name="create"),
    path("<int:pk>/edit/", views.use_case_edit, name="edit"),
    path("<int:pk>/business-case/edit/", views.business_case_edit, name="business_case_edit"),
    path(
        "<int:pk>/business-case/history/",
        views.business_case_history,
        name="business_case_history",
    ),
    path(
        "<int:pk>/business-case/history/<int:history_id>/",
        views.business_case_version,
        name="business_case_version",
    ),
    path("<int:pk>/changes/new/", views.model_change_create, name="model_change_create"),
    path("<int:pk>/checklist/", views.checklist_edit, name="checklist_edit"),
]
