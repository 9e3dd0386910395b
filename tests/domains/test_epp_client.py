"""The EPP client against the TLS registry peer: every operation, every refusal."""

from datetime import date

import pytest

from kyklos.domains.registrars.base import Contact, PermanentFailure, TemporaryFailure
from kyklos.domains.registrars.epp import EppClient, encode_frame

CONTACT = Contact(
    handle="KYK-1",
    name="Maria Papadopoulou",
    organisation="",
    street="Egnatia 1",
    city="Thessaloniki",
    postal_code="54623",
    country="GR",
    phone="+30.2310000000",
    email="maria@example.gr",
)


def client(peer, login="kyklos", password=None):
    password = password or peer.registry.accounts[login]
    return EppClient(peer.settings(), {"login": login, "password": password})


@pytest.fixture
def session(peer):
    with client(peer) as epp:
        epp.create_contact(CONTACT, cltrid="c-1")
        yield epp


def test_frames_carry_their_length_with_the_header():
    assert encode_frame(b"<epp/>") == b"\x00\x00\x00\x0a<epp/>"


def test_greeting_login_and_check(peer, session):
    assert session.greeting.root.find("{urn:ietf:params:xml:ns:epp-1.0}greeting") is not None
    peer.registry.take("taken.gr")
    answers = {a.name: a for a in session.check(["free-name.gr", "taken.gr"])}
    assert answers["free-name.gr"].available
    assert not answers["taken.gr"].available and answers["taken.gr"].reason == "In use"


def test_bad_login_is_refused_permanently(peer):
    with pytest.raises(PermanentFailure) as refused:
        client(peer, password="wrong").open()
    assert refused.value.code == "2200"


def test_untrusted_certificate_is_refused(peer):
    settings = {**peer.settings(), "cafile": ""}
    with pytest.raises(PermanentFailure, match="not trusted"):
        EppClient(settings, {"login": "kyklos", "password": "kyklos-pass-1"}).open()


def test_register_info_renew(peer, session):
    made = session.register(
        "example-kyklos.gr",
        years=2,
        registrant="KYK-1",
        nameservers=["ns1.kyklos.example", "ns2.kyklos.example"],
        auth_code="Abc-123!xyz",
        cltrid="job-1",
    )
    assert made.expires_on.year - made.created_on.year == 2
    info = session.info("example-kyklos.gr")
    assert info.sponsor == "kyklos" and info.registrant == "KYK-1"
    assert info.nameservers == ["ns1.kyklos.example", "ns2.kyklos.example"]
    renewed = session.renew(
        "example-kyklos.gr", years=2, current_expiry=info.expires_on, cltrid="job-2"
    )
    assert renewed.expires_on.year == info.expires_on.year + 2


def test_gr_only_in_two_year_steps(session):
    with pytest.raises(PermanentFailure) as refused:
        session.register(
            "one-year.gr",
            years=1,
            registrant="KYK-1",
            nameservers=[],
            auth_code="a-1!",
            cltrid="j",
        )
    assert refused.value.code == "2306"


def test_refusals(peer, session):
    with pytest.raises(PermanentFailure) as unknown:
        session.info("nowhere.gr")
    assert unknown.value.code == "2303"
    peer.registry.take("someone-elses.com")
    with pytest.raises(PermanentFailure) as exists:
        session.register(
            "someone-elses.com",
            years=1,
            registrant="KYK-1",
            nameservers=[],
            auth_code="a-1!",
            cltrid="j",
        )
    assert exists.value.code == "2302"
    with pytest.raises(PermanentFailure) as notours:
        session.set_auth_code("someone-elses.com", auth_code="x-1!", cltrid="j2")
    assert notours.value.code == "2201"
    with pytest.raises(PermanentFailure) as association:
        session.register(
            "nobody.com",
            years=1,
            registrant="NOBODY",
            nameservers=[],
            auth_code="a-1!",
            cltrid="j3",
        )
    assert association.value.code == "2305"
    session.register(
        "mine.com", years=1, registrant="KYK-1", nameservers=[], auth_code="a-1!", cltrid="j4"
    )
    with pytest.raises(PermanentFailure) as wrong_expiry:
        session.renew("mine.com", years=1, current_expiry=date(2001, 1, 1), cltrid="j5")
    assert wrong_expiry.value.code == "2306"


def test_transfer_out_with_auth_code_once(peer, session):
    session.register(
        "moving.com",
        years=1,
        registrant="KYK-1",
        nameservers=[],
        auth_code="First-1!",
        cltrid="j1",
    )
    session.set_statuses("moving.com", add=["clientTransferProhibited"], remove=[], cltrid="j2")
    with client(peer, "gainer") as gainer:
        with pytest.raises(PermanentFailure) as locked:
            gainer.transfer_in("moving.com", auth_code="First-1!", years=1, cltrid="g1")
        assert locked.value.code == "2304"
        session.set_statuses("moving.com", add=[], remove=["clientTransferProhibited"], cltrid="j3")
        with pytest.raises(PermanentFailure) as bad:
            gainer.transfer_in("moving.com", auth_code="Guess-1!", years=1, cltrid="g2")
        assert bad.value.code == "2202"
        pending = gainer.transfer_in("moving.com", auth_code="First-1!", years=1, cltrid="g3")
        assert pending.statuses == ["pending"]
        # Name servers are frozen while the transfer is pending (R4.7).
        with pytest.raises(PermanentFailure) as frozen:
            session.set_nameservers("moving.com", add=["ns9.example"], remove=[], cltrid="j4")
        assert frozen.value.code == "2304"
        session.approve_transfer("moving.com", cltrid="j5")
        assert session.info("moving.com").sponsor == "gainer"
    with client(peer, "kyklos") as again:
        with pytest.raises(PermanentFailure) as spent:
            again.transfer_in("moving.com", auth_code="First-1!", years=1, cltrid="k1")
        assert spent.value.code == "2202"


def test_restore_from_redemption(peer, session):
    session.register(
        "late.com", years=1, registrant="KYK-1", nameservers=[], auth_code="a-1!", cltrid="j1"
    )
    peer.registry.expire("late.com", redemption=True)
    assert session.info("late.com").in_redemption
    with pytest.raises(PermanentFailure) as prohibited:
        session.renew("late.com", years=1, current_expiry=date.today(), cltrid="j2")
    assert prohibited.value.code == "2304"
    session.restore(
        "late.com",
        report={
            "preData": "x",
            "postData": "x",
            "delTime": "2027-01-01T00:00:00Z",
            "resTime": "2027-01-02T00:00:00Z",
            "resReason": "Customer renewed late",
            "statement1": "true",
            "statement2": "true",
        },
        cltrid="j3",
    )
    assert not session.info("late.com").in_redemption


@pytest.mark.parametrize("outage", ["drop", "drop_after", "2400", "2502"])
def test_outages_are_temporary(peer, session, outage):
    peer.registry.outage = outage
    with pytest.raises(TemporaryFailure):
        session.check(["any.com"])


def test_unreachable_registry_is_temporary(peer):
    settings = {**peer.settings()}
    peer.stop()
    with pytest.raises(TemporaryFailure):
        EppClient(settings, {"login": "kyklos", "password": "kyklos-pass-1"}).open()


def test_delete_refuses_an_unknown_a_foreign_and_a_locked_name(peer, session):
    with pytest.raises(PermanentFailure) as unknown:
        session.delete("never-made.gr", cltrid="d-1")
    assert unknown.value.code == "2303"
    peer.registry.take("theirs.gr")
    with pytest.raises(PermanentFailure) as foreign:
        session.delete("theirs.gr", cltrid="d-2")
    assert foreign.value.code == "2201"
    for name in ("kept.gr", "gone.gr"):
        session.register(
            name, years=2, registrant="KYK-1", nameservers=[], auth_code="Ab-1!cd", cltrid=name
        )
    peer.registry.domains["kept.gr"].statuses.add("serverDeleteProhibited")
    with pytest.raises(PermanentFailure) as locked:
        session.delete("kept.gr", cltrid="d-3")
    assert locked.value.code == "2304" and "kept.gr" in peer.registry.domains
    session.delete("gone.gr", cltrid="d-4")
    assert "gone.gr" not in peer.registry.domains


def test_registrant_change_and_transfer_in_with_rgp_renew_period(peer, session):
    session.register(
        "owned.gr", years=2, registrant="KYK-1", nameservers=[], auth_code="Ab-1!cd", cltrid="r"
    )
    other = Contact(**{**CONTACT.__dict__, "handle": "KYK-2", "name": "Eleni Georgiou"})
    session.create_contact(other, cltrid="c-2")
    session.set_registrant("owned.gr", registrant="KYK-2", cltrid="u-1")
    assert peer.registry.domains["owned.gr"].registrant == "KYK-2"
    with pytest.raises(PermanentFailure) as unknown:
        session.set_registrant("owned.gr", registrant="NOBODY", cltrid="u-2")
    assert unknown.value.code == "2305"
    peer.registry.held_elsewhere("elsewhere.com", auth_code="Their-1!", renewed_days_ago=10)
    found = session.info("elsewhere.com")
    assert found.in_renew_period and found.updated_on is not None
    answer = session.transfer_in("elsewhere.com", auth_code="Their-1!", years=1, cltrid="t-1")
    assert answer.statuses == ["pending"]
    assert session.transfer_query("elsewhere.com") == "pending"
