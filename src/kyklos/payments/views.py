"""Provider webhooks: thin, CSRF-exempt, POST only; the rules are in
:mod:`kyklos.payments.checkouts`.

A genuine event id seen before answers 200 (the provider stops retrying; nothing is
done again); a refused notification answers 400 with the reason, and one for a payment
method that does not exist 404 (there is no such endpoint).
"""

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from kyklos.payments.checkouts import handle_webhook
from kyklos.payments.methods import UnknownMethod, WebhookDuplicate, WebhookRejected

MAX_WEBHOOK_BYTES = 256 * 1024


@csrf_exempt
@require_POST
def webhook(request: HttpRequest, method: str) -> JsonResponse:
    if len(request.body) > MAX_WEBHOOK_BYTES:
        return JsonResponse({"message": "payload too large"}, status=413)
    try:
        event = handle_webhook(method, request.body, request.headers)
    except WebhookDuplicate:
        return JsonResponse({"status": "duplicate"})
    except UnknownMethod as error:
        return JsonResponse({"message": str(error)}, status=404)
    except WebhookRejected as error:
        return JsonResponse({"message": str(error)}, status=400)
    return JsonResponse({"status": event.outcome})
