"""Routes of nonconformities and actions, under /audits/ (paths as before the split)."""

from django.urls import path

from . import views

app_name = "capa"

urlpatterns = [
    path("nonconformities/", views.nc_list, name="nc_list"),
    path("nonconformities/new/", views.nc_create, name="nc_create"),
    path("nonconformities/from-request/<int:pk>/", views.nc_from_request, name="nc_from_request"),
    path("nonconformities/<int:pk>/", views.nc_detail, name="nc"),
    path("nonconformities/<int:pk>/<slug:step>/", views.nc_step, name="nc_step"),
    path("actions/", views.action_list, name="action_list"),
    path("risks/<int:pk>/actions/new/", views.risk_action_create, name="risk_action_create"),
    path("actions/<int:pk>/", views.action_detail, name="action"),
]
