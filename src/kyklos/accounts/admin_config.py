from django.contrib.admin.apps import SimpleAdminConfig


class KyklosAdminConfig(SimpleAdminConfig):
    """``django.contrib.admin`` whose default site asks for the second factor.

    It does not import every app's ``admin`` module at start-up: the site does that the
    first time its registry is read (its URLs, its checks; see :class:`KyklosAdminSite`),
    so a command that never serves the admin does not pay for it."""

    default_site = "kyklos.accounts.admin_site.KyklosAdminSite"
