from axes.backends import AxesStandaloneBackend
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend

from kyklos.core.prepared import prepared_one


class LockoutBackend(AxesStandaloneBackend):
    """django-axes' lockout check for every login made through a request (the login
    views). Code that authenticates without a request — a management command, the test
    client's ``login()`` — has no client to throttle, so the check is skipped there
    instead of refusing (axes' default)."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


class AccountBackend(ModelBackend):
    """Django's ModelBackend, with the login of a session (read on every request) fetched
    by a query compiled once per connection (core.prepared)."""

    def get_user(self, user_id):
        try:
            pk = int(user_id)
        except (TypeError, ValueError):
            return None
        user = _login(pk)
        return user if user is not None and self.user_can_authenticate(user) else None


_login = prepared_one("accounts.login", lambda pk: get_user_model().objects.filter(pk=pk))
