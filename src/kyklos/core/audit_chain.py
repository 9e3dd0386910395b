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
from kyklos.core.models import AuditEvent, AuditSeal

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
    """
    result = VerifyResult()

    def problem(message: str) -> None:
        if len(result.problems) < max_problems:
            result.problems.append(message)

    seals = dict(AuditSeal.objects.values_list("last_seq", "head_hash"))
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
