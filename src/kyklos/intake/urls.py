from django.urls import path

from kyklos.accounts.access import public
from kyklos.intake import views

app_name = "intake"
urlpatterns = [
    path("", public(views.contact_form), name="contact"),
    path("thanks/", public(views.contact_thanks), name="contact_thanks"),
]
