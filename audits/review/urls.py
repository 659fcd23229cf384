"""Routes of management review, under /audits/reviews/."""

from django.urls import path

from . import views

app_name = "review"

urlpatterns = [
    path("", views.review_list, name="review_list"),
    path("new/", views.review_create, name="review_create"),
    path("<int:pk>/", views.review_detail, name="review"),
    path("<int:pk>/minutes.pdf", views.review_minutes_pdf, name="review_pdf"),
]
