from datetime import date
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from kyklos.core import clock
from kyklos.receivables import services
from kyklos.receivables.models import CollectionCase, InterestCharge
from tests.receivables.conftest import open_receipt
from tests.receivables.test_interest import final_invoice  # noqa: F401  (fixture)


def test_staff_download_the_formal_notice_pdf(client, customer, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("boss", "b@x.example", "x"))
    open_receipt(customer, date(2027, 3, 1))
    with clock.frozen(date(2027, 4, 1)):
        services.run_collections(date(2027, 4, 1))
    case = CollectionCase.objects.get()
    response = client.get(reverse("admin:receivables_collectioncase_notice", args=[case.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    listing = client.get(reverse("admin:receivables_collectioncase_changelist"))
    assert b"formal-notice.pdf" in listing.content


def test_the_command_charges_interest_and_refuses_bad_arguments(final_invoice, capsys):  # noqa: F811
    with clock.frozen(date(2027, 3, 17)):
        call_command("charge_interest", "--through", "2027-03-17")
        with pytest.raises(CommandError, match="not a date") as bad:
            call_command("charge_interest", "--through", "17/03/2027")
        assert bad.value.returncode == 2
        with pytest.raises(CommandError, match="no customer with id 999"):
            call_command("charge_interest", "--customer", "999")
        with pytest.raises(CommandError, match="future days"):
            call_command("charge_interest", "--through", "2027-03-18")
    assert "1 interest document(s) issued through 2027-03-17." in capsys.readouterr().out
    assert InterestCharge.objects.get().amount == Decimal("246.58")
