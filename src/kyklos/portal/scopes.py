"""Who may open a portal page: the account's owner, or a contact whose scope covers it
(R1.2). One check for every portal view: ``@scope("billing")`` in place of a plain login
check. The rule is data (:data:`PAGE_SCOPES`); the owner may open every page.

    @require_GET
    @scope(BILLING)
    def invoice_list(request, customer): ...

The view gets the account's customer, in the customer's language unless a language was
chosen with the switcher; ``request.portal_login`` says who is logged in and
``request.portal_pages`` which page scopes they may open (the navigation reads it).
"""

from __future__ import annotations

from functools import wraps

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation

from kyklos.accounts.access import customer_only
from kyklos.accounts.selectors import OWNER, PortalLogin, impersonation, portal_login
from kyklos.customers.models import Customer

BILLING = "billing"  # invoices, payments, quotes and projects
TECHNICAL = "technical"  # services, tickets, credentials, proofs
FULL = "full"  # the particulars
ANY = "any"  # every login of the account (the start page)

#: A page's scope → the contact scopes that may open it; the owner opens every page,
#: and pages of scope ``owner`` (the contacts) only the owner.
PAGE_SCOPES: dict[str, frozenset[str]] = {
    BILLING: frozenset({"billing", "full"}),
    TECHNICAL: frozenset({"technical", "full"}),
    FULL: frozenset({"full"}),
    OWNER: frozenset(),
    ANY: frozenset({"billing", "technical", "full"}),
}


def allowed_pages(login_scope: str) -> frozenset[str]:
    """The page scopes a login of ``login_scope`` (``owner`` or a contact scope) opens."""
    if login_scope == OWNER:
        return frozenset(PAGE_SCOPES)
    return frozenset(page for page, scopes in PAGE_SCOPES.items() if login_scope in scopes)


SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def _viewed_by_staff(request: HttpRequest):
    """Staff who opened a customer's portal from the console (accounts' impersonation): the
    account as its owner sees it, and a refusal of every unsafe request unless they chose
    to act. The pages show a banner naming them (``request.kyklos_impersonation``)."""
    seen = impersonation(request)
    if seen is None:
        return None, None
    customer = Customer.objects.filter(pk=seen.customer_id).first()
    if customer is None:
        return None, None
    request.kyklos_impersonation = seen
    login = PortalLogin(customer, OWNER)
    if request.method not in SAFE_METHODS and not seen.may_act:
        context = {"impersonation": seen}
        return login, render(request, "portal/read_only.html", context, status=403)
    return login, None


def scope(page_scope: str):
    """Log-in required, as the account's owner or a contact whose scope covers
    ``page_scope``; others get 403 with a page that says why."""
    if page_scope not in PAGE_SCOPES:
        raise ValueError(f"Unknown portal page scope {page_scope!r}")

    def decorate(view):
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if not request.user.is_authenticated:
                return _to_login(request)
            login = portal_login(request.user)
            if login is None:
                login, refusal = _viewed_by_staff(request)
                if refusal is not None:
                    return refusal
            if login is None:
                return render(request, "portal/no_customer.html", status=403)
            request.portal_login = login
            request.portal_pages = allowed_pages(login.scope)
            language = page_language(request, login.customer)
            with translation.override(language):
                if page_scope not in request.portal_pages:
                    response = render(
                        request, "portal/out_of_scope.html", {"login": login}, status=403
                    )
                else:
                    response = view(request, login.customer, *args, **kwargs)
            response.headers["Content-Language"] = language
            return response

        wrapper.portal_scope = page_scope
        return customer_only(wrapper)

    return decorate


def _to_login(request: HttpRequest) -> HttpResponse:
    """The login page; an HTMX request (e.g. after the session expired) is told to load
    it as a whole page instead of swapping it into a row."""
    if not is_htmx(request):
        return redirect_to_login(request.get_full_path())
    response = HttpResponse()
    response["HX-Redirect"] = redirect_to_login(reverse("portal:dashboard"))["Location"]
    return response


def page_language(request: HttpRequest, customer) -> str:
    """The language chosen with the switcher, else the account's."""
    chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
    if chosen and translation.check_for_language(chosen):
        return translation.get_language()
    return customer.language


def is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"
