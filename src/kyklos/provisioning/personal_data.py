"""Provisioning's personal data: an account's user name may be the customer's mailbox
address, an abuse reason may describe them, and the answers of a job may repeat both.
Servers and their groups name machines, not people.

Erasure runs after the services have ended (lifecycle's check refuses it before): the
accounts are then removed from the servers, so their names and the job answers are
blanked here."""

from __future__ import annotations

from django.db.models import F, Value
from django.db.models.functions import Concat

from kyklos.core.personal_data import Erased, Subject, personal_data
from kyklos.provisioning.models import Account, Attempt, Job, Server, ServerGroup


def _accounts(subject: Subject):
    if subject.customer_id is None:
        return Account.objects.none()
    return Account.objects.filter(service__customer_id=subject.customer_id)


def export_accounts(subject: Subject):
    for a in _accounts(subject).select_related("server").order_by("pk"):
        yield {
            "service": a.service_id,
            "user_name": a.username,
            "server": a.server.hostname,
            "state": a.state,
            "abuse_reason": a.abuse_reason,
            "created_at": a.created_at.isoformat(),
        }


def erase_accounts(subject: Subject) -> Erased:
    rows = _accounts(subject)
    n = rows.update(username=Concat(Value("erased-"), F("pk")), abuse_reason="", remote={})
    return Erased(anonymised=n)


def _jobs(subject: Subject):
    if subject.customer_id is None:
        return Job.objects.none()
    return Job.objects.filter(service__customer_id=subject.customer_id)


def export_jobs(subject: Subject):
    for j in _jobs(subject).order_by("pk"):
        yield {"job": j.key, "state": j.state, "created_at": j.created_at.isoformat()}


def erase_jobs(subject: Subject) -> Erased:
    jobs = _jobs(subject)
    n = jobs.update(last_answer="", payload={})
    n += Attempt.objects.filter(job__in=jobs).update(answer="")
    return Erased(anonymised=n)


def register() -> None:
    personal_data.register(
        Account,
        category="customer_records",
        fields=["username", "abuse_reason"],
        exporter=export_accounts,
        eraser=erase_accounts,
    )
    personal_data.register(
        Job,
        category="customer_records",
        fields=["last_answer", "payload"],
        exporter=export_jobs,
        eraser=erase_jobs,
    )
    personal_data.declare_exempt(Server, "machines: host names and capacity, no person")
    personal_data.declare_exempt(ServerGroup, "groups of machines, no person")
