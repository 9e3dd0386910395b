"""Login security: the security log, tracked sessions, two-factor devices, re-authentication.

Every function that changes something records a :class:`SecurityEvent` (with the IP
address, purged after 3 months) and an audit event (without it).
"""

from __future__ import annotations

import hashlib
import secrets
import time
from datetime import timedelta
from importlib import import_module

from axes.helpers import get_client_ip_address
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from kyklos.accounts.models import (
    RECOVERY_CODES,
    Contact,
    ContactScope,
    RecoveryCode,
    RecoveryCodeDevice,
    SecurityEvent,
    UserSession,
    code_digest,
    new_recovery_code,
)
from kyklos.core import clock
from kyklos.core.actors import acting_user
from kyklos.core.audit import log_action

Kind = SecurityEvent.Kind

#: Session keys (epoch seconds from ``time.time()``: session timeouts follow the real
#: clock, not the provider's domain clock that tests and the simulator freeze).
STARTED = "_kyklos_started"
SEEN = "_kyklos_seen"
TRACKED = "_kyklos_session"
REAUTH = "_kyklos_reauth"
#: How often a session's ``last_seen_at`` is written at most.
TOUCH_EVERY = 60
TOTP_NAME = "Authenticator app"
RECOVERY_NAME = "Recovery codes"


def client_ip(request: HttpRequest) -> str | None:
    """The client's address: the connection's, or with ``KYKLOS_TRUSTED_PROXIES`` = n the
    n-th address from the right of X-Forwarded-For (what the nearest trusted proxy saw)."""
    proxies = settings.KYKLOS_TRUSTED_PROXIES
    if proxies:
        hops = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        hops = [h for h in hops if h]
        if len(hops) >= proxies:
            return hops[-proxies]
    return request.META.get("REMOTE_ADDR") or None


def client_info(request: HttpRequest | None) -> tuple[str | None, str]:
    if request is None:
        return None, ""
    ip = get_client_ip_address(request) or None
    return ip, request.META.get("HTTP_USER_AGENT", "")[:200]


def record(
    request: HttpRequest | None, kind: str, *, user=None, username: str = "", data=None
) -> SecurityEvent:
    """Write a security event and its audit event (the IP stays in the security log)."""
    ip, agent = client_info(request)
    name = username or (user.get_username() if user is not None else "")
    event = SecurityEvent.objects.create(
        at=clock.now(),
        kind=kind,
        user=user,
        username=name[:150],
        ip_address=ip,
        user_agent=agent,
    )
    log_action(
        user if user is not None else event,
        f"security.{kind}",
        actor=user if user is not None else "anonymous",
        data={"security_event": event.pk, "username": name[:150], **(data or {})},
    )
    return event


# --- sessions -----------------------------------------------------------------------------


def start_session(request: HttpRequest, user) -> UserSession:
    """Called at login (``user_logged_in``): Django has already given the session a new
    key; remember it so the user can list and end it."""
    session = request.session
    if session.session_key is None:
        session.save()
    now = time.time()
    session[STARTED] = session[SEEN] = session[REAUTH] = now
    ip, agent = client_info(request)
    tracked = UserSession.objects.create(
        user=user,
        session_key=session.session_key,
        created_at=clock.now(),
        last_seen_at=clock.now(),
        ip_address=ip,
        user_agent=agent,
        second_factor=DEVICE_ID_SESSION_KEY in session,
    )
    session[TRACKED] = tracked.pk
    return tracked


def mark_second_factor(request: HttpRequest) -> None:
    tracked = request.session.get(TRACKED)
    if tracked:
        UserSession.objects.filter(pk=tracked).update(second_factor=True)


def _session_store():
    return import_module(settings.SESSION_ENGINE).SessionStore


def end_sessions(sessions, *, reason: str) -> int:
    """End tracked sessions: their server-side session data is deleted, so the next
    request with that cookie is anonymous."""
    rows = list(sessions.filter(ended_at__isnull=True).values_list("pk", "session_key"))
    store = _session_store()
    for _pk, key in rows:
        store(session_key=key).delete()
    UserSession.objects.filter(pk__in=[pk for pk, _key in rows]).update(
        ended_at=clock.now(), end_reason=reason
    )
    return len(rows)


@transaction.atomic
def end_session(request: HttpRequest, user, session_id: int) -> bool:
    """The user ends one of their own sessions (another device's, or this one)."""
    sessions = UserSession.objects.filter(pk=session_id, user=user)
    ended = end_sessions(sessions, reason="ended by user")
    if ended:
        record(request, Kind.SESSION_ENDED, user=user, data={"session": session_id})
    return bool(ended)


@transaction.atomic
def end_other_sessions(request: HttpRequest, user) -> int:
    others = UserSession.objects.filter(user=user).exclude(session_key=request.session.session_key)
    ended = end_sessions(others, reason="ended by user")
    if ended:
        record(request, Kind.SESSION_ENDED, user=user, data={"sessions": ended})
    return ended


def end_all_sessions(user, *, reason: str, request: HttpRequest | None = None) -> int:
    """Every open session of ``user`` (account disabled, password reset)."""
    return end_sessions(UserSession.objects.filter(user=user), reason=reason)


def finish_tracking(request: HttpRequest, *, reason: str) -> None:
    """At logout or timeout: the current session ends."""
    tracked = request.session.get(TRACKED)
    if tracked:
        UserSession.objects.filter(pk=tracked, ended_at__isnull=True).update(
            ended_at=clock.now(), end_reason=reason
        )


def touch(request: HttpRequest, now: float) -> None:
    request.session[SEEN] = now
    tracked = request.session.get(TRACKED)
    if tracked:
        UserSession.objects.filter(pk=tracked).update(last_seen_at=clock.now())


# --- re-authentication --------------------------------------------------------------------


def recently_authenticated(request: HttpRequest) -> bool:
    """Whether the user typed their password in the last few minutes (ASVS V7: before
    changing the e-mail address or the second factor)."""
    at = request.session.get(REAUTH)
    return bool(at) and time.time() - at <= settings.KYKLOS_REAUTH_SECONDS


def reauthenticate(request: HttpRequest, password: str) -> bool:
    user = request.user
    if not user.check_password(password):
        record(request, Kind.LOGIN_FAILED, user=user, data={"reauthentication": True})
        return False
    request.session[REAUTH] = time.time()
    record(request, Kind.REAUTHENTICATED, user=user)
    return True


# --- two-factor ---------------------------------------------------------------------------


def totp_devices(user, *, confirmed: bool | None = True):
    devices = TOTPDevice.objects.filter(user=user)
    return devices if confirmed is None else devices.filter(confirmed=confirmed)


def has_two_factor(user) -> bool:
    return totp_devices(user).exists()


def needs_second_factor(user) -> bool:
    """Staff always; customers once they turned it on."""
    return bool(user.is_staff) or has_two_factor(user)


def begin_totp(user) -> TOTPDevice:
    """The unconfirmed device whose secret the user scans; confirmed by a first code."""
    device = totp_devices(user, confirmed=False).order_by("-id").first()
    return device or TOTPDevice.objects.create(user=user, name=TOTP_NAME, confirmed=False)


@transaction.atomic
def confirm_totp(request: HttpRequest, user, device: TOTPDevice, code: str) -> list[str] | None:
    """Confirm ``device`` with a code from the app; returns fresh recovery codes (shown
    once), or None when the code is wrong."""
    if device.user_id != user.pk or device.confirmed or not device.verify_token(code):
        return None
    TOTPDevice.objects.filter(pk=device.pk).update(confirmed=True)
    totp_devices(user, confirmed=None).exclude(pk=device.pk).delete()
    codes = _new_recovery_codes(user)
    record(request, Kind.TWO_FACTOR_ENABLED, user=user)
    return codes


def _new_recovery_codes(user) -> list[str]:
    RecoveryCodeDevice.objects.filter(user=user).delete()
    device = RecoveryCodeDevice.objects.create(user=user, name=RECOVERY_NAME, confirmed=True)
    codes = [new_recovery_code() for _ in range(RECOVERY_CODES)]
    RecoveryCode.objects.bulk_create(
        [RecoveryCode(device=device, digest=code_digest(code)) for code in codes]
    )
    return codes


@transaction.atomic
def renew_recovery_codes(request: HttpRequest, user) -> list[str]:
    codes = _new_recovery_codes(user)
    record(request, Kind.RECOVERY_CODES_RENEWED, user=user)
    return codes


@transaction.atomic
def disable_two_factor(request: HttpRequest, user) -> None:
    """Customers only: staff must keep a second factor."""
    if user.is_staff:
        raise PermissionError("Staff logins must keep two-factor login.")
    totp_devices(user, confirmed=None).delete()
    RecoveryCodeDevice.objects.filter(user=user).delete()
    record(request, Kind.TWO_FACTOR_DISABLED, user=user)


def verify_second_factor(request: HttpRequest, user, code: str):
    """The device that accepts ``code`` (a TOTP code, or an unused recovery code), or
    None. Each code works once: TOTP refuses a code already used, recovery codes are
    marked used."""
    code = (code or "").strip()
    if not code:
        return None
    with transaction.atomic():
        if code.replace(" ", "").isdigit():
            for device in totp_devices(user):
                if device.verify_token(code.replace(" ", "")):
                    return device
            return None
        for device in RecoveryCodeDevice.objects.filter(user=user, confirmed=True):
            if device.verify_token(code):
                record(
                    request,
                    Kind.RECOVERY_CODE_USED,
                    user=user,
                    data={"remaining": device.remaining()},
                )
                return device
    return None


def disable_user(user) -> None:
    """Deactivate a login: every session of it ends at once (see the signals)."""
    user.is_active = False
    user.save(update_fields=["is_active"])


# --- logins for new customers -------------------------------------------------------------


def create_login(*, email: str, password_hash: str):
    """A customer's login, made when a shop sign-up is verified: the username is the
    e-mail address (lower case) and the password the hash chosen at sign-up, so the plain
    password is never kept. The caller checks that the name is free, inside its
    transaction."""
    from django.contrib.auth import get_user_model

    email = email.strip().lower()
    user = get_user_model()(username=email, email=email, password=password_hash, is_active=True)
    user.save(force_insert=True)
    log_action(user, "security.login_created", actor="anonymous", data={"channel": "signup"})
    return user


# --- contacts: more logins for one customer account (R1.2) -------------------------------

#: How long an invitation link is valid.
INVITATION_HOURS = 72


def _invitation_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _owner_only(actor, customer) -> None:
    """Only the account's owner (or staff) manages its contacts."""
    if actor is None or isinstance(actor, str) or getattr(actor, "is_staff", False):
        return
    if actor.pk != customer.user_id:
        raise PermissionDenied(_("Only the owner of the account manages its contacts."))


def _check_scope(scope: str) -> None:
    if scope not in ContactScope.values:
        raise ValidationError({"scope": _("Choose billing, technical or full access.")})


@transaction.atomic
def invite_contact(customer, *, name: str, email: str, scope: str, actor=None):
    """Invite ``email`` to log in to ``customer``'s account with ``scope``: returns the
    contact (pending) and the invitation token, which is stored only as its digest; the
    caller sends the link. Refused input writes nothing."""
    _owner_only(actor, customer)
    if customer.status != customer.Status.ACTIVE:
        raise ValidationError(_("This account is locked; it cannot invite contacts."))
    name, email = (name or "").strip(), (email or "").strip().lower()
    if not name or len(name) > 150:
        raise ValidationError({"name": _("Give the contact's name (at most 150 characters).")})
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationError({"email": _("Enter a valid e-mail address.")}) from None
    _check_scope(scope)
    owner_email = customer.user.email.lower() if customer.user_id else ""
    if email in {customer.email.lower(), owner_email}:
        raise ValidationError({"email": _("This is the owner's own address.")})
    if Contact.objects.filter(customer=customer, email=email).exists():
        raise ValidationError({"email": _("This address is already a contact or invited.")})
    token = secrets.token_urlsafe(32)
    now = clock.now()
    contact = Contact.objects.create(
        customer=customer,
        name=name,
        email=email,
        scope=scope,
        invited_by=acting_user(actor),
        invited_at=now,
        expires_at=now + timedelta(hours=INVITATION_HOURS),
        token_digest=_invitation_digest(token),
    )
    log_action(contact, "contact.invited", actor=actor, data={"email": email, "scope": scope})
    return contact, token


def find_invitation(token: str) -> Contact:
    """The pending invitation of ``token``, or a one-line ValidationError: unknown, used
    (single use) or expired."""
    contact = (
        Contact.objects.select_related("customer")
        .filter(token_digest=_invitation_digest(token or ""), accepted_at__isnull=True)
        .first()
    )
    if contact is None or not token:
        raise ValidationError(_("This invitation link is not valid or was already used."))
    if contact.expires_at <= clock.now():
        raise ValidationError(
            _("This invitation has expired; ask the account owner for a new one.")
        )
    return contact


@transaction.atomic
def accept_invitation(token: str, *, username: str, password: str, request=None):
    """The invitee chooses a user name and a password (the password policy applies): the
    login is created and the link can never be used again. Returns the new user."""
    contact = find_invitation(token)
    contact = Contact.objects.select_for_update().get(pk=contact.pk)
    if contact.accepted_at is not None:
        raise ValidationError(_("This invitation link is not valid or was already used."))
    User = get_user_model()
    username = (username or "").strip()
    if not username or len(username) > 150:
        raise ValidationError({"username": _("Choose a user name (at most 150 characters).")})
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationError({"username": _("This user name is taken; choose another.")})
    user = User(username=username, email=contact.email, first_name=contact.name[:150])
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages}) from None
    user.set_password(password)
    user.save()
    Contact.objects.filter(pk=contact.pk).update(
        user=user, accepted_at=clock.now(), token_digest=""
    )
    log_action(contact, "contact.accepted", actor=user, data={"username": username})
    return user


@transaction.atomic
def change_contact_scope(contact: Contact, scope: str, *, actor=None) -> Contact:
    _owner_only(actor, contact.customer)
    _check_scope(scope)
    if scope != contact.scope:
        log_action(
            contact, "contact.scope_changed", actor=actor, data={"from": contact.scope, "to": scope}
        )
        Contact.objects.filter(pk=contact.pk).update(scope=scope)
        contact.scope = scope
    return contact


@transaction.atomic
def remove_contact(contact: Contact, *, actor=None) -> None:
    """The contact can no longer log in: its login is disabled (every session ends at
    once) and the contact is removed; a pending invitation dies with it."""
    _owner_only(actor, contact.customer)
    log_action(contact, "contact.removed", actor=actor, data={"email": contact.email})
    if contact.user_id:
        end_all_sessions(contact.user, reason="contact removed")
        disable_user(contact.user)
    contact.delete()


# --- staff viewing a customer's portal ("log in as the customer") -------------------------

#: The session key of an impersonation: who, as which customer, may they act, and why.
IMPERSONATION = "_kyklos_impersonation"
REASON_LENGTH = 300


@transaction.atomic
def start_impersonation(request: HttpRequest, customer, *, may_act: bool = False, reason: str = ""):
    """Staff member ``request.user`` opens ``customer``'s portal in this session: read-only
    unless ``may_act`` (then a reason is required). The customer's portal shows a banner
    naming the staff member; the start and the end are in the audit trail (the customer's
    access log, R10.1). Returns the :class:`~kyklos.accounts.selectors.Impersonation`."""
    from django.core.exceptions import PermissionDenied, ValidationError
    from django.utils.translation import gettext as _

    from kyklos.accounts.access import is_verified
    from kyklos.accounts.selectors import Impersonation

    user = request.user
    if not (user.is_authenticated and user.is_staff and is_verified(user)):
        raise PermissionDenied("Only staff with a second factor may view a customer's portal.")
    reason = (reason or "").strip()
    if may_act and not reason:
        raise ValidationError({"reason": _("Say why you need to act for the customer.")})
    if len(reason) > REASON_LENGTH:
        raise ValidationError({"reason": _("A reason has at most 300 characters.")})
    if getattr(customer, "user_id", None) == user.pk:
        raise ValidationError(_("This is your own account."))
    previous = request.session.get(IMPERSONATION)
    if previous:
        end_impersonation(request)
    seen = Impersonation(
        customer_id=customer.pk,
        staff_id=user.pk,
        staff_name=user.get_full_name() or user.get_username(),
        may_act=bool(may_act),
        reason=reason,
        started_at=clock.now().isoformat(),
    )
    request.session[IMPERSONATION] = seen.as_session()
    log_action(
        customer,
        "customer.impersonation_started",
        actor=user,
        data={"may_act": seen.may_act, "reason": reason},
    )
    return seen


def end_impersonation(request: HttpRequest, *, why: str = "ended by staff"):
    """End the impersonation of this session, if any (logging out ends it too); returns
    the one that ended, or None."""
    from kyklos.accounts.selectors import Impersonation
    from kyklos.customers.models import Customer

    raw = request.session.pop(IMPERSONATION, None)
    if not raw:
        return None
    seen = Impersonation.from_session(raw)
    customer = Customer.objects.filter(pk=seen.customer_id).first()
    user = request.user if getattr(request.user, "is_authenticated", False) else None
    if customer is not None:
        log_action(
            customer,
            "customer.impersonation_ended",
            actor=user or seen.staff_name,
            data={"started_at": seen.started_at, "may_act": seen.may_act, "why": why},
        )
    return seen
