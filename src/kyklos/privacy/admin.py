"""Staff screens: the record of processing, notice versions, the consent ledger (read
only), the request queue ordered by deadline, restrictions, retention reports and the
breach register. Writes go through the services."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from kyklos.core import clock
from kyklos.core.admin_tools import (
    NoAdd,
    NoDelete,
    ReadOnlyAdmin,
    ReadOnlyInline,
    ServiceForm,
    adopt,
    apply_each,
    with_actor,
)
from kyklos.privacy import breaches, disclosures, processor, record, requests
from kyklos.privacy.models import (
    Breach,
    ConsentEvent,
    DataCategory,
    DataSubjectRequest,
    Disclosure,
    DpaAcceptance,
    DpaVersion,
    NoticeVersion,
    ProcessingActivity,
    ProcessorActivity,
    Recipient,
    Restriction,
    RetentionReportLine,
    RetentionRule,
    RetentionRun,
    SubprocessorChange,
)

# --- record of processing ----------------------------------------------------------------


class RetentionRuleInline(admin.StackedInline):
    model = RetentionRule
    can_delete = False


@admin.register(DataCategory)
class DataCategoryAdmin(admin.ModelAdmin):
    list_display = ["code", "english_name", "retention"]
    inlines = [RetentionRuleInline]

    @admin.display(description=_("name"))
    def english_name(self, obj):
        return obj.name("en")

    @admin.display(description=_("retention"))
    def retention(self, obj):
        rule = getattr(obj, "rule", None)
        return rule.describe("en") if rule else "—"


@admin.register(Recipient)
class RecipientAdmin(admin.ModelAdmin):
    list_display = ["name", "role", "country", "outside_eea"]
    list_filter = ["role"]


@admin.register(ProcessingActivity)
class ProcessingActivityAdmin(admin.ModelAdmin):
    list_display = ["code", "english_name", "legal_basis", "active", "position"]
    list_filter = ["legal_basis", "active"]
    filter_horizontal = ["categories", "recipients"]

    @admin.display(description=_("name"))
    def english_name(self, obj):
        return obj.names.get("en", "")


class NotifyForm(forms.Form):
    summary_el = forms.CharField(label="Summary (el)", widget=forms.Textarea)
    summary_en = forms.CharField(label="Summary (en)", widget=forms.Textarea)
    summary_pl = forms.CharField(label="Summary (pl)", widget=forms.Textarea)


@admin.register(NoticeVersion)
class NoticeVersionAdmin(ReadOnlyAdmin):
    list_display = ["number", "published_at", "significant", "notified_at", "notified_count"]
    readonly_fields = ["number", "published_at", "significant", "summary", "notified_at"]
    exclude = ["snapshot", "digest"]
    actions = ["notify_customers"]

    def has_change_permission(self, request, obj=None):
        # To run the action (every field is read-only): the privacy staff only.
        return request.user.has_perm("privacy.change_noticeversion")

    @admin.action(description=_("Significant change: notify every customer (R12.3)"))
    def notify_customers(self, request, queryset):
        from django.template.response import TemplateResponse

        if "apply" in request.POST:
            form = NotifyForm(request.POST)
            if form.is_valid():
                summary = {
                    lang: form.cleaned_data[f"summary_{lang}"] for lang in ("el", "en", "pl")
                }
                for version in queryset:
                    try:
                        n = record.notify_customers(version, summary=summary, actor=request.user)
                    except ValidationError as exc:
                        self.message_user(request, " ".join(exc.messages), messages.ERROR)
                    else:
                        self.message_user(request, f"v{version.number}: {n} customers notified.")
                return None
        else:
            form = NotifyForm()
        return TemplateResponse(
            request,
            "admin/privacy/notify_customers.html",
            {
                **self.admin_site.each_context(request),
                "form": form,
                "queryset": queryset,
                "action": "notify_customers",
                "title": _("Notify customers"),
            },
        )


# --- consent ------------------------------------------------------------------------------


@admin.register(ConsentEvent)
class ConsentEventAdmin(ReadOnlyAdmin):
    list_display = ["at", "purpose", "given", "source", "customer_id", "email", "notice_version"]
    list_filter = ["purpose", "given", "source"]
    search_fields = ["email", "customer_id"]
    date_hierarchy = "at"


@admin.register(Restriction)
class RestrictionAdmin(ReadOnlyAdmin):
    list_display = ["started_at", "customer_id", "email", "reason", "lifted_at"]
    actions = ["lift"]

    def has_change_permission(self, request, obj=None):
        return request.user.has_perm("privacy.change_restriction")

    @admin.action(description=_("Lift the restriction (the person was told)"))
    def lift(self, request, queryset):
        apply_each(
            request,
            queryset,
            lambda r: requests.lift_restriction(r, actor=request.user, reason="lifted by staff"),
            "%(n)d restriction(s) lifted.",
        )


# --- requests -----------------------------------------------------------------------------


class RequestForm(forms.ModelForm):
    extend_by_months = forms.TypedChoiceField(
        label=_("Extend the deadline by"),
        choices=[("", "—"), (1, "1 month"), (2, "2 months")],
        coerce=int,
        required=False,
        empty_value=None,
    )

    class Meta:
        model = DataSubjectRequest
        fields = ["response", "extension_reason"]


@admin.register(DataSubjectRequest)
class DataSubjectRequestAdmin(NoAdd, NoDelete, admin.ModelAdmin):
    """The staff queue: open requests first, by deadline, with days left."""

    form = RequestForm
    list_display = ["id", "kind", "status", "email", "received_at", "deadline_on", "days_left"]
    list_filter = ["status", "kind"]
    search_fields = ["email", "name"]
    readonly_fields = [
        "kind",
        "status",
        "customer_id",
        "name",
        "email",
        "language",
        "details",
        "submitted_at",
        "received_at",
        "due_on",
        "extended_to",
        "extension_notified_at",
        "completed_at",
        "outcome",
        "archive",
        "handled_by",
    ]
    actions = ["fulfil"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(deadline_on=Coalesce("extended_to", "due_on"))
            .order_by("status", "deadline_on", "id")
        )

    @admin.display(description=_("deadline"), ordering="deadline_on")
    def deadline_on(self, obj):
        return obj.deadline

    @admin.display(description=_("days left"))
    def days_left(self, obj):
        if obj.is_closed or obj.deadline is None:
            return "—"
        left = (obj.deadline - clock.today()).days
        return f"⚠ {left}" if left <= 7 else str(left)

    def save_model(self, request, obj, form, change):
        months = form.cleaned_data.get("extend_by_months")
        try:
            if months:
                requests.extend(
                    obj,
                    months=months,
                    reason=form.cleaned_data["extension_reason"],
                    actor=request.user,
                )
            elif "response" in form.changed_data:
                DataSubjectRequest.objects.filter(pk=obj.pk).update(response=obj.response)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))

    @admin.action(description=_("Carry out the request (archive, erasure, restriction, objection)"))
    def fulfil(self, request, queryset):
        apply_each(
            request,
            queryset,
            lambda r: requests.fulfil(r, actor=request.user, response=r.response),
            "%(n)d request(s) carried out; the people were told.",
        )


# --- retention ----------------------------------------------------------------------------


class ReportLineInline(ReadOnlyInline):
    model = RetentionReportLine
    fields = ["category", "target", "action", "rule", "cutoff", "count"]


@admin.register(RetentionRun)
class RetentionRunAdmin(ReadOnlyAdmin):
    list_display = ["day", "started_at", "finished_at", "total"]
    inlines = [ReportLineInline]

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("privacy.view_retentionrun")


# --- breaches -----------------------------------------------------------------------------


@admin.register(Breach)
class BreachAdmin(admin.ModelAdmin):
    list_display = [
        "title",
        "aware_at",
        "deadline_at",
        "hours_left",
        "authority_notified_at",
        "subjects_decision",
    ]
    list_filter = ["subjects_decision"]
    readonly_fields = ["recorded_at", "recorded_by", "warned_hours"]

    @admin.display(description=_("deadline (72 h)"))
    def deadline_at(self, obj):
        return obj.deadline

    @admin.display(description=_("hours left"))
    def hours_left(self, obj):
        if obj.authority_notified_at:
            return "—"
        left = breaches.hours_left(obj)
        return f"⚠ {left:.0f}" if left <= 24 else f"{left:.0f}"

    def save_model(self, request, obj, form, change):
        if not change:
            fields = {
                f: form.cleaned_data[f]
                for f in form.cleaned_data
                if f not in ("aware_at", "recorded_at", "recorded_by", "warned_hours")
            }
            created = breaches.record_breach(
                aware_at=form.cleaned_data["aware_at"], actor=request.user, **fields
            )
            obj.pk = created.pk
            return
        super().save_model(request, obj, form, change)


# --- the provider as processor (R9.8) -------------------------------------------------------


@admin.register(ProcessorActivity)
class ProcessorActivityAdmin(admin.ModelAdmin):
    """Sub-processors are changed through ``processor.change_subprocessors``: the change is
    recorded and told to the customers it concerns."""

    list_display = ["code", "english_name", "service_kinds", "active", "position"]
    filter_horizontal = ["subprocessors"]

    @admin.display(description=_("name"))
    def english_name(self, obj):
        return obj.names.get("en", "")

    def save_related(self, request, form, formsets, change):
        wanted = set(form.cleaned_data.pop("subprocessors", []))
        super().save_related(request, form, formsets, change)
        current = set(form.instance.subprocessors.all())
        if wanted == current:
            return
        changes = processor.change_subprocessors(
            form.instance, add=wanted - current, remove=current - wanted, actor=request.user
        )
        if changes:
            messages.success(
                request,
                _("Sub-processors changed; %(n)d customers were told.")
                % {"n": changes[0].customers_notified},
            )


@admin.register(SubprocessorChange)
class SubprocessorChangeAdmin(ReadOnlyAdmin):
    list_display = [
        "announced_at",
        "activity",
        "recipient_name",
        "change",
        "effective_on",
        "customers_notified",
    ]
    list_filter = ["change"]


class DpaVersionForm(ServiceForm):
    text_el = forms.CharField(label="Text (el)", widget=forms.Textarea)
    text_en = forms.CharField(label="Text (en)", widget=forms.Textarea)
    text_pl = forms.CharField(label="Text (pl)", widget=forms.Textarea)

    class Meta:
        model = DpaVersion
        fields = []

    def run(self, data):
        texts = {lang: data[f"text_{lang}"] for lang in ("el", "en", "pl")}
        return processor.publish_dpa(texts=texts, actor=self.actor)


@admin.register(DpaVersion)
class DpaVersionAdmin(NoDelete, admin.ModelAdmin):
    """A published version is never edited: staff publish a new one."""

    list_display = ["number", "published_at", "acceptances_count"]
    readonly_fields = ["number", "published_at", "texts", "summary"]

    @admin.display(description=_("acceptances"))
    def acceptances_count(self, obj):
        return obj.acceptances.count()

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            return with_actor(DpaVersionForm, request)
        return super().get_form(request, obj, change=change, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj is not None else []

    def save_model(self, request, obj, form, change):
        adopt(obj, form.result)


@admin.register(DpaAcceptance)
class DpaAcceptanceAdmin(ReadOnlyAdmin):
    list_display = ["accepted_at", "customer_id", "version", "channel"]
    list_filter = ["channel", "version"]
    search_fields = ["customer_id"]


# --- disclosures (R9.5) -------------------------------------------------------------------


class DisclosureForm(ServiceForm):
    class Meta:
        model = Disclosure
        fields = [
            "customer_id",
            "email",
            "recipient",
            "recipient_kind",
            "data",
            "legal_basis",
            "disclosed_on",
            "withheld",
            "withheld_until",
        ]

    def run(self, data):
        return disclosures.record_disclosure(actor=self.actor, **data)


@admin.register(Disclosure)
class DisclosureAdmin(NoDelete, admin.ModelAdmin):
    """Recorded by the data-protection officer; never edited afterwards."""

    list_display = ["disclosed_on", "recipient", "recipient_kind", "customer_id", "withheld"]
    list_filter = ["recipient_kind", "withheld"]
    search_fields = ["recipient", "email", "customer_id"]
    actions = ["lift"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            return with_actor(DisclosureForm, request)
        return super().get_form(request, obj, change=change, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return [f.name for f in Disclosure._meta.concrete_fields if f.name != "id"]

    def save_model(self, request, obj, form, change):
        if not change:
            adopt(obj, form.result)

    @admin.action(description=_("The law no longer forbids telling the person: show it"))
    def lift(self, request, queryset):
        apply_each(
            request,
            queryset,
            lambda d: disclosures.lift_withholding(d, actor=request.user),
            "%(n)d disclosure(s) will be shown to the people concerned.",
        )
