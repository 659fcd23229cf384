from django.urls import path

from . import views

app_name = "services"

urlpatterns = [
    # Citizens: no sign-in.
    path("", views.catalogue, name="catalogue"),
    path("s/<slug:code>/", views.service_page, name="service"),  # a service code's characters only
    path("track/", views.track_lookup, name="track_lookup"),
    path("track/<str:code>/", views.track, name="track"),
    path("track/<str:code>/rate/", views.rate, name="rate"),
    # Staff.
    path("queue/", views.queue, name="queue"),
    path("requests/<int:pk>/", views.request_detail, name="request"),
    path("requests/<int:pk>/do/<str:action>/", views.request_action, name="request_action"),
    path("requests/<int:pk>/transfer/", views.request_transfer, name="request_transfer"),
    path("requests/<int:pk>/assign/", views.request_assign, name="request_assign"),
    path("requests/<int:pk>/update/", views.request_update, name="request_update"),
    path("requests/<int:pk>/photos/<int:photo_pk>/", views.photo, name="photo"),
    path("statistics/", views.statistics_page, name="statistics"),
    path("holidays/", views.holidays, name="holidays"),
    path("holidays/<int:pk>/delete/", views.holiday_delete, name="holiday_delete"),
]
