"""The admin site behind the same login as the portal, with the second factor required.

``INSTALLED_APPS`` names :class:`kyklos.accounts.admin_config.KyklosAdminConfig` instead
of ``django.contrib.admin``, so ``admin.site`` is a :class:`KyklosAdminSite` (Django's
documented way to replace the default site). Staff reach the admin only after password
and TOTP (or a recovery code).

The apps' ``admin`` modules are imported when the site's registry is first read — by its
URLs, its system checks or a test — not when Django starts (``KyklosAdminConfig`` is a
``SimpleAdminConfig``): they import views, forms and services that a command run by cron
never uses.
"""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.views import redirect_to_login
from django.urls import reverse
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext_lazy as _

#: Human names for the apps whose own names are raw labels (third-party apps).
APP_NAMES = {
    "auth": _("Logins and roles"),
    "axes": _("Login attempts and lockouts"),
    "otp_totp": _("Two-factor devices"),
}


class KyklosAdminSite(admin.AdminSite):
    """The admin is for configuration (catalogue, policies, rules); day-to-day work is in
    the staff console, which its index links to."""

    site_header = "Kyklos"
    site_title = "Kyklos"
    site_url = "/console/"
    index_template = "admin/kyklos_index.html"

    def get_app_list(self, request, app_label=None):
        apps = super().get_app_list(request, app_label)
        for app in apps:
            if app["app_label"] in APP_NAMES:
                app["name"] = APP_NAMES[app["app_label"]]
        return sorted(apps, key=lambda a: str(a["name"]).lower())

    def __init__(self, name: str = "admin") -> None:
        self._discovered = False
        super().__init__(name)

    @property
    def _registry(self) -> dict:
        """The registered models; the first read imports every app's ``admin`` module."""
        if not self._discovered:
            self._discovered = True
            autodiscover_modules("admin", register_to=self)
        return self._models

    @_registry.setter
    def _registry(self, value: dict) -> None:
        self._models = value

    def has_permission(self, request) -> bool:
        from kyklos.accounts.access import is_verified

        return super().has_permission(request) and is_verified(request.user)

    def login(self, request, extra_context=None):
        """One login for everybody: the portal's, which asks for the second factor."""
        target = request.GET.get(REDIRECT_FIELD_NAME) or reverse(
            "admin:index", current_app=self.name
        )
        return redirect_to_login(target, login_url=reverse("portal:login"))
