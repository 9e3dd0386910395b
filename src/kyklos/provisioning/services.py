"""Provisioning: lifecycle events act on the provider's servers through durable jobs.

The path of a change (docs/provisioning.md, decision 0031):

1. :func:`services_changed` — lifecycle moved services (``core.hooks.services_changed``,
   inside its transaction): one job per service whose product has a module, keyed
   ``(service, action, generation)`` and written with one bulk insert (a repeat inserts
   nothing); a sweep is enqueued for after the commit (``core.tasks.enqueue``).
2. :func:`run_due` — a worker *claims* due jobs (pending, retry whose time has come, or
   running but left by a dead worker) with a conditional update carrying its token; a job
   waits while an earlier job of the same service is open. It calls the module outside any
   transaction and records the answer in a short one, only while its claim stands:
   ``done``; ``retry`` with exponential backoff after a temporary failure; ``failed``
   after a permanent one or ``MAX_ATTEMPTS`` — then a ticket for the technical department
   carries the server's answer. Every try is an :class:`Attempt`.
3. :func:`retry` — staff put a failed job back.

Modules are idempotent, so a job re-run after a crash between the server's answer and our
commit changes nothing twice.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import shutil
import tempfile
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Exists, F, Max, OuterRef, Q
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from kyklos.core import clock
from kyklos.core.actors import acting_user
from kyklos.core.audit import log_action
from kyklos.core.tasks import enqueue
from kyklos.lifecycle.models import Service, State
from kyklos.provisioning import modules, restic
from kyklos.provisioning.models import (
    Account,
    Action,
    Attempt,
    Backup,
    BackupPolicy,
    CredentialLink,
    Job,
    OverUsage,
    ProductModule,
    RestoreRequest,
    Server,
)
from kyklos.provisioning.modules import base
from kyklos.vault import services as vault

log = logging.getLogger(__name__)
JobState = Job.State

DEFAULTS = {
    "MAX_ATTEMPTS": 5,
    "BACKOFF_SECONDS": 60,
    "MAX_BACKOFF_SECONDS": 3600,
    "STALE_SECONDS": 900,
    "BATCH": 50,
    "FINAL_BACKUP_KEEP_DAYS": 90,
    "LINK_HOURS": 72,
    "MAIL_LOG_DAYS": 7,
    "USAGE_EVERY_DAYS": 7,
}


def option(name: str) -> int:
    return int(getattr(settings, "KYKLOS_PROVISIONING", {}).get(name, DEFAULTS[name]))


#: (previous state, new state) → action on the server; "*" is any previous state
ACTIONS: dict[tuple[str, str], str] = {
    (State.PENDING, State.ACTIVE): Action.CREATE,
    (State.TERMINATED, State.ACTIVE): Action.CREATE,
    (State.SUSPENDED, State.ACTIVE): Action.UNSUSPEND,
    ("*", State.SUSPENDED): Action.SUSPEND,
    ("*", State.TERMINATED): Action.TERMINATE,
    ("*", State.CANCELLED): Action.TERMINATE,
    ("*", State.FRAUD): Action.TERMINATE,
}


def action_for(previous: str, to: str) -> str | None:
    return ACTIONS.get((previous, to)) or ACTIONS.get(("*", to))


# --- configuration --------------------------------------------------------------------------


def check_product_module(config: ProductModule) -> None:
    """Refuse an unknown module, a group of another module or settings the module rejects."""
    try:
        module = modules.get(config.module)
    except KeyError as error:
        raise ValidationError({"module": str(error.args[0])}) from None
    if config.group_id and config.group.module != config.module:
        raise ValidationError(
            {"group": _("That server group runs %(m)s.") % {"m": config.group.module}}
        )
    if not isinstance(config.settings, dict) or not isinstance(config.limits, dict):
        raise ValidationError(_("Settings and limits are JSON objects."))
    try:
        module.check_settings(config.settings)
    except ValidationError as error:
        raise ValidationError({"settings": error.messages}) from None


@transaction.atomic
def save_server_secret(server: Server, secret: str, *, actor) -> None:
    """The server's credential goes to the vault, never to its row."""
    vault.store_provider_secret(server.credential_purpose, {"secret": secret}, actor=actor)


# --- enqueueing -----------------------------------------------------------------------------


#: Actions a lifecycle change asks for (backups and restores carry their own keys).
LIFECYCLE_ACTIONS = frozenset(
    {Action.CREATE, Action.SUSPEND, Action.UNSUSPEND, Action.TERMINATE, Action.CHANGE_PLAN}
)


def _history(service_ids) -> tuple[dict[tuple[int, str], int], dict[int, str]]:
    """For each (service, action): how many jobs it has; for each service: the action of
    its latest lifecycle job. One grouped query."""
    rows = (
        Job.objects.filter(service_id__in=service_ids)
        .values_list("service_id", "action")
        .annotate(n=Count("pk"), last=Max("pk"))
        .order_by()
    )
    counts: dict[tuple[int, str], int] = {}
    latest: dict[int, tuple[int, str]] = {}
    for service_id, action, n, last in rows:
        counts[(service_id, action)] = n
        if action in LIFECYCLE_ACTIONS and last > latest.get(service_id, (0, ""))[0]:
            latest[service_id] = (last, action)
    return counts, {s: a for s, (_pk, a) in latest.items()}


def enqueue_jobs(wanted: list[tuple[int, str, dict]], *, repeat_is_noop: bool = False) -> int:
    """Insert one job per (service, action, payload) with the next generation of its key,
    in one bulk insert; a key already taken is skipped. With ``repeat_is_noop`` (the
    lifecycle hook), a service whose latest job already asks for the same action gets
    none: a repeated announcement of one change never doubles its job. A sweep runs after
    the commit."""
    if not wanted:
        return 0
    now = clock.now()
    taken, latest = _history({s for s, _a, _p in wanted})
    rows = []
    for service_id, action, payload in wanted:
        if repeat_is_noop and latest.get(service_id) == action:
            continue
        n = taken.get((service_id, action), 0) + 1
        taken[(service_id, action)] = n
        latest[service_id] = action
        rows.append(
            Job(
                service_id=service_id,
                action=action,
                generation=str(payload.pop("generation", n)),
                payload=payload,
                created_at=now,
            )
        )
    if not rows:
        return 0
    Job.objects.bulk_create(rows, ignore_conflicts=True)
    from kyklos.provisioning import tasks

    enqueue(tasks.run_jobs)
    return len(rows)


def services_changed(ids, to, previous, day, reason, **kwargs) -> int:
    """Receiver of ``core.hooks.services_changed``: the jobs for the services that have a
    provisioning module, set-based."""
    provisioned = dict(
        Service.objects.filter(pk__in=ids, product__provisioning__isnull=False).values_list(
            "pk", "product_id"
        )
    )
    if not provisioned:
        return 0
    with_account = set(
        Account.objects.filter(service_id__in=provisioned).values_list("service_id", flat=True)
    )
    wanted = []
    for pk in provisioned:
        action = action_for(previous.get(pk, ""), to)
        if action is None:
            continue
        if action != Action.CREATE and pk not in with_account and previous.get(pk) == "pending":
            continue  # never created: nothing to act on
        wanted.append((pk, action, {"reason": reason, "day": day.isoformat()}))
    return enqueue_jobs(wanted, repeat_is_noop=True)


def service_plan_changed(service, previous_product_id, **kwargs) -> int:
    """Receiver of ``core.hooks.service_plan_changed``: change the plan on the server."""
    if not ProductModule.objects.filter(product_id=service.product_id).exists():
        return 0
    previous = (
        ProductModule.objects.filter(product_id=previous_product_id)
        .values_list("plan", flat=True)
        .first()
    )
    return enqueue_jobs([(service.pk, Action.CHANGE_PLAN, {"previous_plan": previous or ""})])


# --- running --------------------------------------------------------------------------------


def _due(now) -> Q:
    stale = now - timedelta(seconds=option("STALE_SECONDS"))
    return (
        Q(state=JobState.PENDING)
        | Q(state=JobState.RETRY, next_try_at__lte=now)
        | Q(state=JobState.RUNNING, claimed_at__lte=stale)
    )


def claim(*, limit: int, job_ids: list[int] | None = None) -> tuple[str, list[Job]]:
    """Take up to ``limit`` due jobs for this worker (a token on each, one attempt more);
    a job waits while an earlier one of its service is still open."""
    now = clock.now()
    token = uuid.uuid4().hex
    earlier_open = Job.objects.filter(
        service_id=OuterRef("service_id"), pk__lt=OuterRef("pk"), state__in=Job.OPEN
    )
    with transaction.atomic():
        due = Job.objects.filter(_due(now)).filter(~Exists(earlier_open))
        if job_ids is not None:
            due = due.filter(pk__in=job_ids)
        if transaction.get_connection().features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True, of=("self",))
        ids = list(due.order_by("pk").values_list("pk", flat=True)[:limit])
        if not ids:
            return token, []
        Job.objects.filter(_due(now), pk__in=ids).update(
            state=JobState.RUNNING, claim=token, claimed_at=now, attempts=F("attempts") + 1
        )
    held = list(
        Job.objects.filter(claim=token, state=JobState.RUNNING)
        .select_related("service__product", "service__customer")
        .order_by("pk")
    )
    return token, held


@dataclass
class Outcome:
    result: str
    answer: str = ""
    effects: Any = None  # called inside the recording transaction when the claim stands


def run_due(*, limit: int | None = None, job_ids: list[int] | None = None) -> Counter:
    """Run every due job (of ``job_ids`` when given), batch after batch. Call it outside
    any transaction: each claim and each answer commits on its own."""
    counts: Counter = Counter()
    tried = 0
    while limit is None or tried < limit:
        batch = option("BATCH") if limit is None else min(option("BATCH"), limit - tried)
        token, held = claim(limit=batch, job_ids=job_ids)
        if not held:
            break
        for job in held:
            started = clock.now()
            counts[_record(job, token, started, _attempt(job, token))] += 1
        tried += len(held)
    return counts


def _attempt(job: Job, token: str) -> Outcome:
    try:
        return RUNNERS[job.action](job)
    except base.TemporaryFailure as error:
        return Outcome(Attempt.Result.TEMPORARY, _answer(error))
    except base.ModuleError as error:
        return Outcome(Attempt.Result.PERMANENT, _answer(error))
    except Exception as error:  # a bug or an unforeseen transport error: try again later
        log.exception("provisioning: job %s failed unexpectedly", job.pk)
        return Outcome(Attempt.Result.TEMPORARY, f"{type(error).__name__}: {error}")


def _answer(error: base.ModuleError) -> str:
    text = str(error)
    if error.answer and error.answer not in text:
        text = f"{text}\n{error.answer}"
    return f"[{error.code}] {text}" if error.code else text


def backoff(attempts: int) -> timedelta:
    seconds = option("BACKOFF_SECONDS") * 2 ** max(0, min(attempts - 1, 30))
    return timedelta(seconds=min(seconds, option("MAX_BACKOFF_SECONDS")))


def _record(job: Job, token: str, started, outcome: Outcome) -> str:
    """Write the attempt and move the job on (only while this worker's claim stands)."""
    now = clock.now()
    if outcome.result == Attempt.Result.DONE:
        changes = {"state": JobState.DONE, "next_try_at": None, "finished_at": now}
    elif outcome.result == Attempt.Result.TEMPORARY and job.attempts < option("MAX_ATTEMPTS"):
        changes = {"state": JobState.RETRY, "next_try_at": now + backoff(job.attempts)}
    else:
        changes = {"state": JobState.FAILED, "next_try_at": None, "finished_at": now}
    changes |= {"claim": "", "last_answer": outcome.answer[:20000]}
    with transaction.atomic():
        moved = Job.objects.filter(pk=job.pk, claim=token).update(**changes)
        if not moved:
            return "superseded"
        Attempt.objects.create(
            job=job,
            number=Attempt.objects.filter(job=job).count() + 1,
            worker=token,
            started_at=started,
            finished_at=now,
            result=outcome.result,
            answer=outcome.answer[:20000],
        )
        if outcome.result == Attempt.Result.DONE and outcome.effects:
            outcome.effects()
        if changes["state"] == JobState.FAILED:
            _open_ticket(job, outcome.answer)
    return changes["state"]


def _open_ticket(job: Job, answer: str) -> None:
    """A job that keeps failing: the technical department gets a ticket with the answer."""
    from kyklos.support.services import NewTicket, open_ticket

    service = job.service
    ticket = open_ticket(
        NewTicket(
            subject=_("Provisioning failed: %(action)s for service #%(id)d")
            % {"action": job.get_action_display(), "id": service.pk},
            body=_(
                "The job %(key)s failed after %(n)d attempts.\n\nThe server's answer:\n%(answer)s"
            )
            % {"key": job.key, "n": job.attempts, "answer": answer or "—"},
            department="technical",
            customer=service.customer,
            service=service,
            channel="staff",
        ),
        actor="provisioning",
        notify=False,
    )
    Job.objects.filter(pk=job.pk).update(ticket_id=ticket.pk)
    log_action(service, "provisioning.job_failed", actor="provisioning", data={"job": job.key})


# --- what each action does ------------------------------------------------------------------


def _secret(server: Server) -> str:
    return vault.provider_secret(server.credential_purpose).get("secret", "")


def server_view(server: Server) -> base.Server:
    return base.Server(
        id=server.pk,
        hostname=server.hostname,
        port=server.port,
        username=server.username,
        secret=_secret(server),
        use_tls=server.use_tls,
        settings=dict(server.settings),
    )


def _config(service: Service) -> ProductModule:
    config = ProductModule.objects.select_related("group").filter(product_id=service.product_id)
    found = config.first()
    if found is None:
        raise base.PermanentFailure(
            _("The product of service #%(id)d has no provisioning module.") % {"id": service.pk}
        )
    return found


def account_view(account: Account, config: ProductModule, *, password: str = "") -> base.Account:
    service = account.service
    return base.Account(
        service_id=service.pk,
        username=account.username,
        plan=config.plan,
        domain=service.label,
        contact_email=service.customer.email,
        limits={**config.settings, **config.limits, **account.limits},
        password=password,
    )


def least_loaded(config: ProductModule) -> Server:
    """The active server of the group with the lowest share of its capacity in use."""
    servers = (
        Server.objects.filter(group=config.group, is_active=True)
        .annotate(used=Count("accounts", filter=~Q(accounts__state=Account.State.TERMINATED)))
        .filter(used__lt=F("capacity"))
    )
    ranked = sorted(servers, key=lambda s: (s.used / max(s.capacity, 1), s.pk))
    if not ranked:
        raise base.TemporaryFailure(
            _("No server of the group %(group)s has room for another account.")
            % {"group": config.group.code},
            answer="no server with room",
        )
    return ranked[0]


def new_password() -> str:
    return secrets.token_urlsafe(15)


def _stored_password(account: Account) -> str:
    return vault.provider_secret(account.password_purpose).get("password", "")


def _ensure_account(job: Job, config: ProductModule, module) -> Account:
    """The service's account row (server chosen, password sealed in the vault), committed
    before the server is asked, so a retry uses the same server, name and password."""
    with transaction.atomic():
        account = (
            Account.objects.select_for_update()
            .select_related("server")
            .filter(service_id=job.service_id)
        ).first()
        if account is None:
            server = least_loaded(config)
            prefix = str(server.settings.get("prefix", ""))
            account = Account.objects.create(
                service=job.service,
                server=server,
                module=config.module,
                username=module.username(job.service_id, job.service.label, prefix),
                created_at=clock.now(),
            )
        if not _stored_password(account):
            vault.store_provider_secret(
                account.password_purpose, {"password": new_password()}, actor="provisioning"
            )
    account.service = job.service
    return account


def _run_create(job: Job) -> Outcome:
    config = _config(job.service)
    module = modules.get(config.module)
    account = _ensure_account(job, config, module)
    again = account.state == Account.State.TERMINATED  # the service came back (R3.6)
    if again:
        Account.objects.filter(pk=account.pk).update(state=Account.State.PENDING)
    server = server_view(account.server)
    remote = module.create(
        server, account_view(account, config, password=_stored_password(account))
    )

    def effects():
        Account.objects.filter(pk=account.pk).update(
            state=Account.State.ACTIVE, remote={**account.remote, **(remote or {})}
        )
        if again:
            credential_link(account, notify=True)  # a new password: a new link
        else:
            welcome(account)

    return Outcome(
        Attempt.Result.DONE, _("Created %(user)s.") % {"user": account.username}, effects
    )


def _existing(job: Job) -> tuple[Account | None, ProductModule, Any]:
    config = _config(job.service)
    account = Account.objects.select_related("server").filter(service_id=job.service_id).first()
    if account is not None:
        account.service = job.service
    return account, config, modules.get(account.module if account else config.module)


def _state_effect(account: Account, state: str):
    return lambda: Account.objects.filter(pk=account.pk).update(state=state)


def _run_suspend(job: Job) -> Outcome:
    account, config, module = _existing(job)
    if account is None or account.state == Account.State.TERMINATED:
        return Outcome(Attempt.Result.DONE, _("No account on a server: nothing to suspend."))
    reason = job.payload.get("reason") or "suspended"
    module.suspend(server_view(account.server), account_view(account, config), reason=reason)
    return Outcome(
        Attempt.Result.DONE,
        _("Suspended %(user)s.") % {"user": account.username},
        _state_effect(account, Account.State.SUSPENDED),
    )


def _run_unsuspend(job: Job) -> Outcome:
    account, config, module = _existing(job)
    if account is None or account.state == Account.State.TERMINATED:
        return Outcome(Attempt.Result.DONE, _("No account on a server: nothing to unsuspend."))
    account.refresh_from_db(fields=["abuse_reason"])
    if account.abuse_reason and not job.payload.get("abuse_lifted"):
        return Outcome(
            Attempt.Result.DONE,
            _("Kept suspended for abuse: %(reason)s") % {"reason": account.abuse_reason},
        )
    module.unsuspend(server_view(account.server), account_view(account, config))
    return Outcome(
        Attempt.Result.DONE,
        _("Unsuspended %(user)s.") % {"user": account.username},
        _state_effect(account, Account.State.ACTIVE),
    )


def _take_backup(job: Job, account: Account, config, module, *, final: bool, policy=None):
    """Export the account's data and store it as a restic snapshot; the row commits at
    once so a retry of the job does not take it again."""
    if not (module.backs_up and config.backed_up):
        return None
    done = Backup.objects.filter(job=job).first()
    if done is not None:
        return done
    staging = Path(tempfile.mkdtemp(prefix=f"kyklos-backup-{account.pk}-"))
    try:
        into = staging / account.username
        into.mkdir()
        module.export_data(server_view(account.server), account_view(account, config), into)
        tags = [f"account-{account.pk}", "final" if final else f"policy-{policy.code}"]
        snapshot = restic.backup(into, tags=tags)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    keep = option("FINAL_BACKUP_KEEP_DAYS") if final else policy.keep_days
    return Backup.objects.create(
        account=account,
        policy=policy,
        final=final,
        snapshot=snapshot,
        taken_at=clock.now(),
        keep_until=clock.today() + timedelta(days=keep),
        job=job,
    )


def _run_terminate(job: Job) -> Outcome:
    account, config, module = _existing(job)
    if account is None or account.state == Account.State.TERMINATED:
        return Outcome(Attempt.Result.DONE, _("No account on a server: nothing to remove."))
    backup = _take_backup(job, account, config, module, final=True)
    module.terminate(server_view(account.server), account_view(account, config))
    note = _("Removed %(user)s.") % {"user": account.username}
    if backup is not None:
        note += " " + _("Final backup %(id)s.") % {"id": backup.snapshot[:8]}
    return Outcome(Attempt.Result.DONE, note, _state_effect(account, Account.State.TERMINATED))


def _run_change_plan(job: Job) -> Outcome:
    account, config, module = _existing(job)
    if account is None or account.state == Account.State.TERMINATED:
        return Outcome(Attempt.Result.DONE, _("No account on a server: nothing to change."))
    module.change_plan(
        server_view(account.server),
        account_view(account, config),
        previous_plan=job.payload.get("previous_plan", ""),
    )
    return Outcome(Attempt.Result.DONE, _("Plan set to %(plan)s.") % {"plan": config.plan or "—"})


def _run_reset_password(job: Job) -> Outcome:
    account, config, module = _existing(job)
    if account is None or account.state == Account.State.TERMINATED:
        return Outcome(Attempt.Result.DONE, _("No account on a server."))
    password = _stored_password(account)
    if not password:
        password = new_password()
        vault.store_provider_secret(
            account.password_purpose, {"password": password}, actor="provisioning"
        )
    module.reset_password(
        server_view(account.server), account_view(account, config, password=password)
    )
    return Outcome(
        Attempt.Result.DONE, _("Password reset."), lambda: credential_link(account, notify=True)
    )


def _run_backup(job: Job) -> Outcome:
    account, config, module = _existing(job)
    if account is None or account.state == Account.State.TERMINATED:
        return Outcome(Attempt.Result.DONE, _("No account on a server: nothing to back up."))
    policy = BackupPolicy.objects.filter(code=job.payload.get("policy")).first()
    backup = _take_backup(job, account, config, module, final=False, policy=policy)
    if backup is None:
        return Outcome(Attempt.Result.DONE, _("This module keeps no backups."))
    return Outcome(Attempt.Result.DONE, _("Backup %(id)s.") % {"id": backup.snapshot[:8]})


def _run_restore(job: Job) -> Outcome:
    request = RestoreRequest.objects.select_related("backup__account__server").get(
        pk=job.payload["request"]
    )
    backup = request.backup
    account = backup.account
    account.service = job.service
    config = _config(job.service)
    module = modules.get(account.module)
    created = account.state == Account.State.TERMINATED
    if created:  # the account was removed: create it again (a new password, a new link)
        account = _ensure_account(job, config, module)
        module.create(
            server_view(account.server),
            account_view(account, config, password=_stored_password(account)),
        )
    staging = Path(tempfile.mkdtemp(prefix=f"kyklos-restore-{account.pk}-"))
    try:
        folder = restic.restore(backup.snapshot, staging)
        module.import_data(server_view(account.server), account_view(account, config), folder)
    finally:
        shutil.rmtree(staging, ignore_errors=True)

    def effects():
        if created:
            Account.objects.filter(pk=account.pk).update(state=Account.State.ACTIVE)
            credential_link(account, notify=True)

    return Outcome(
        Attempt.Result.DONE,
        _("Restored backup %(id)s of %(day)s.")
        % {"id": backup.snapshot[:8], "day": backup.taken_at.date().isoformat()},
        effects,
    )


RUNNERS = {
    Action.CREATE: _run_create,
    Action.SUSPEND: _run_suspend,
    Action.UNSUSPEND: _run_unsuspend,
    Action.TERMINATE: _run_terminate,
    Action.CHANGE_PLAN: _run_change_plan,
    Action.RESET_PASSWORD: _run_reset_password,
    Action.BACKUP: _run_backup,
    Action.RESTORE: _run_restore,
}


# --- staff ----------------------------------------------------------------------------------


@transaction.atomic
def retry(job: Job, *, actor) -> Job:
    """Put a failed job back in the queue (its attempts start again); refused otherwise."""
    row = Job.objects.select_for_update().get(pk=job.pk)
    if row.state != JobState.FAILED:
        raise ValidationError(
            _("Only failed jobs are tried again; this one is %(state)s.")
            % {"state": row.get_state_display()}
        )
    Job.objects.filter(pk=row.pk).update(
        state=JobState.PENDING, attempts=0, next_try_at=None, claim="", finished_at=None
    )
    log_action(
        row.service,
        "provisioning.job_retried",
        actor=actor,
        data={"job": row.key, "previous_answer": row.last_answer[:500]},
    )
    from kyklos.provisioning import tasks

    enqueue(tasks.run_jobs)
    row.refresh_from_db()
    return row


REASON_LENGTH = 500


def _account_for_abuse(service: Service) -> Account:
    account = Account.objects.filter(service=service).first()
    if account is None or account.state == Account.State.TERMINATED:
        raise ValidationError(_("This service has no account on a server."))
    return account


@transaction.atomic
def suspend_for_abuse(service: Service, *, reason: str, actor) -> Job | None:
    """R5.6: abuse suspends the account on the server at once, without notice, with the
    reason recorded and told to the customer; it stays suspended (payments do not lift
    it) until staff lift it."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("Give the reason for the abuse suspension."))
    if len(reason) > REASON_LENGTH:
        raise ValidationError(_("A reason has at most %(n)d characters.") % {"n": REASON_LENGTH})
    account = _account_for_abuse(service)
    if account.abuse_reason:
        raise ValidationError(_("This service is already suspended for abuse."))
    Account.objects.filter(pk=account.pk).update(abuse_reason=reason, abuse_since=clock.now())
    log_action(service, "provisioning.abuse_suspended", actor=actor, data={"reason": reason})
    _tell(service, "provisioning_abuse_suspended", {"reason": reason})
    enqueue_jobs([(service.pk, Action.SUSPEND, {"reason": f"abuse: {reason}"})])
    return Job.objects.filter(service=service, action=Action.SUSPEND).order_by("-pk").first()


@transaction.atomic
def lift_abuse_suspension(service: Service, *, actor, note: str = "") -> Job | None:
    """Lift an abuse suspension: the account comes back unless the service itself is
    suspended (for debt) or ended."""
    account = _account_for_abuse(service)
    if not account.abuse_reason:
        raise ValidationError(_("This service is not suspended for abuse."))
    Account.objects.filter(pk=account.pk).update(abuse_reason="", abuse_since=None)
    log_action(
        service,
        "provisioning.abuse_lifted",
        actor=actor,
        data={"reason": account.abuse_reason, "note": note.strip()[:REASON_LENGTH]},
    )
    _tell(service, "provisioning_abuse_lifted", {})
    if service.state != State.ACTIVE:
        return None
    enqueue_jobs([(service.pk, Action.UNSUSPEND, {"abuse_lifted": True})])
    return Job.objects.filter(service=service, action=Action.UNSUSPEND).order_by("-pk").first()


def _tell(service: Service, event: str, context: dict) -> None:
    from kyklos.notifications import services as notifications

    notifications.queue_notice(
        event=event,
        customer=service.customer,
        context={"service": service.display_label, **context},
        for_date=clock.today(),
        service_id=service.pk,
    )


@transaction.atomic
def reset_password(service: Service, *, actor) -> None:
    """A new panel/login password, set on the server by a job; the customer gets a new
    one-time link (R5.5)."""
    account = _account_for_abuse(service)
    vault.store_provider_secret(account.password_purpose, {"password": new_password()}, actor=actor)
    log_action(service, "provisioning.password_reset", actor=actor)
    enqueue_jobs([(service.pk, Action.RESET_PASSWORD, {})])


# --- R5.5: welcome notice and the one-time link ---------------------------------------------


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def credential_link(account: Account, *, notify: bool) -> str:
    """A new one-time link to the account's password (earlier unused ones stop working);
    with ``notify``, the customer gets it in a notice. Returns the URL."""
    now = clock.now()
    CredentialLink.objects.filter(account=account, used_at__isnull=True).update(used_at=now)
    token = secrets.token_urlsafe(32)
    CredentialLink.objects.create(
        account=account,
        token_hash=_hash(token),
        created_at=now,
        expires_at=now + timedelta(hours=option("LINK_HOURS")),
    )
    url = settings.KYKLOS_PORTAL_URL.rstrip("/") + reverse("provisioning:credentials", args=[token])
    if notify:
        service = account.service
        _tell(
            service,
            "provisioning_welcome",
            {
                "username": account.username,
                "host": account.server.hostname,
                "link": url,
                "hours": option("LINK_HOURS"),
            },
        )
    return url


def welcome(account: Account) -> None:
    """R5.5: on activation, once per account, how to reach it and a one-time link to the
    password — never the password in the mail."""
    if CredentialLink.objects.filter(account=account).exists():
        return
    credential_link(account, notify=True)


@dataclass(frozen=True)
class Revealed:
    username: str
    password: str
    host: str
    service: Service


def reveal_credentials(token: str, *, customer_id: int | None, actor=None) -> Revealed:
    """The password behind a one-time link, for the customer who owns the service; the
    link is spent and the password forgotten by Kyklos (the customer resets it to get a
    new one)."""
    with transaction.atomic():
        link = (
            CredentialLink.objects.select_for_update()
            .select_related("account__service", "account__server")
            .filter(token_hash=_hash(token or ""))
            .first()
        )
        if link is None or link.account.service.customer_id != customer_id:
            raise ValidationError(_("This link is not valid."))
        if link.used_at is not None:
            raise ValidationError(
                _("This link was used already; reset the password for a new one.")
            )
        if link.expires_at < clock.now():
            raise ValidationError(_("This link has expired; reset the password for a new one."))
        account = link.account
        password = _stored_password(account)
        if not password:
            raise ValidationError(
                _("This link was used already; reset the password for a new one.")
            )
        CredentialLink.objects.filter(pk=link.pk).update(used_at=clock.now())
        vault.store_provider_secret(
            account.password_purpose, {"password": ""}, actor="provisioning"
        )
        log_action(account.service, "provisioning.credentials_revealed", actor=actor or "customer")
    return Revealed(account.username, password, account.server.hostname, account.service)


# --- R5.2: backups and restores -------------------------------------------------------------


def due_policies(day: date) -> list[BackupPolicy]:
    return [
        p
        for p in BackupPolicy.objects.filter(is_active=True)
        if p.every == BackupPolicy.Every.DAY
        or (p.every == BackupPolicy.Every.MONTH and p.day_of_month == day.day)
    ]


def schedule_backups(day: date) -> int:
    """The day's backup jobs: one per live account of a backed-up product whose module
    backs up, and due policy (one bulk insert; the key carries the policy and day, so a
    second run adds none)."""
    policies = due_policies(day)
    if not policies:
        return 0
    backing_up = [code for code in modules.codes() if modules.get(code).backs_up]
    service_ids = list(
        Account.objects.filter(
            state__in=(Account.State.ACTIVE, Account.State.SUSPENDED),
            module__in=backing_up,
            service__product__provisioning__backed_up=True,
        ).values_list("service_id", flat=True)
    )
    wanted = [
        (
            service_id,
            Action.BACKUP,
            {"policy": p.code, "day": day.isoformat(), "generation": f"{p.code}:{day}"},
        )
        for service_id in service_ids
        for p in policies
    ]
    return enqueue_jobs(wanted) if wanted else 0


def forget_expired(day: date) -> int:
    """Forget (restic ``forget --prune``) the snapshots whose keeping time has passed."""
    expired = list(
        Backup.objects.filter(keep_until__lt=day, forgotten=False).values_list("pk", "snapshot")
    )
    if not expired:
        return 0
    restic.forget([snapshot for _pk, snapshot in expired])
    Backup.objects.filter(pk__in=[pk for pk, _s in expired]).update(forgotten=True)
    return len(expired)


def restore_fee(service: Service) -> Decimal:
    return ProductModule.objects.filter(product_id=service.product_id).values_list(
        "restore_fee", flat=True
    ).first() or Decimal("0")


@transaction.atomic
def request_restore(service: Service, backup: Backup, *, actor) -> RestoreRequest:
    """A customer asks for a backup back (R5.2); staff confirm it."""
    if backup.account.service_id != service.pk or backup.forgotten:
        raise ValidationError(_("That backup is not one of this service's."))
    if RestoreRequest.objects.filter(
        service=service, state=RestoreRequest.State.REQUESTED
    ).exists():
        raise ValidationError(_("A restore of this service is already waiting for staff."))
    request = RestoreRequest.objects.create(
        service=service,
        backup=backup,
        requested_at=clock.now(),
        requested_by=acting_user(actor),
    )
    log_action(
        service,
        "provisioning.restore_requested",
        actor=actor,
        data={"backup": backup.snapshot[:8], "taken_at": backup.taken_at.isoformat()},
    )
    return request


@transaction.atomic
def confirm_restore(request: RestoreRequest, *, actor) -> Job:
    """Staff confirm a restore: the fee goes on a proforma (when the product has one) and
    the restore job runs after the commit."""
    from kyklos.billing.models import DocumentKind
    from kyklos.billing.services import DocumentSpec, LineSpec, issue_document

    row = (
        RestoreRequest.objects.select_for_update()
        .select_related("service__customer", "backup")
        .get(pk=request.pk)
    )
    if row.state != RestoreRequest.State.REQUESTED:
        raise ValidationError(_("This restore was decided already."))
    fee = restore_fee(row.service)
    invoice = None
    if fee > 0:
        invoice = issue_document(
            DocumentSpec(
                customer=row.service.customer,
                kind=DocumentKind.PROFORMA,
                lines=[
                    LineSpec(
                        description=_("Restore of the backup of %(day)s for %(service)s")
                        % {
                            "day": row.backup.taken_at.date().isoformat(),
                            "service": row.service.display_label,
                        },
                        unit_price=fee,
                        product_code=row.service.product.code,
                    )
                ],
                issued_on=clock.today(),
            ),
            actor=actor,
        )
    RestoreRequest.objects.filter(pk=row.pk).update(
        state=RestoreRequest.State.CONFIRMED,
        decided_at=clock.now(),
        decided_by=acting_user(actor),
        invoice=invoice,
    )
    log_action(
        row.service,
        "provisioning.restore_confirmed",
        actor=actor,
        data={"backup": row.backup.snapshot[:8], "fee": str(fee)},
    )
    enqueue_jobs(
        [(row.service_id, Action.RESTORE, {"request": row.pk, "generation": f"request:{row.pk}"})]
    )
    return Job.objects.get(
        service_id=row.service_id, action=Action.RESTORE, generation=f"request:{row.pk}"
    )


@transaction.atomic
def refuse_restore(request: RestoreRequest, *, actor) -> None:
    updated = RestoreRequest.objects.filter(
        pk=request.pk, state=RestoreRequest.State.REQUESTED
    ).update(
        state=RestoreRequest.State.REFUSED, decided_at=clock.now(), decided_by=acting_user(actor)
    )
    if not updated:
        raise ValidationError(_("This restore was decided already."))
    log_action(request.service, "provisioning.restore_refused", actor=actor)


# --- over-usage (R2.5) ----------------------------------------------------------------------

#: The usage a module reports → the limit key it is measured against.
LIMIT_OF = {
    OverUsage.Measure.DISK: ("disk_mb", "quota_mb", "MB"),
    OverUsage.Measure.TRAFFIC: ("traffic_mb", "traffic_mb", "MB"),
    OverUsage.Measure.MAILBOXES: ("mailboxes", "mailboxes", ""),
}


def usage_due(day: date) -> list[int]:
    """The live accounts whose usage is read on ``day``: each account every
    ``USAGE_EVERY_DAYS`` days (7), spread evenly over the days by its id."""
    every = max(1, option("USAGE_EVERY_DAYS"))
    return list(
        Account.objects.filter(state=Account.State.ACTIVE)
        .alias(turn=F("pk") % every)
        .filter(turn=day.toordinal() % every)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def check_usage(day: date, account_ids: list[int] | None = None) -> Counter:
    """Ask each due account's server for its usage (outside any transaction) and record
    what is over a limit (R2.5): the customer and the technical department are told once
    a month per limit, and nothing is suspended. A server that does not answer is skipped
    until its next turn."""
    counts = Counter()
    ids = sorted(usage_due(day) if account_ids is None else account_ids)
    configs = {c.product_id: c for c in ProductModule.objects.all()}  # one per product
    for start in range(0, len(ids), USAGE_BATCH):
        for account in _usage_batch(ids[start : start + USAGE_BATCH]):
            _check_account(account, configs.get(account.service.product_id), day, counts)
    return counts


#: Accounts read from the database at a time by :func:`check_usage`.
USAGE_BATCH = 500


def _usage_batch(ids: list[int]):
    return (
        Account.objects.select_related("server", "service__customer")
        .filter(pk__in=ids)
        .order_by("pk")
    )


def _check_account(account: Account, config, day: date, counts: Counter) -> None:
    from kyklos.provisioning import selectors

    if config is None:
        return
    usage = selectors.fresh_reading(account, config)
    if usage is None:
        counts["provisioning_usage_unanswered"] += 1
        return
    counts["provisioning_usage_read"] += 1
    limits = {**config.settings, **config.limits, **account.limits}
    for measure, (field, limit_key, _unit) in LIMIT_OF.items():
        used, limit = getattr(usage, field), limits.get(limit_key)
        if used is None or not limit or Decimal(str(used)) <= Decimal(str(limit)):
            continue
        if record_over_usage(account, measure, Decimal(str(used)), Decimal(str(limit)), day):
            counts["provisioning_over_usage"] += 1


@transaction.atomic
def record_over_usage(
    account: Account, measure: str, used: Decimal, limit: Decimal, day: date
) -> OverUsage | None:
    """One row per account, limit and month; the first of the month tells the customer
    (with the add-ons that raise the limit) and opens a ticket for the technical
    department. None when this month's was already told."""
    from kyklos.support.services import NewTicket, open_ticket

    row, created = OverUsage.objects.get_or_create(
        account=account,
        measure=measure,
        month=day.replace(day=1),
        defaults={"used": used, "limit": limit, "found_at": clock.now()},
    )
    if not created:
        return None
    service = account.service
    unit = LIMIT_OF[measure][2]
    with translation.override(service.customer.language or settings.LANGUAGE_CODE):
        told_measure = str(OverUsage.Measure(measure).label).lower()
    figures = {
        "service": service.display_label,
        "measure": told_measure,
        "used": f"{used.normalize():f} {unit}".strip(),
        "limit": f"{limit.normalize():f} {unit}".strip(),
    }
    _tell(service, "provisioning_over_usage", {k: v for k, v in figures.items() if k != "service"})
    figures["measure"] = str(OverUsage.Measure(measure).label)
    ticket = open_ticket(
        NewTicket(
            subject=_("Over the limit: %(measure)s of service #%(id)d")
            % {"measure": figures["measure"], "id": service.pk},
            body=_(
                "%(service)s uses %(used)s against a limit of %(limit)s (%(measure)s). The "
                "service keeps running; the customer was told and offered the add-ons that "
                "raise the limit."
            )
            % figures,
            department="technical",
            customer=service.customer,
            service=service,
            channel="staff",
        ),
        actor="provisioning",
        notify=False,
    )
    OverUsage.objects.filter(pk=row.pk).update(ticket_id=ticket.pk)
    log_action(
        service,
        "provisioning.over_usage",
        actor="provisioning",
        data={"measure": measure, "used": str(used), "limit": str(limit)},
    )
    return row
