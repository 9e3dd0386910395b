"""The REST API, version 1: ``/api/v1/``, for staff tools and integrations.

Every endpoint needs a staff user's token (``kyklos token create USERNAME``). The
OpenAPI document is at ``/api/v1/openapi.json`` and its Swagger UI at ``/api/v1/docs``,
served from the static files django-ninja ships (no CDN, within the site's CSP).
"""

import json

from django.core.exceptions import ImproperlyConfigured
from django.shortcuts import render
from ninja import NinjaAPI, Swagger
from ninja.openapi.schema import OpenAPISchema

from kyklos.api import errors
from kyklos.api.auth import StaffToken
from kyklos.api.endpoints import (
    certificates,
    customers,
    dns,
    domains,
    invoices,
    notifications,
    products,
    services,
    tickets,
)
from kyklos.api.parser import KyklosParser


class UniqueComponents(OpenAPISchema):
    """The OpenAPI document, refusing two different schemas under one component name
    (ninja would keep the last, and responses would then violate the document)."""

    def add_schema_definitions(self, definitions: dict) -> None:
        for name, schema in definitions.items():
            if name in self.schemas and self.schemas[name] != schema:
                raise ImproperlyConfigured(
                    f"Two schemas are named {name!r} in the OpenAPI document; give one of "
                    "them a distinct name (see kyklos.api.schemas.named_enum)."
                )
        super().add_schema_definitions(definitions)


class LocalSwagger(Swagger):
    """Swagger UI from the static files django-ninja ships, never from its CDN. ninja
    chooses the CDN unless it is an installed app, which it is not (Django would import it
    and pydantic at every start; the settings list its templates and static files)."""

    def render_page(self, request, api, **kwargs):
        self.settings["url"] = self.get_openapi_url(api, kwargs)
        # the API authenticates by bearer token, never by the session: no CSRF token to add
        context = {"swagger_settings": json.dumps(self.settings, indent=1), "api": api}
        return render(request, self.template, context)


class KyklosAPI(NinjaAPI):
    def get_openapi_schema(self, *, path_prefix=None, path_params=None) -> OpenAPISchema:
        if path_prefix is None:
            path_prefix = self.get_root_path(path_params or {})
        return UniqueComponents(self, path_prefix)

    def get_openapi_operation_id(self, operation) -> str:
        """Operation ids are the endpoint functions' names (``order_service``), which
        generated clients use as method names."""
        return operation.view_func.__name__


api = KyklosAPI(
    title="Kyklos API",
    version="1",
    description=(
        "Customers, products, services, invoices, payments, notices and support tickets. "
        "Authenticate with `Authorization: Bearer <token>`; a staff user gets a token with "
        "`kyklos token create USERNAME`. Amounts are strings with two decimals. Errors are "
        '`{"message": "…", "field": "…"}`.'
    ),
    urls_namespace="api-v1",
    auth=StaffToken(),
    parser=KyklosParser(),
    docs=LocalSwagger(settings={"validatorUrl": None}),  # no badge from validator.swagger.io
)
errors.register(api)
api.add_router("/customers", customers.router)
api.add_router("/products", products.router)
api.add_router("/services", services.router)
api.add_router("/invoices", invoices.router)
api.add_router("/notifications", notifications.router)
api.add_router("/tickets", tickets.router)
api.add_router("/domains", domains.router)
api.add_router("/dns", dns.router)
api.add_router("/certificates", certificates.router)
