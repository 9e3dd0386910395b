"""The HTTP-01 answer (RFC 8555 §8.3) for names whose DNS is elsewhere: the CA fetches
``/.well-known/acme-challenge/<token>`` from the name's web server, which sends the request
to Kyklos (docs/certificates.md)."""

from django.http import Http404, HttpResponse
from django.views.decorators.http import require_GET

from kyklos.accounts.access import public
from kyklos.certificates.models import HttpChallenge


@public
@require_GET
def acme_challenge(request, token: str):
    challenge = HttpChallenge.objects.filter(token=token).first()
    if challenge is None:
        raise Http404
    return HttpResponse(challenge.key_authorization, content_type="text/plain")
