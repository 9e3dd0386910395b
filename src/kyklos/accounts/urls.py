from django.urls import path

from kyklos.accounts import views

app_name = "accounts"
urlpatterns = [
    path("login/verify/", views.verify, name="verify"),
    path("two-factor/setup/", views.setup, name="setup"),
    path("two-factor/disable/", views.disable_two_factor, name="two_factor_disable"),
    path("two-factor/recovery-codes/", views.renew_recovery_codes, name="recovery_codes"),
    path("confirm-password/", views.reauth, name="reauth"),
    path("security/", views.security, name="security"),
    path("sessions/<int:pk>/end/", views.end_session, name="end_session"),
    path("sessions/end-others/", views.end_other_sessions, name="end_other_sessions"),
    path("password/", views.password_change, name="password_change"),
]
