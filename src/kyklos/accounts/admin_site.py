"""The admin site behind the same login as the portal, with the second factor required.

``INSTALLED_APPS`` names :class:`kyklos.accounts.admin_config.KyklosAdminConfig` instead
of ``django.contrib.admin``, so ``admin.site`` is a :class:`KyklosAdminSite` (Django's
documented way to replace the default site). Staff reach the admin only after password
and TOTP (or a recovery code).
"""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.views import redirect_to_login
from django.urls import reverse


class KyklosAdminSite(admin.AdminSite):
    site_header = "Kyklos"
    site_title = "Kyklos"

    def has_permission(self, request) -> bool:
        from kyklos.accounts.access import is_verified

        return super().has_permission(request) and is_verified(request.user)

    def login(self, request, extra_context=None):
        """One login for everybody: the portal's, which asks for the second factor."""
        target = request.GET.get(REDIRECT_FIELD_NAME) or reverse(
            "admin:index", current_app=self.name
        )
        return redirect_to_login(target, login_url=reverse("portal:login"))
