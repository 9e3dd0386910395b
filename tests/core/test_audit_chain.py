"""The audit trail is append-only and hash-chained: ``kyklos audit verify`` notices any
edited or deleted event, also one changed behind the application's back (raw SQL)."""

from datetime import date
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, IntegrityError, connection, transaction

from kyklos.core import audit, audit_chain, clock
from kyklos.core.models import AppendOnlyError, AuditEvent, AuditSeal
from kyklos.core.personal_data import Subject, personal_data
from kyklos.core.registry import registry
from tests import factories

pytestmark = pytest.mark.django_db
TABLE = AuditEvent._meta.db_table


def log(n: int, customer=None) -> list[AuditEvent]:
    customer = customer or factories.customer()
    return [
        audit.log_action(customer, "customer.poked", actor="tests", data={"n": i, "ö": "ü"})
        for i in range(n)
    ]


def raw(sql: str, params=()) -> None:
    """Change the table the way an intruder with database access would: SQL, no ORM.
    The append-only triggers are dropped first, as such an intruder could."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"ALTER TABLE {TABLE} DISABLE TRIGGER USER")
        else:
            cursor.execute("DROP TRIGGER IF EXISTS core_auditevent_append_only")
        cursor.execute(sql, params)


def verify() -> tuple[str, str, int]:
    out, err = StringIO(), StringIO()
    try:
        call_command("audit", "verify", stdout=out, stderr=err)
        code = 0
    except CommandError as error:
        code = error.returncode
    return out.getvalue(), err.getvalue(), code


def test_sealing_numbers_new_events_in_id_order_and_chains_their_hashes():
    events = log(3)

    result = audit_chain.seal()

    rows = list(AuditEvent.objects.order_by("id").values_list("id", "seq", "hash"))
    assert [seq for _id, seq, _hash in rows] == [1, 2, 3]
    assert result.sealed == 3 and result.head_seq == 3
    assert len({h for *_rest, h in rows}) == 3 and all(len(h) == 64 for *_r, h in rows)
    assert events[-1].pk == rows[-1][0]
    seal = AuditSeal.objects.get()
    assert (seal.first_seq, seal.last_seq, seal.count, seal.head_hash) == (1, 3, 3, rows[-1][2])
    assert audit_chain.seal().sealed == 0  # nothing new: no new seal row
    assert AuditSeal.objects.count() == 1


def test_the_chain_continues_from_its_head_and_verify_passes(capsys):
    log(2)
    audit_chain.seal()
    log(3)
    audit_chain.seal(batch_size=2)  # several batches in one run

    out, err, code = verify()

    assert code == 0, err
    assert "Checked 5 sealed audit events; 0 not sealed yet" in out
    assert "intact" in out
    assert list(AuditSeal.objects.order_by("id").values_list("first_seq", "last_seq")) == [
        (1, 2),
        (3, 5),
    ]


def test_an_event_edited_in_the_database_is_detected():
    events = log(4)
    audit_chain.seal()
    raw(f"UPDATE {TABLE} SET actor_label = %s WHERE id = %s", ["someone else", events[1].pk])

    out, err, code = verify()

    assert code == 1
    assert f"TAMPERED: event {events[1].pk} (chain position 2) was changed" in err
    assert err.count("TAMPERED") == 1  # the walk resumes after the problem


def test_edited_data_or_time_is_detected_too():
    events = log(2)
    audit_chain.seal()
    raw(f"UPDATE {TABLE} SET data = %s WHERE id = %s", ['{"n": 99, "ö": "ü"}', events[0].pk])

    assert audit_chain.verify().problems == [f"event {events[0].pk} (chain position 1) was changed"]


def test_a_deleted_event_in_the_middle_is_detected():
    events = log(4)
    audit_chain.seal()
    raw(f"DELETE FROM {TABLE} WHERE id = %s", [events[1].pk])

    result = audit_chain.verify()

    assert result.problems == ["event(s) at chain position 2 were deleted"]
    assert result.checked == 3


def test_deleting_the_newest_events_is_detected_through_the_seals():
    events = log(3)
    audit_chain.seal()
    raw(f"DELETE FROM {TABLE} WHERE id IN (%s, %s)", [events[1].pk, events[2].pk])

    result = audit_chain.verify()

    assert result.problems == [
        "events after chain position 1 up to 3 were deleted (a seal names them)"
    ]


def test_rehashing_a_forged_event_without_the_seal_is_still_detected():
    """An intruder who edits an event and recomputes the chain from there must also forge
    the seals; the seal of the first run no longer matches."""
    events = log(2)
    audit_chain.seal()
    log(1, customer=None)
    audit_chain.seal()
    raw(f"UPDATE {TABLE} SET actor_label = 'x' WHERE id = %s", [events[0].pk])
    rows = list(
        AuditEvent.objects.filter(seq__isnull=False)
        .order_by("seq")
        .values_list("seq", *audit_chain.FIELDS)
    )
    previous = audit_chain.GENESIS
    for seq, *row in rows:
        previous = audit_chain.link(previous, seq, row)
        raw(f"UPDATE {TABLE} SET hash = %s WHERE seq = %s", [previous, seq])

    problems = audit_chain.verify().problems

    assert "the seal at chain position 2 does not match the event there" in problems


def test_unsealed_events_are_counted_and_verify_still_passes():
    log(2)
    audit_chain.seal()
    log(1)

    result = audit_chain.verify()

    assert result.ok and result.checked == 2 and result.unsealed == 1


def test_the_orm_refuses_to_change_or_delete_events():
    (event,) = log(1)
    event.action = "customer.forged"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).update(action="x")
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.get(pk=event.pk).action == "customer.poked"


def test_the_database_refuses_an_update_other_than_sealing():
    (event,) = log(1)
    with pytest.raises((IntegrityError, DatabaseError)), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(f"UPDATE {TABLE} SET action = 'x' WHERE id = %s", [event.pk])
    audit_chain.seal()
    with pytest.raises((IntegrityError, DatabaseError)), transaction.atomic():
        with connection.cursor() as cursor:  # re-sealing a sealed event is refused too
            cursor.execute(f"UPDATE {TABLE} SET seq = 99, hash = 'x' WHERE id = %s", [event.pk])
    assert AuditEvent.objects.get(pk=event.pk).action == "customer.poked"


# --- pseudonymisation by an erasure (issue 12, decision 0017) ---------------------------


def test_an_announced_pseudonymisation_keeps_the_chain_verifiable():
    events = log(3)
    audit_chain.seal()
    target = events[1]

    changed = audit_chain.pseudonymise({target.pk: ("erased-user-7", {"n": "[erased]"})})

    assert changed == 1
    row = AuditEvent.objects.get(pk=target.pk)
    assert (row.actor_label, row.data, row.seq) == ("erased-user-7", {"n": "[erased]"}, 2)
    announcement = AuditEvent.objects.get(action=audit_chain.PSEUDONYMISED)
    assert (announcement.object_type, announcement.object_id) == ("core.auditevent", str(row.pk))
    audit_chain.seal()
    out, err, code = verify()
    assert code == 0, err
    assert audit_chain.verify().pseudonymised == 1


def test_an_unannounced_change_of_label_or_data_is_refused_by_the_database():
    (event,) = log(1)
    audit_chain.seal()
    for sql in (
        f"UPDATE {TABLE} SET actor_label = 'erased-user-1' WHERE id = %s",
        f"UPDATE {TABLE} SET data = '{{}}' WHERE id = %s",
    ):
        with pytest.raises((IntegrityError, DatabaseError)), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(sql, [event.pk])
    assert AuditEvent.objects.get(pk=event.pk).actor_label == "tests"


def test_a_pseudonymised_event_changed_again_is_detected():
    (event,) = log(1)
    audit_chain.seal()
    audit_chain.pseudonymise({event.pk: ("erased-user-7", {"n": "[erased]"})})
    audit_chain.seal()

    raw(f"UPDATE {TABLE} SET data = %s WHERE id = %s", ['{"n": "forged"}', event.pk])

    out, err, code = verify()
    assert code == 1
    assert f"event {event.pk} (chain position 1) was changed" in err


def test_pseudonymising_gives_an_actor_label_only_the_erased_form():
    (event,) = log(1)
    with pytest.raises(ValueError, match="erased-user-N"):
        audit_chain.pseudonymise({event.pk: ("someone else", {})})
    assert not AuditEvent.objects.filter(action=audit_chain.PSEUDONYMISED).exists()


@pytest.mark.postgres
def test_postgresql_refuses_deleting_events_and_seals():
    if connection.vendor != "postgresql":
        pytest.skip("SQLite's flush deletes rows, so only PostgreSQL refuses DELETE")
    (event,) = log(1)
    audit_chain.seal()
    for sql in (f"DELETE FROM {TABLE}", "DELETE FROM core_auditseal"):
        with pytest.raises(IntegrityError), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(sql)
    assert AuditEvent.objects.filter(pk=event.pk).exists() and AuditSeal.objects.exists()


def test_deleting_a_user_leaves_their_events_as_they_were():
    user = get_user_model().objects.create_user("eleni")
    customer = factories.customer()
    audit.log_action(customer, "customer.poked", actor=user)
    audit_chain.seal()

    user_id = user.pk
    user.delete()

    event = AuditEvent.objects.get(action="customer.poked")
    assert (event.actor_id, event.actor_label) == (user_id, "eleni")
    assert audit_chain.verify().ok


def test_the_daily_run_seals_what_it_logged(run_day):
    log(2)
    assert "core.seal_audit_trail" in [s.name for s in registry.daily_steps()]
    assert registry.daily_steps()[-1].name == "core.seal_audit_trail"

    result = run_day(date(2027, 3, 1))

    assert not AuditEvent.objects.filter(seq__isnull=True).exists()
    assert "core.seal_audit_trail" not in result.actions  # sealing is not a business action


def test_the_seal_command_reports_what_it_sealed():
    log(2)
    out = StringIO()
    call_command("audit", "seal", stdout=out)
    assert out.getvalue().startswith("Sealed 2 audit events; the chain holds 2")


# --- staff access ---------------------------------------------------------------------------


def test_staff_views_are_logged_per_customer_with_who_what_why():
    staff = get_user_model().objects.create_user("anna", is_staff=True)
    a, b = factories.customer(), factories.customer()

    written = audit.log_access(
        staff, [a.pk, b.pk, a.pk, None], what="customer list", why="ticket 12", where="GET /x"
    )

    assert written == 2
    rows = AuditEvent.objects.filter(action=audit.ACCESSED).order_by("customer_id")
    assert [(e.customer_id, e.actor_label, e.data) for e in rows] == [
        (a.pk, "anna", {"what": "customer list", "why": "ticket 12", "where": "GET /x"}),
        (b.pk, "anna", {"what": "customer list", "why": "ticket 12", "where": "GET /x"}),
    ]


def test_a_customer_looking_at_their_own_data_is_not_an_access_log_entry():
    user = get_user_model().objects.create_user("maria")
    customer = factories.customer(user=user)
    assert audit.log_access(user, customer.pk, what="profile") == 0
    assert audit.log_access("automation", customer.pk, what="profile") == 0
    assert not AuditEvent.objects.filter(action=audit.ACCESSED).exists()


def test_the_access_log_export_lists_staff_views_and_changes_of_that_customer_only():
    staff = get_user_model().objects.create_user("anna", is_staff=True)
    maria, other = factories.customer(), factories.customer()
    with clock.frozen(date(2027, 3, 1)):
        audit.log_access(staff, maria.pk, what="customer record", why="billing question")
        audit.log_action(maria, "customer.locked", actor=staff, data={"reason": "ended"})
        audit.log_action(maria, "customer.poked", actor=maria.user)  # not staff
        audit.log_access(staff, other.pk, what="customer record")

    exported = personal_data.export(Subject(customer_id=maria.pk))["core.AuditEvent"]

    assert [(r["who"], r["what"], r["why"]) for r in exported] == [
        ("anna", "customer.locked", ""),
        ("anna", "customer record", "billing question"),
    ]
    assert all(r["when"].startswith("2027-03-01") for r in exported)
    assert personal_data.entries["core.AuditEvent"].category == "audit_trail"
    erased = personal_data.erase(Subject(customer_id=maria.pk))["core.AuditEvent"]
    assert erased.kept == 3 and "art. 5(2)" in erased.kept_reason
