"""Servers and product modules in the admin: the server's secret goes to the vault, never
to its row; a product module with settings its module refuses is not saved."""

import pytest
from django.urls import reverse

from kyklos.provisioning.models import ProductModule, Server
from kyklos.vault import services as vault
from tests import factories

pytestmark = pytest.mark.django_db


def test_the_server_form_seals_the_password_in_the_vault(admin_client, fake_group):
    response = admin_client.post(
        reverse("admin:provisioning_server_add"),
        {
            "group": fake_group.pk,
            "name": "mail-2",
            "hostname": "mail2.example",
            "port": "",
            "username": "admin",
            "use_tls": "on",
            "capacity": "300",
            "settings": "{}",
            "is_active": "on",
            "secret": "pa55-word",
        },
    )
    assert response.status_code == 302
    server = Server.objects.get(name="mail-2")
    assert "pa55-word" not in str(Server.objects.filter(pk=server.pk).values().get())
    assert vault.provider_secret(server.credential_purpose) == {"secret": "pa55-word"}


def test_a_product_module_with_an_unknown_setting_is_refused(admin_client, db):
    from kyklos.provisioning.models import ServerGroup

    group = ServerGroup.objects.create(code="mail", name="Mail", module="dovecot")
    product = factories.product("email_hosting")
    response = admin_client.post(
        reverse("admin:provisioning_productmodule_add"),
        {
            "product": product.pk,
            "module": "dovecot",
            "group": group.pk,
            "plan": "",
            "settings": '{"quota": 5}',
            "limits": "{}",
            "restore_fee": "0",
            "backed_up": "on",
        },
    )
    assert response.status_code == 200
    assert "Dovecot has no setting" in response.content.decode()
    assert not ProductModule.objects.exists()
    other = factories.product("email_hosting")
    response = admin_client.post(
        reverse("admin:provisioning_productmodule_add"),
        {
            "product": other.pk,
            "module": "postgresql",
            "group": group.pk,
            "settings": "{}",
            "limits": "{}",
            "restore_fee": "0",
        },
    )
    assert "That server group runs dovecot." in response.content.decode()


def test_staff_suspend_an_account_for_abuse_from_the_admin_with_a_reason(
    admin_client, customer, fake_product, fake, django_capture_on_commit_callbacks
):
    from kyklos.provisioning.models import Account
    from tests.provisioning.helpers import order_and_pay

    service = order_and_pay(customer, fake_product, django_capture_on_commit_callbacks)
    account = Account.objects.get(service=service)
    url = reverse("admin:provisioning_account_changelist")
    asked = admin_client.post(
        url, {"action": "suspend_for_abuse", "_selected_action": [account.pk]}
    )
    assert "Suspend now" in asked.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(
            url,
            {
                "action": "suspend_for_abuse",
                "_selected_action": [account.pk],
                "apply": "1",
                "reason": "Phishing pages",
            },
        )
    account.refresh_from_db()
    assert account.abuse_reason == "Phishing pages"
    assert fake.accounts[account.username]["on"] is False
