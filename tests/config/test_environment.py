"""Bad configuration gets one line naming the variable, and loses nothing."""

import os
import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured

from kyklos.config.environment import KyklosEnv, check_secret_key

STRONG = "Zk3-q9v_Tt1xWm0pL5rB8sNc2Hd7Ye4Fa6Gu0Ji1Ko2Lp3Mq4Nr5Os6Pt7Qu8Rv9Sw"


@pytest.fixture
def environ(monkeypatch):
    def set_(**values):
        for name, value in values.items():
            monkeypatch.setenv(name, value)
        return KyklosEnv()

    return set_


def test_a_value_that_is_not_a_number_names_its_variable(environ):
    env = environ(KYKLOS_BATCH_SIZE="abc")
    with pytest.raises(ImproperlyConfigured) as refused:
        env.int("KYKLOS_BATCH_SIZE", default=5000)
    assert str(refused.value).startswith("KYKLOS_BATCH_SIZE='abc': ")
    assert "\n" not in str(refused.value)


@pytest.mark.parametrize("variable", ["DATABASE_URL", "KYKLOS_EMAIL_URL", "KYKLOS_CACHE_URL"])
def test_an_unknown_url_scheme_names_its_variable_and_hides_the_password(environ, variable):
    env = environ(**{variable: "nosuch://kyklos:hunter2@db.example/kyklos"})
    reader = {
        "DATABASE_URL": env.db_url,
        "KYKLOS_EMAIL_URL": env.email_url,
        "KYKLOS_CACHE_URL": env.cache_url,
    }[variable]
    with pytest.raises(ImproperlyConfigured) as refused:
        reader(variable)
    message = str(refused.value)
    assert message.startswith(f"{variable}='nosuch://***@db.example/kyklos': ")
    assert "hunter2" not in message


@pytest.mark.parametrize("value", ["console:", "console://", "consolemail://"])
def test_the_console_mail_url_the_settings_document_works(environ, value):
    config = environ(KYKLOS_EMAIL_URL=value).email_url("KYKLOS_EMAIL_URL")
    assert config["EMAIL_BACKEND"] == "django.core.mail.backends.console.EmailBackend"


@pytest.mark.parametrize(
    "key",
    ["x", "short-but-not-fifty-characters-long", "a" * 60, "django-insecure-" + STRONG],
)
def test_production_refuses_a_weak_secret_key(key):
    with pytest.raises(ImproperlyConfigured, match="KYKLOS_SECRET_KEY is too weak"):
        check_secret_key(key, demo_key="demo", debug=False)


def test_production_accepts_a_strong_key_and_debug_accepts_any():
    check_secret_key(STRONG, demo_key="demo", debug=False)
    check_secret_key("x", demo_key="demo", debug=True)


def _kyklos(tmp_path, **variables):
    env = {"PATH": os.environ.get("PATH", ""), "KYKLOS_HOME": str(tmp_path), **variables}
    return subprocess.run(
        [sys.executable, "-m", "kyklos", "check"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_the_command_line_says_what_is_wrong_in_one_line_and_exits_2(tmp_path):
    result = _kyklos(tmp_path, KYKLOS_BATCH_SIZE="-x")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "kyklos: KYKLOS_BATCH_SIZE='-x': invalid literal for int() with base 10: '-x'"
    ]
    assert not (tmp_path / "kyklos.sqlite3").exists()  # nothing was created


def test_the_command_line_runs_with_the_documented_console_mail_url(tmp_path):
    result = _kyklos(tmp_path, KYKLOS_EMAIL_URL="console:")
    assert result.returncode == 0, result.stderr


def test_the_command_line_refuses_a_weak_key_in_production(tmp_path):
    result = _kyklos(tmp_path, KYKLOS_DEBUG="0", KYKLOS_SECRET_KEY="changeme")
    assert result.returncode == 2
    assert result.stderr.startswith("kyklos: KYKLOS_SECRET_KEY is too weak")
    assert len(result.stderr.strip().splitlines()) == 1
