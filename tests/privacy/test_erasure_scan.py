"""After an erasure, the person's name, e-mail addresses and phone numbers are found in no
text, char or JSON column of any table — except in the documented legal holds (R1.4, R9.3)."""

from datetime import date

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import models
from django.db.models import Q, TextField
from django.db.models.functions import Cast

from kyklos.billing.models import TAX_DOCUMENT_KINDS, Invoice
from kyklos.core import audit_chain, clock
from kyklos.core.models import AuditEvent
from kyklos.core.personal_data import Subject, personal_data
from kyklos.customers import services as customers
from kyklos.customers.models import ChangeRequest, Customer
from kyklos.lifecycle import services as lifecycle
from kyklos.notifications.models import Outbox
from kyklos.payments.services import record_payment
from kyklos.privacy import consent, requests
from kyklos.privacy.models import DataSubjectRequest
from tests import factories
from tests.privacy.conftest import make_login

pytestmark = pytest.mark.django_db

NAME = "Zoe Kalliopi Marinaki"
EMAILS = ["zoe.marinaki@example.gr", "zoe.admin@example.gr", "zoe.bills@example.gr"]
PHONES = ["+30 2310 444 901", "+30 6944 123 987"]
PDF = b"%PDF-1.4 test document\n"


def text_columns(model):
    for field in model._meta.get_fields():
        if not getattr(field, "concrete", False) or field.is_relation:
            continue
        if isinstance(field, models.CharField | models.TextField | models.JSONField):
            yield field


def scan(needles):
    """(model label, field, pk) of every row with one of ``needles`` in a text column."""
    hits = []
    for model in apps.get_models(include_auto_created=True):
        for field in text_columns(model):
            column = field.name
            qs = model._default_manager.all()
            if isinstance(field, models.JSONField):
                qs = qs.annotate(_scan=Cast(field.name, TextField()))
                column = "_scan"
            q = Q()
            for needle in needles:
                q |= Q(**{f"{column}__icontains": needle})
            for pk in qs.filter(q).values_list("pk", flat=True):
                hits.append((model._meta.label, field.name, pk))
    return hits


@pytest.fixture
def history(settings):
    """A customer with a login, particulars history, a change request and its document, a
    paid service with its proforma, invoice, payment and notices, a cancellation with a
    reason naming her, consents, an admin log entry — whose relationship then ended."""
    with clock.frozen(date(2026, 1, 10)):
        user = make_login(EMAILS[0], email=EMAILS[0], first_name="Zoe", last_name="Marinaki")
        customer = customers.create_customer(
            kind="person",
            name=NAME,
            email=EMAILS[0],
            admin_email=EMAILS[1],
            billing_email=EMAILS[2],
            phone=PHONES[0],
            address="Tsimiski 12",
            city="Thessaloniki",
            postal_code="54624",
            country="GR",
            adult_confirmed=True,
            terms_version="2026-01",
            channel="portal",
            user=user,
            actor=user,
        )
        customers.update_particulars(customer, phone=PHONES[1], actor=user)
        customers.request_change(
            customer,
            field="vat_id",
            new_value="EL094259216",
            document=SimpleUploadedFile("vat.pdf", PDF, content_type="application/pdf"),
            actor=user,
        )
        hosting = factories.product("shared_hosting", prices={"annual": "120.00"})
        service = lifecycle.order_service(
            customer=customer, product=hosting, cycle="annual", label="zoe-shop.example"
        )
        proforma = Invoice.objects.get(customer=customer, kind="proforma")
        record_payment(
            proforma,
            amount=proforma.total,
            method="bank_transfer",
            reference=f"{NAME} hosting 2026",
        )
        consent.record(
            purposes={"marketing_email": True},
            source="portal",
            customer_id=customer.pk,
            email=EMAILS[0],
            actor=user,
        )
        consent.record(purposes={"analytics_cookies": True}, source="banner", visitor="v-zoe")
        LogEntry.objects.create(
            user=make_login("clerk", is_staff=True),
            content_type=ContentType.objects.get_for_model(Customer),
            object_id=str(customer.pk),
            object_repr=str(customer),
            action_flag=CHANGE,
            change_message="[]",
        )
    with clock.frozen(date(2026, 6, 1)):
        lifecycle.request_cancellation(
            service, when="immediate", reason=f"{NAME} closes her shop", actor=user
        )
        customers.lock_customer(customer, actor="staff", reason="contract ended")
    customer.refresh_from_db()
    return customer


def test_history_leaves_the_person_everywhere_before_erasure(history):
    tables = {label for label, _f, _pk in scan([NAME, *EMAILS, *PHONES])}
    assert {
        "auth.User",
        "customers.Customer",
        "customers.ParticularsChange",
        "billing.Invoice",
        "notifications.Outbox",
        "payments.Payment",
        "lifecycle.Service",
        "core.AuditEvent",
        "admin.LogEntry",
        "privacy.ConsentEvent",
    } <= tables


def test_after_erasure_only_the_documented_legal_holds_keep_the_person(history, staff):
    with clock.frozen(date(2026, 7, 1)):
        req = requests.submit_as_customer(history.user, kind="erasure")
        done = requests.fulfil(req, actor=staff)

    hits = scan([NAME, *EMAILS, *PHONES])

    tax_ids = set(
        Invoice.objects.filter(kind__in=[str(k) for k in TAX_DOCUMENT_KINDS]).values_list(
            "pk", flat=True
        )
    )
    answer_ids = set(
        Outbox.objects.filter(event=requests.ANSWERED_EVENT).values_list("pk", flat=True)
    )
    allowed = [
        # Tax documents keep the buyer's name for the tax period (R1.4, R6.1, R9.4).
        lambda label, field, pk: (
            label == "billing.Invoice" and field == "buyer_name" and pk in tax_ids
        ),
        # The request and the answer to it prove that it was answered (art. 5(2), 12).
        lambda label, field, pk: (
            label == "privacy.DataSubjectRequest" and field in ("name", "email")
        ),
        lambda label, field, pk: label == "notifications.Outbox" and pk in answer_ids,
        # The hash-chained audit trail and the admin's log are kept (AUDIT_LEGAL_HOLD) but
        # pseudonymised: they are no exception any more (issue 12).
    ]
    leaks = [hit for hit in hits if not any(rule(*hit) for rule in allowed)]
    assert leaks == []
    # The holds are really there (the test would otherwise prove nothing).
    assert {("billing.Invoice", "buyer_name")} <= {(lbl, f) for lbl, f, _pk in hits}
    # No phone number survives anywhere, not even in the holds.
    assert scan(PHONES) == []
    # The answer explains what was kept and why, per category.
    assert done.status == DataSubjectRequest.Status.DONE
    outcome = done.outcome["categories"]
    # The proforma is anonymised; the tax invoice and the payment are kept.
    assert outcome["tax_records"]["kept"] == 2
    assert outcome["tax_records"]["anonymised"] == 2  # the proforma, the payment reference
    assert "tax period" in outcome["tax_records"]["kept_reason"]
    assert "Tax documents" in done.response
    customer = Customer.objects.get(pk=history.pk)
    assert customer.status == Customer.Status.LOCKED
    assert customer.email == f"erased-{customer.pk}@erased.invalid"
    assert not ChangeRequest.objects.filter(customer=customer).exists()
    assert not customer.user.is_active


def test_erasure_waits_while_a_service_still_runs(customer, staff, today):
    hosting = factories.product("shared_hosting")
    factories.active_service(customer, hosting, expires_on=date(2027, 9, 1))
    req = requests.submit_as_customer(customer.user, kind="erasure")

    with pytest.raises(Exception, match="1 service is still running"):
        requests.fulfil(req, actor=staff)

    customer.refresh_from_db()
    assert customer.name == "Maria Nowak"
    assert DataSubjectRequest.objects.get(pk=req.pk).status == "open"
    assert personal_data.erasure_blockers(Subject(customer_id=customer.pk)) != []


def test_a_customer_whose_login_is_their_email_leaves_no_trace_in_the_trail_or_admin_log(
    history, staff, rf
):
    """Issue 12: the login name is the e-mail address. Staff change her login and her
    customer record in the admin, she acts herself (the history), the trail is sealed;
    after the erasure neither the audit trail nor the admin's log names her, her events
    are labelled erased-user-N, and ``kyklos audit verify`` still finds the chain intact."""
    user = history.user
    assert user.username == user.email == EMAILS[0]
    request = rf.post("/admin/")
    request.user = staff
    user_admin = admin.site._registry[get_user_model()]
    customer_admin = admin.site._registry[Customer]
    with clock.frozen(date(2026, 6, 2)):
        user_admin.log_change(request, user, [{"changed": {"fields": ["Email address"]}}])
        customer_admin.log_change(
            request, history, f"Called {NAME} at {PHONES[1]} about {EMAILS[2]}"
        )
        customer_admin.log_addition(
            request, history, [{"added": {"name": "note", "object": f"{NAME} <{EMAILS[1]}>"}}]
        )
    audit_chain.seal()
    before = scan([NAME, *EMAILS])
    assert {"core.AuditEvent", "admin.LogEntry"} <= {label for label, _f, _pk in before}

    with clock.frozen(date(2026, 7, 1)):
        req = requests.submit_as_customer(user, kind="erasure")
        done = requests.fulfil(req, actor=staff)

    trail = [hit for hit in scan([NAME, *EMAILS, *PHONES]) if hit[0] in TRAILS]
    assert trail == []
    labels = set(AuditEvent.objects.filter(actor_id=user.pk).values_list("actor_label", flat=True))
    assert labels == {f"erased-user-{user.pk}"}
    staff_labels = AuditEvent.objects.filter(actor_id=staff.pk).values_list("actor_label")
    assert set(staff_labels) == {(staff.username,)}  # staff are not pseudonymised
    assert set(LogEntry.objects.values_list("object_repr", flat=True)) == {
        f"erased-user-{user.pk}",
        f"customer #{history.pk}",
    }
    assert done.outcome["categories"]["audit_trail"]["anonymised"] > 0
    audit_chain.seal()
    result = audit_chain.verify()
    assert result.ok, result.problems
    assert result.pseudonymised > 0 and result.unsealed == 0


TRAILS = ("core.AuditEvent", "admin.LogEntry")
