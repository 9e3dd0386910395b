"""The retention engine (R9.4): every data category's rule, applied to what apps declared
for it in ``core.personal_data`` (``register_retention``), set-based.

For each target the engine selects the rows whose date is before the rule's cutoff and
still hold personal data, walks their keys in batches of ``KYKLOS_BATCH_SIZE`` and writes
one UPDATE (anonymise) or one DELETE per batch. Each run writes a report line per target
(category, target, action, rule, cutoff, count); ``kyklos retention --dry-run`` counts
what a run would do without writing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import models, transaction
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from kyklos.core import clock
from kyklos.core.personal_data import DELETE, RetentionTarget, personal_data
from kyklos.privacy.models import RetentionReportLine, RetentionRule, RetentionRun

logger = logging.getLogger(__name__)


def add_months(day: date, months: int) -> date:
    """``day`` moved by ``months`` (negative: back), clamped to the month's last day."""
    month_index = day.year * 12 + day.month - 1 + months
    year, month = divmod(month_index, 12)
    month += 1
    for last in (31, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable")


def cutoff(months: int, anchor: str, today: date) -> date:
    """Records dated before the cutoff have expired.

    A record dated ``d`` is kept for ``months`` after ``d`` (or after the end of ``d``'s
    fiscal year, for ``fiscal_year_end``) and removed on the first run after that.
    """
    back = add_months(today, -months)
    if anchor == RetentionRule.Anchor.FISCAL_YEAR_END:
        # Kept until the end of year(d) + months; expired when year(d) < year(today - months).
        return date(back.year, 1, 1)
    return back


def cutoff_for(category: str, day: date) -> date | None:
    """The cutoff of ``category``'s rule on ``day`` (None: no rule, or kept while the purpose
    lasts). Installed in ``core.personal_data`` for apps that delete their own data on the
    rule — one source for what they do and what the notice says (R9.4, R11.1)."""
    rule = RetentionRule.objects.filter(category__code=category).first()
    if rule is None or rule.months is None:
        return None
    return cutoff(rule.months, rule.anchor, day)


def describe_rule(months: int | None, anchor: str, language: str | None = None) -> str:
    with translation.override(language or translation.get_language()):
        anchor_text = RetentionRule.Anchor(anchor).label
        if months is None:
            return _("kept while the purpose lasts")
        if months == 0:
            return _("deleted %(when)s") % {"when": anchor_text}
        if months % 12 == 0:
            years = months // 12
            period = ngettext("%(n)d year", "%(n)d years", years) % {"n": years}
        else:
            period = ngettext("%(n)d month", "%(n)d months", months) % {"n": months}
        return f"{period} {anchor_text}"


@dataclass(frozen=True)
class Planned:
    category: str
    target: str
    action: str
    rule: str
    cutoff: date
    count: int

    def as_dict(self) -> dict:
        return {**self.__dict__, "cutoff": self.cutoff.isoformat()}


def _expired(target: RetentionTarget, before: date) -> models.QuerySet:
    field = target.date_field
    qs = target.candidates()
    model_field = _field(target, field)
    if isinstance(model_field, models.DateTimeField) or model_field is None:
        # A datetime, or an annotation (compared as a datetime at the provider's midnight).
        return qs.filter(**{f"{field}__lt": clock.start_of_day(before)})
    return qs.filter(**{f"{field}__lt": before})


def _field(target: RetentionTarget, name: str):
    try:
        return target.model._meta.get_field(name)
    except Exception:  # an annotation
        return None


def _rules() -> dict[str, RetentionRule]:
    return {r.category.code: r for r in RetentionRule.objects.select_related("category")}


def plan(day: date | None = None) -> list[Planned]:
    """What a run on ``day`` would do: one line per target whose rule has a period."""
    day = day or clock.today()
    rules = _rules()
    lines = []
    for target in personal_data.retention_targets():
        rule = rules.get(target.category)
        if rule is None or rule.months is None:
            continue
        before = cutoff(rule.months, rule.anchor, day)
        lines.append(
            Planned(
                category=target.category,
                target=target.label,
                action=target.action,
                rule=rule.describe("en"),
                cutoff=before,
                count=_expired(target, before).count(),
            )
        )
    return lines


def missing_rules() -> list[str]:
    """Categories with registered retention targets but no rule (nothing happens to them)."""
    rules = _rules()
    return sorted({t.category for t in personal_data.retention_targets()} - set(rules))


def run(
    day: date | None = None,
    *,
    batch_size: int | None = None,
    on_target: Callable[[str, int], None] | None = None,
) -> RetentionRun:
    """Delete or anonymise everything expired on ``day`` and write the report.
    ``on_target(label, total)`` is told before each target (the command's progress line)."""
    day = day or clock.today()
    size = batch_size or settings.KYKLOS_BATCH_SIZE
    rules = _rules()
    report = RetentionRun.objects.create(day=day, started_at=clock.now())
    lines = []
    targets = list(personal_data.retention_targets())
    for target in targets:
        if on_target is not None:
            on_target(target.label, len(targets))
        rule = rules.get(target.category)
        if rule is None or rule.months is None:
            continue
        before = cutoff(rule.months, rule.anchor, day)
        count = _apply(target, before, size)
        lines.append(
            RetentionReportLine(
                run=report,
                category=target.category,
                target=target.label,
                action=target.action,
                rule=rule.describe("en"),
                cutoff=before,
                count=count,
            )
        )
    RetentionReportLine.objects.bulk_create(lines)
    report.total = sum(line.count for line in lines)
    report.finished_at = clock.now()
    report.save(update_fields=["total", "finished_at"])
    report.report_lines = lines
    return report


def _apply(target: RetentionTarget, before: date, size: int) -> int:
    """One SELECT of keys and one UPDATE or DELETE per batch, each batch its own transaction."""
    done = 0
    manager = target.model._default_manager
    last = None
    while True:
        keys = _expired(target, before).order_by("pk")
        if last is not None:
            keys = keys.filter(pk__gt=last)
        ids = list(keys.values_list("pk", flat=True)[:size])
        if not ids:
            return done
        with transaction.atomic():
            batch = manager.filter(pk__in=ids)
            if target.action == DELETE:
                files = _file_names(batch, target.files)
                batch.delete()  # one DELETE when nothing cascades (Django's fast delete)
                transaction.on_commit(lambda names=files: _remove_files(names))
            else:
                batch.update(**target.values())
        done += len(ids)
        last = ids[-1]
        if len(ids) < size:
            return done


def _file_names(batch: models.QuerySet, fields: tuple[str, ...]) -> list[str]:
    if not fields:
        return []
    return [name for row in batch.values_list(*fields) for name in row if name]


def _remove_files(names: list[str]) -> None:
    for name in names:
        try:
            default_storage.delete(name)
        except OSError:  # pragma: no cover - the row is gone; a stray file is logged
            logger.warning("Could not remove %s after its retention period", name)
