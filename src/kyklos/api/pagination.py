"""Lists are pages of ``limit`` rows from ``offset``, ordered by id, with the total ``count``.

A page of rows that belong to customers (models with ``audit_customer_id``) is personal
data: reading it writes one access event naming the rows and customers shown, which each
of those customers finds in their access log (decision 0016).
"""

from ninja import Field, Schema
from ninja.pagination import LimitOffsetPagination

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
