"""The audit trail's hash chain: sealing new events and verifying the whole chain.

Events are inserted unsealed (``seq`` empty), so the daily run's bulk inserts and
concurrent requests never wait for one another. :func:`seal` then takes the unsealed
events in id order, under a lock (a PostgreSQL advisory lock; SQLite serialises writers
anyway), numbers them after the current head and stores for each

    hash = SHA-256(previous hash ‖ canonical JSON of [seq, id, at, actor, label, action,
                   object type, object id, customer, data])

It reads the rows back from the database before hashing, so :func:`verify` hashes exactly
what sealing hashed. Each sealing run also writes an :class:`AuditSeal` with the new head,
which lets :func:`verify` notice deleted newest events. See decision 0013.

An erasure may pseudonymise an event (:func:`pseudonymise`: its actor label and data, never
anything else). It first appends a :data:`PSEUDONYMISED` event naming the event and the
digest of its new content; the database trigger lets only such an announced change through,
and :func:`verify` accepts a sealed event whose hash no longer matches only when its content
has exactly the announced digest. See decision 0017.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass, field
from datetime import UTC

from django.conf import settings
from django.db import connection, transaction

from kyklos.core import clock
from kyklos.core.audit import log_action_rows
from kyklos.core.models import AuditEvent, AuditSeal
from kyklos.core.personal_records import ERASED_USER

log = logging.getLogger(__name__)

GENESIS = "0" * 64
#: pg_advisory_xact_lock key: "kyklos audit" folded into a signed 64-bit integer.
LOCK_KEY = int.from_bytes(hashlib.sha256(b"kyklos audit seal").digest()[:8], "big", signed=True)
FIELDS = (
    "id",
    "at",
    "actor_id",
    "actor_label",
    "action",
    "object_type",
    "object_id",
    "customer_id",
    "data",
)


def canonical(seq: int, row: tuple) -> bytes:
    """The bytes hashed for one event: ``row`` holds :data:`FIELDS` in order."""
    pk, at, actor_id, label, action, object_type, object_id, customer_id, data = row
    content = [
        seq,
        pk,
        at.astimezone(UTC).isoformat(timespec="microseconds"),
        actor_id,
        label,
        action,
        object_type,
        object_id,
        customer_id,
        data,
    ]
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def link(previous: str, seq: int, row: tuple) -> str:
    return hashlib.sha256(previous.encode() + canonical(seq, row)).hexdigest()


#: The action of the event that announces the pseudonymisation of another event.
PSEUDONYMISED = "audit.pseudonymised"


def content_digest(row: tuple) -> str:
    """SHA-256 of an event's content (:data:`FIELDS`, no chain position): what a
    :data:`PSEUDONYMISED` event records of the content it left."""
    return hashlib.sha256(canonical(0, row)).hexdigest()


def pseudonymise(changes: dict[int, tuple[str, dict]], *, actor=None) -> int:
    """Replace the actor label and data of events: ``changes`` maps an event id to its new
    ``(actor_label, data)``. For each, a :data:`PSEUDONYMISED` event is appended first (the
    trigger refuses the change without it), then the row is updated in place; ``seq`` and
    ``hash`` stay, so the chain still links. Returns how many events changed."""
    if not changes:
        return 0
    with transaction.atomic():
        rows = AuditEvent.objects.filter(pk__in=changes).values_list(*FIELDS)
        new_rows = {}
        for row in rows:
            label, data = changes[row[0]]
            if label != row[3] and not label.startswith(ERASED_USER):
                raise ValueError(f"An actor label becomes {ERASED_USER}N, not {label!r}.")
            new_rows[row[0]] = (*row[:3], label, *row[4:8], data)
        log_action_rows(
            (
                ("core.auditevent", pk, None, {"digest": content_digest(row)})
                for pk, row in sorted(new_rows.items())
            ),
            PSEUDONYMISED,
            actor=actor,
        )
        data_field = AuditEvent._meta.get_field("data")
        with connection.cursor() as cursor:
            cursor.executemany(
                f"UPDATE {AuditEvent._meta.db_table} SET actor_label = %s, data = %s "  # noqa: S608
                "WHERE id = %s",
                [
                    (row[3], data_field.get_db_prep_value(row[8], connection), pk)
                    for pk, row in new_rows.items()
                ],
            )
        stored = AuditEvent.objects.filter(pk__in=new_rows).values_list(*FIELDS)
        if any(content_digest(row) != content_digest(new_rows[row[0]]) for row in stored):
            raise RuntimeError("A pseudonymised audit event reads back differently.")
    return len(new_rows)


def _announced() -> dict[int, str]:
    """Event id → the digest its latest :data:`PSEUDONYMISED` event announced."""
    rows = (
        AuditEvent.objects.filter(action=PSEUDONYMISED, object_type="core.auditevent")
        .order_by("id")
        .values_list("object_id", "data")
    )
    return {int(pk): data.get("digest", "") for pk, data in rows if pk.isdigit()}


def _lock() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])


def _write(table: str, updates: list[tuple[int, str, int]]) -> None:
    """Store ``(seq, hash, id)`` rows: one UPDATE per batch on PostgreSQL (unnest of three
    arrays), a prepared statement run per row on SQLite (cheap in-process)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            seqs, hashes, ids = (list(column) for column in zip(*updates, strict=True))
            cursor.execute(
                f"UPDATE {table} AS e SET seq = v.seq, hash = v.hash "  # noqa: S608
                "FROM unnest(%s::bigint[], %s::text[], %s::bigint[]) AS v(seq, hash, id) "
                "WHERE e.id = v.id",
                [seqs, hashes, ids],
            )
        else:
            cursor.executemany(
                f"UPDATE {table} SET seq = %s, hash = %s WHERE id = %s",  # noqa: S608
                updates,
            )


@dataclass(frozen=True)
class SealResult:
    sealed: int
    head_seq: int
    head_hash: str


def seal(*, batch_size: int | None = None) -> SealResult:
    """Give every unsealed event its place in the chain; returns how many were sealed."""
    size = batch_size or settings.KYKLOS_BATCH_SIZE
    table = AuditEvent._meta.db_table
    with transaction.atomic():
        _lock()
        head = (
            AuditEvent.objects.filter(seq__isnull=False)
            .order_by("-seq")
            .values_list("seq", "hash")
            .first()
        )
        seq, previous = head or (0, GENESIS)
        first, total = seq + 1, 0
        while True:
            rows = list(
                AuditEvent.objects.filter(seq__isnull=True)
                .order_by("id")
                .values_list(*FIELDS)[:size]
            )
            if not rows:
                break
            updates = []
            for row in rows:
                seq += 1
                previous = link(previous, seq, row)
                updates.append((seq, previous, row[0]))
            _write(table, updates)
            total += len(rows)
            if len(rows) < size:
                break  # a short batch is the last: no query to find the end
        if total:
            AuditSeal.objects.create(
                sealed_at=clock.now(),
                first_seq=first,
                last_seq=seq,
                head_hash=previous,
                count=total,
            )
            log.info("sealed %d audit events (%d–%d)", total, first, seq)
    return SealResult(total, seq, previous)


@dataclass
class VerifyResult:
    checked: int = 0
    unsealed: int = 0
    #: Sealed events an erasure pseudonymised as announced (their content matches the digest).
    pseudonymised: int = 0
    head_seq: int = 0
    head_hash: str = GENESIS
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def verify(*, chunk_size: int = 5000, max_problems: int = 50) -> VerifyResult:
    """Walk the chain in ``seq`` order and recompute every hash.

    Reports an edited event (its hash no longer matches), a deleted one (a gap in
    ``seq``), and deleted newest events (a seal names a head that is gone or differs).
    After a problem the walk continues from the stored hash, so each one is reported once.
    An event whose hash no longer matches is not a problem when a :data:`PSEUDONYMISED`
    event announced exactly its present content (decision 0017).
    """
    result = VerifyResult()

    def problem(message: str) -> None:
        if len(result.problems) < max_problems:
            result.problems.append(message)

    seals = dict(AuditSeal.objects.values_list("last_seq", "head_hash"))
    announced = _announced()
    expected_seq, previous = 1, GENESIS
    rows = (
        AuditEvent.objects.filter(seq__isnull=False)
        .order_by("seq")
        .values_list("seq", "hash", *FIELDS)
        .iterator(chunk_size=chunk_size)
    )
    for seq, stored, *row in rows:
        if seq != expected_seq:
            missing = f"{expected_seq}" if seq == expected_seq + 1 else f"{expected_seq}–{seq - 1}"
            problem(f"event(s) at chain position {missing} were deleted")
            previous = None  # cannot recompute across the gap; resume from the stored hash
        if previous is not None and link(previous, seq, row) != stored:
            if announced.get(row[0]) == content_digest(row):
                result.pseudonymised += 1
            else:
                problem(f"event {row[0]} (chain position {seq}) was changed")
        if seq in seals and seals[seq] != stored:
            problem(f"the seal at chain position {seq} does not match the event there")
        previous, expected_seq = stored, seq + 1
        result.checked += 1
    result.head_seq, result.head_hash = expected_seq - 1, previous or GENESIS
    last_seal = max(seals, default=0)
    if last_seal > result.head_seq:
        problem(
            f"events after chain position {result.head_seq} up to {last_seal} were deleted "
            "(a seal names them)"
        )
    result.unsealed = AuditEvent.objects.filter(seq__isnull=True).count()
    return result


def seal_daily(day, run) -> dict[str, int]:
    """The daily step: seal what the day's run logged. Reports nothing (sealing is not a
    business action); the :class:`AuditSeal` row says what was sealed."""
    seal(batch_size=getattr(run, "batch_size", 0) or None)
    return {}
