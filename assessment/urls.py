"""Routes of the self-assessment (signed-in agency people, ``assessment:``, under /assessment/) and
of the public transparency page (``transparency:``, under /transparency/)."""

from django.urls import path

from . import views

app_name = "assessment"

urlpatterns = [
    path("", views.assessment_list, name="list"),
    path("new/", views.assessment_create, name="create"),
    path("trend/", views.trend, name="trend"),
    path("indicators/", views.indicator_list, name="indicators"),
    path("indicators/<int:pk>/edit/", views.indicator_edit, name="indicator_edit"),
    path("publication/", views.publication, name="publication"),
    path("<int:pk>/", views.assessment_detail, name="detail"),
    path("<int:pk>/radar.svg", views.assessment_chart, name="chart"),
    path("<int:pk>/<slug:step>/", views.assessment_step, name="step"),
    path("results/<int:pk>/edit/", views.result_edit, name="result_edit"),
]

#: The public page keeps its own namespace; mounted by the project's URLconf.
transparency_patterns = (
    [
        path("", views.transparency_index, name="index"),
        path(
            "chain-head/<slug:seal>.json", views.chain_head_statement, name="chain_head_statement"
        ),
        path("<str:code>/", views.transparency_page, name="agency"),
    ],
    "transparency",
)
