"""The portal's support forms: a customer's request and a reply. They only shape the
input: the rules live in :mod:`kyklos.support.services`."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from kyklos.core.forms import MultipleFileField
from kyklos.support.models import Department, Priority
from kyklos.support.services import REQUEST_FIELDS

ATTACHMENTS_HELP = _("Up to 25 MB per file.")


class DepartmentChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Department) -> str:
        return obj.label()


class TicketForm(forms.Form):
    """A customer's request (R8.1) with the fields a good request names (R8.4)."""

    subject = forms.CharField(label=_("Subject"), max_length=200)
    department = DepartmentChoice(
        label=_("Department"), queryset=Department.objects.none(), to_field_name="code"
    )
    service = forms.ChoiceField(label=_("Service it concerns"), required=False)
    priority = forms.ChoiceField(
        label=_("Priority"),
        choices=Priority.choices,
        initial=Priority.NORMAL,
        help_text=_(
            "Urgent: site down, payments or forms broken. High: direct loss of revenue. "
            "Normal: hurts the user experience. Low: does not."
        ),
    )
    body = forms.CharField(label=_("Your request"), widget=forms.Textarea(attrs={"rows": 6}))
    wished_date = forms.DateField(
        label=_("Wished date or deadline"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    hard_deadline = forms.BooleanField(label=_("The date is a hard deadline"), required=False)
    budget = forms.DecimalField(
        label=_("Budget (EUR)"), required=False, min_value=0, max_digits=12, decimal_places=2
    )
    hours = forms.DecimalField(
        label=_("Hours you expect"), required=False, min_value=0, max_digits=7, decimal_places=2
    )
    context = forms.CharField(
        label=_("Context and goals"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    features = forms.CharField(
        label=_("Required features"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    specs = forms.CharField(
        label=_("Technical specifications"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    examples = forms.CharField(
        label=_("Examples (links, similar sites)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    attachments = MultipleFileField(label=_("Attachments"), help_text=ATTACHMENTS_HELP)

    def __init__(self, *args, services=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = Department.objects.filter(is_active=True)
        self.services = {str(s.pk): s for s in services}
        self.fields["service"].choices = [("", _("None in particular"))] + [
            (pk, s.display_label) for pk, s in self.services.items()
        ]

    def request_fields(self) -> dict:
        return {
            name: self.cleaned_data[name]
            for name in REQUEST_FIELDS
            if name in self.cleaned_data and self.cleaned_data[name] not in (None, "")
        }

    def chosen_service(self):
        return self.services.get(self.cleaned_data.get("service") or "")


class ReplyForm(forms.Form):
    body = forms.CharField(label=_("Your reply"), widget=forms.Textarea(attrs={"rows": 5}))
    attachments = MultipleFileField(label=_("Attachments"), help_text=ATTACHMENTS_HELP)
