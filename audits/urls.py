"""Routes of the pages that span the audits domains, under /audits/: the quality dashboard."""

from django.urls import path

from . import views

app_name = "audits"

urlpatterns = [
    path("dashboard/", views.dashboard_view, name="dashboard"),
]
