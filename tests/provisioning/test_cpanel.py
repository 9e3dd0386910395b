"""Contract tests of the cPanel/WHM module against the WHM API 1 stand-in (cpanel_peer.py)."""

from __future__ import annotations

import json
import socket
from urllib.parse import parse_qs, urlparse

import pytest
from django.core.exceptions import ValidationError

from kyklos.provisioning import modules
from kyklos.provisioning.modules.base import Account, PermanentFailure, Server, TemporaryFailure
from kyklos.provisioning.modules.cpanel import CPanel
from tests.provisioning.cpanel_peer import CPanelPeer


@pytest.fixture
def peer(tmp_path):
    peer = CPanelPeer(tls_dir=tmp_path).start()
    yield peer
    assert peer.violations == []
    peer.stop()


@pytest.fixture
def server(peer):
    return Server(
        id=2,
        hostname="127.0.0.1",
        port=peer.port,
        username="root",
        secret="TOKEN123",
        settings={"ca_file": str(peer.ca_file), "timeout": 5},
    )


ACCOUNT = Account(
    service_id=9,
    username="k9gamma",
    plan="basic",
    domain="gamma.example",
    contact_email="owner@gamma.example",
    password="Corr3ct-Horse",
)


def with_(obj, **changes):
    return type(obj)(**{**obj.__dict__, **changes})


def test_registered_by_code():
    import kyklos.provisioning.modules.panels  # noqa: F401

    assert isinstance(modules.get("cpanel"), CPanel)


def test_create_makes_the_account_on_its_package(peer, server):
    kept = CPanel().create(server, ACCOUNT)
    account = peer.state.accounts["k9gamma"]
    assert (account.domain, account.plan, account.password, account.email) == (
        "gamma.example",
        "basic",
        "Corr3ct-Horse",
        "owner@gamma.example",
    )
    assert kept == {"user": "k9gamma", "domain": "gamma.example"}
    seen = peer.requests[0]
    assert urlparse(seen.path).path == "/json-api/createacct"
    assert parse_qs(urlparse(seen.path).query) == {"api.version": ["1"]}
    assert seen.headers["authorization"] == "whm root:TOKEN123"
    assert "Corr3ct-Horse" not in seen.path  # the password travels in the body only


def test_create_again_is_a_success(peer, server):
    CPanel().create(server, ACCOUNT)
    assert CPanel().create(server, ACCOUNT) == {"user": "k9gamma", "domain": "gamma.example"}
    assert list(peer.state.accounts) == ["k9gamma"]


def test_a_username_taken_for_another_domain_is_refused(peer, server):
    CPanel().create(server, ACCOUNT)
    with pytest.raises(
        PermanentFailure, match=r"exists for another domain \(gamma.example\)"
    ) as refused:
        CPanel().create(server, with_(ACCOUNT, domain="delta.example"))
    assert "already exists" in refused.value.answer


def test_a_domain_taken_by_another_user_is_refused_with_whms_answer(peer, server):
    CPanel().create(server, ACCOUNT)
    with pytest.raises(PermanentFailure) as refused:
        CPanel().create(server, with_(ACCOUNT, username="k10delta"))
    assert "gamma.example” already exists in the userdata" in str(refused.value)
    assert json.loads(refused.value.answer)["metadata"]["result"] == 0


def test_an_unknown_package_is_refused(peer, server):
    with pytest.raises(PermanentFailure, match="package “gold” does not exist"):
        CPanel().create(server, with_(ACCOUNT, plan="gold"))
    assert peer.state.accounts == {}


def test_suspend_unsuspend_repeat_safely_and_pass_the_reason(peer, server):
    whm = CPanel()
    whm.create(server, ACCOUNT)
    whm.suspend(server, ACCOUNT, reason="Unpaid invoice 2026-0042")
    whm.suspend(server, ACCOUNT, reason="Unpaid invoice 2026-0042")
    account = peer.state.accounts["k9gamma"]
    assert (account.suspended, account.suspend_reason) == (True, "Unpaid invoice 2026-0042")
    assert whm.usage(server, ACCOUNT).extra["suspended"] is True
    whm.unsuspend(server, ACCOUNT)
    whm.unsuspend(server, ACCOUNT)
    assert account.suspended is False


def test_suspending_an_unknown_account_is_refused(peer, server):
    with pytest.raises(PermanentFailure, match="“k9gamma” does not exist"):
        CPanel().suspend(server, ACCOUNT, reason="x")


def test_terminate_and_terminate_again(peer, server):
    CPanel().create(server, ACCOUNT)
    CPanel().terminate(server, ACCOUNT)
    assert peer.state.accounts == {}
    CPanel().terminate(server, ACCOUNT)


def test_change_package(peer, server):
    CPanel().create(server, ACCOUNT)
    CPanel().change_plan(server, with_(ACCOUNT, plan="pro"), previous_plan="basic")
    CPanel().change_plan(server, with_(ACCOUNT, plan="pro"), previous_plan="basic")
    assert peer.state.accounts["k9gamma"].plan == "pro"
    with pytest.raises(PermanentFailure, match="Specified package does not exist"):
        CPanel().change_plan(server, with_(ACCOUNT, plan="gold"), previous_plan="pro")
    assert peer.state.accounts["k9gamma"].plan == "pro"


def test_reset_password_and_a_weak_one_refused(peer, server):
    CPanel().create(server, ACCOUNT)
    CPanel().reset_password(server, with_(ACCOUNT, password="N3w-Secret-1"))
    assert peer.state.accounts["k9gamma"].password == "N3w-Secret-1"
    with pytest.raises(PermanentFailure, match="too weak"):
        CPanel().reset_password(server, with_(ACCOUNT, password="abc"))
    assert peer.state.accounts["k9gamma"].password == "N3w-Secret-1"


def test_usage_reads_the_disk_used(peer, server):
    CPanel().create(server, ACCOUNT)
    peer.state.accounts["k9gamma"].diskused = "1.5G"
    usage = CPanel().usage(server, ACCOUNT)
    assert usage.disk_mb == 1536.0
    assert usage.extra == {"suspended": False, "plan": "basic"}


def test_usage_of_an_unknown_account_is_refused(peer, server):
    with pytest.raises(PermanentFailure, match="Account does not exist"):
        CPanel().usage(server, ACCOUNT)


def test_a_wrong_token_is_a_permanent_failure_with_access_denied(peer, server):
    with pytest.raises(PermanentFailure, match="refused the credentials") as refused:
        CPanel().create(with_(server, secret="WRONG"), ACCOUNT)
    assert (refused.value.code, refused.value.answer) == ("401", "Access denied")
    assert peer.state.accounts == {}


def test_a_missing_argument_is_refused_naming_it(peer, server):
    with pytest.raises(PermanentFailure, match='"user" is a required argument'):
        CPanel()._call(server, "suspendacct", reason="x")


@pytest.mark.parametrize("status", [500, 503])
def test_server_errors_are_temporary_and_keep_the_answer(peer, server, status):
    peer.fail_next(status)
    with pytest.raises(TemporaryFailure) as failed:
        CPanel().create(server, ACCOUNT)
    assert (failed.value.code, failed.value.answer) == (str(status), f"<h1>{status}</h1>")
    CPanel().create(server, ACCOUNT)
    assert "k9gamma" in peer.state.accounts


def test_an_answer_that_is_not_json_is_temporary(peer, server, monkeypatch):
    monkeypatch.setattr(
        peer, "answer", lambda seen: (200, "text/html", "<html>cpsrvd is restarting</html>")
    )
    with pytest.raises(TemporaryFailure, match="not a WHM API 1 answer") as failed:
        CPanel().create(server, ACCOUNT)
    assert "cpsrvd is restarting" in failed.value.answer


def test_a_timeout_and_a_refused_connection_are_temporary(peer, server):
    peer.delay = 1.5
    with pytest.raises(TemporaryFailure, match="did not answer"):
        CPanel().create(with_(server, settings={**server.settings, "timeout": 0.5}), ACCOUNT)
    peer.delay = 0
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    with pytest.raises(TemporaryFailure, match="unreachable"):
        CPanel().create(with_(server, port=closed), ACCOUNT)


def test_an_untrusted_certificate_is_refused(peer, server):
    with pytest.raises(PermanentFailure, match="certificate we do not trust"):
        CPanel().create(with_(server, settings={}), ACCOUNT)


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ({}, "The plan (the panel's plan or package name) is required."),
        ({"plan": 5}, "The plan (the panel's plan or package name) is required."),
        ({"plan": "x" * 256}, "The plan name must be one line of at most 255 characters."),
        ({"plan": "basic", "quota": 5}, "Unknown setting 'quota'; this module understands: plan."),
    ],
)
def test_bad_settings_are_refused_in_one_line(given, message):
    with pytest.raises(ValidationError) as refused:
        CPanel().check_settings(given)
    assert refused.value.messages == [message]


def test_bad_server_settings_are_refused_in_one_line(server):
    with pytest.raises(
        PermanentFailure, match="timeout 'soon' of server 127.0.0.1 is not a number"
    ):
        CPanel().create(with_(server, settings={"timeout": "soon"}), ACCOUNT)
    with pytest.raises(PermanentFailure, match="needs the WHM user name"):
        CPanel().create(with_(server, username=""), ACCOUNT)
