"""``/api/``: version 1, and a JSON 404 for every other path under it.

Every view of the API answers errors in the documented JSON shape, also those ninja or
Django would answer otherwise (e.g. 405): see :func:`kyklos.api.errors.json_errors`.
"""

from django.urls import include, path, re_path

from kyklos.api.errors import json_errors, no_such_route
from kyklos.api.v1 import api

v1_patterns, v1_app, v1_namespace = api.urls
for pattern in v1_patterns:
    if hasattr(pattern, "callback"):
        pattern.callback = json_errors(pattern.callback)

urlpatterns = [
    path("v1/", include((v1_patterns, v1_app), namespace=v1_namespace)),
    re_path(r"", no_such_route),
]
