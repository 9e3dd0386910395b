from django.urls import path

from kyklos.accounts.access import public
from kyklos.payments import views

app_name = "payments"
urlpatterns = [
    path("webhooks/<slug:method>/", public(views.webhook), name="webhook"),
]
