import pytest
from django.conf import settings


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
