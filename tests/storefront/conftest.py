from datetime import date
from decimal import Decimal

import pytest
from django.core.cache import cache

from kyklos.catalog.models import Coupon, Price
from kyklos.core import clock
from kyklos.customers.models import TermsVersion
from tests import factories

TODAY = date(2027, 3, 1)
PASSWORD = "correct horse battery staple"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def today():
    with clock.frozen(TODAY):
        yield TODAY


def publish(version="2027-01", day=date(2027, 1, 1), **extra) -> TermsVersion:
    texts = {"text_el": "Όροι χρήσης", "text_en": "Terms of service", "text_pl": "Regulamin"}
    return TermsVersion.objects.create(
        version=version, published_on=day, created_at=clock.now(), **{**texts, **extra}
    )


@pytest.fixture
def terms(db):
    return publish()


@pytest.fixture
def shop(db):
    """A small catalogue: a hosting plan with a dated price change, a .gr domain, an add-on
    and a first-purchase coupon of 20 %."""
    hosting = factories.product(
        "shared_hosting",
        code="web-starter",
        name="Web Starter hosting",
        prices={"annual": "49.00", "monthly": "4.90"},
    )
    Price.objects.create(
        product=hosting, cycle="annual", amount=Decimal("55.00"), valid_from=date(2027, 2, 1)
    )
    Price.objects.create(
        product=hosting, cycle="annual", amount=Decimal("60.00"), valid_from=date(2027, 6, 1)
    )
    domain = factories.product(
        "domain", code="domain-gr", name=".gr domain", prices={"annual": "15.00"}
    )
    addon = factories.product(
        "addon", code="addon-backup", name="Daily backups", prices={"annual": "20.00"}
    )
    addon.addon_for.add(hosting)
    coupon = Coupon.objects.create(
        code="WELCOME20", percent_off=Decimal("20"), valid_from=date(2027, 1, 1)
    )
    return {"hosting": hosting, "domain": domain, "addon": addon, "coupon": coupon}


@pytest.fixture(autouse=True)
def _mail_at_once(monkeypatch):
    """The shop mails after the commit; a test's transaction never commits, so the mail is
    sent at once here (what a commit would do)."""
    from types import SimpleNamespace

    from kyklos.storefront import mail

    monkeypatch.setattr(mail, "transaction", SimpleNamespace(on_commit=lambda fn: fn()))
