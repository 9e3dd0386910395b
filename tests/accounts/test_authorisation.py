"""The authorisation matrix (R10.1, ASVS V8): every URL of the site and every API
operation, tried anonymously, as each staff role, as a customer and as another customer.

The URLs and operations are discovered (URL resolver, the API's routers), so pages and
endpoints that other apps add later are covered without touching this file: a view must
declare who it is for (``kyklos.accounts.access``) and an API operation must have a role
check, or the matrix fails.
"""

from __future__ import annotations

import json
import re
from datetime import date

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import ForeignKey
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from kyklos.accounts import access, roles
from kyklos.accounts.access import can
from kyklos.accounts.models import UserSession
from kyklos.api import services as api_services
from kyklos.api.auth import StaffToken
from kyklos.api.models import ApiToken
from kyklos.api.v1 import api
from kyklos.billing.models import DocumentKind
from kyklos.billing.services import DocumentSpec, LineSpec, issue_documents
from kyklos.core import clock
from kyklos.core.audit import ACCESSED, staff_accesses
from kyklos.core.models import AuditEvent
from kyklos.customers.models import ChangeRequest, Customer
from tests import factories
from tests.accounts.conftest import make_user

pytestmark = pytest.mark.django_db

#: URL patterns outside the matrix, each with the reason.
NOT_IN_MATRIX = {
    "set_language": "Django's language switch: public, changes only a cookie",
}
STAFF_ROLES = roles.ROLES
DENIED = {401, 403, 404, 405}


# --- the world ----------------------------------------------------------------------------


@pytest.fixture
def world(db, settings, tmp_path):
    """Maria (a customer with a service, an invoice, a change request and a session),
    Nikos (another customer), and a verified staff login per role."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    with clock.frozen(date(2027, 3, 1)):
        maria = factories.customer(
            name="Maria Secretname", email="maria.secret@example.gr", user=make_user("maria")
        )
        nikos = factories.customer(name="Nikos Other", user=make_user("nikos"))
        hosting = factories.product("shared_hosting")
        factories.active_service(maria, hosting, label="maria.gr", expires_on=date(2027, 6, 1))
        issue_documents(
            [
                DocumentSpec(
                    customer=maria,
                    kind=DocumentKind.PROFORMA,
                    issued_on=date(2027, 3, 1),
                    lines=[LineSpec(description="Hosting", unit_price=120)],
                )
            ]
        )
        ChangeRequest.objects.create(
            customer=maria,
            field="country",
            new_value="CY",
            document=SimpleUploadedFile("proof.pdf", b"%PDF-1.4\n%%EOF\n"),
            requested_at=clock.now(),
        )
    Client().force_login(maria.user)  # a tracked session of Maria's
    staff = {}
    for role in STAFF_ROLES:
        user = make_user(f"staff-{role}", is_staff=True)
        roles.assign(user, role)
        staff[role] = user
    return {"maria": maria, "nikos": nikos, "staff": staff}


def objects_of(customer: Customer) -> set[int]:
    """The ids of every row that belongs to ``customer`` (by a ``customer`` or ``user``
    foreign key), whatever the model: the ids another customer will try."""
    ids: set[int] = set()
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if not isinstance(field, ForeignKey):
                continue
            if field.related_model is Customer:
                ids |= set(
                    model.objects.filter(**{field.name: customer}).values_list("pk", flat=True)
                )
            elif field.related_model is get_user_model() and field.name == "user":
                ids |= set(model.objects.filter(user=customer.user).values_list("pk", flat=True))
    ids.add(customer.pk)
    return ids


# --- the site's URLs ----------------------------------------------------------------------


def site_urls(patterns=None, prefix="", namespace=""):
    """(route, name, view) of every URL except the admin and the API (they have their own
    matrices below)."""
    for entry in patterns if patterns is not None else get_resolver().url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            if entry.namespace == "admin" or route.startswith("api/"):
                continue
            yield from site_urls(entry.url_patterns, route, entry.namespace or namespace)
        elif isinstance(entry, URLPattern):
            name = (
                f"{namespace}:{entry.name}" if namespace and entry.name else (entry.name or route)
            )
            yield route, name, entry.callback


def fill(route: str, value) -> str:
    return "/" + re.sub(r"<(?:\w+:)?(\w+)>", str(value), route)


def has_params(route: str) -> bool:
    return "<" in route


URLS = None


def matrix_urls():
    return [
        (r, n, v) for r, n, v in site_urls() if n not in NOT_IN_MATRIX and r not in NOT_IN_MATRIX
    ]


def test_every_view_declares_who_it_is_for():
    undeclared = [name for _route, name, view in matrix_urls() if access.declared(view) is None]
    assert undeclared == [], (
        "Declare who may use these views with kyklos.accounts.access "
        "(require_role, customer_only, any_user or public): " + ", ".join(undeclared)
    )


def client_for(user, *, verified=True) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)  # staff get a verified second factor (tests/conftest.py)
    return client


def requests(url: str):
    yield "get", url, {}
    yield "post", url, {"reason": "x", "code": "000000", "password": "x"}


def test_anonymous_visitors_get_only_the_login_and_public_pages(world):
    ids = objects_of(world["maria"])
    for route, name, view in matrix_urls():
        audience = access.declared(view).audience
        for url in {fill(route, i) for i in ids} if has_params(route) else {fill(route, 0)}:
            for method, target, data in requests(url):
                response = getattr(Client(), method)(target, data)
                if audience == access.PUBLIC:
                    assert response.status_code < 500, (name, method)
                    continue
                location = response.get("Location", "")
                assert response.status_code in DENIED or (
                    response.status_code == 302 and location.startswith("/portal/login/")
                ), (name, method, response.status_code, location)


def test_another_customer_gets_nothing_of_marias(world):
    """No IDOR: Nikos tries every URL with the id of every row of Maria's."""
    maria, nikos = world["maria"], world["nikos"]
    ids = objects_of(maria)
    sessions_before = UserSession.objects.filter(user=maria.user, ended_at__isnull=True).count()
    events_before = AuditEvent.objects.filter(customer_id=maria.pk).count()
    for route, name, view in matrix_urls():
        tries = sorted(ids) if has_params(route) else [0]
        # A public page with an id (a privacy notice's version) shows no one's data: the
        # body check below covers it; its id may equal one of Maria's rows by chance.
        public_page = access.declared(view).audience == access.PUBLIC
        for pk in tries:
            for method, target, data in requests(fill(route, pk)):
                client = client_for(nikos.user)
                # Ids are shared between tables on PostgreSQL: the session just made for
                # Nikos may carry the id of one of Maria's rows; his own rows are his.
                own = pk in objects_of(nikos)
                response = getattr(client, method)(target, data)
                body = response.content.decode(errors="replace")
                assert "Secretname" not in body and "maria.secret" not in body, (name, method)
                if has_params(route) and not own and not public_page:
                    assert response.status_code in DENIED, (name, method, target)
    assert (
        UserSession.objects.filter(user=maria.user, ended_at__isnull=True).count()
        == sessions_before
    )
    assert AuditEvent.objects.filter(customer_id=maria.pk).count() == events_before


#: What each staff page is, in the grant table's terms (any of the needs will do): stated
#: here so that changing a page's declaration fails this file. Who may use it follows from
#: the grant table (kyklos.accounts.roles), like everything else.
STAFF_PAGES = {
    "desk:queue": {("support", "view")},
    "desk:ticket": {("support", "view")},
    "desk:canned": {("support", "view")},
    "desk:attachment": {("support", "view")},
    "desk:report": {("support", "view")},
    "desk:message": {("support", "change")},
    "desk:triage": {("support", "change")},
    "desk:void_sla": {("support", "change")},
    "desk:outage": {("support", "change")},
    "desk:out_of_scope": {("projects", "add")},
    "desk:time": {("support", "change"), ("projects", "add")},
    "vault:from_message": {("vault", "add")},
    "provisioning:jobs": {("provisioning", "view")},
    "provisioning:job": {("provisioning", "view")},
    "provisioning:restores": {("provisioning", "view")},
    "provisioning:retry": {("provisioning", "change")},
    "provisioning:decide_restore": {("provisioning", "change")},
    "console:home": {("customers", "view")},
    "console:customer": {("customers", "view")},
    "console:invoice_new": {("billing", "add")},
    "console:credit_note": {("billing", "add")},
    "console:account_credit": {("payments", "add")},
    "console:refund": {("payments", "add")},
    "console:service_suspend": {("lifecycle", "change"), ("provisioning", "change")},
    "console:service_unsuspend": {("lifecycle", "change"), ("provisioning", "change")},
    "console:service_terminate": {("lifecycle", "change"), ("provisioning", "change")},
    "console:service_restore": {("lifecycle", "change")},
    "console:impersonate": {("customers", "change")},
    "console:impersonation_end": {("customers", "change")},
    "console:dashboard": {("billing", "view")},
}


def staff_pages():
    return [(r, n, v) for r, n, v in matrix_urls() if access.declared(v).audience == access.STAFF]


def test_every_staff_page_declares_what_it_does_and_some_role_may_do_it():
    declared = {
        name: {tuple(n) for n in access.declared(view).needs} for _r, name, view in staff_pages()
    }
    assert declared == STAFF_PAGES
    for name, needs in STAFF_PAGES.items():
        granted = roles.allowed_roles(*(roles.need(*n) for n in needs)) - {roles.ADMIN}
        assert granted, f"{name}: the grant table gives no role {needs}"


def test_staff_roles_get_the_views_declared_for_them_and_403_elsewhere(world):
    """Every staff page (GET and POST) as every role: the answer follows from what the page
    is (STAFF_PAGES) and the grant table."""
    maria_ids = objects_of(world["maria"])
    for route, name, _view in staff_pages():
        may = roles.allowed_roles(*(roles.need(*n) for n in STAFF_PAGES[name]))
        url = fill(route, min(maria_ids)) if has_params(route) else fill(route, 0)
        for role, user in world["staff"].items():
            for method in ("get", "post"):
                status = getattr(client_for(user), method)(url, {}).status_code
                if role in may:
                    assert status not in (401, 403) and status < 500, (name, method, role, status)
                else:
                    assert status == 403, (name, method, role, status)


def test_other_views_are_for_customers_or_everyone(world):
    for route, name, view in matrix_urls():
        declared = access.declared(view)
        if declared.audience in (access.PUBLIC, access.USER):
            continue
        if declared.audience == access.CUSTOMER:
            url = fill(route, min(objects_of(world["maria"])))
            for role, user in world["staff"].items():
                status = client_for(user).get(url).status_code
                assert status in (403, 405), (name, role, status)


def test_customers_are_refused_staff_views(world):
    for route, name, view in matrix_urls():
        declared = access.declared(view)
        if declared.audience != access.STAFF:
            continue
        status = client_for(world["maria"].user).get(fill(route, 1)).status_code
        assert status in (403, 405), (name, status)


def test_customers_reach_their_own_pages(world):
    maria = world["maria"]
    client = client_for(maria.user)
    for route, name, view in matrix_urls():
        if access.declared(view).audience == access.CUSTOMER and not has_params(route):
            assert client.get(fill(route, 0)).status_code in (200, 405), name
    service = maria.services.get()
    assert client.get(reverse("portal:cancel", args=[service.pk])).status_code == 200


# --- the API ------------------------------------------------------------------------------

#: What each operation is, in the grant table's terms (None: the admin role only). Stated
#: here so that changing an operation's declared need fails this file; who may call it
#: follows from the grant table (kyklos.accounts.roles). A new operation must be added.
API_NEEDS = {
    "create_customer": ("customers", "add"),
    "list_customers": ("customers", "view"),
    "get_customer": ("customers", "view"),
    "create_product": ("catalog", "add"),
    "list_products": ("catalog", "view"),
    "order_service": ("lifecycle", "add"),
    "get_service": ("lifecycle", "view"),
    "cancel_service": ("lifecycle", "change"),
    "change_service_plan": ("lifecycle", "change"),
    "list_invoices": ("billing", "view"),
    "invoice_pdf": ("billing", "view"),
    "invoice_xml": ("billing", "view"),
    "record_invoice_payment": ("payments", "add"),
    "list_notifications": ("notifications", "view"),
    "list_tickets": ("support", "view"),
    "open_ticket": ("support", "add"),
    "get_ticket": ("support", "view"),
    "change_ticket": ("support", "change"),
    "list_messages": ("support", "view"),
    "add_message": ("support", "change"),
    "domain_availability": ("domains", "view"),
    "list_domains": ("domains", "view"),
    "order_domain": ("domains", "add"),
    "get_domain": ("domains", "view"),
    "set_domain_nameservers": ("domains", "change"),
    "set_domain_lock": ("domains", "change"),
    "transfer_domain_out": ("domains", "change"),
    "list_domain_jobs": ("domains", "view"),
    "domain_transfer_quote": ("domains", "view"),
    "order_domain_transfer": ("domains", "add"),
    "retry_domain_transfer": ("domains", "change"),
    "refund_refused_domain": ("domains", "change"),
    "change_domain_owner": ("domains", "change"),
    "zone_records": ("dns", "view"),
    "replace_zone_records": ("dns", "change"),
    "list_certificates": ("certificates", "view"),
    "order_certificate": ("certificates", "add"),
    "get_certificate": ("certificates", "view"),
}
#: Operations that no role but the admin may call, on purpose.
ADMIN_ONLY = {"create_product"}


def api_operations():
    """(method, path, operation id, the operation) for every operation of /api/v1/."""
    schema = api.get_openapi_schema()
    by_name = {}
    for bound in api._get_bound_routers():  # the operations as mounted, with their auth
        for path_view in bound.path_operations.values():
            for operation in path_view.operations:
                by_name[operation.view_func.__name__] = operation
    for path, methods in schema["paths"].items():
        for method, spec in methods.items():
            yield method, path, spec["operationId"], by_name[spec["operationId"]]


def declared_needs(operation) -> set[tuple[str, str]]:
    checks = [c for c in operation.auth_callbacks if isinstance(c, StaffToken)]
    assert checks, f"{operation.view_func.__name__} has no StaffToken role check"
    assert len(operation.auth_callbacks) == len(checks), "only StaffToken authenticates"
    return {tuple(n) for c in checks for n in c.needs}


def call(client, method: str, path: str, token: str | None, pk=999999):
    url = re.sub(r"\{\w+\}", str(pk), path)
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    if method == "get":
        return client.get(url, **headers)
    return getattr(client, method)(url, json.dumps({}), content_type="application/json", **headers)


def test_every_api_operation_states_what_it_does_and_some_role_may_do_it():
    operations = {op_id: operation for *_x, op_id, operation in api_operations()}
    assert set(operations) == set(API_NEEDS), "state what the new operations are in API_NEEDS"
    for op_id, operation in operations.items():
        assert declared_needs(operation) == {API_NEEDS[op_id]}, op_id
        granted = roles.allowed_roles(roles.need(*API_NEEDS[op_id])) - {roles.ADMIN}
        assert bool(granted) is (op_id not in ADMIN_ONLY), (op_id, granted)


def test_every_api_operation_checks_the_role_it_declares(world):
    """Every operation as every role: the answer follows from what the operation is
    (API_NEEDS) and the grant table; refusals are 403 with a message."""
    tokens = {role: api_services.create_token(user)[1] for role, user in world["staff"].items()}
    client = Client()
    for method, path, op_id, _operation in api_operations():
        allowed = roles.allowed_roles(roles.need(*API_NEEDS[op_id]))
        for role, token in tokens.items():
            response = call(client, method, path, token)
            if role in allowed:
                assert response.status_code not in (401, 403), (op_id, role, response.status_code)
                assert response.status_code < 500, (op_id, role, response.status_code)
            else:
                assert response.status_code == 403, (op_id, role, response.status_code)
                assert response.json()["message"]


def snapshot() -> dict[str, list]:
    """Every row of the tables an order, a new customer or a cancellation writes to."""
    from kyklos.billing.models import Invoice, NumberSeries
    from kyklos.lifecycle.models import Renewal, Service

    models = (Customer, Service, Renewal, Invoice, NumberSeries, AuditEvent)
    return {m.__name__: list(m.objects.order_by("pk").values()) for m in models}


def bearer(client, method, url, token, data=None):
    body = json.dumps(data or {})
    return getattr(client, method)(
        url, body, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}"
    )


def test_support_may_not_create_customers_order_or_cancel_and_a_refusal_writes_nothing(world):
    """Issue 12: a support token created customers, ordered services (taking a number of
    the gapless proforma series) and cancelled them. Now 403, nothing written, and the
    next proforma billing staff issue has the next number."""
    maria = world["maria"]
    service = maria.services.get()
    product = service.product.code
    support = api_services.create_token(world["staff"][roles.SUPPORT])[1]
    billing = api_services.create_token(world["staff"][roles.BILLING])[1]
    new_customer = dict(kind="person", name="Eleni K", email="eleni@example.gr", country="GR")
    new_customer |= {"language": "el", "adult_confirmed": True, "terms_version": "2027-01"}
    order = {"customer": maria.pk, "product": product, "cycle": "annual", "label": "x.gr"}
    client = Client()
    with clock.frozen(date(2027, 3, 2)):
        before = snapshot()
        refused = [
            bearer(client, "post", "/api/v1/customers", support, new_customer),
            bearer(client, "post", "/api/v1/services", support, order),
            bearer(client, "post", f"/api/v1/services/{service.pk}/cancel", support),
        ]
        assert [r.status_code for r in refused] == [403, 403, 403]
        assert {r.json()["message"] for r in refused} == {
            "Your role does not allow this operation."
        }
        assert snapshot() == before

        ordered = bearer(client, "post", "/api/v1/services", billing, order)
        assert ordered.status_code == 201, ordered.json()
        assert ordered.json()["proforma"]["number"] == "PRO-2027-000002"  # no gap
        assert bearer(client, "post", "/api/v1/customers", billing, new_customer).status_code == 201
        cancelled = bearer(client, "post", f"/api/v1/services/{service.pk}/cancel", billing)
        assert cancelled.status_code == 200, cancelled.json()


def test_support_and_technical_staff_read_and_work_tickets_through_the_api(world):
    """Issue 12: staff who work tickets in the desk got 403 on the ticket API."""
    from kyklos.support import services as support

    ticket = support.open_ticket(
        support.NewTicket(
            subject="Mail down",
            body="Since this morning",
            department="technical",
            customer=world["maria"],
        ),
        notify=False,
    )
    client = Client()
    for role, priority in ((roles.SUPPORT, "high"), (roles.TECHNICAL, "urgent")):
        token = api_services.create_token(world["staff"][role])[1]
        url = f"/api/v1/tickets/{ticket.pk}"
        headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
        assert client.get("/api/v1/tickets", **headers).json()["count"] == 1, role
        assert client.get(url, **headers).status_code == 200, role
        assert client.get(f"{url}/messages", **headers).status_code == 200, role
        changed = bearer(client, "patch", url, token, {"priority": priority})
        assert changed.status_code == 200 and changed.json()["priority"] == priority, role
        reply = bearer(
            client, "post", f"{url}/messages", token, {"body": "Looking", "kind": "note"}
        )
        assert reply.status_code == 201, (role, reply.json())
    dpo = api_services.create_token(world["staff"][roles.DPO])[1]
    assert bearer(client, "patch", f"/api/v1/tickets/{ticket.pk}", dpo, {}).status_code == 403


def test_the_dpo_gets_no_invoices(world):
    """Issue 12: a DPO token listed invoices and downloaded their PDFs."""
    invoice = world["maria"].invoices.get()
    client = Client()
    headers = {
        "HTTP_AUTHORIZATION": f"Bearer {api_services.create_token(world['staff'][roles.DPO])[1]}"
    }
    for url in ("/api/v1/invoices", f"/api/v1/invoices/{invoice.pk}.pdf"):
        response = client.get(url, **headers)
        assert response.status_code == 403, url
        assert response["Content-Type"].startswith("application/json")
    assert not can(world["staff"][roles.DPO], "invoice.view", invoice)


def test_customers_and_anonymous_callers_get_401_from_every_operation(world):
    maria = world["maria"].user
    forged = "kyk_forged-token-of-a-customer"
    ApiToken.objects.create(
        user=maria, digest=ApiToken.digest_of(forged), prefix=forged[:8], created_at=clock.now()
    )
    client = Client()
    for method, path, op_id, _operation in api_operations():
        assert call(client, method, path, None).status_code == 401, op_id
        assert call(client, method, path, forged).status_code == 401, op_id


def test_api_reads_of_customers_are_in_their_access_log(world):
    token = api_services.create_token(world["staff"][roles.SUPPORT])[1]
    maria, nikos = world["maria"], world["nikos"]
    client = Client()

    client.get(
        f"/api/v1/customers/{maria.pk}",
        HTTP_AUTHORIZATION=f"Bearer {token}",
        HTTP_X_KYKLOS_PURPOSE="ticket 12: address check",
    )
    client.get("/api/v1/customers", HTTP_AUTHORIZATION=f"Bearer {token}")

    rows = AuditEvent.objects.filter(action=ACCESSED).order_by("id")
    assert [(e.customer_id, e.data["what"], e.data["why"]) for e in rows] == [
        (maria.pk, "customer record", "ticket 12: address check"),
        (None, "customers (list)", ""),  # one event per page (decision 0016)
    ]
    assert set(rows[1].data["shown"]) >= {str(maria.pk), str(nikos.pk)}
    assert rows[0].actor_label == "staff-support"
    assert rows[0].data["where"] == f"GET /api/v1/customers/{maria.pk}"


# --- the admin ----------------------------------------------------------------------------

#: Spot checks written from R10.1: (role, model) -> may see its list in the admin.
ADMIN_EXPECTED = {
    (roles.BILLING, "billing.invoice"): True,
    (roles.BILLING, "payments.payment"): True,
    (roles.BILLING, "core.auditevent"): False,
    (roles.BILLING, "auth.user"): False,
    (roles.SUPPORT, "customers.customer"): True,
    (roles.SUPPORT, "payments.payment"): False,
    (roles.SUPPORT, "core.auditevent"): False,
    (roles.TECHNICAL, "lifecycle.service"): True,
    (roles.TECHNICAL, "billing.invoice"): False,
    (roles.TECHNICAL, "payments.payment"): False,
    (roles.DPO, "core.auditevent"): True,
    (roles.DPO, "accounts.securityevent"): True,
    (roles.DPO, "payments.payment"): False,
    (roles.DPO, "catalog.product"): False,
    (roles.ADMIN, "core.auditevent"): True,
    (roles.ADMIN, "auth.user"): True,
}


def test_the_admin_shows_each_role_only_its_models(world):
    seen = {}
    for model, _model_admin in admin.site._registry.items():
        label = model._meta.label_lower
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        for role, user in world["staff"].items():
            user = get_user_model().objects.get(pk=user.pk)  # fresh permission cache
            status = client_for(user).get(url).status_code
            may = user.has_perm(f"{model._meta.app_label}.view_{model._meta.model_name}") or (
                user.has_perm(f"{model._meta.app_label}.change_{model._meta.model_name}")
            )
            assert status == (200 if may else 403), (label, role, status)
            seen[(role, label)] = status == 200
    for key, expected in ADMIN_EXPECTED.items():
        assert seen[key] is expected, key


def test_only_the_admin_role_may_delete_anything(world):
    for role, user in world["staff"].items():
        user = get_user_model().objects.get(pk=user.pk)
        deletes = [p for p in user.get_all_permissions() if ".delete_" in p]
        assert bool(deletes) is (role == roles.ADMIN), (role, deletes[:3])


def test_customers_and_staff_without_a_second_factor_get_no_admin(world):
    maria = world["maria"].user
    assert client_for(maria).get("/admin/").status_code == 302


def test_opening_a_customer_in_the_admin_is_in_their_access_log(world):
    maria = world["maria"]
    support = world["staff"][roles.SUPPORT]
    client = client_for(support)

    page = client.get(
        reverse("admin:customers_customer_change", args=[maria.pk]) + "?purpose=ticket+12"
    )
    client.get(reverse("admin:customers_customer_changelist"))

    assert page.status_code == 200
    events = AuditEvent.objects.filter(action=ACCESSED, actor=support).order_by("id")
    assert [(e.customer_id, e.data["what"], e.data["why"]) for e in events] == [
        (maria.pk, "customer", "ticket 12"),
        (None, "customers (list)", ""),  # one event for the page (decision 0016)
    ]
    listed = events.last().data["shown"]
    assert listed == {str(maria.pk): [maria.pk], str(world["nikos"].pk): [world["nikos"].pk]}
    for customer in (maria, world["nikos"]):
        seen = staff_accesses(customer.pk).filter(data__what="customers (list)")
        assert seen.count() == 1


# --- can() ----------------------------------------------------------------------------------


def test_can_checks_roles_for_staff_and_ownership_for_customers(world):
    maria, nikos = world["maria"], world["nikos"]
    service = maria.services.get()
    invoice = maria.invoices.get()
    staff = world["staff"]

    assert can(maria.user, "service.cancel", service)
    assert not can(nikos.user, "service.cancel", service)  # V8: per object
    assert can(maria.user, "invoice.view", invoice) and not can(nikos.user, "invoice.view", invoice)
    assert not can(maria.user, "payment.record", invoice)  # customers never
    assert can(staff[roles.BILLING], "payment.record", invoice)
    assert not can(staff[roles.SUPPORT], "payment.record", invoice)
    assert not can(staff[roles.TECHNICAL], "invoice.view", invoice)
    assert can(staff[roles.DPO], "audit.view") and not can(staff[roles.BILLING], "audit.view")
    assert can(staff[roles.ADMIN], "product.change")
    assert not can(None, "service.view", service)
    with pytest.raises(ValueError, match="Unknown action"):
        can(maria.user, "service.teleport", service)


def test_a_disabled_login_can_do_nothing(world):
    billing = world["staff"][roles.BILLING]
    billing.is_active = False
    billing.save()
    assert not can(billing, "payment.record")
    assert not roles.has_role(billing, roles.BILLING)


def test_the_lifecycle_services_check_the_person_acting(world):
    """ASVS V8 in the service layer: whoever calls the service, Nikos cannot renew or
    cancel Maria's service, nor can technical staff; billing staff and the system can."""
    from django.core.exceptions import PermissionDenied

    from kyklos.lifecycle import services as lifecycle

    service = world["maria"].services.get()
    for actor in (world["nikos"].user, world["staff"][roles.TECHNICAL]):
        with pytest.raises(PermissionDenied):
            lifecycle.renew_now(service, actor=actor)
        with pytest.raises(PermissionDenied):
            lifecycle.request_cancellation(service, actor=actor)
    with clock.frozen(date(2027, 3, 1)):
        assert lifecycle.renew_now(service, actor=world["staff"][roles.BILLING]).number
        assert lifecycle.request_cancellation(service, actor="automation")
