from django.urls import path

from . import views

app_name = "usecases"
urlpatterns = [
    path("", views.use_case_list, name="list"),
    path("<int:pk>/", views.use_case_detail, name="detail"),
]
