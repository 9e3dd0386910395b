"""Lists are pages of ``limit`` rows from ``offset``, ordered by id, with the total ``count``.

A page of rows that belong to customers (models with ``audit_customer_id``) is personal
data: reading it writes one access event naming the rows and customers shown, which each
of those customers finds in their access log (decision 0016).
"""

import json

from django.http import HttpResponse
from ninja import Field, Schema
from ninja.pagination import LimitOffsetPagination
from ninja.responses import NinjaJSONEncoder

from kyklos.core.audit import log_request_list_access

DEFAULT_LIMIT = 50
MAX_LIMIT = 500
#: Far beyond any table's size; a larger offset is a mistake (and would overflow SQL).
MAX_OFFSET = 1_000_000_000


class Page(LimitOffsetPagination):
    class Input(Schema):
        limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)
        offset: int = Field(0, ge=0, le=MAX_OFFSET)

    def paginate_queryset(self, queryset, pagination, request=None, **params):
        page = super().paginate_queryset(queryset, pagination, request=request, **params)
        items = list(page[self.items_attribute])
        page[self.items_attribute] = items
        model = getattr(queryset, "model", None)
        if request is not None and items and hasattr(model, "audit_customer_id"):
            log_request_list_access(
                request,
                model,
                [(item.pk, item.audit_customer_id) for item in items],
                what=f"{model._meta.verbose_name_plural} (list)",
            )
        return page


def paged(item_schema: type[Schema]) -> type[Schema]:
    """``Paged<Item>``, the response schema ``@paginate(Page)`` gives a list of
    ``item_schema`` (the same component in the OpenAPI document), for lists that
    answer with :func:`json_page`."""
    return type(
        f"Paged{item_schema.__name__}",
        (Page.Output,),
        {"__annotations__": {Page.items_attribute: list[item_schema]}},
    )


def json_page(request, model, count: int, items: list[dict]) -> HttpResponse:
    """A page already in its JSON shape (plain values, in the order of the schema's
    fields), answered without building model instances or validating them through the
    schema; the page's access event as :class:`Page` writes it. Each item carries its
    ``id`` and ``customer``."""
    if items:
        log_request_list_access(
            request,
            model,
            [(item["id"], item["customer"]) for item in items],
            what=f"{model._meta.verbose_name_plural} (list)",
        )
    body = json.dumps({Page.items_attribute: items, "count": count}, cls=NinjaJSONEncoder)
    return HttpResponse(body, content_type="application/json; charset=utf-8")
