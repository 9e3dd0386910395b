from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AccountsConfig(AppConfig):
    name = "kyklos.accounts"
    label = "accounts"
    verbose_name = "Accounts and login security"

    def ready(self) -> None:
        from kyklos.accounts import roles, signals

        signals.connect()
        post_migrate.connect(roles.sync_after_migrate, dispatch_uid="kyklos.accounts.roles")
