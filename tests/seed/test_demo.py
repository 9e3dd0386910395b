"""``kyklos demo``: the data a newcomer explores, made by the real code, loaded once."""

import re
from datetime import timedelta
from io import StringIO

import pytest
from django.apps import apps
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import CommandError
from stdnum.eu import vat as eu_vat

from kyklos.billing.models import DocumentKind, Invoice
from kyklos.catalog.models import LifecyclePolicy, Product, ProductType
from kyklos.core import clock
from kyklos.customers.models import Customer
from kyklos.lifecycle.models import Renewal, Service, State
from kyklos.payments.models import Payment
from kyklos.seed import demo
from tests import factories

pytestmark = pytest.mark.django_db

GREEK_SCRIPT = re.compile(r"^[\u0370-\u03ff\u1f00-\u1fff ]+$")


@pytest.fixture
def debug(settings):
    settings.DEBUG = True


def run(*args) -> str:
    out = StringIO()
    call_command("demo", *args, stdout=out)
    return out.getvalue()


def row_counts() -> dict[str, int]:
    return {model._meta.label: model.objects.count() for model in apps.get_models()}


def test_demo_loads_customers_products_and_services_of_every_kind_once(
    debug, client, django_assert_max_num_queries
):
    output = run()

    customers = Customer.objects.all()
    assert customers.count() >= 30
    assert {c.country for c in customers} == {"GR", "CY", "PL", "DE"}
    assert {c.language for c in customers} == {"el", "en", "pl"}
    for country in ("GR", "CY", "PL", "DE"):
        kinds = {c.kind for c in customers if c.country == country}
        assert kinds == {"person", "company"}, country
    companies = [c for c in customers if c.kind == "company"]
    assert all(eu_vat.is_valid(c.vat_id) for c in companies)
    greek_persons = [c for c in customers if c.kind == "person" and c.country in ("GR", "CY")]
    assert all(GREEK_SCRIPT.match(c.name) for c in greek_persons)
    assert {p.type for p in Product.objects.all()} == set(ProductType.values)
    assert set(Service.objects.values_list("state", flat=True)) == set(State.values)
    assert Payment.objects.exists()
    assert_demo_customer_has_an_expiring_service_an_add_on_and_unpaid_proformas()
    assert_the_desk_and_the_agency_have_work()

    assert "admin / kyklos-admin" in output and "http://127.0.0.1:8000/console/" in output
    assert "demo / kyklos-demo" in output and "http://127.0.0.1:8000/portal/" in output
    assert client.login(username="demo", password="kyklos-demo")
    assert client.login(username="admin", password="kyklos-admin")
    assert User.objects.get(username="billing").is_staff

    before = row_counts()
    with django_assert_max_num_queries(5):
        again = run()
    assert "already loaded; nothing was added" in again
    assert row_counts() == before

    # The logins are the last lines, with no log chatter of the daily runs before them.
    lines = [line for line in output.splitlines() if line.strip()]
    assert lines[-1].startswith("Customer: demo / kyklos-demo")
    assert "sealed" not in output and "kyklos demo --code" in output
    assert run("--no-logins").strip() == "The demo data is already loaded; nothing was added."
    assert run("--logins").splitlines()[-1].startswith("Customer: demo / kyklos-demo")


def assert_the_desk_and_the_agency_have_work():
    """Support staff find open and answered tickets; there are quotes, one accepted into a
    project that asks for its deposit."""
    Ticket = apps.get_model("support", "Ticket")
    Quote = apps.get_model("projects", "Quote")
    Project = apps.get_model("projects", "Project")
    tickets = Ticket.objects.all()
    assert tickets.count() >= 4
    assert tickets.filter(customer__user__username="demo").count() >= 2
    assert {t.status for t in tickets} >= {"new", "resolved"}
    assert tickets.filter(messages__from_staff=True).exists()
    assert Quote.objects.filter(status="sent").exists()
    project = Project.objects.get()
    assert Invoice.objects.filter(customer=project.customer, kind=DocumentKind.PROFORMA).exists()


def test_the_demo_code_is_the_staff_second_factor(debug):
    """`kyklos demo --code` prints the code the demo staff's TOTP device accepts, so trying
    the demo needs nothing else installed."""
    import base64

    from django_otp.plugins.otp_totp.models import TOTPDevice

    from kyklos.seed.demo_data import STAFF_TOTP_SECRET

    staff = User.objects.create_user("billing", is_staff=True)
    device = TOTPDevice.objects.create(
        user=staff, name="demo", key=base64.b32decode(STAFF_TOTP_SECRET).hex()
    )
    code, seconds = run("--code").split()[0], demo.staff_code()[1]
    assert re.fullmatch(r"\d{6}", code) and 1 <= seconds <= 30
    assert device.verify_token(code)
    assert demo.staff_code(at=59)[0] == demo.staff_code(at=30)[0]  # one 30-second step
    assert demo.staff_code(at=59)[0] != demo.staff_code(at=60)[0]


def test_the_demo_code_is_refused_outside_development(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="KYKLOS_DEBUG=1"):
        run("--code")


def assert_demo_customer_has_an_expiring_service_an_add_on_and_unpaid_proformas():
    customer = Customer.objects.get(user__username="demo")
    services = Service.objects.filter(customer=customer)
    today = clock.today()
    assert services.count() >= 4
    assert services.filter(parent__isnull=False, state=State.ACTIVE).exists()
    expiring = services.get(
        state=State.ACTIVE,
        parent__isnull=True,
        expires_on__range=(today, today + timedelta(days=30)),
        renewals__status=Renewal.Status.OPEN,
    )
    unpaid = Invoice.objects.filter(
        customer=customer, kind=DocumentKind.PROFORMA, status=Invoice.Status.OPEN
    )
    assert unpaid.filter(renewals__service=expiring).exists()
    assert unpaid.count() >= 2  # the renewal and a pending order


def test_without_debug_the_demo_refuses_and_writes_nothing(settings):
    settings.DEBUG = False
    before = row_counts()

    with pytest.raises(CommandError, match="runs only in development \\(KYKLOS_DEBUG=1\\)"):
        run()
    with pytest.raises(CommandError, match="KYKLOS_DEBUG=1"):
        run("--reset")
    assert row_counts() == before


def test_a_database_with_data_is_left_alone_unless_reset(debug):
    factories.customer(name="Real Customer")
    before = row_counts()

    with pytest.raises(CommandError, match="kyklos demo --reset"):
        run()
    assert row_counts() == before


def test_wipe_empties_the_database_back_to_what_migrate_leaves(debug):
    fresh = row_counts()
    factories.active_service(
        factories.customer(), factories.product("domain"), expires_on=clock.today()
    )
    User.objects.create_user("someone", password="x-long-password")

    demo.wipe()

    assert row_counts() == fresh
    assert LifecyclePolicy.objects.filter(code="dedicated_server").get().terminate_after_days == 1
