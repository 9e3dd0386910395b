"""Sign-ups waiting for their e-mail to be verified, and the orders placed in the shop."""

from django.conf import settings
from django.db import models


class Signup(models.Model):
    """A visitor's sign-up, kept until the link mailed to the address is followed (R1.1).

    Nothing else exists until then: no login, no customer. The link carries a random token
    of which only the SHA-256 digest is stored; it works once, until ``expires_at``. The
    password is stored only as the hash the login will have. ``particulars`` are the
    values of the form, ``cart`` the shop's cart at sign-up time (ordered at verification).
    """

    email = models.EmailField()
    password_hash = models.CharField(max_length=200)
    particulars = models.JSONField(default=dict)
    cart = models.JSONField(default=dict, blank=True)
    language = models.CharField(max_length=2)
    terms_version = models.CharField(max_length=20)
    adult_confirmed_at = models.DateTimeField()
    token_digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    verified_at = models.DateTimeField(null=True, blank=True)
    customer = models.ForeignKey(
        "customers.Customer", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    order = models.ForeignKey(
        "Order", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["email"], name="signup_email")]

    def __str__(self) -> str:
        return f"sign-up {self.pk} ({'verified' if self.verified_at else 'pending'})"

    @property
    def audit_customer_id(self) -> int | None:
        return self.customer_id


class Order(models.Model):
    """One checkout in the shop: its proforma (one for all the services ordered) is paid in
    the portal."""

    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="shop_orders"
    )
    placed_at = models.DateTimeField()
    invoice = models.ForeignKey("billing.Invoice", on_delete=models.PROTECT, related_name="+")
    coupon_code = models.CharField(max_length=40, blank=True)
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-placed_at", "-id"]

    def __str__(self) -> str:
        return f"order {self.pk}"

    @property
    def audit_customer_id(self) -> int:
        return self.customer_id
