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


class KyklosAdminSite(admin.AdminSite):
    site_header = "Kyklos"
    site_title = "Kyklos"

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
