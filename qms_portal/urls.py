from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from assessment import urls as assessment_urls
from qms_portal import views
from qms_portal.organisation import views as organisation_views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("robots.txt", views.robots_txt, name="robots_txt"),
    path("accounts/login/", organisation_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "accounts/password/",
        auth_views.PasswordChangeView.as_view(),
        name="password_change",
    ),
    path(
        "accounts/password/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("language/", organisation_views.set_language, name="set_language"),
    path("organisation/", include("qms_portal.organisation.urls")),
    path("documents/", include("documents.urls")),
    path("processes/", include("processes.urls")),
    # audits and the apps it holds share the /audits/ prefix, so paths stay as they were
    path("audits/", include("audits.urls")),
    path("audits/reviews/", include("audits.review.urls")),
    path("audits/packs/", include("audits.packs.urls")),
    path("audits/", include("audits.capa.urls")),
    path("audits/", include("audits.auditing.urls")),
    path("assessment/", include("assessment.urls")),
    path("transparency/", include(assessment_urls.transparency_patterns)),  # public page
    path("services/", include("services.urls")),
    path("open311/v2/", include("services.api_urls")),
    path("retention/", include("retention.urls")),
    path("admin/", admin.site.urls),
]

admin.site.site_header = "QMS Portal"
admin.site.site_title = "QMS Portal"
