"""The README's commands: scripts/demo needs only what running Kyklos needs, takes a port,
and refuses a bad argument in one line before it installs anything."""

import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TEST_TOOLS = {"chromium", "dovecot-imapd", "wrk"}


def packages(*args: str) -> set[str]:
    result = subprocess.run(
        [ROOT / "scripts/install-system-packages", "--list", *args],
        capture_output=True,
        text=True,
        check=True,
    )
    return set(result.stdout.split())


def test_running_kyklos_needs_no_test_tools_and_the_tests_get_them():
    runtime, for_tests = packages(), packages("--test")
    assert not runtime & TEST_TOOLS
    assert {"python3-venv", "gettext", "postgresql-client"} <= runtime
    assert runtime | TEST_TOOLS <= for_tests


@pytest.mark.parametrize(
    "args, message",
    [
        (["--port", "eighty"], "the port must be a number from 1 to 65535, not 'eighty'"),
        (["--port", "70000"], "not '70000'"),
        (["--colour"], "unknown argument '--colour'"),
    ],
)
def test_scripts_demo_refuses_a_bad_argument_in_one_line_and_exit_2(args, message):
    result = subprocess.run(
        [ROOT / "scripts/demo", *args], capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 2
    assert message in result.stderr.splitlines()[0]
    assert "Installing" not in result.stdout


def test_scripts_demo_takes_its_port_from_the_environment_too():
    result = subprocess.run(
        [ROOT / "scripts/demo"],
        capture_output=True,
        text=True,
        timeout=30,
        env={"KYKLOS_PORT": "0", "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 2
    assert "not '0'" in result.stderr


def test_setup_refuses_an_unknown_option():
    result = subprocess.run(
        [ROOT / "scripts/setup", "--everything"], capture_output=True, text=True
    )
    assert result.returncode == 2
    assert result.stderr.strip() == "usage: scripts/setup [--dev]"
