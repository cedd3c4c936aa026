from django.urls import path

from . import overdue_views

app_name = "overdue"
urlpatterns = [
    path("", overdue_views.overdue_list, name="list"),
    path("export.csv", overdue_views.overdue_csv, name="csv"),
]
