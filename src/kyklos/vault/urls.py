from django.urls import path

from kyklos.accounts.access import require_permission
from kyklos.vault import views

# Storing a credential is vault "add" in the grant table (kyklos.accounts.roles): technical
# staff and administrators. Support staff see that credentials exist ("view") but do not
# store them.
STORE = require_permission("vault", "add")

app_name = "vault"
urlpatterns = [
    path(
        "customers/<int:customer>/messages/<int:message>/store/",
        STORE(views.from_message),
        name="from_message",
    ),
]
