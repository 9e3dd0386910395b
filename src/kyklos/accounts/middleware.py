"""Session timeouts (ASVS V7.3): a session ends after ``KYKLOS_SESSION_IDLE_MINUTES``
without a request and at the latest ``KYKLOS_SESSION_MAX_HOURS`` after login.

Times are real epoch seconds kept in the session itself, so a request costs no query;
the tracked session's ``last_seen_at`` is written at most once a minute.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.models import AnonymousUser
from django.utils.translation import gettext as _

from kyklos.accounts import services
from kyklos.accounts.models import SecurityEvent


class SessionTimeoutMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session = getattr(request, "session", None)
        started = session.get(services.STARTED) if session is not None else None
        if started is not None:
            now = time.time()
            seen = session.get(services.SEEN, started)
            idle = settings.KYKLOS_SESSION_IDLE_MINUTES * 60
            absolute = settings.KYKLOS_SESSION_MAX_HOURS * 3600
            if now - seen > idle or now - started > absolute:
                self.expire(request, "idle" if now - seen > idle else "absolute")
            elif now - seen >= services.TOUCH_EVERY:
                services.touch(request, now)
        return self.get_response(request)

    def expire(self, request, why: str) -> None:
        user = request.user if request.user.is_authenticated else None
        services.finish_tracking(request, reason=f"timeout ({why})")
        if user is not None:
            services.record(
                request, SecurityEvent.Kind.SESSION_EXPIRED, user=user, data={"why": why}
            )
        # Not logout(): its signal would log a "logged out" event besides the expiry.
        request.session.flush()
        request.user = AnonymousUser()
        messages.info(request, _("Your session has ended; please log in again."))
