from django.contrib.admin.apps import AdminConfig


class KyklosAdminConfig(AdminConfig):
    """``django.contrib.admin`` whose default site asks for the second factor."""

    default_site = "kyklos.accounts.admin_site.KyklosAdminSite"
