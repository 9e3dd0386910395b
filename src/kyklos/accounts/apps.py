from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AccountsConfig(AppConfig):
    name = "kyklos.accounts"
    label = "accounts"
    verbose_name = "Accounts and login security"

    def ready(self) -> None:
        from kyklos.accounts import roles, signals
        from kyklos.core import hooks

        def on_notice_copies(sender, customer_id, audience, **kwargs):
            # imported when a notice is sent, not at start-up (decision 0041)
            from kyklos.accounts import selectors

            return selectors.contact_addresses(customer_id, audience)

        signals.connect()
        hooks.notice_copies.connect(
            on_notice_copies, weak=False, dispatch_uid="accounts.contact_copies"
        )
        post_migrate.connect(roles.sync_after_migrate, dispatch_uid="kyklos.accounts.roles")
