from django.urls import path

from kyklos.payments import views

app_name = "payments"
urlpatterns = [
    path("webhooks/<slug:method>/", views.webhook, name="webhook"),
]
