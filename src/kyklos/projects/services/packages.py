"""Support packages (R7.10) and the support hours a training includes (R7.6).

A monthly package holds N hours each calendar month. Every time entry logged for the
customer outside a project (a ticket's time, a call) is deducted, when it is logged, from
the month of the day the work was done (:func:`record_use`): the billed minutes (the
request's 15-minute minimum included, R7.4) are covered while the month has minutes
left; the rest goes beyond the package. Unused minutes lapse at the month's end: R7.10
carries nothing over. The minutes beyond are billed once a month by the daily step
``projects.bill_package_overage`` (:func:`bill_package_overage`), on one proforma per
package, at the package's overage rate or else the rate in force for each piece of work.

A training grants 3 hours of support after it ends (:func:`grant_training_support`),
used before any monthly package; time beyond them is billed hourly (R7.6). Entries a
package covers are never billed again by :func:`~kyklos.projects.services.bill_time`.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, Sum
from django.utils.translation import gettext as _
from django.utils.translation import override

from kyklos.billing import services as billing
from kyklos.billing.models import DocumentKind
from kyklos.core import clock
from kyklos.core.actors import acting_user
from kyklos.core.audit import log_action
from kyklos.core.money import round_money
from kyklos.customers.models import Customer
from kyklos.projects import rates
from kyklos.projects.models import (
    PackageStatement,
    PackageUse,
    Project,
    SupportPackage,
    TimeEntry,
)
from kyklos.projects.services.inputs import checked_amount, checked_text, ensure_active
from kyklos.projects.services.invoices import announce_proforma

#: R7.6: a training includes this much phone or e-mail support after it ends.
TRAINING_SUPPORT_MINUTES = 3 * 60


def month_of(day: date) -> date:
    return day.replace(day=1)


def previous_month(day: date) -> date:
    return month_of(month_of(day) - timedelta(days=1))


def _in_force(customer_id: int, day: date):
    return SupportPackage.objects.filter(customer_id=customer_id, starts_on__lte=day).filter(
        Q(ends_on__isnull=True) | Q(ends_on__gte=day)
    )


def used_minutes(package: SupportPackage, month: date | None = None) -> int:
    """Minutes of ``package`` used: in ``month`` for a monthly package, in all for a
    training's hours."""
    uses = package.uses.all()
    if package.kind == SupportPackage.Kind.MONTHLY:
        uses = uses.filter(month=month_of(month or clock.today()))
    return uses.aggregate(total=Sum("covered_minutes"))["total"] or 0


def _checked_minutes(hours) -> int:
    number = checked_amount(hours, "hours")
    minutes = number * 60
    if minutes != minutes.to_integral_value() or minutes > 744 * 60:
        raise ValidationError({"hours": _("Give the hours in whole minutes, e.g. 2.5.")})
    return int(minutes)


def _money(value, field: str, currency: str) -> Decimal | None:
    if value in (None, ""):
        return None
    return round_money(checked_amount(value, field), currency)


@transaction.atomic
def create_package(
    customer: Customer,
    *,
    hours,
    starts_on: date,
    title: str = "",
    price=None,
    overage_rate=None,
    ends_on: date | None = None,
    currency: str = "",
    actor,
) -> SupportPackage:
    """A support package of ``hours`` a month from ``starts_on`` (R7.10). One monthly
    package at a time: a new one starts after the previous one ends."""
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    ensure_active(customer)
    currency = currency or settings.KYKLOS_CURRENCY
    minutes = _checked_minutes(hours)
    if ends_on is not None and ends_on < starts_on:
        raise ValidationError({"ends_on": _("The package cannot end before it starts.")})
    overlapping = SupportPackage.objects.filter(
        customer=customer, kind=SupportPackage.Kind.MONTHLY
    ).filter(Q(ends_on__isnull=True) | Q(ends_on__gte=starts_on))
    if ends_on is not None:
        overlapping = overlapping.filter(starts_on__lte=ends_on)
    if overlapping.exists():
        raise ValidationError(
            {"starts_on": _("The customer already has a support package for those months.")}
        )
    with override(customer.language):
        default_title = _("Support package, %(hours)s hours a month") % {
            "hours": f"{Decimal(minutes) / 60:f}".rstrip("0").rstrip(".")
        }
    package = SupportPackage.objects.create(
        customer=customer,
        kind=SupportPackage.Kind.MONTHLY,
        title=checked_text(title or default_title, "title", _("Name the package."), 200),
        minutes=minutes,
        price=_money(price, "price", currency),
        overage_rate=_money(overage_rate, "overage_rate", currency),
        currency=currency,
        starts_on=starts_on,
        ends_on=ends_on,
        created_at=clock.now(),
        created_by=acting_user(actor),
    )
    log_action(
        package,
        "projects.package.created",
        actor=actor,
        data={"minutes": minutes, "starts_on": starts_on.isoformat()},
    )
    return package


@transaction.atomic
def grant_training_support(
    project: Project, *, ended_on: date, valid_until: date | None = None, actor
) -> SupportPackage:
    """A training project ended on ``ended_on``: the customer gets 3 hours of phone or
    e-mail support from then on (R7.6), through ``valid_until`` when the training's
    terms set an expiry (R7.6 sets none). Granted once per project."""
    project = Project.objects.select_for_update().select_related("customer").get(pk=project.pk)
    if project.status == Project.Status.CANCELLED:
        raise ValidationError(_("A cancelled project grants no support hours."))
    if ended_on > clock.today():
        raise ValidationError({"ended_on": _("The training has not ended yet.")})
    if valid_until is not None and valid_until < ended_on:
        raise ValidationError({"valid_until": _("The hours cannot expire before they start.")})
    if project.support_packages.filter(kind=SupportPackage.Kind.TRAINING).exists():
        raise ValidationError(_("This training's support hours were already granted."))
    with override(project.customer.language):
        title = _("Support after the training %(number)s: %(title)s") % {
            "number": project.number,
            "title": project.title,
        }
    package = SupportPackage.objects.create(
        customer=project.customer,
        kind=SupportPackage.Kind.TRAINING,
        title=title[:200],
        minutes=TRAINING_SUPPORT_MINUTES,
        currency=project.currency,
        starts_on=ended_on,
        ends_on=valid_until,
        project=project,
        created_at=clock.now(),
        created_by=acting_user(actor),
    )
    log_action(
        package,
        "projects.package.training_granted",
        actor=actor,
        data={"project": project.number, "minutes": TRAINING_SUPPORT_MINUTES},
    )
    return package


def record_use(entry: TimeEntry) -> list[PackageUse]:
    """Deduct a time entry outside a project from the customer's support hours on the
    day of the work (called by ``log_time``, in its transaction): a training's hours
    first, then the month's package; what they do not cover goes beyond the package."""
    left = entry.billable_minutes
    if entry.project_id is not None or left == 0:
        return []
    packages = list(
        _in_force(entry.customer_id, entry.worked_on)
        .select_for_update()
        .order_by("-kind", "starts_on", "id")  # "training" before "monthly"
    )
    if not packages:
        return []
    month = month_of(entry.worked_on)
    uses = []
    for package in packages:
        if package.currency != entry.currency:
            raise ValidationError(
                _("The support package is in %(c)s; log this time in %(c)s.")
                % {"c": package.currency}
            )
        monthly = package.kind == SupportPackage.Kind.MONTHLY
        remaining = max(package.minutes - used_minutes(package, month), 0)
        covered = min(remaining, left)
        if not covered and not monthly:
            continue
        left -= covered
        uses.append(
            PackageUse(
                entry=entry,
                package=package,
                month=month,
                covered_minutes=covered,
                over_minutes=left if monthly else 0,
                over_rate=package.overage_rate or entry.rate,
            )
        )
        if monthly:
            left = 0
            break
        if not left:
            break
    if uses and left:
        uses[-1].over_minutes = left  # beyond a training's hours: billed hourly (R7.6)
    return PackageUse.objects.bulk_create(uses)


def _line(package, month, rate, minutes, language) -> billing.LineSpec:
    with override(language):
        label = _("%(title)s, %(month)s: %(minutes)d min beyond the package at %(rate)s/h") % {
            "title": package.title,
            "month": f"{month:%Y-%m}",
            "minutes": minutes,
            "rate": rate,
        }
    return billing.LineSpec(
        description=label[:300],
        unit_price=rates.amount_for(rate, minutes, package.currency),
        product_code="support-hours",
        period_start=month,
        period_end=month_end(month),
    )


def month_end(month: date) -> date:
    return month_of(month.replace(day=28) + timedelta(days=4)) - timedelta(days=1)


def _bill_package(package_id: int, billed_month: date, today: date):
    package = (
        SupportPackage.objects.select_for_update().select_related("customer").get(pk=package_id)
    )
    if package.statements.filter(month=billed_month).exists():
        return None
    uses = list(
        package.uses.filter(
            statement__isnull=True, over_minutes__gt=0, month__lte=billed_month
        ).order_by("month", "id")
    )
    if not uses:
        return None
    groups: dict[tuple[date, Decimal], int] = defaultdict(int)
    for use in uses:
        groups[(use.month, use.over_rate)] += use.over_minutes
    customer = package.customer
    lines = [
        _line(package, month, rate, minutes, customer.language)
        for (month, rate), minutes in sorted(groups.items())
    ]
    invoice = billing.issue_document(
        billing.DocumentSpec(
            customer=customer,
            kind=DocumentKind.PROFORMA,
            lines=lines,
            issued_on=today,
            due_on=today,
            currency=package.currency,
        ),
        actor="automation",
    )
    statement = PackageStatement.objects.create(
        package=package,
        month=billed_month,
        minutes=sum(groups.values()),
        amount=sum((line.unit_price for line in lines), Decimal("0")),
        invoice=invoice,
        created_at=clock.now(),
    )
    PackageUse.objects.filter(pk__in=[u.pk for u in uses]).update(statement=statement)
    log_action(
        statement.package,
        "projects.package.overage_billed",
        actor="automation",
        data={
            "month": f"{billed_month:%Y-%m}",
            "minutes": statement.minutes,
            "invoice": invoice.number,
        },
    )
    announce_proforma(invoice, day=today, label=package.title)
    return statement


def bill_package_overage(day: date, run=None) -> dict[str, int]:
    """Daily step (R7.10): once the month before ``day`` has ended, the minutes beyond
    each package in it (and any logged late for earlier months) are billed on one
    proforma per package, once — a package has one statement a month."""
    billed_month = previous_month(day)
    due = (
        PackageUse.objects.filter(
            statement__isnull=True, over_minutes__gt=0, month__lte=billed_month
        )
        .exclude(package__statements__month=billed_month)
        .values_list("package_id", flat=True)
        .distinct()
    )
    billed = 0
    for package_id in sorted(set(due)):
        with transaction.atomic():
            if _bill_package(package_id, billed_month, day) is not None:
                billed += 1
    return {"package_overage_billed": billed}
