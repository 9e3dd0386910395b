"""Small registries that let apps plug into core-owned mechanisms without import cycles,
and the discovery of the modules in which apps do so.

**The extension contract.** An app plugs into core in modules with fixed names, each with
a ``register()`` function that core calls once (:func:`autodiscover`), on the first read of
any of the registries they fill (:mod:`kyklos.core.discovery`), not at start-up; an app's
``AppConfig.ready`` calls none of them:

- ``personal_data.py`` — the personal data the app holds, its retention targets and
  erasure checks (:mod:`kyklos.core.personal_data`);
- ``notices.py`` — the notice events the app sends and their attachments
  (``kyklos.notifications.services.register_event``; ``kyklos.core.messaging`` for apps
  that import only core), and how the app builds its notices;
- ``daily.py`` — the app's steps of the daily run (:meth:`Registry.register_daily_step`),
  each named ``<app label>.<step>``. Their order is declared in one place,
  ``settings.KYKLOS_DAILY_STEPS``; ``kyklos automate --plan`` prints it.

Every registry refuses a name registered twice (a second registration would silently
replace the first).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from importlib import import_module
from typing import Any

from django.apps import AppConfig, apps
from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import module_has_submodule

from kyklos.core import discovery

#: The modules in which an app plugs into core, in the order they are registered.
EXTENSION_MODULES = ("personal_data", "notices", "daily")
#: A daily step is named ``<app label>.<step>``.
STEP_NAME = re.compile(r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class DailyStep:
    """One kind of work in the daily run.

    ``func(day, run)`` performs everything due on or before ``day`` that has not been done
    yet, set-based, and returns ``{action_kind: count}``. It must be idempotent.

    A step that is ``chunkable`` promises to touch only the customers of ``run``'s range
    (:meth:`RunContext.in_range`): the run may then split it by customer-id ranges, run
    the ranges one after another or on several workers at once. Other steps run once per
    run, over everything.
    """

    name: str
    func: Callable[[date, Any], dict[str, int]]
    chunkable: bool = False

    @property
    def app_label(self) -> str:
        return self.name.split(".", 1)[0]

    @property
    def summary(self) -> str:
        """The first sentence of the step function's docstring (its first line when that
        is a whole sentence)."""
        paragraph = " ".join((self.func.__doc__ or "").strip().split("\n\n")[0].split())
        end = paragraph.find(". ")
        return paragraph if end < 0 else paragraph[: end + 1]


@dataclass
class RunContext:
    """What a daily step is given as ``run``: the batch size, and for a chunkable step
    the range of customer ids it is to work on (``customer_from`` included,
    ``customer_to`` excluded; ``None`` means unbounded)."""

    batch_size: int = 0
    customer_from: int | None = None
    customer_to: int | None = None
    #: Values read once per run and shared by its steps (see :meth:`memo`).
    cache: dict[str, Any] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self.batch_size = self.batch_size or settings.KYKLOS_BATCH_SIZE

    @property
    def is_chunk(self) -> bool:
        return self.customer_from is not None or self.customer_to is not None

    def memo(self, key: str, compute: Callable[[], Any]) -> Any:
        """``compute()`` once per run (e.g. the policies or the price list)."""
        if key not in self.cache:
            self.cache[key] = compute()
        return self.cache[key]

    def in_range(self, qs, field: str = "customer_id"):
        """``qs`` limited to this run's customers (all of them outside a chunk)."""
        if self.customer_from is not None:
            qs = qs.filter(**{f"{field}__gte": self.customer_from})
        if self.customer_to is not None:
            qs = qs.filter(**{f"{field}__lt": self.customer_to})
        return qs


@dataclass
class Registry:
    _steps: dict[str, DailyStep] = field(default_factory=dict)

    @property
    def steps(self) -> dict[str, DailyStep]:
        """Every registered step by name (the apps' ``daily`` modules discovered first)."""
        discovery.ensure()
        return self._steps

    @steps.setter
    def steps(self, value: dict[str, DailyStep]) -> None:
        self._steps = value

    def register_daily_step(
        self, name: str, func: Callable, *, chunkable: bool = False
    ) -> DailyStep:
        """Add a step to the daily run; its place is its position in
        ``settings.KYKLOS_DAILY_STEPS``."""
        if not STEP_NAME.match(name):
            raise ImproperlyConfigured(f"A daily step is named '<app>.<step>', not {name!r}.")
        if name in self._steps:
            raise ImproperlyConfigured(f"The daily step {name!r} is already registered.")
        step = self._steps[name] = DailyStep(name, func, chunkable)
        return step

    def order_problems(self) -> list[str]:
        """What is wrong with ``settings.KYKLOS_DAILY_STEPS``: a registered step missing
        from it, a name in it that no app registers, a name listed twice."""
        order = list(settings.KYKLOS_DAILY_STEPS)
        problems = [
            f"The daily step {name!r} is registered but not in settings.KYKLOS_DAILY_STEPS."
            for name in self.steps
            if name not in order
        ]
        problems += [
            f"settings.KYKLOS_DAILY_STEPS names {name!r}, which no app registers."
            for name in dict.fromkeys(order)
            if name not in self.steps
        ]
        problems += [
            f"settings.KYKLOS_DAILY_STEPS names {name!r} more than once."
            for name in dict.fromkeys(order)
            if order.count(name) > 1
        ]
        return problems

    def daily_steps(self) -> list[DailyStep]:
        """The registered steps in the order of ``settings.KYKLOS_DAILY_STEPS``."""
        problems = self.order_problems()
        if problems:
            raise ImproperlyConfigured(" ".join(problems))
        return [self.steps[name] for name in settings.KYKLOS_DAILY_STEPS]


registry = Registry()


def check_daily_steps(app_configs=None, **kwargs) -> list[checks.Error]:
    """System check ``core.E001``: the declared order names every registered step once."""
    return [
        checks.Error(
            problem, hint="Edit KYKLOS_DAILY_STEPS in kyklos/config/settings.py.", id="core.E001"
        )
        for problem in registry.order_problems()
    ]


def kyklos_apps() -> list[AppConfig]:
    """The installed Kyklos apps but core, in the order of ``INSTALLED_APPS``."""
    return [
        c
        for c in apps.get_app_configs()
        if c.name.startswith("kyklos.") and c.name != "kyklos.core"
    ]


def autodiscover(configs: Iterable[AppConfig] | None = None) -> None:
    """Import the extension modules of every Kyklos app (or of ``configs``) and call their
    ``register()``.

    A module with one of the fixed names and no ``register`` (e.g. a ``notices.py`` that
    only builds notices) is skipped. The daily steps an app registers must carry its label.
    """
    for config in kyklos_apps() if configs is None else configs:
        for name in EXTENSION_MODULES:
            if not module_has_submodule(config.module, name):
                continue
            register = getattr(import_module(f"{config.name}.{name}"), "register", None)
            if register is None:
                continue
            known = set(registry._steps)
            register()
            stray = sorted(
                s for s in set(registry._steps) - known if not s.startswith(f"{config.label}.")
            )
            if stray:
                raise ImproperlyConfigured(
                    f"{config.name}.{name} registers daily steps not named "
                    f"'{config.label}.<step>': {', '.join(stray)}."
                )


def discover_all() -> None:
    """Core's own extensions, then every other app's; called once, by
    :func:`kyklos.core.discovery.ensure` on the first read of a registry."""
    from kyklos.core import audit_chain, personal_records

    personal_records.register()
    registry.register_daily_step("core.seal_audit_trail", audit_chain.seal_daily)
    autodiscover()
