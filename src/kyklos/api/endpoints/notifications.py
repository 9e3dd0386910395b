from ninja import Router
from ninja.pagination import paginate

from kyklos.api import selectors
from kyklos.api.auth import needs
from kyklos.api.pagination import Page
from kyklos.api.schemas import Id, NotificationOut

router = Router(tags=["notifications"])


@router.get("", response=list[NotificationOut], auth=needs("notifications", "view"))
@paginate(Page)
def list_notifications(request, customer: Id | None = None):
    """Notices in the outbox (queued, sent, failed or skipped), optionally of one customer."""
    return selectors.notifications(customer)
