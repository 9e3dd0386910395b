from django.urls import path

from kyklos.intake import views

app_name = "intake"
urlpatterns = [
    path("", views.contact_form, name="contact"),
    path("thanks/", views.contact_thanks, name="contact_thanks"),
]
