"""Routes of the processes app: register, map, process pages, KPIs, risks."""

from django.urls import path

from . import views

app_name = "processes"

urlpatterns = [
    path("", views.process_list, name="list"),
    path("export.csv", views.process_export, name="export"),
    path("new/", views.process_create, name="create"),
    path("map/", views.process_map, name="map"),
    path("map.svg", views.process_map_svg, name="map_svg"),
    path("<int:pk>/", views.process_detail, name="detail"),
    path("<int:pk>/edit/", views.process_edit, name="edit"),
    path("<int:pk>/interactions/new/", views.interaction_add, name="interaction_add"),
    path("interactions/<int:pk>/remove/", views.interaction_remove, name="interaction_remove"),
    path("<int:pk>/kpis/new/", views.kpi_create, name="kpi_create"),
    path("kpis/<int:pk>/", views.kpi_detail, name="kpi"),
    path("kpis/<int:pk>/edit/", views.kpi_edit, name="kpi_edit"),
    path("kpis/<int:pk>/measurements/new/", views.measurement_create, name="measurement_create"),
    path("measurements/<int:pk>/correct/", views.measurement_correct, name="measurement_correct"),
    path("measurements/<int:pk>/void/", views.measurement_void, name="measurement_void"),
    path("<int:pk>/risks/new/", views.risk_create, name="risk_create"),
    path("risks/", views.risk_list, name="risks"),
    path("risks/<int:pk>/", views.risk_edit, name="risk_edit"),
]
