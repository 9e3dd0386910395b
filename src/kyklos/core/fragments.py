"""Rendered parts of pages (the portal lists, the page header and footer, the cookie banner),
cached under a digest of everything they show.

A list of a hundred services costs tens of milliseconds to render and is the same on every
visit until something in it changes. :func:`cached` keeps the rendered HTML in Django's
cache ``fragments`` under a key made of the data it is rendered from (the rows as read from
the database), the language, the day and the code's version: when a service, a proforma or
a payment changes what a row shows, the rows read differ, so does the key, and the page is
rendered afresh.
Nothing has to remember to invalidate anything, and a page can never be staler than the
query that reads its rows.

Each visit still reads the rows (one query); only the rendering is saved. The CSRF token
differs per browser, so the fragment is rendered with a marker in its place and each
request puts its own token in.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Hashable

from django.core.cache import caches
from django.middleware.csrf import get_token
from django.urls import get_script_prefix, reverse
from django.utils import translation
from django.utils.safestring import SafeString, mark_safe

import kyklos

#: Change when a fragment's template or the meaning of its inputs changes without a new
#: release number (the cache outlives a deploy when it is shared, e.g. Redis).
FORMAT = 2
#: The cache they are kept in: each process's own memory unless configured otherwise
#: (``KYKLOS_FRAGMENT_CACHE_URL``). A page reads three or four fragments; from a shared
#: cache that is as many round trips, which cost more than they save (decision 0040).
CACHE = "fragments"
#: A day: fragments that depend on the date carry it in their key anyway.
TIMEOUT = 24 * 3600
#: What the fragment's forms carry instead of the CSRF token. It contains "<", which no
#: escaped value can contain, so only the template's own marker is ever replaced.
CSRF_MARKER = mark_safe("<kyklos-csrf-token>")  # noqa: S308 - a constant


def digest(*inputs: Hashable) -> str:
    """A stable digest of ``inputs`` (tuples of str, int, Decimal, date, None …)."""
    language, prefix = translation.get_language(), get_script_prefix()
    text = repr((FORMAT, kyklos.__version__, language, prefix, inputs))
    return hashlib.blake2b(text.encode(), digest_size=20).hexdigest()


def cached(
    request, name: str, owner: int, inputs: Hashable, render: Callable[[], str]
) -> SafeString:
    """The HTML ``render()`` gives for ``inputs``, from the cache when it was rendered before.

    ``inputs`` must hold everything the fragment shows (besides the language and the CSRF
    token); ``render`` renders it with :data:`CSRF_MARKER` as ``csrf_token``.
    """
    key = f"kyklos:fragment:{name}:{owner}:{digest(inputs)}"
    cache = caches[CACHE]
    html = cache.get(key)
    if html is None:
        html = str(render())
        cache.set(key, html, TIMEOUT)
    if CSRF_MARKER in html:
        html = html.replace(CSRF_MARKER, _token(request))
    return mark_safe(html)  # noqa: S308 - rendered by our own autoescaping template


def _token(request) -> str:
    """The request's CSRF token, masked once for all the fragments of its page (as the
    ``csrf_token`` of one template is)."""
    token = getattr(request, "_kyklos_csrf_token", None)
    if token is None:
        token = request._kyklos_csrf_token = get_token(request)
    return token  # noqa: S308 - rendered by our own autoescaping template


def url_maker(name: str) -> Callable[[int], str]:
    """``url_maker("portal:renew")(12)`` == ``reverse("portal:renew", args=[12])``, without
    resolving the pattern once per row."""
    probe = 987654321
    head, tail = reverse(name, args=[probe]).split(str(probe))
    return lambda pk: f"{head}{pk}{tail}"
