"""Lists are pages of ``limit`` rows from ``offset``, ordered by id, with the total ``count``.

A page of rows that belong to customers (models with ``audit_customer_id``) is personal
data: reading it is logged in each customer's access log, one INSERT per page.
"""

from ninja import Field, Schema
from ninja.pagination import LimitOffsetPagination

from kyklos.core.audit import log_request_access

DEFAULT_LIMIT = 50
MAX_LIMIT = 500


class Page(LimitOffsetPagination):
    class Input(Schema):
        limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)
        offset: int = Field(0, ge=0)

    def paginate_queryset(self, queryset, pagination, request=None, **params):
        page = super().paginate_queryset(queryset, pagination, request=request, **params)
        items = list(page[self.items_attribute])
        page[self.items_attribute] = items
        model = getattr(queryset, "model", None)
        if request is not None and items and hasattr(model, "audit_customer_id"):
            log_request_access(
                request,
                [item.audit_customer_id for item in items],
                what=f"{model._meta.verbose_name_plural} (list)",
            )
        return page
