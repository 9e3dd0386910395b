from axes.backends import AxesStandaloneBackend
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.db import DEFAULT_DB_ALIAS

from kyklos.core.prepared import prepared
from kyklos.customers.models import Customer


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
    by a query compiled once per connection (core.prepared), together with the customer
    account it owns: the portal asks for that on every page (``accounts.selectors
    .portal_login``), and it costs no second query."""

    def get_user(self, user_id):
        try:
            pk = int(user_id)
        except (TypeError, ValueError):
            return None
        user = _login(pk)
        return user if user is not None and self.user_can_authenticate(user) else None


_USER_FIELDS = [f.attname for f in get_user_model()._meta.concrete_fields]
_CUSTOMER_FIELDS = [f.attname for f in Customer._meta.concrete_fields]
#: The attribute of a user loaded here that holds the customer account it owns (or None).
OWNED_CUSTOMER = "_kyklos_owned_customer"

_login_and_customer = prepared(
    "accounts.login",
    lambda pk: (
        get_user_model()
        .objects.filter(pk=pk)
        .values_list(*_USER_FIELDS, *(f"customer__{name}" for name in _CUSTOMER_FIELDS))
    ),
)


def _login(pk: int):
    found = _login_and_customer(pk)
    if not found:
        return None
    row, split = found[0], len(_USER_FIELDS)
    user = get_user_model().from_db(DEFAULT_DB_ALIAS, _USER_FIELDS, row[:split])
    customer = None
    if row[split] is not None:  # the customer's id: the login owns an account
        customer = Customer.from_db(DEFAULT_DB_ALIAS, _CUSTOMER_FIELDS, row[split:])
        Customer.user.field.set_cached_value(customer, user)
    setattr(user, OWNED_CUSTOMER, customer)
    Customer.user.field.remote_field.set_cached_value(user, customer)  # user.customer
    return user
