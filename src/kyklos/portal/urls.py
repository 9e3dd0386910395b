from django.contrib.auth import views as auth_views
from django.urls import path

from kyklos.accounts.access import public
from kyklos.accounts.views import login_view
from kyklos.portal import views

app_name = "portal"
urlpatterns = [
    # Password, then the second factor for staff and customers who turned it on.
    path("login/", login_view, name="login"),
    path("logout/", public(auth_views.LogoutView.as_view()), name="logout"),
    path("", views.dashboard, name="dashboard"),
    path("services/<int:pk>/renew/", views.renew, name="renew"),
    path("services/<int:pk>/cancel/", views.cancel, name="cancel"),
    path("invoices/", views.invoice_list, name="invoices"),
    path("invoices/<int:pk>/", views.invoice_detail, name="invoice"),
    path("profile/", views.profile, name="profile"),
    path("profile/particulars/", views.update_particulars, name="particulars"),
    path("profile/change-requests/", views.file_change_request, name="change_request"),
    path(
        "profile/change-requests/<int:pk>/document/",
        views.change_document,
        name="change_document",
    ),
]
