"""Staff publish versions of the terms here (R12.3); a published version is never edited.

The model is ``customers.TermsVersion``; it is administered here because publishing a
significant version also queues the notices (``storefront.services.publish_terms``).
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError

from kyklos.core.forms import add_service_errors
from kyklos.customers.models import TermsVersion
from kyklos.storefront import services


class TermsVersionForm(forms.ModelForm):
    class Meta:
        model = TermsVersion
        fields = [
            "version",
            "published_on",
            "significant",
            "summary",
            "text_el",
            "text_en",
            "text_pl",
        ]

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        try:
            self.published = services.publish_terms(
                version=data["version"],
                texts={lang: data[f"text_{lang}"] for lang in ("el", "en", "pl")},
                significant=data["significant"],
                summary=data.get("summary", ""),
                published_on=data["published_on"],
                actor=getattr(self, "actor", None),
            )
        except ValidationError as error:
            add_service_errors(self, error)
        return data


@admin.register(TermsVersion)
class TermsVersionAdmin(admin.ModelAdmin):
    form = TermsVersionForm
    list_display = ["version", "published_on", "significant", "notified_count"]
    search_fields = ["version"]

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        form.actor = request.user
        return form

    def get_readonly_fields(self, request, obj=None):
        if obj is not None:  # published: never edited
            return [f.name for f in TermsVersion._meta.fields]
        return ["notified_count"]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.pk = form.published.pk  # already written by the service in clean()

    def has_delete_permission(self, request, obj=None):
        return False
