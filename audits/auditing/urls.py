"""Routes of internal audits, under /audits/: programmes (the landing page), audits, checklists."""

from django.urls import path

from . import views

app_name = "auditing"

urlpatterns = [
    path("", views.programme_list, name="programmes"),
    path("programmes/new/", views.programme_create, name="programme_create"),
    path("programmes/<int:pk>/", views.programme_detail, name="programme"),
    path("programmes/<int:pk>/audits/new/", views.audit_create, name="audit_create"),
    path("list/", views.audit_list, name="audit_list"),
    path("<int:pk>/", views.audit_detail, name="audit"),
    path("<int:pk>/start/", views.audit_start, name="audit_start"),
    path("<int:pk>/report/", views.audit_report, name="audit_report"),
    path("<int:pk>/close/", views.audit_close, name="audit_close"),
    path("<int:pk>/sign/", views.audit_sign, name="audit_sign"),
    path("<int:pk>/report.pdf", views.audit_report_pdf, name="audit_pdf"),
    path("<int:pk>/checklist/generate/", views.checklist_generate, name="checklist_generate"),
    path("<int:pk>/checklist/add/", views.checklist_add, name="checklist_add"),
    path("checklist/<int:pk>/", views.checklist_record, name="checklist_record"),
    path("checklist/<int:pk>/remove/", views.checklist_remove, name="checklist_remove"),
    path("evidence/<int:pk>/", views.evidence_download, name="evidence"),
]
