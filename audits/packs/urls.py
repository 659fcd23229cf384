"""Routes of evidence packs, under /audits/packs/."""

from django.urls import path

from . import views

app_name = "packs"

urlpatterns = [
    path("", views.pack_list, name="pack_list"),
    path("new/", views.pack_create, name="pack_create"),
    path("<int:pk>/", views.pack_detail, name="pack"),
    path("<int:pk>/build/", views.pack_build, name="pack_build"),
    path("<int:pk>/share/", views.pack_share, name="pack_share"),
    path(
        "<int:pk>/shares/<int:share_pk>/revoke/", views.pack_share_revoke, name="pack_share_revoke"
    ),
    path("<int:pk>/download/", views.pack_download, name="pack_download"),
]
