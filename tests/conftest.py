import pytest
from django.conf import settings

#: localstripe (a Stripe test server run as a process) for the card tests of any app.
pytest_plugins = ["tests.payments.localstripe"]


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in the default language: a request made by an earlier test in
    Greek or Polish leaves its language active in the thread."""
    from django.utils import translation

    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache (rows' ids repeat between tests)."""
    from django.core.cache import cache

    cache.clear()


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


#: Fixtures through which a test reaches the database (their closure is in ``fixturenames``).
DATABASE_FIXTURES = {
    "db",
    "transactional_db",
    "django_db_reset_sequences",
    "django_db_serialized_rollback",
    "live_server",
}


def reaches_the_database(item) -> bool:
    return bool(
        item.get_closest_marker("django_db")
        or DATABASE_FIXTURES & set(getattr(item, "fixturenames", ()))
    )


def pytest_collection_modifyitems(config, items):
    """CI runs the suite on SQLite and then on PostgreSQL. On PostgreSQL it skips what the
    database cannot change, keeping each database's run short (KYKLOS_ALL_TESTS=1 runs
    everything there too):

    - the screenshot tests render every page in three languages and two widths: they test
      the pages, not the database (KYKLOS_SCREENSHOTS also runs them);
    - tests that never reach the database (pytest-django refuses them any query), such as
      parsing, rendering and the command-line checks in subprocesses of their own."""
    import os

    if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        return
    everything = os.environ.get("KYKLOS_ALL_TESTS")
    screens = pytest.mark.skip(
        reason="screenshots run on SQLite (KYKLOS_SCREENSHOTS runs them here)"
    )
    no_database = pytest.mark.skip(reason="needs no database: the SQLite run covers it")
    for item in items:
        if item.get_closest_marker("screens"):
            if not (everything or os.environ.get("KYKLOS_SCREENSHOTS")):
                item.add_marker(screens)
        elif not everything and not reaches_the_database(item):
            item.add_marker(no_database)
