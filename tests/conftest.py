import pytest
from django.conf import settings

#: localstripe (a Stripe test server run as a process) for the card tests of any app.
pytest_plugins = ["tests.payments.localstripe"]


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def run_day():
    """Run the real daily run for a date (clock frozen on it)."""
    from kyklos.automation.services import run_day

    return run_day


def pytest_report_header(config):
    return f"database: {settings.DATABASES['default']['ENGINE']}"


@pytest.fixture(autouse=True)
def _staff_pass_the_second_factor(request, monkeypatch):
    """Staff reach the admin and staff pages only with a verified second factor. Tests that
    log staff in with ``client.force_login`` (``admin_client`` too) get a session that
    passed it, as after a real login with TOTP; the login flow itself is tested in
    tests/accounts. Mark a test ``@pytest.mark.real_second_factor`` to get Django's plain
    ``force_login`` (a session without the second factor)."""
    if request.node.get_closest_marker("real_second_factor"):
        return
    from django.test import Client

    original = Client.force_login

    def force_login(self, user, backend=None):
        original(self, user, backend)
        if user.is_staff:
            from tests.accounts.helpers import verify_session

            verify_session(self, user)

    monkeypatch.setattr(Client, "force_login", force_login)


@pytest.fixture
def migration_data(transactional_db):
    """What the migrations seed (policies, VAT rates, departments, TLDs, the zone template,
    backup policies …), put back when an earlier transactional test's flush removed it.
    Use this instead of ``serialized_rollback``: after a flush Django's post-migrate sync
    re-creates the role groups, which a serialized rollback would insert a second time."""
    from kyklos.catalog.models import LifecyclePolicy
    from kyklos.seed.demo import reseed

    if not LifecyclePolicy.objects.exists():
        reseed()


def pytest_collection_modifyitems(config, items):
    """The screenshot tests render every page in three languages and two widths: they test
    the pages, not the database, so they run on SQLite (and on PostgreSQL only when
    KYKLOS_SCREENSHOTS asks for them), keeping each database's run short."""
    import os

    if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        return
    if os.environ.get("KYKLOS_SCREENSHOTS"):
        return
    skip = pytest.mark.skip(reason="screenshots run on SQLite (KYKLOS_SCREENSHOTS runs them here)")
    for item in items:
        if item.get_closest_marker("screens"):
            item.add_marker(skip)
