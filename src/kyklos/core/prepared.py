"""Queries compiled to SQL once, for the reads every page view makes.

Compiling a queryset that joins a few tables and carries subqueries costs Django more
than the database takes to run it (about 1.6 ms against 0.8 ms for the portal's list of a
hundred services). :func:`prepared` compiles the queryset once per database connection,
with marker values where the arguments go, and then only substitutes the arguments,
executes and converts the columns exactly as the ORM would (the field converters of the
same compiler), so the result is the same list of tuples ``values_list`` gives.

:func:`prepared_one` does the same for "the row with this id" and gives a model instance,
as ``queryset.first()`` would.

Use them only for querysets whose arguments are ids (or texts compared for equality, such
as a token's digest) in the ``WHERE`` clause; anything else goes through the ORM as usual.
``read.page(*args, limit=, offset=)`` reads one page of an ordered queryset (the same SQL
with ``LIMIT`` and ``OFFSET`` as parameters).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import JSONField, QuerySet

#: Marker arguments: integers no id takes (negative, yet in the range of a 32-bit
#: column, outside which Django decides a lookup matches nothing), found among the compiled
#: query's parameters.
_MARKERS = tuple(-2_147_000_001 - n for n in range(8))
#: Marker texts for text arguments: no digest, name or code contains the control characters.
_TEXT_MARKERS = tuple(f"\x1ekyklos-marker-{n}\x1e" for n in range(8))


@dataclass(frozen=True, slots=True)
class _Compiled:
    sql: str
    params: tuple
    slots: tuple[int, ...]  # where each argument goes among ``params``
    compiler: Any
    converters: dict


def prepared(
    name: str, build: Callable[..., QuerySet], *, json_as_text: bool = False
) -> Callable[..., list[tuple]]:
    """``read = prepared("x", lambda customer_id: Q.filter(customer_id=customer_id))``;
    ``read(12)`` is ``list(build(12))``, compiled once per connection.

    ``json_as_text``: JSON columns stay the text the database gave, for the caller to
    decode when it needs them (decoding the same policy's lists on each of a hundred rows
    was a tenth of a dashboard's time)."""

    def run(args, using: str, page: tuple[int, int] | None) -> list[tuple]:
        connection = connections[using]
        cache = connection.__dict__.setdefault("_kyklos_prepared", {})
        compiled = cache.get(name)
        if compiled is None:
            kinds = tuple(isinstance(a, str) for a in args)
            compiled = cache[name] = _compile(build, kinds, using, json_as_text)
        params = list(compiled.params)
        for slot, value in zip(compiled.slots, args, strict=True):
            params[slot] = value
        sql = compiled.sql
        if page is not None:
            sql = f"{sql} LIMIT %s OFFSET %s"
            params.extend(page)
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        if compiled.converters:
            rows = [
                tuple(row) for row in compiled.compiler.apply_converters(rows, compiled.converters)
            ]
        return rows

    def read(*args, using: str = DEFAULT_DB_ALIAS) -> list[tuple]:
        return run(args, using, None)

    def page(*args, limit: int, offset: int, using: str = DEFAULT_DB_ALIAS) -> list[tuple]:
        """One page of the rows, in the queryset's order (which must be total)."""
        return run(args, using, (int(limit), int(offset)))

    read.page = page
    return read


def prepared_one(name: str, build: Callable[..., QuerySet]) -> Callable[..., Any]:
    """``one = prepared_one("x", lambda user_id: Customer.objects.filter(user_id=user_id))``;
    ``one(7)`` is ``build(7).order_by("pk").first()`` (every concrete field loaded)."""

    loaded: dict[str, Any] = {}  # the model and its column names, known once compiled

    def rows(*markers):
        queryset = build(*markers)
        loaded["model"] = queryset.model
        loaded["names"] = [f.attname for f in queryset.model._meta.concrete_fields]
        return queryset.order_by("pk").values_list(*loaded["names"])[:1]

    read = prepared(name, rows)

    def one(*args, using: str = DEFAULT_DB_ALIAS):
        found = read(*args, using=using)
        if not found:
            return None
        return loaded["model"].from_db(using, loaded["names"], found[0])

    return one


def _compile(
    build: Callable[..., QuerySet], kinds: tuple[bool, ...], using: str, json_as_text: bool
) -> _Compiled:
    markers = [(_TEXT_MARKERS if text else _MARKERS)[n] for n, text in enumerate(kinds)]
    queryset = build(*markers)
    compiler = queryset.query.get_compiler(using=using)
    sql, params = compiler.as_sql()
    params = tuple(params)
    slots = []
    for marker in markers:
        found = [i for i, value in enumerate(params) if value == marker]
        if len(found) != 1:
            raise ValueError(f"each argument must appear once in the query's parameters: {sql}")
        slots.append(found[0])
    fields = [s[0] for s in compiler.select[0 : compiler.col_count]]
    converters = compiler.get_converters(fields)
    if json_as_text:
        converters = {
            i: (functions, expression)
            for i, (functions, expression) in converters.items()
            if not isinstance(getattr(expression, "output_field", None), JSONField)
        }
    return _Compiled(sql, params, tuple(slots), compiler, converters)
