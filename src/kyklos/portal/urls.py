from django.contrib.auth import views as auth_views
from django.urls import path

from kyklos.portal import payment_views, views

app_name = "portal"
urlpatterns = [
    path(
        "login/",
        auth_views.LoginView.as_view(
            template_name="portal/login.html", redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", views.dashboard, name="dashboard"),
    path("services/<int:pk>/renew/", views.renew, name="renew"),
    path("services/<int:pk>/cancel/", views.cancel, name="cancel"),
    path("invoices/", views.invoice_list, name="invoices"),
    path("invoices/<int:pk>/", views.invoice_detail, name="invoice"),
    path("invoices/<int:pk>/pay/", payment_views.pay, name="pay"),
    path("invoices/<int:pk>/proof/", payment_views.upload_proof, name="upload_proof"),
    path("invoices/<int:pk>/refund/", payment_views.refund, name="refund"),
    path("checkouts/<int:pk>/return/", payment_views.checkout_return, name="checkout_return"),
    path("profile/", views.profile, name="profile"),
    path("profile/particulars/", views.update_particulars, name="particulars"),
    path("profile/change-requests/", views.file_change_request, name="change_request"),
    path(
        "profile/change-requests/<int:pk>/document/",
        views.change_document,
        name="change_document",
    ),
]
