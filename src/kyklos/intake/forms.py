"""The contact form. It only shapes the input; :mod:`kyklos.intake.contact` acts on it."""

from __future__ import annotations

import time

from django import forms
from django.core import signing
from django.utils.translation import gettext_lazy as _

from kyklos.intake import contact

_SALT = "kyklos.intake.contact.started"
#: A form older than this is refused (a replayed token).
MAX_AGE_SECONDS = 24 * 60 * 60


def started_token() -> str:
    # Wall-clock time, not the domain clock: this measures how long a visitor took.
    return signing.dumps(int(time.time()), salt=_SALT)


class ContactForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    email = forms.EmailField(label=_("E-mail"), max_length=254)
    phone = forms.CharField(label=_("Phone"), max_length=40, required=False)
    address = forms.CharField(label=_("Address"), max_length=300, required=False)
    department = forms.ChoiceField(label=_("Your request is about"), widget=forms.RadioSelect)
    message = forms.CharField(
        label=_("Message"), max_length=10_000, widget=forms.Textarea(attrs={"rows": 8})
    )
    # The honeypot: hidden from people (the ``hidden`` attribute on its wrapper), filled
    # in by bots that fill in every field.
    website = forms.CharField(label=_("Leave this field empty"), required=False)
    started = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].choices = [(d.code, d.label()) for d in contact.departments()]
        self.fields["department"].initial = "sales"
        self.fields["name"].widget.attrs["autocomplete"] = "name"
        self.fields["email"].widget.attrs["autocomplete"] = "email"
        self.fields["phone"].widget.attrs["autocomplete"] = "tel"
        self.fields["address"].widget.attrs["autocomplete"] = "street-address"
        self.fields["website"].widget.attrs.update({"autocomplete": "off", "tabindex": "-1"})
        if not self.is_bound:
            self.initial["started"] = started_token()

    def clean_started(self) -> int:
        expired = forms.ValidationError(
            _("This form has expired; please send it again."), code="expired"
        )
        try:
            started = signing.loads(
                self.cleaned_data["started"], salt=_SALT, max_age=MAX_AGE_SECONDS
            )
        except signing.BadSignature:
            raise expired from None
        if not isinstance(started, int) or time.time() - started > MAX_AGE_SECONDS:
            raise expired
        return started

    def is_bot(self, min_seconds: float | None = None) -> bool:
        """A filled-in honeypot, or a form sent faster than a person can type."""
        minimum = contact.MIN_FILL_SECONDS if min_seconds is None else min_seconds
        return bool(self.cleaned_data.get("website")) or (
            time.time() - self.cleaned_data["started"] < minimum
        )
