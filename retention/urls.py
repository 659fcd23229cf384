"""Routes of retention and disposal, under /retention/."""

from django.urls import path

from . import views

app_name = "retention"

urlpatterns = [
    path("", views.schedule, name="schedule"),
    path("rules/<int:pk>/", views.rule_edit, name="rule_edit"),
    path("holds/", views.holds, name="holds"),
    path("holds/<int:pk>/release/", views.hold_release, name="hold_release"),
    path("runs/", views.runs, name="runs"),
    path("runs/<int:pk>/", views.run_detail, name="run"),
    path("runs/<int:pk>/<str:step>/", views.run_step, name="run_step"),
]
