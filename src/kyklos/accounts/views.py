"""Login with a second factor, two-factor set-up, sessions and the security page.

The login is one flow for customers and staff (the admin sends its login here):

1. password (django-axes counts failures and locks the name out);
2. if the login has two-factor (staff always, customers once turned on), the session is
   *pending* — not logged in — until a TOTP code or an unused recovery code is given;
   staff without a device set one up at this step;
3. then :func:`django.contrib.auth.login` gives the session a new key.
"""

from __future__ import annotations

import base64
import binascii
import time
from io import BytesIO

import qrcode
import qrcode.image.svg
from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, login, logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.signals import user_login_failed
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from kyklos.accounts import selectors, services
from kyklos.accounts.access import any_user, is_verified, public
from kyklos.accounts.forms import CodeForm, DisableTwoFactorForm, PasswordForm, SetupForm
from kyklos.accounts.models import SecurityEvent

Kind = SecurityEvent.Kind
PENDING = "_kyklos_pending_login"
SETUP_DEVICE = "_kyklos_setup_device"
#: A pending login must be finished within this many seconds, with this many tries.
PENDING_SECONDS = 300
PENDING_TRIES = 5


def _safe_next(request: HttpRequest, url: str | None, default: str) -> str:
    if url and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return default


def _default_next(user) -> str:
    """Staff land on the staff console (the admin is for configuration); customers on
    their portal."""
    return reverse("console:home") if user.is_staff else reverse(settings.LOGIN_REDIRECT_URL)


# --- step 1: password ---------------------------------------------------------------------


class LoginView(auth_views.LoginView):
    template_name = "portal/login.html"
    redirect_authenticated_user = True

    def dispatch(self, request, *args, **kwargs):
        user = request.user
        if user.is_authenticated and user.is_staff and not is_verified(user):
            logout(request)  # a staff session without its second factor is not a login
        return super().dispatch(request, *args, **kwargs)

    def get_default_redirect_url(self):
        if self.request.user.is_authenticated:
            return _default_next(self.request.user)
        return super().get_default_redirect_url()

    def form_valid(self, form):
        user = form.get_user()
        target = _safe_next(self.request, self.get_redirect_url(), _default_next(user))
        if services.needs_second_factor(user):
            self.request.session[PENDING] = {
                "user": user.pk,
                "backend": user.backend,
                "at": time.time(),
                "next": target,
                "tries": 0,
            }
            if not services.has_two_factor(user):
                return redirect("accounts:setup")
            return redirect("accounts:verify")
        login(self.request, user)
        services.record(self.request, Kind.LOGIN_SUCCEEDED, user=user)
        return redirect(target)


login_view = public(LoginView.as_view())


def _pending(request: HttpRequest):
    """The user who passed the password step and owes the second factor, or None."""
    pending = request.session.get(PENDING)
    if not pending or time.time() - pending["at"] > PENDING_SECONDS:
        request.session.pop(PENDING, None)
        return None, None
    user = get_user_model()._default_manager.filter(pk=pending["user"], is_active=True).first()
    return user, pending


def _finish_login(request: HttpRequest, user, pending: dict, device) -> None:
    request.session.pop(PENDING, None)
    request.session.pop(SETUP_DEVICE, None)
    user.backend = pending["backend"]
    login(request, user)  # new session key
    otp_login(request, device)
    services.mark_second_factor(request)
    services.record(
        request, Kind.LOGIN_SUCCEEDED, user=user, data={"second_factor": device.__class__.__name__}
    )


# --- step 2: the second factor ------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    user, pending = _pending(request)
    if user is None:
        messages.info(request, _("Please log in again."))
        return redirect("portal:login")
    if not services.has_two_factor(user):
        return redirect("accounts:setup")
    credentials = {"username": user.get_username()}
    form = CodeForm(request.POST or None)
    if form.is_valid():
        if not AxesProxyHandler.is_allowed(request, credentials):
            request.session.pop(PENDING, None)
            return _locked_out(request)
        device = services.verify_second_factor(request, user, form.cleaned_data["code"])
        if device is not None:
            _finish_login(request, user, pending, device)
            if device.__class__.__name__ == "RecoveryCodeDevice":
                messages.warning(
                    request,
                    _(
                        "You used a recovery code; %(n)d are left. Make new ones on the "
                        "security page if you are running out."
                    )
                    % {"n": device.remaining()},
                )
            return redirect(pending["next"])
        pending["tries"] += 1
        request.session[PENDING] = pending
        user_login_failed.send(
            sender=__name__,
            credentials=credentials,
            request=request,
            kind=Kind.SECOND_FACTOR_FAILED,
        )
        if getattr(request, "axes_locked_out", False):
            request.session.pop(PENDING, None)
            return _locked_out(request)
        if pending["tries"] >= PENDING_TRIES:
            request.session.pop(PENDING, None)
            messages.error(request, _("Too many wrong codes; please log in again."))
            return redirect("portal:login")
        form.add_error("code", _("This code is not valid. Codes can be used only once."))
    return render(request, "accounts/verify.html", {"form": form})


verify = public(verify)


def _qr_data_uri(url: str) -> str:
    image = qrcode.make(url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    buffer = BytesIO()
    image.save(buffer)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()


def _secret(device: TOTPDevice) -> str:
    raw = base64.b32encode(binascii.unhexlify(device.key)).decode().rstrip("=")
    return " ".join(raw[i : i + 4] for i in range(0, len(raw), 4))


@require_http_methods(["GET", "POST"])
def setup(request: HttpRequest) -> HttpResponse:
    """Set up an authenticator app: during a pending staff login, or later from the
    security page (after confirming the password)."""
    user, pending = _pending(request)
    if user is None:
        if not request.user.is_authenticated:
            return redirect("portal:login")
        user = request.user
        if request.user.is_staff and not is_verified(user):
            return redirect("portal:login")
        if not services.recently_authenticated(request):
            return redirect(f"{reverse('accounts:reauth')}?next={reverse('accounts:setup')}")
    elif services.has_two_factor(user):
        return redirect("accounts:verify")
    device = services.begin_totp(user)
    request.session[SETUP_DEVICE] = device.pk
    form = SetupForm(request.POST or None)
    if form.is_valid():
        codes = services.confirm_totp(request, user, device, form.cleaned_data["code"])
        if codes is not None:
            device.refresh_from_db()
            if pending is not None:
                _finish_login(request, user, pending, device)
                target = pending["next"]
            else:
                otp_login(request, device)
                services.mark_second_factor(request)
                target = reverse("accounts:security")
            return render(request, "accounts/recovery_codes.html", {"codes": codes, "next": target})
        form.add_error(
            "code", _("This code is not valid; check the time on your phone and try again.")
        )
    context = {
        "form": form,
        "qr": _qr_data_uri(device.config_url),
        "secret": _secret(device),
        "pending": pending is not None,
    }
    return render(request, "accounts/setup.html", context)


setup = public(setup)


# --- re-authentication, the security page -------------------------------------------------


@require_http_methods(["GET", "POST"])
@any_user
def reauth(request: HttpRequest) -> HttpResponse:
    target = _safe_next(
        request, request.GET.get("next") or request.POST.get("next"), reverse("accounts:security")
    )
    form = PasswordForm(request.POST or None)
    if form.is_valid():
        if services.reauthenticate(request, form.cleaned_data["password"]):
            return redirect(target)
        form.add_error("password", _("This is not your password."))
    return render(request, "accounts/reauth.html", {"form": form, "next": target})


@require_http_methods(["GET"])
@any_user
def security(request: HttpRequest) -> HttpResponse:
    user = request.user
    context = {
        "sessions": selectors.open_sessions(user),
        "current_key": request.session.session_key,
        "two_factor": services.has_two_factor(user),
        "recovery_left": selectors.recovery_codes_left(user),
        "events": selectors.recent_security_events(user),
        "disable_form": DisableTwoFactorForm(),
        "password_form": PasswordForm(),
    }
    return render(request, "accounts/security.html", context)


@require_POST
@any_user
def end_session(request: HttpRequest, pk: int) -> HttpResponse:
    if not services.end_session(request, request.user, pk):
        raise Http404
    messages.success(request, _("The session was ended."))
    return redirect("accounts:security")


@require_POST
@any_user
def end_other_sessions(request: HttpRequest) -> HttpResponse:
    ended = services.end_other_sessions(request, request.user)
    messages.success(
        request,
        ngettext("%(n)d other session was ended.", "%(n)d other sessions were ended.", ended)
        % {"n": ended},
    )
    return redirect("accounts:security")


@require_POST
@any_user
def disable_two_factor(request: HttpRequest) -> HttpResponse:
    user = request.user
    if user.is_staff:
        raise Http404  # staff keep their second factor
    form = DisableTwoFactorForm(request.POST)
    if form.is_valid():
        if not services.reauthenticate(request, form.cleaned_data["password"]):
            messages.error(request, _("This is not your password; nothing was changed."))
        elif services.verify_second_factor(request, user, form.cleaned_data["code"]) is None:
            messages.error(request, _("This code is not valid; nothing was changed."))
        else:
            services.disable_two_factor(request, user)
            messages.success(request, _("Two-factor login is off."))
    return redirect("accounts:security")


@require_POST
@any_user
def renew_recovery_codes(request: HttpRequest) -> HttpResponse:
    user = request.user
    form = PasswordForm(request.POST)
    if not services.has_two_factor(user):
        raise Http404
    if not form.is_valid() or not services.reauthenticate(request, form.cleaned_data["password"]):
        messages.error(request, _("This is not your password; nothing was changed."))
        return redirect("accounts:security")
    codes = services.renew_recovery_codes(request, user)
    return render(
        request,
        "accounts/recovery_codes.html",
        {"codes": codes, "next": reverse("accounts:security")},
    )


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"

    def get_success_url(self):
        return reverse("accounts:security")

    def form_valid(self, form):
        response = super().form_valid(form)  # keeps this session (update_session_auth_hash)
        services.end_other_sessions(self.request, self.request.user)
        services.record(self.request, Kind.PASSWORD_CHANGED, user=self.request.user)
        messages.success(
            self.request, _("Your password was changed; your other sessions were ended.")
        )
        return response


password_change = any_user(require_http_methods(["GET", "POST"])(PasswordChangeView.as_view()))


def locked_out(request, original_response=None, credentials=None) -> HttpResponse:
    """django-axes' lockout response (``AXES_LOCKOUT_CALLABLE``)."""
    return _locked_out(request)


def _locked_out(request) -> HttpResponse:
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return render(request, "accounts/locked_out.html", {"minutes": minutes}, status=429)
