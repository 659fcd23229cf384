from django.urls import path

from . import views

app_name = "documents"

urlpatterns = [
    path("", views.register, name="register"),
    path("new/", views.create, name="create"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/revisions/new/", views.revision_new, name="revision_new"),
    path("<int:pk>/obsolete/", views.obsolete, name="obsolete"),
    path("<int:pk>/periodic-review/", views.periodic_review, name="periodic_review"),
    path("<int:pk>/revisions/<int:revision_pk>/", views.revision_detail, name="revision"),
    path("<int:pk>/revisions/<int:revision_pk>/edit/", views.revision_edit, name="revision_edit"),
    path(
        "<int:pk>/revisions/<int:revision_pk>/submit/",
        views.revision_submit,
        name="revision_submit",
    ),
    path("<int:pk>/revisions/<int:revision_pk>/sign/", views.revision_sign, name="revision_sign"),
    path(
        "<int:pk>/revisions/<int:revision_pk>/assign/",
        views.revision_assign,
        name="revision_assign",
    ),
    path(
        "<int:pk>/revisions/<int:revision_pk>/acknowledge/",
        views.revision_acknowledge,
        name="revision_acknowledge",
    ),
    path("<int:pk>/revisions/<int:revision_pk>/download/", views.download, name="download"),
]
