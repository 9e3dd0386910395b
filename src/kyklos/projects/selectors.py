"""Reads: a quote printed as the customer receives it (PDF and file name); support
hours' balances (R7.10, R7.6) and a project's proofs (R7.9)."""

from dataclasses import dataclass
from datetime import date

from kyklos.core import clock
from kyklos.projects.documents import quote_filename, quote_pdf
from kyklos.projects.models import Deliverable, SupportPackage
from kyklos.projects.services.packages import month_end, month_of, previous_month

__all__ = [
    "Balance",
    "deliverables_for",
    "package_balance",
    "quote_filename",
    "quote_pdf",
    "support_balances",
]


# --- support hours (R7.10, R7.6) and proofs (R7.9) ------------------------------------------


@dataclass(frozen=True)
class Balance:
    """A package's hours in a month (a monthly package) or in all (a training's)."""

    package: SupportPackage
    month: date | None
    allowance: int  # minutes
    used: int
    beyond: int  # minutes beyond the package, billed hourly
    billed: bool  # the minutes beyond were billed

    @property
    def left(self) -> int:
        return max(self.allowance - self.used, 0)

    @staticmethod
    def clock_format(minutes: int) -> str:
        """``125`` → ``"2:05"`` (hours:minutes)."""
        return f"{minutes // 60}:{minutes % 60:02d}"

    @property
    def allowance_hm(self) -> str:
        return self.clock_format(self.allowance)

    @property
    def used_hm(self) -> str:
        return self.clock_format(self.used)

    @property
    def left_hm(self) -> str:
        return self.clock_format(self.left)

    @property
    def beyond_hm(self) -> str:
        return self.clock_format(self.beyond)

    @property
    def percent_used(self) -> int:
        return min(100, self.used * 100 // self.allowance) if self.allowance else 100


def package_balance(package: SupportPackage, month: date | None = None) -> Balance:
    uses = package.uses.all()
    if package.kind == SupportPackage.Kind.MONTHLY:
        month = month_of(month or clock.today())
        uses = uses.filter(month=month)
    else:
        month = None
    used = beyond = 0
    billed = True
    for covered, over, statement_id in uses.values_list(
        "covered_minutes", "over_minutes", "statement_id"
    ):
        used += covered
        beyond += over
        billed = billed and (not over or statement_id is not None)
    return Balance(package, month, package.minutes, used, beyond, billed and beyond > 0)


def support_balances(customer_id: int, *, months: int = 3) -> list[Balance]:
    """What the customer and staff see (R7.10): for each package in force this month, its
    balance for this month and the ``months`` − 1 before (a training's hours: in all)."""
    today = clock.today()
    first = month_of(today)
    for _i in range(months - 1):
        first = previous_month(first)
    packages = SupportPackage.objects.filter(
        customer_id=customer_id, starts_on__lte=month_end(today)
    )
    rows = []
    for package in packages.order_by("-kind", "-starts_on", "-id"):
        if package.kind == SupportPackage.Kind.TRAINING:
            if package.ends_on is None or package.ends_on >= today:
                rows.append(package_balance(package))
            continue
        month = month_of(today)
        while month >= first and month >= month_of(package.starts_on):
            if package.ends_on is None or package.ends_on >= month:
                rows.append(package_balance(package, month))
            month = previous_month(month)
    return rows


def deliverables_for(project_id: int):
    """A project's proofs, newest first, with their issues."""
    return (
        Deliverable.objects.filter(project_id=project_id)
        .select_related("project", "revision_of")
        .prefetch_related("issues__variation")
        .order_by("-position")
    )
