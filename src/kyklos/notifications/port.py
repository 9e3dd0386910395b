"""The outbox behind ``kyklos.core.messaging``, for apps that import only core.

Connected at start-up (``NotificationsConfig.ready``); it imports the outbox's events and
services when it is first used, not then (decision 0041)."""

from __future__ import annotations

from django.conf import settings

from kyklos.core import clock
from kyklos.core.messaging import Message


class OutboxPort:
    def register_event(self, name: str, required_keys: tuple[str, ...]) -> None:
        from kyklos.notifications import events

        events.register(name, required_keys)

    def queue(self, messages: list[Message]) -> int:
        from kyklos.notifications import services

        today = clock.today()
        rows = [
            services.build_notice(
                event=m.event,
                customer_id=m.customer_id,
                language=m.language,
                to_email=m.to_email,
                context=m.context,
                for_date=m.for_date or today,
                headers=m.headers,
                attachments=m.attachments,
            )
            for m in messages
        ]
        return services.queue_notices(rows, batch_size=settings.KYKLOS_BATCH_SIZE)
