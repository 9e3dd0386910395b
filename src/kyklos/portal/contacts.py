"""The contacts of an account: more logins with a scope, managed by the owner (R1.2).

The owner invites a name and an address with a scope; the invitee gets a single-use,
time-limited link (the ``contact_invited`` notice), sets their own password and may turn
on two-factor login on the security page as the owner does. The owner changes a
contact's scope or removes it (its login is disabled, its sessions end at once).
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from kyklos.accounts import selectors as account_selectors
from kyklos.accounts import services as account_services
from kyklos.accounts.access import public
from kyklos.accounts.models import Contact
from kyklos.accounts.selectors import OWNER
from kyklos.core import clock
from kyklos.notifications import services as notifications
from kyklos.portal.forms import AcceptInvitationForm, ContactForm, ScopeForm, add_service_errors
from kyklos.portal.scopes import page_language, scope


def _page(request, customer, form=None, status=200):
    contacts = account_selectors.contacts_of(customer)
    context = {
        "customer": customer,
        "contacts": [
            (c, ScopeForm(initial={"scope": c.scope}, prefix=f"c{c.pk}")) for c in contacts
        ],
        "form": form or ContactForm(),
        "now": clock.now(),
    }
    return render(request, "portal/contacts.html", context, status=status)


@require_http_methods(["GET", "POST"])
@scope(OWNER)
def contact_list(request, customer):
    """The contacts, and the form that invites one."""
    if request.method == "GET":
        return _page(request, customer)
    form = ContactForm(request.POST)
    if form.is_valid():
        try:
            with transaction.atomic():
                contact, token = account_services.invite_contact(
                    customer, actor=request.user, **form.cleaned_data
                )
                _send_invitation(request, customer, contact, token)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request, _("An invitation was sent to %(email)s.") % {"email": contact.email}
            )
            return redirect("portal:contacts")
    return _page(request, customer, form, status=400)


def _send_invitation(request, customer, contact: Contact, token: str) -> None:
    with translation.override(customer.language):
        access = str(contact.get_scope_display())
    notifications.queue_message(
        event="contact_invited",
        to_email=contact.email,
        language=customer.language,
        # Not the account's notice: no copies to its contacts (notifications.copies).
        customer=None,
        context={
            "customer_name": contact.name,
            "account_name": customer.display_name,
            "invited_by": request.user.get_full_name() or customer.display_name,
            "access": access,
            "link": request.build_absolute_uri(reverse("portal:invitation", args=[token])),
            "expires_on": contact.expires_at.date().isoformat(),
        },
    )


def _contact(customer, pk: int) -> Contact:
    return get_object_or_404(Contact, pk=pk, customer=customer)


@require_POST
@scope(OWNER)
def contact_scope(request, customer, pk: int):
    contact = _contact(customer, pk)
    form = ScopeForm(request.POST, prefix=f"c{contact.pk}")
    if not form.is_valid():
        messages.error(request, _("Choose billing, technical or full access."))
        return redirect("portal:contacts")
    try:
        account_services.change_contact_scope(
            contact, form.cleaned_data["scope"], actor=request.user
        )
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
    else:
        messages.success(
            request,
            _("%(name)s now has this access: %(access)s.")
            % {"name": contact.name, "access": contact.get_scope_display()},
        )
    return redirect("portal:contacts")


@require_http_methods(["GET", "POST"])
@scope(OWNER)
def contact_remove(request, customer, pk: int):
    contact = _contact(customer, pk)
    if request.method == "POST":
        account_services.remove_contact(contact, actor=request.user)
        messages.success(
            request,
            _("%(name)s can no longer log in to your account.") % {"name": contact.name},
        )
        return redirect("portal:contacts")
    return render(request, "portal/contact_remove.html", {"customer": customer, "contact": contact})


@require_http_methods(["GET", "POST"])
@public
def accept(request, token: str):
    """The invitation link: choose a user name and a password, then log in."""
    try:
        contact = account_services.find_invitation(token)
    except ValidationError as exc:
        return render(
            request, "portal/invitation.html", {"refusal": " ".join(exc.messages)}, status=410
        )
    with translation.override(page_language(request, contact.customer)):
        return _accept(request, token, contact)


def _accept(request, token: str, contact: Contact):
    form = AcceptInvitationForm(
        request.POST if request.method == "POST" else None, initial={"username": contact.email}
    )
    if form.is_valid():
        try:
            user = account_services.accept_invitation(
                token,
                username=form.cleaned_data["username"],
                password=form.cleaned_data["password"],
                request=request,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                _(
                    "Your login %(username)s is ready: log in with it. You can turn on "
                    "two-factor login on your security page."
                )
                % {"username": user.get_username()},
            )
            return redirect("portal:login")
    context = {"contact": contact, "form": form}
    return render(request, "portal/invitation.html", context, status=400 if form.errors else 200)
