"""The public contact form (R1.5): a visitor's request becomes a ticket.

The submission is processed and dropped: the ticket (channel ``web_form``, no customer,
the visitor as requester) is the only record; the form's payload is not stored anywhere,
not even in the session. The visitor gets the support desk's acknowledgement with the
ticket number by e-mail.

Abuse is held off without tracking visitors: CSRF, a honeypot field and a minimum fill-in
time (bots get the thank-you page and nothing is written), and at most
``KYKLOS_INTAKE['CONTACT_PER_HOUR']`` tickets an hour per client address, counted under
a keyed hash of the address (:class:`ContactThrottle`).
"""

from __future__ import annotations

import hashlib
import hmac

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import translation
from django.utils.translation import gettext as _

from kyklos.core import clock
from kyklos.intake.models import ContactThrottle
from kyklos.support import services as support
from kyklos.support.models import Channel, Department, Ticket

#: The departments a visitor may choose (R1.5: sales, or technical).
DEPARTMENTS = ("sales", "technical")
#: A person needs longer than this to fill in the form.
MIN_FILL_SECONDS = 3


def departments() -> list[Department]:
    found = {d.code: d for d in Department.objects.filter(code__in=DEPARTMENTS, is_active=True)}
    return [found[code] for code in DEPARTMENTS if code in found]


def client_key(address: str) -> str:
    """A keyed hash of the client's IP address: countable, not reversible."""
    return hmac.new(
        settings.SECRET_KEY.encode(), f"contact:{address}".encode(), hashlib.sha256
    ).hexdigest()


def _window():
    return clock.now().replace(minute=0, second=0, microsecond=0)


def is_throttled(address: str) -> bool:
    """Whether this client has used up its submissions for the current hour."""
    used = (
        ContactThrottle.objects.filter(key=client_key(address), window_start=_window())
        .values_list("count", flat=True)
        .first()
    )
    return (used or 0) >= settings.KYKLOS_INTAKE["CONTACT_PER_HOUR"]


def count_submission(address: str) -> None:
    with transaction.atomic():
        row, _created = ContactThrottle.objects.get_or_create(
            key=client_key(address), window_start=_window()
        )
        ContactThrottle.objects.filter(pk=row.pk).update(count=F("count") + 1)


def body_of(*, message: str, name: str, email: str, phone: str, address: str) -> str:
    lines = [message.strip(), "", "--", f"{_('Name')}: {name}", f"{_('E-mail')}: {email}"]
    if phone:
        lines.append(f"{_('Phone')}: {phone}")
    if address:
        lines.append(f"{_('Address')}: {address}")
    return "\n".join(lines)


def submit(
    *,
    name: str,
    email: str,
    phone: str,
    address: str,
    message: str,
    department: str,
    language: str,
) -> Ticket:
    """Open the ticket of a contact-form submission; the visitor gets the acknowledgement."""
    if department not in DEPARTMENTS:
        raise ValidationError({"department": _("Choose sales or technical support.")})
    with translation.override(language):
        subject = _("Contact form: %(name)s") % {"name": name}
        body = body_of(message=message, name=name, email=email, phone=phone, address=address)
    return support.open_ticket(
        support.NewTicket(
            subject=subject,
            body=body,
            department=department,
            channel=Channel.WEB_FORM,
            requester_email=email,
            requester_name=name,
            language=language,
        )
    )
