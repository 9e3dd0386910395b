"""The staff form that stores a credential that arrived in a ticket message (R9.9)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from kyklos.lifecycle.models import Service
from kyklos.vault.models import Credential
from kyklos.vault.services import MAX_SECRET, Secret


class FromMessageForm(forms.ModelForm):
    """Kind, label and service as the model has them; the secret as pasted from the message."""

    username = forms.CharField(label=_("Username"), max_length=200, required=False)
    secret = forms.CharField(
        label=_("Password or key"),
        max_length=MAX_SECRET,
        error_messages={"required": _("The secret is empty.")},
        help_text=_(
            "Paste it exactly as it appears in the message. If it is not in the message as "
            "written, the whole message is removed."
        ),
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
    )

    class Meta:
        model = Credential
        fields = ["kind", "label", "service"]
        labels = {"service": _("Service")}
        help_texts = {"label": _("What it opens, e.g. “WordPress admin of example.gr”.")}

    def __init__(self, *args, customer, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["service"].queryset = Service.objects.filter(customer=customer)

    def credential(self) -> dict:
        """The arguments of ``services.store`` the form gives."""
        data = self.cleaned_data
        return {
            "kind": data["kind"],
            "label": data["label"],
            "service": data["service"],
            "secret": Secret(username=data["username"], secret=data["secret"]),
        }
