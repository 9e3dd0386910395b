"""Reads: the staff list of jobs, a job's attempts, a service's usage and backups."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.cache import cache
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from kyklos.provisioning import modules
from kyklos.provisioning.models import (
    Account,
    Attempt,
    Backup,
    Job,
    ProductModule,
    RestoreRequest,
)
from kyklos.provisioning.modules.base import ModuleError, Usage


def jobs(state: str = "") -> QuerySet[Job]:
    """Jobs for the staff page, the open and failed ones first when no state is asked."""
    rows = Job.objects.select_related("service__customer", "service__product")
    if state:
        rows = rows.filter(state=state)
    return rows.order_by("-pk")


def attempts_of(job: Job) -> QuerySet[Attempt]:
    return Attempt.objects.filter(job=job).order_by("number")


def account_of(service) -> Account | None:
    return Account.objects.select_related("server").filter(service=service).first()


def backups_of(service) -> QuerySet[Backup]:
    """The backups a customer may ask back, newest first."""
    return Backup.objects.filter(account__service=service, forgotten=False).order_by("-taken_at")


def restore_requests(state: str = RestoreRequest.State.REQUESTED) -> QuerySet[RestoreRequest]:
    return RestoreRequest.objects.filter(state=state).select_related(
        "service__customer", "service__product", "backup"
    )


def is_provisioned(service) -> bool:
    return ProductModule.objects.filter(product_id=service.product_id).exists()


@dataclass(frozen=True)
class UsageRow:
    label: str
    value: str
    limit: str | None = None


#: How long a server's reading of an account's usage is shown before it is asked again,
#: and how long a server that did not answer is left alone (seconds).
USAGE_FRESH_SECONDS = 10 * 60
USAGE_UNANSWERED_SECONDS = 60


def usage_for(service) -> list[UsageRow] | None:
    """What the server reports for the service's account (disk, traffic, mailboxes) with
    the limits; None when the service has no live account or the server does not answer.

    The server is asked at most once in ``USAGE_FRESH_SECONDS`` per account (the reading is
    kept in the cache) and a server that did not answer is not asked again for
    ``USAGE_UNANSWERED_SECONDS``: a page that shows usage does not wait on a server on
    every visit."""
    account = account_of(service)
    if account is None or account.state == Account.State.TERMINATED:
        return None
    account.service = service
    config = ProductModule.objects.filter(product_id=service.product_id).first()
    if config is None:
        return None
    usage = _reading(account, config)
    if usage is None:
        return None
    limits = {**config.settings, **config.limits, **account.limits}
    rows = []
    if usage.disk_mb is not None:
        quota = limits.get("quota_mb")
        rows.append(UsageRow(_("Disk"), f"{usage.disk_mb:g} MB", f"{quota} MB" if quota else None))
    if usage.traffic_mb is not None:
        rows.append(UsageRow(_("Traffic"), f"{usage.traffic_mb:g} MB"))
    if usage.mailboxes is not None:
        rows.append(UsageRow(_("Mailboxes"), str(usage.mailboxes)))
    return rows


def _usage_key(account: Account) -> str:
    return f"kyklos.provisioning.usage:{account.pk}:{account.module}:{account.server_id}"


def _reading(account: Account, config: ProductModule) -> Usage | None:
    kept = cache.get(_usage_key(account))
    if kept is not None:
        return Usage(**kept) if kept else None
    return fresh_reading(account, config)


def fresh_reading(account: Account, config: ProductModule) -> Usage | None:
    """Ask the server now (the daily usage check, R2.5) and keep the reading for the
    service page; None when the server does not answer."""
    from kyklos.provisioning import services

    key = _usage_key(account)
    try:
        usage = modules.get(account.module).usage(
            services.server_view(account.server), services.account_view(account, config)
        )
    except (ModuleError, KeyError):
        cache.set(key, {}, USAGE_UNANSWERED_SECONDS)
        return None
    fields = {
        "disk_mb": usage.disk_mb,
        "traffic_mb": usage.traffic_mb,
        "mailboxes": usage.mailboxes,
    }
    cache.set(key, fields, USAGE_FRESH_SECONDS)
    return Usage(**fields)
