"""Forms of the staff desk. They shape the input; the rules live in
kyklos.support.services. The portal's support forms are in kyklos.portal.ticket_forms."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from kyklos.core.forms import MultipleFileField
from kyklos.support.models import Department, Message, Priority, Status
from kyklos.support.services import staff_users

ATTACHMENTS_HELP = _("Up to 25 MB per file.")


class DepartmentChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Department) -> str:
        return obj.label()


class StaffMessageForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=Message.Kind.choices,
        initial=Message.Kind.REPLY,
        widget=forms.RadioSelect,
    )
    body = forms.CharField(label=_("Message"), widget=forms.Textarea(attrs={"rows": 7}))
    attachments = MultipleFileField(label=_("Attachments"), help_text=ATTACHMENTS_HELP)
    then = forms.ChoiceField(
        label=_("Then set the status to"),
        required=False,
        choices=[("", _("(unchanged)"))] + [c for c in Status.choices if c[0] != Status.NEW],
    )


class TriageForm(forms.Form):
    """Staff's changes to a ticket: status, priority, department, assignee."""

    status = forms.ChoiceField(label=_("Status"), choices=Status.choices)
    priority = forms.ChoiceField(label=_("Priority"), choices=Priority.choices)
    department = DepartmentChoice(
        label=_("Department"), queryset=Department.objects.none(), to_field_name="code"
    )
    assignee = forms.ModelChoiceField(
        label=_("Assigned to"), queryset=staff_users().none(), required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = Department.objects.filter(is_active=True)
        self.fields["assignee"].queryset = staff_users()


class OutOfScopeForm(forms.Form):
    """R8.5: draft a quote; the first line is optional (staff may price it later)."""

    title = forms.CharField(label=_("Quote title"), max_length=200, required=False)
    description = forms.CharField(label=_("Line"), max_length=300, required=False)
    unit_price = forms.DecimalField(
        label=_("Price (EUR)"), required=False, min_value=0, max_digits=12, decimal_places=2
    )

    def lines(self) -> list[dict]:
        data = self.cleaned_data
        if not data.get("description"):
            return []
        return [{"description": data["description"], "unit_price": data["unit_price"] or 0}]


class TimeForm(forms.Form):
    """R7.4: minutes worked on the ticket, billed at least 15 minutes per request."""

    minutes = forms.IntegerField(label=_("Minutes"), min_value=1, max_value=24 * 60)
    description = forms.CharField(label=_("Work done"), max_length=300)
    rate = forms.DecimalField(
        label=_("Agreed rate per hour (empty: standard rate)"),
        required=False,
        min_value=0,
        max_digits=10,
        decimal_places=2,
    )


class VoidSlaForm(forms.Form):
    """R8.6: the customer changed code or settings themselves."""

    reason = forms.CharField(label=_("Why the SLA no longer applies"), max_length=200)


class OutageForm(forms.Form):
    """R5.3: confirm the outage a ticket reports, with its start and end (times in the
    provider's time zone) and the exclusion that applies, if any."""

    service = forms.ModelChoiceField(label=_("Hosting service"), queryset=None)
    started_at = forms.DateTimeField(
        label=_("Outage started"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    ended_at = forms.DateTimeField(
        label=_("Outage ended"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    exclusion = forms.ChoiceField(
        label=_("Does not count because"),
        required=False,
        choices=[("", _("(it counts as downtime)"))],
    )

    def __init__(self, *args, ticket, **kwargs):
        from kyklos.support.models import OutageExclusion
        from kyklos.support.selectors import outage_services

        super().__init__(*args, **kwargs)
        self.fields["service"].queryset = outage_services(ticket)
        self.fields["service"].label_from_instance = lambda s: s.display_label
        self.fields["exclusion"].choices = [
            ("", _("(it counts as downtime)")),
            *OutageExclusion.choices,
        ]
