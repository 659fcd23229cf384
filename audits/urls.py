"""Routes of the audits app: programme, audits, nonconformities, actions, reviews, dashboard."""

from django.urls import path

from . import views
from .packs import views as pack_views

app_name = "audits"

urlpatterns = [
    path("", views.programme_list, name="programmes"),
    path("dashboard/", views.dashboard_view, name="dashboard"),
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
    path("nonconformities/", views.nc_list, name="nc_list"),
    path("nonconformities/new/", views.nc_create, name="nc_create"),
    path("nonconformities/from-request/<int:pk>/", views.nc_from_request, name="nc_from_request"),
    path("nonconformities/<int:pk>/", views.nc_detail, name="nc"),
    path("nonconformities/<int:pk>/<slug:step>/", views.nc_step, name="nc_step"),
    path("actions/", views.action_list, name="action_list"),
    path("risks/<int:pk>/actions/new/", views.risk_action_create, name="risk_action_create"),
    path("actions/<int:pk>/", views.action_detail, name="action"),
    path("reviews/", views.review_list, name="review_list"),
    path("reviews/new/", views.review_create, name="review_create"),
    path("reviews/<int:pk>/", views.review_detail, name="review"),
    path("reviews/<int:pk>/minutes.pdf", views.review_minutes_pdf, name="review_pdf"),
    path("packs/", pack_views.pack_list, name="pack_list"),
    path("packs/new/", pack_views.pack_create, name="pack_create"),
    path("packs/<int:pk>/", pack_views.pack_detail, name="pack"),
    path("packs/<int:pk>/build/", pack_views.pack_build, name="pack_build"),
    path("packs/<int:pk>/share/", pack_views.pack_share, name="pack_share"),
    path(
        "packs/<int:pk>/shares/<int:share_pk>/revoke/",
        pack_views.pack_share_revoke,
        name="pack_share_revoke",
    ),
    path("packs/<int:pk>/download/", pack_views.pack_download, name="pack_download"),
]
