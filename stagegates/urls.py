from django.urls import path

from . import pdf_views, views

app_name = "stagegates"
urlpatterns = [
    path("", views.gate_list, name="list"),
    path("new/", views.gate_new, name="new"),
    path("undecided/", views.undecided_list, name="undecided"),
    path("<int:pk>/", views.gate_detail, name="detail"),
    path("<int:pk>/edit/", views.gate_edit, name="edit"),
    path("<int:pk>/open-voting/", views.gate_open_voting, name="open_voting"),
    path("<int:pk>/close/", views.gate_close, name="close"),
    path("<int:pk>/refresh-agenda/", views.gate_refresh, name="refresh"),
    path("<int:pk>/items/add/", views.gate_add_item, name="add_item"),
    path("<int:pk>/pack.pdf", pdf_views.gate_pdf, name="gate_pdf"),
    path("<int:pk>/pack.pdf/prepare/", pdf_views.gate_pdf_prepare, name="gate_pdf_prepare"),
    path("<int:pk>/pack.pdf/status/", pdf_views.gate_pdf_status, name="gate_pdf_status"),
    path("items/<int:pk>/", views.item_pack, name="item"),
    path("items/<int:pk>/pack.pdf", pdf_views.item_pdf, name="item_pdf"),
    path("items/<int:pk>/remove/", views.item_remove, name="remove_item"),
    path("items/<int:pk>/vote/", views.item_vote, name="vote"),
    path("items/<int:pk>/decide/", views.item_decide, name="decide"),
    path("checklist/<int:use_case_pk>/", views.checklist_evidence, name="checklist"),
]
