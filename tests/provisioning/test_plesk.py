"""Contract tests of the Plesk module against the XML API stand-in (plesk_peer.py)."""

from __future__ import annotations

import socket

import pytest
from django.core.exceptions import ValidationError
from lxml import etree

from kyklos.provisioning import modules
from kyklos.provisioning.modules.base import (
    Account,
    PermanentFailure,
    Server,
    TemporaryFailure,
)
from kyklos.provisioning.modules.plesk import Plesk
from tests.provisioning.plesk_peer import PleskPeer


@pytest.fixture
def peer(tmp_path):
    peer = PleskPeer(tls_dir=tmp_path, key="api-key-1").start()
    yield peer
    peer.stop()


@pytest.fixture
def server(peer):
    return Server(
        id=1,
        hostname="127.0.0.1",
        port=peer.port,
        username="admin",
        secret="s3cret",
        settings={"ca_file": str(peer.ca_file), "ip_address": "192.0.2.10", "timeout": 5},
    )


ACCOUNT = Account(
    service_id=7,
    username="k7alpha",
    plan="Basic",
    domain="alpha.example",
    contact_email="owner@alpha.example",
    password="Corr3ct-Horse",
)


def with_(server: Server, **changes) -> Server:
    values = {**server.__dict__, **changes}
    return Server(**values)


def test_registered_by_code():
    import kyklos.provisioning.modules.panels  # noqa: F401

    assert isinstance(modules.get("plesk"), Plesk)


def test_create_makes_the_customer_and_the_subscription_on_its_plan(peer, server):
    kept = Plesk().create(server, ACCOUNT)

    customer = peer.state.customers["k7alpha"]
    subscription = peer.state.subscriptions["alpha.example"]
    assert (customer.password, customer.email) == ("Corr3ct-Horse", "owner@alpha.example")
    assert (subscription.owner, subscription.plan, subscription.status) == ("k7alpha", "Basic", "0")
    assert kept == {
        "customer_id": str(customer.id),
        "webspace_id": str(subscription.id),
        "guid": subscription.guid,
    }
    seen = peer.requests[0]
    assert seen.headers["http_auth_login"] == "admin"
    assert seen.headers["content-type"] == "text/xml"
    assert etree.fromstring(seen.body).tag == "packet"


def test_create_again_is_a_success_returning_the_same_ids(peer, server):
    first = Plesk().create(server, ACCOUNT)
    again = Plesk().create(server, ACCOUNT)
    assert again == first
    assert len(peer.state.subscriptions) == 1


def test_a_domain_owned_by_another_customer_is_refused_with_the_answer(peer, server):
    Plesk().create(server, ACCOUNT)
    other = Account(
        service_id=8, username="k8beta", plan="Basic", domain="alpha.example", password="x" * 10
    )
    with pytest.raises(PermanentFailure) as refused:
        Plesk().create(server, other)
    assert "belongs to another Plesk customer (k7alpha)" in str(refused.value)
    assert refused.value.code == "1007"
    assert "<errcode>1007</errcode>" in refused.value.answer


def test_an_unknown_plan_is_a_permanent_failure_with_plesks_answer(peer, server):
    account = Account(**{**ACCOUNT.__dict__, "plan": "Gold"})
    with pytest.raises(PermanentFailure) as refused:
        Plesk().create(server, account)
    assert refused.value.code == "1013"
    assert "Service plan Gold does not exist" in refused.value.answer


def test_suspend_and_unsuspend_set_the_status_and_repeat_safely(peer, server):
    plesk = Plesk()
    plesk.create(server, ACCOUNT)
    plesk.suspend(server, ACCOUNT, reason="unpaid")
    plesk.suspend(server, ACCOUNT, reason="unpaid")
    assert peer.state.subscriptions["alpha.example"].status == "16"
    assert plesk.usage(server, ACCOUNT).extra["status"] == "16"
    plesk.unsuspend(server, ACCOUNT)
    plesk.unsuspend(server, ACCOUNT)
    assert peer.state.subscriptions["alpha.example"].status == "0"


def test_suspending_an_unknown_subscription_is_a_permanent_failure(peer, server):
    with pytest.raises(PermanentFailure) as refused:
        Plesk().suspend(server, ACCOUNT, reason="unpaid")
    assert refused.value.code == "1013"
    assert "Webspace does not exist" in refused.value.answer


def test_terminate_removes_both_and_a_second_terminate_is_a_success(peer, server):
    plesk = Plesk()
    plesk.create(server, ACCOUNT)
    plesk.terminate(server, ACCOUNT)
    assert peer.state.subscriptions == {} and peer.state.customers == {}
    plesk.terminate(server, ACCOUNT)


def test_change_plan_switches_to_the_plans_guid(peer, server):
    plesk = Plesk()
    plesk.create(server, ACCOUNT)
    pro = Account(**{**ACCOUNT.__dict__, "plan": "Pro", "password": ""})
    plesk.change_plan(server, pro, previous_plan="Basic")
    plesk.change_plan(server, pro, previous_plan="Basic")
    assert peer.state.subscriptions["alpha.example"].plan == "Pro"
    switch = etree.fromstring(peer.requests[-1].body)
    assert switch.findtext("webspace/switch-subscription/plan-guid") == peer.state.plans["Pro"]


def test_change_to_an_unknown_plan_is_refused_naming_it(peer, server):
    Plesk().create(server, ACCOUNT)
    gold = Account(**{**ACCOUNT.__dict__, "plan": "Gold"})
    with pytest.raises(PermanentFailure, match="Plesk has no service plan 'Gold'"):
        Plesk().change_plan(server, gold, previous_plan="Basic")
    assert peer.state.subscriptions["alpha.example"].plan == "Basic"


def test_reset_password(peer, server):
    plesk = Plesk()
    plesk.create(server, ACCOUNT)
    plesk.reset_password(server, Account(**{**ACCOUNT.__dict__, "password": "N3w-Secret"}))
    assert peer.state.customers["k7alpha"].password == "N3w-Secret"
    with pytest.raises(PermanentFailure, match="no new password"):
        plesk.reset_password(server, Account(**{**ACCOUNT.__dict__, "password": ""}))


def test_usage_reads_size_traffic_and_mailboxes(peer, server):
    Plesk().create(server, ACCOUNT)
    sub = peer.state.subscriptions["alpha.example"]
    sub.real_size, sub.traffic, sub.boxes = 150 * 1048576, 3 * 1048576, 4
    usage = Plesk().usage(server, ACCOUNT)
    assert (usage.disk_mb, usage.traffic_mb, usage.mailboxes) == (150.0, 3.0, 4)


def test_the_secret_key_is_sent_as_KEY_when_the_server_has_no_user(peer, server):
    Plesk().create(with_(server, username="", secret="api-key-1"), ACCOUNT)
    assert peer.requests[0].headers["key"] == "api-key-1"
    assert "http_auth_login" not in peer.requests[0].headers


def test_wrong_credentials_are_a_permanent_failure_with_error_1001(peer, server):
    with pytest.raises(PermanentFailure) as refused:
        Plesk().create(with_(server, secret="wrong"), ACCOUNT)
    assert refused.value.code == "1001"
    assert "Authentication failed" in str(refused.value)
    assert peer.state.customers == {}


def test_a_malformed_packet_gets_1014(peer, server):
    plesk = Plesk()
    with pytest.raises(PermanentFailure) as refused:
        plesk._call(server, "webspace", "add", lambda op: None)  # no gen_setup
    assert refused.value.code == "1014"


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_errors_are_temporary_and_keep_the_answer(peer, server, status):
    peer.fail_next(status)
    with pytest.raises(TemporaryFailure) as failed:
        Plesk().create(server, ACCOUNT)
    assert failed.value.code == str(status)
    assert f"<h1>{status}</h1>" in failed.value.answer
    Plesk().create(server, ACCOUNT)  # the retry succeeds


def test_agent_initialization_failure_is_temporary(peer, server):
    peer.system_errors.append("1003")
    with pytest.raises(TemporaryFailure) as failed:
        Plesk().create(server, ACCOUNT)
    assert failed.value.code == "1003"
    assert "Agent initialization failed." in failed.value.answer


def test_a_timeout_is_temporary(peer, server):
    peer.delay = 1.5
    with pytest.raises(TemporaryFailure, match="did not answer in 0.5 s"):
        Plesk().create(with_(server, settings={**server.settings, "timeout": 0.5}), ACCOUNT)


def test_a_refused_connection_is_temporary(server):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    with pytest.raises(TemporaryFailure, match="unreachable"):
        Plesk().create(with_(server, port=closed_port), ACCOUNT)


def test_an_untrusted_certificate_is_refused_without_the_ca_file(peer, server):
    settings = {k: v for k, v in server.settings.items() if k != "ca_file"}
    with pytest.raises(PermanentFailure, match="certificate we do not trust"):
        Plesk().create(with_(server, settings=settings), ACCOUNT)
    assert peer.state.customers == {}


def test_an_unreadable_ca_file_is_a_permanent_failure(server, tmp_path):
    missing = str(tmp_path / "nope.pem")
    with pytest.raises(PermanentFailure, match="cannot be read"):
        Plesk().create(with_(server, settings={**server.settings, "ca_file": missing}), ACCOUNT)


def test_create_needs_the_servers_ip_and_the_domain(server):
    with pytest.raises(PermanentFailure, match="needs an ip_address setting"):
        Plesk().create(with_(server, settings={"ca_file": server.settings["ca_file"]}), ACCOUNT)
    with pytest.raises(PermanentFailure, match="needs the account's domain"):
        Plesk().create(server, Account(**{**ACCOUNT.__dict__, "domain": ""}))


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ({}, "The plan (the panel's plan or package name) is required."),
        ({"plan": "  "}, "The plan (the panel's plan or package name) is required."),
        ({"plan": "A\nB"}, "The plan name must be one line of at most 255 characters."),
        ({"plan": "Basic", "ip": "1"}, "Unknown setting 'ip'; this module understands: plan."),
    ],
)
def test_bad_settings_are_refused_in_one_line(given, message):
    with pytest.raises(ValidationError) as refused:
        Plesk().check_settings(given)
    assert refused.value.messages == [message]
    Plesk().check_settings({"plan": "Basic"})
