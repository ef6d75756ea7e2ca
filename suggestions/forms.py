"""Forms of the staff workspace: input checks with Chinese messages next to each field.

The forms only check and clean what people typed; every rule about who may do what,
and in which state, is the workflow's (`suggestions.workflow`), whose refusals the
views show next to the form.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Sequence
from typing import Any

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from representatives.models import Representative
from stations.models import Region
from suggestions.models import (
    Category,
    HandlingUnit,
    Rating,
    ReplyCategory,
    Route,
    Suggestion,
    Urgency,
)
from suggestions.pickers import PickerChoiceField, PickerMultipleChoiceField, RegionPickerField
from suggestions.selectors import on_spot_representatives
from suggestions.tracking import tracking_code_normalize
from suggestions.workflow import ON_SPOT_CATEGORIES

# --- Phone numbers -----------------------------------------------------------

_MOBILE = re.compile(r"^1[3-9]\d{9}$")
# Area codes: 010 and 020-029 have three digits, every other one four; local numbers 7 or 8 digits.
_LANDLINE = re.compile(r"^(0(?:10|2\d)|0[3-9]\d{2})(\d{7,8})$")
_PHONE_NOISE = re.compile(r"[\s\-()（）.·]+")


def phone_normalize(raw: str) -> str:
    """A Chinese mobile or landline number in its stored form, or ValidationError.

    Accepts what people type: full-width digits and punctuation (１３８－…), spaces,
    dashes, brackets around the area code, a +86 / 0086 prefix. Mobiles are stored as
    eleven digits, landlines as "area-local" (0591-87654321).
    """
    text = _PHONE_NOISE.sub("", unicodedata.normalize("NFKC", raw or ""))
    if not text:
        return ""
    if text.startswith("+86"):
        text = text[3:]
    elif text.startswith("0086"):
        text = text[4:]
    elif text.startswith("86") and len(text) == 13:
        text = text[2:]
    if not text.isascii() or not text.isdigit():
        raise forms.ValidationError(
            _("Enter a phone number using digits only, for example 13812345678 or 0591-87654321."),
            code="phone_chars",
        )
    if _MOBILE.match(text):
        return text
    landline = _LANDLINE.match(text)
    if landline:
        return f"{landline.group(1)}-{landline.group(2)}"
    raise forms.ValidationError(
        _(
            "This is not a Chinese mobile number (11 digits starting with 1) or a landline with its area "
            "code (for example 0591-87654321)."
        ),
        code="phone_invalid",
    )


class PhoneField(forms.CharField):
    """A Chinese mobile or landline number; empty is allowed unless `required`."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 32)
        super().__init__(**kwargs)
        self.widget.attrs.update({"inputmode": "tel", "autocomplete": "off"})

    def clean(self, value: Any) -> str:
        cleaned: str = super().clean(value)
        return phone_normalize(cleaned)


# --- Attachments ---------------------------------------------------------------

# What a file's first bytes say it is; the name and the browser's content type are not trusted.
_SIGNATURES: tuple[tuple[bytes, int, str], ...] = (
    (b"%PDF-", 0, "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", 0, "image/png"),
    (b"\xff\xd8\xff", 0, "image/jpeg"),
    (b"GIF87a", 0, "image/gif"),
    (b"GIF89a", 0, "image/gif"),
    (b"WEBP", 8, "image/webp"),
)
MAX_ATTACHMENTS = 10


def attachment_content_type(upload: UploadedFile) -> str:
    """The checked content type of an upload (image or PDF), or ValidationError."""
    max_bytes: int = settings.ATTACHMENT_MAX_BYTES
    size = upload.size or 0
    if size > max_bytes:
        raise forms.ValidationError(
            _("“%(name)s” is too big: at most %(max)s MB per file."),
            code="attachment_too_big",
            params={"name": upload.name, "max": f"{max_bytes / (1024 * 1024):g}"},
        )
    if size == 0:
        raise forms.ValidationError(_("“%(name)s” is empty."), code="attachment_empty", params={"name": upload.name})
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    detected = ""
    for signature, offset, content_type in _SIGNATURES:
        if head[offset : offset + len(signature)] == signature and (offset == 0 or head[:4] == b"RIFF"):
            detected = content_type
            break
    if detected.startswith("image/"):
        detected = detected if _image_is_readable(upload) else ""
    elif detected == "application/pdf":
        detected = detected if _pdf_is_complete(upload) else ""
    if not detected:
        raise forms.ValidationError(
            _("“%(name)s” is not a picture (JPEG, PNG, GIF, WebP) or a PDF document."),
            code="attachment_type",
            params={"name": upload.name},
        )
    return detected


def _image_is_readable(upload: UploadedFile) -> bool:
    from PIL import Image

    try:
        with Image.open(upload) as image:
            image.verify()
    except Exception:  # Pillow raises many types for damaged or disguised files
        return False
    finally:
        upload.seek(0)
    return True


def _pdf_is_complete(upload: UploadedFile) -> bool:
    size = upload.size or 0
    upload.seek(max(0, size - 2048))
    tail = upload.read()
    upload.seek(0)
    return b"%%EOF" in tail


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class AttachmentsField(forms.FileField):
    """Zero or more pictures or PDFs, each checked by content and size."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault(
            "widget", MultipleFileInput(attrs={"accept": "image/jpeg,image/png,image/gif,image/webp,application/pdf"})
        )
        super().__init__(**kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        uploads = [f for f in (data if isinstance(data, list | tuple) else [data]) if f]
        if len(uploads) > MAX_ATTACHMENTS:
            raise forms.ValidationError(
                _("At most %(max)s files at once."), code="attachment_count", params={"max": MAX_ATTACHMENTS}
            )
        errors: list[forms.ValidationError] = []
        for upload in uploads:
            try:
                attachment_content_type(upload)
            except forms.ValidationError as error:
                errors.append(error)
        if errors:
            raise forms.ValidationError(errors)
        return uploads


# --- Dates ------------------------------------------------------------------------


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")


def not_before_today(value: dt.date | None) -> None:
    if value is not None and value < timezone.localdate():
        raise forms.ValidationError(_("The date cannot be before today."), code="deadline_in_past")


# --- Action forms -------------------------------------------------------------


class ActionForm(forms.Form):
    """Base of every workflow action form: carries the version the user saw."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)

    def __init__(self, *args: Any, suggestion: Suggestion, user: Any, **kwargs: Any) -> None:
        self.suggestion = suggestion
        self.user = user
        kwargs.setdefault("initial", {})
        kwargs["initial"].setdefault("version", suggestion.version)
        super().__init__(*args, **kwargs)

    @property
    def expected_version(self) -> int | None:
        value = self.cleaned_data.get("version")
        return int(value) if value else None


def _textarea(rows: int = 3) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows})


class SortForm(ActionForm):
    category = forms.ModelChoiceField(
        label=_("Category"), queryset=Category.objects.filter(is_active=True), empty_label=_("Choose a category")
    )
    urgency = forms.ChoiceField(label=_("Urgency"), choices=Urgency.choices, widget=forms.RadioSelect)
    region = RegionPickerField(
        label=_("Region of the problem"),
        queryset=Region.objects.none(),
        required=False,
        help_text=_("Correct it when the problem lies elsewhere in your area; leave it as it is otherwise."),
    )
    note = forms.CharField(label=_("Note"), required=False, widget=_textarea(2), max_length=2000)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from suggestions.selectors import suggestion_region_options

        self.fields["category"].initial = self.suggestion.category_id
        self.fields["urgency"].initial = self.suggestion.urgency
        region: RegionPickerField = self.fields["region"]  # type: ignore[assignment]
        region.queryset = suggestion_region_options(user=self.user, station=self.suggestion.station).order_by("path")
        region.initial = self.suggestion.region_id

    def clean_region(self) -> Region | None:
        region: Region | None = self.cleaned_data.get("region")
        # Unchanged (or emptied): the region stays as recorded.
        return None if region is None or region.pk == self.suggestion.region_id else region


class MergeForm(ActionForm):
    """Merge into an earlier duplicate: one of the likely duplicates listed, or a typed code."""

    candidate = forms.TypedChoiceField(
        label=_("Likely duplicates"),
        coerce=int,
        required=False,
        empty_value=None,
        widget=forms.RadioSelect,
        help_text=_("Earlier suggestions of the same station or region with a similar title."),
    )
    merge_into = forms.CharField(
        label=_("Or the tracking code of the earlier suggestion"),
        max_length=20,
        required=False,
        help_text=_("This suggestion becomes a duplicate of that one and follows its handling."),
    )
    note = forms.CharField(label=_("Note"), required=False, widget=_textarea(2), max_length=2000)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from suggestions.selectors import merge_candidates

        self.candidates = {c.pk: c for c in merge_candidates(user=self.user, suggestion=self.suggestion)}
        field: forms.TypedChoiceField = self.fields["candidate"]  # type: ignore[assignment]
        field.choices = [(pk, candidate_label(c)) for pk, c in self.candidates.items()]
        if not self.candidates:
            field.help_text = _("No earlier suggestion of this station or region has a similar title: type a code.")

    def clean_merge_into(self) -> Suggestion | None:
        from suggestions.selectors import suggestion_list

        text = self.cleaned_data.get("merge_into") or ""
        if not text.strip():
            return None
        code = tracking_code_normalize(text)
        target = (
            suggestion_list(user=self.user).filter(tracking_code=code).exclude(pk=self.suggestion.pk).first()
            if code
            else None
        )
        if target is None:
            raise forms.ValidationError(_("No other suggestion you can see has this tracking code."), code="not_found")
        return target

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if "merge_into" in self.errors or "candidate" in self.errors:
            return data
        picked = self.candidates.get(data.get("candidate") or 0)
        typed: Suggestion | None = data.get("merge_into")
        if picked is not None and typed is not None and picked.pk != typed.pk:
            self.add_error("merge_into", _("Pick one of the listed suggestions or type a code, not both."))
        elif picked is None and typed is None:
            self.add_error("candidate", _("Pick the earlier suggestion this one duplicates, or type its code."))
        else:
            data["target"] = picked or typed
        return data


def candidate_label(s: Suggestion) -> str:
    """One likely duplicate as the merge form lists it: code, title, date received, state."""
    from suggestions.tracking import tracking_code_display

    title = s.title if len(s.title) <= 60 else f"{s.title[:59]}…"
    day = timezone.localtime(s.created_at).date().isoformat()
    return f"{tracking_code_display(s.tracking_code)} · {title} · {day} · {s.get_state_display()}"


class ResolveOnSpotForm(ActionForm):
    representative = forms.ModelChoiceField(
        label=_("Representative who resolved it"),
        queryset=Representative.objects.none(),
        empty_label=_("Choose the representative"),
        error_messages={"required": _("Say which representative resolved it.")},
    )
    category = forms.ChoiceField(
        label=_("Reply category"),
        choices=[(c, ReplyCategory(c).label) for c in ON_SPOT_CATEGORIES],
        widget=forms.RadioSelect,
        initial=ReplyCategory.A,
        help_text=_("A problem still being solved (B) is proposed to a unit, which reports on it until it is solved."),
    )
    reply_text = forms.CharField(label=_("How it was resolved"), widget=_textarea(4), max_length=5000, strip=True)
    note = forms.CharField(label=_("Note"), required=False, widget=_textarea(2), max_length=2000)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: forms.ModelChoiceField[Representative] = self.fields["representative"]  # type: ignore[assignment]
        field.queryset = on_spot_representatives(suggestion=self.suggestion).order_by("name", "id")
        field.initial = self.suggestion.representative_id
        if not field.queryset.exists():
            # A station without assigned representatives (or none recorded) cannot name one.
            field.required = False
            field.help_text = _("No representative is assigned to this station.")


class ProposeForm(ActionForm):
    route = forms.ChoiceField(label=_("Proposed route"), choices=Route.choices, widget=forms.RadioSelect)
    unit = PickerChoiceField(label=_("Proposed lead unit"), queryset=HandlingUnit.objects.none(), required=False)
    co_units = PickerMultipleChoiceField(
        label=_("Proposed co-handling units"),
        queryset=HandlingUnit.objects.none(),
        required=False,
        help_text=_("Optional: other units that should help the lead unit."),
    )
    note = forms.CharField(label=_("Reason or note"), required=False, widget=_textarea(3), max_length=2000)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        units = units_for_suggestion(self.suggestion)
        unit_field: PickerChoiceField = self.fields["unit"]  # type: ignore[assignment]
        co_field: PickerMultipleChoiceField = self.fields["co_units"]  # type: ignore[assignment]
        unit_field.queryset = units
        co_field.queryset = units
        self.fields["route"].initial = Route.UNIT

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        unit, co = data.get("unit"), data.get("co_units") or []
        if data.get("route") == Route.UNIT and not unit and "unit" not in self.errors:
            self.add_error("unit", _("Choose the unit to hand it over to."))
        if co and data.get("route") != Route.UNIT:
            self.add_error("co_units", _("Co-units can only be proposed for the route “hand over to a unit”."))
        if unit is not None and any(u.pk == unit.pk for u in co):
            self.add_error("co_units", _("The lead unit cannot also be a co-handling unit."))
        if data.get("route") == Route.NOT_ACCEPTED and not data.get("note"):
            self.add_error("note", _("Give the reason why it is not accepted."))
        return data


def units_for_suggestion(suggestion: Suggestion) -> QuerySet[HandlingUnit]:
    """Active units of the suggestion's region and the regions above it (a district bureau
    handles a street's problem; a street office does not handle its neighbour's)."""
    return (
        HandlingUnit.objects.filter(is_active=True, region__in=suggestion.region.ancestors())
        .select_related("region")
        .order_by("region__path", "name")
    )


class HandOverForm(ActionForm):
    lead_unit = PickerChoiceField(label=_("Lead unit"), queryset=HandlingUnit.objects.none())
    co_units = PickerMultipleChoiceField(
        label=_("Co-handling units"), queryset=HandlingUnit.objects.none(), required=False
    )
    reply_due = forms.DateField(
        label=_("Reply by"),
        required=False,
        widget=DateInput(),
        validators=[not_before_today],
        help_text=_("Leave empty to count the statutory working days."),
    )
    co_due = forms.DateField(
        label=_("Co-units' opinions by"),
        required=False,
        widget=DateInput(),
        validators=[not_before_today],
        help_text=_("Leave empty to count the statutory working days."),
    )
    note = forms.CharField(label=_("Instructions for the unit"), required=False, widget=_textarea(3), max_length=2000)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from suggestions.selectors import handling_unit_list, units_that_returned

        units = handling_unit_list(user=self.user).filter(is_active=True).order_by("region__path", "name")
        lead: PickerChoiceField = self.fields["lead_unit"]  # type: ignore[assignment]
        co: PickerMultipleChoiceField = self.fields["co_units"]  # type: ignore[assignment]
        lead.queryset = units
        co.queryset = units
        lead.error_messages["required"] = _("Choose the lead unit.")
        if self.is_bound:
            return
        # Start from the station's proposal, but never hand it back to a unit that returned it.
        returned = units_that_returned(suggestion=self.suggestion)
        if self.suggestion.proposed_unit_id not in returned:
            lead.initial = self.suggestion.proposed_unit_id
        co.initial = [pk for pk in self.suggestion.proposed_co_units.values_list("pk", flat=True) if pk not in returned]
        if returned:
            names = HandlingUnit.objects.filter(pk__in=returned).order_by("name").values_list("name", flat=True)
            lead.help_text = _("Returned by: %(units)s.") % {"units": "、".join(names)}

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        lead, co = data.get("lead_unit"), data.get("co_units")
        if lead is not None and co and any(u.pk == lead.pk for u in co):
            self.add_error("co_units", _("The lead unit cannot also be a co-handling unit."))
        reply_due, co_due = data.get("reply_due"), data.get("co_due")
        if reply_due and co_due and co_due > reply_due:
            self.add_error("co_due", _("Co-units' opinions must be due before the reply."))
        return data


class DeclineForm(ActionForm):
    note = forms.CharField(label=_("Reason"), widget=_textarea(3), max_length=2000)
    reference = forms.CharField(
        label=_("Reference"),
        required=False,
        max_length=64,
        help_text=_("Number of the closed-session suggestion, or the congress it was escalated to."),
    )


class AcknowledgeForm(ActionForm):
    pass


class ReturnForm(ActionForm):
    reason = forms.CharField(
        label=_("Reason for returning"),
        widget=_textarea(3),
        max_length=2000,
        error_messages={"required": _("Say why the suggestion is returned.")},
    )


class CoOpinionForm(ActionForm):
    text = forms.CharField(label=_("Opinion for the lead unit"), widget=_textarea(4), max_length=5000)


class RequestExtensionForm(ActionForm):
    days = forms.IntegerField(label=_("Extra working days"), min_value=1, max_value=365)
    reason = forms.CharField(label=_("Reason"), widget=_textarea(3), max_length=2000)


class DecideExtensionForm(ActionForm):
    approve = forms.TypedChoiceField(
        label=_("Decision"),
        choices=[("1", _("Approve")), ("0", _("Refuse"))],
        coerce=lambda v: v == "1",
        widget=forms.RadioSelect,
    )
    note = forms.CharField(label=_("Note"), required=False, widget=_textarea(2), max_length=2000)


class SuperviseForm(ActionForm):
    note = forms.CharField(label=_("Supervision note"), required=False, widget=_textarea(3), max_length=2000)


class ReplyForm(ActionForm):
    category = forms.ChoiceField(label=_("Reply category"), choices=ReplyCategory.choices, widget=forms.RadioSelect)
    text = forms.CharField(
        label=_("Reply"),
        widget=_textarea(6),
        max_length=10000,
        error_messages={"required": _("Write the reply.")},
    )
    follow_up_due = forms.DateField(
        label=_("Next progress report by"),
        required=False,
        widget=DateInput(),
        validators=[not_before_today],
        help_text=_("For category B: when the unit reports on progress again."),
    )
    attachments = AttachmentsField(label=_("Attachments"), help_text=_("Photos or scans: JPEG, PNG, GIF, WebP or PDF."))


class FollowUpForm(ActionForm):
    text = forms.CharField(label=_("Progress report"), widget=_textarea(4), max_length=5000)
    solved = forms.BooleanField(label=_("The problem is now solved"), required=False)
    next_due = forms.DateField(
        label=_("Next report by"), required=False, widget=DateInput(), validators=[not_before_today]
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("solved") and not data.get("next_due") and "next_due" not in self.errors:
            self.add_error("next_due", _("Give the date of the next report, or mark the problem as solved."))
        return data


class FeedbackForm(ActionForm):
    rating = forms.ChoiceField(label=_("The voter's rating"), choices=Rating.choices, widget=forms.RadioSelect)
    text = forms.CharField(label=_("What the voter said"), required=False, widget=_textarea(3), max_length=5000)


class RepresentativeRatingForm(ActionForm):
    """代表评: the receiving representative's own rating of the latest answer."""

    rating = forms.ChoiceField(
        label=_("Your rating of the handling"),
        choices=Rating.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose how satisfied you are with the handling.")},
    )
    text = forms.CharField(label=_("Your comment"), required=False, widget=_textarea(3), max_length=2000)


class CloseForm(ActionForm):
    note = forms.CharField(label=_("Closing note"), required=False, widget=_textarea(2), max_length=2000)


class PublishForm(ActionForm):
    """What becomes public: the whole case or its facts only, and the public wording.

    The wording fields start from the masked text the board would show, so the voter's
    unmasked details are never copied into them; a field left as it started (or emptied)
    stores nothing and the board keeps showing the recorded text, masked.
    """

    FULL = "full"
    FACTS = "facts"

    scope = forms.ChoiceField(
        label=_("What is published"),
        choices=[
            (FULL, _("The whole case: title, content and reply, masked")),
            (FACTS, _("The facts only: category, place, unit, times, result and rating, without the voter's words")),
        ],
        widget=forms.RadioSelect,
    )
    public_title = forms.CharField(label=_("Public title"), required=False, max_length=200)
    public_content = forms.CharField(label=_("Public content"), required=False, widget=_textarea(5), max_length=10000)
    public_reply = forms.CharField(label=_("Public reply"), required=False, widget=_textarea(5), max_length=10000)

    WORDING = ("public_title", "public_content", "public_reply")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from suggestions.public import board_preview, public_wording

        s = self.suggestion
        consent = s.consent_to_publish
        self.fields["scope"].initial = self.FULL if consent else self.FACTS
        if not consent:
            self.fields["scope"].help_text = _(
                "The voter did not consent to publication: only the facts may be published."
            )
        for name, text in zip(self.WORDING, public_wording(s), strict=True):
            self.fields[name].initial = text
            self.fields[name].help_text = _("Edit names of other people, addresses and the like out of it.")
        # The recorded text as the board masks it: submitted unchanged, it is no edit.
        recorded = board_preview(s, facts_only=False)
        self.recorded = dict(zip(self.WORDING, (recorded.title, recorded.content, recorded.reply_text), strict=True))

    @property
    def facts_only(self) -> bool:
        return self.cleaned_data.get("scope") == self.FACTS

    def wording(self) -> dict[str, str]:
        """The edited public wording (empty where it is the recorded text)."""
        result: dict[str, str] = {}
        for name in self.WORDING:
            # Browsers send a textarea's line ends as CRLF.
            value = (self.cleaned_data.get(name) or "").replace("\r\n", "\n").strip()
            result[name] = "" if value == self.recorded[name].replace("\r\n", "\n").strip() else value
        return result


class WithdrawPublicationForm(ActionForm):
    reason = forms.CharField(
        label=_("Reason for withdrawing"),
        widget=_textarea(3),
        max_length=2000,
        error_messages={"required": _("Say why the publication is withdrawn.")},
        help_text=_("Kept in the timeline for staff; not shown to the public."),
    )


ACTION_FORMS: dict[str, type[ActionForm]] = {
    "sort": SortForm,
    "merge": MergeForm,
    "resolve_on_spot": ResolveOnSpotForm,
    "propose": ProposeForm,
    "hand_over": HandOverForm,
    "decline": DeclineForm,
    "acknowledge": AcknowledgeForm,
    "return": ReturnForm,
    "co_opinion": CoOpinionForm,
    "request_extension": RequestExtensionForm,
    "decide_extension": DecideExtensionForm,
    "supervise": SuperviseForm,
    "reply": ReplyForm,
    "report_follow_up": FollowUpForm,
    "feedback": FeedbackForm,
    "rate_as_representative": RepresentativeRatingForm,
    "close": CloseForm,
    "publish": PublishForm,
    "withdraw_publication": WithdrawPublicationForm,
}


def uploads_of(form: forms.Form, field: str = "attachments") -> Sequence[UploadedFile]:
    value = form.cleaned_data.get(field) or []
    return list(value)
