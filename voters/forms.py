"""Forms of the voter site. They check what was typed and say what is wrong, in Chinese;
the workflow decides everything else."""

from __future__ import annotations

import re
import unicodedata
import warnings
from dataclasses import dataclass
from typing import Any

from captcha.fields import CaptchaTextInput
from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _
from PIL import Image, UnidentifiedImageError

from stations.models import Region, RegionLevel
from suggestions.models import Category, HandlingUnit, Rating
from voters.captcha import DigitsCaptchaField
from voters.selectors import SEARCH_MAX_LENGTH, district_choices, region_choices

TITLE_MAX = 200
CONTENT_MAX = 5000
FEEDBACK_MAX = 2000
MAX_PHOTOS = 3
MAX_PHOTO_PIXELS = 50_000_000
# What Pillow calls the formats we accept, and the type we store for each.
PHOTO_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "GIF": "image/gif", "WEBP": "image/webp"}

# --- Phone numbers ------------------------------------------------------------

_MOBILE = re.compile(r"1[3-9]\d{9}")
# 010 and 020-029 are three-digit area codes, all others four; local numbers have 7 or 8 digits.
_LANDLINE = re.compile(r"(0(?:10|2\d)|0[3-9]\d\d)([2-9]\d{6,7})")
_PHONE_NOISE = re.compile(r"[\s\-()（）.·—]+")


def phone_normalize(raw: str) -> str | None:
    """The stored form of a Chinese mobile ("13812345678") or landline ("0591-87654321"),
    or None. Accepts full-width digits, spaces, dashes, brackets and a +86 prefix."""
    text = _PHONE_NOISE.sub("", unicodedata.normalize("NFKC", raw or ""))
    for prefix in ("+86", "0086", "86"):
        if text.startswith(prefix) and _MOBILE.fullmatch(text[len(prefix) :]):
            text = text[len(prefix) :]
            break
    if _MOBILE.fullmatch(text):
        return text
    landline = _LANDLINE.fullmatch(text)
    if landline:
        return f"{landline.group(1)}-{landline.group(2)}"
    return None


def _digits4(raw: str) -> str | None:
    text = re.sub(r"\s+", "", unicodedata.normalize("NFKC", raw or ""))
    return text if re.fullmatch(r"\d{4}", text) else None


# --- Photos -------------------------------------------------------------------


@dataclass(frozen=True)
class Photo:
    """An upload that Pillow confirmed is an image of an accepted format."""

    file: UploadedFile
    content_type: str
    extension: str


class MultiplePhotoInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class PhotosField(forms.FileField):
    """Up to MAX_PHOTOS photos, each checked by its content (not its name or declared type)."""

    default_error_messages = {
        "too_many": _("Attach at most %(count)s photos."),
        "too_big": _("“%(name)s” is larger than %(limit)s."),
        "not_image": _("“%(name)s” is not a photo we can read (JPEG, PNG, GIF or WebP)."),
    }

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultiplePhotoInput(attrs={"accept": "image/jpeg,image/png,image/gif,image/webp"}))
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Photo]:
        files = [f for f in (data if isinstance(data, list | tuple) else [data]) if f]
        if len(files) > MAX_PHOTOS:
            raise forms.ValidationError(self.error_messages["too_many"], params={"count": MAX_PHOTOS})
        return [self._check(super(PhotosField, self).clean(f, initial)) for f in files]

    def _check(self, upload: UploadedFile) -> Photo:
        name = (upload.name or "")[:80]
        limit = int(settings.ATTACHMENT_MAX_BYTES)
        if upload.size is None or upload.size > limit:
            raise forms.ValidationError(
                self.error_messages["too_big"], params={"name": name, "limit": filesizeformat(limit)}
            )
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error", Image.DecompressionBombWarning)
                upload.seek(0)
                with Image.open(upload) as image:
                    image_format = image.format or ""
                    width, height = image.size
                    image.verify()
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError, Warning):
            raise forms.ValidationError(self.error_messages["not_image"], params={"name": name}) from None
        finally:
            upload.seek(0)
        if image_format not in PHOTO_FORMATS or width * height > MAX_PHOTO_PIXELS:
            raise forms.ValidationError(self.error_messages["not_image"], params={"name": name})
        extension = "jpg" if image_format == "JPEG" else image_format.lower()
        return Photo(file=upload, content_type=PHOTO_FORMATS[image_format], extension=extension)


# --- Text with a limit --------------------------------------------------------------

TOO_LONG = _("At most %(limit_value)d characters; this has %(show_value)d. Please shorten it.")


class LimitedText(forms.CharField):
    """Text refused, with a clear message, when longer than its limit. Line breaks count once,
    as the page's counter (static/js/counter.js) counts them: browsers send them as CR LF."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("error_messages", {}).setdefault("max_length", TOO_LONG)
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> str:
        return str(super().to_python(value)).replace("\r\n", "\n")


# --- The online suggestion form -------------------------------------------------


class PublicCaptchaInput(CaptchaTextInput):
    """The captcha's picture, an "another picture" button (shown by public.js) and the inputs.

    Widgets render with the form renderer, which does not see the project's templates, so
    the picture row is built here around the stock multi-widget.
    """

    template_name = "django/forms/widgets/multiwidget.html"

    def render(self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None) -> SafeString:
        inputs = super().render(name, value, attrs=attrs, renderer=renderer)
        return format_html(
            '<div class="captcha-row"><img src="{}" alt="{}" class="captcha-img" width="{}" height="{}"'
            " data-captcha-image>"
            '<button type="button" class="link" data-captcha-refresh="{}" hidden>{}</button></div>{}',
            self.image_url(),
            _("Digits to type"),
            settings.CAPTCHA_IMAGE_SIZE[0],
            settings.CAPTCHA_IMAGE_SIZE[1],
            reverse("captcha-refresh"),
            _("Another picture"),
            inputs,
        )


class RegionSelect(forms.Select):
    """A select whose options are the public list of places, not every region in the table."""

    def __init__(self, *, empty_label: str | Promise) -> None:
        super().__init__()
        self.empty_label = empty_label

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        self.choices = [("", self.empty_label), *region_choices()]
        return super().get_context(name, value, attrs)


class SuggestionForm(forms.Form):
    title = LimitedText(
        label=_("Title"),
        max_length=TITLE_MAX,
        help_text=_("In one sentence, what is the problem?"),
        widget=forms.TextInput(attrs={"autocomplete": "off", "data-count": ""}),
    )
    content = LimitedText(
        label=_("Details"),
        max_length=CONTENT_MAX,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("What happened, where and since when, and what you suggest."),
    )
    category = forms.ModelChoiceField(
        label=_("Category"),
        queryset=Category.objects.filter(is_active=True),
        required=False,
        empty_label=_("Not sure"),
    )
    region = forms.ModelChoiceField(
        label=_("District or street"),
        queryset=Region.objects.all(),
        widget=RegionSelect(empty_label=_("Choose the district or street")),
    )
    address = LimitedText(
        label=_("Location"),
        max_length=255,
        required=False,
        help_text=_("Street, community, building: where the problem is."),
    )
    submitter_name = forms.CharField(
        label=_("Your name"), max_length=64, widget=forms.TextInput(attrs={"autocomplete": "name"})
    )
    submitter_phone = forms.CharField(
        label=_("Your phone"),
        max_length=32,
        help_text=_("Only staff see it. Its last four digits and the tracking code let you check the status."),
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )
    submitter_email = forms.EmailField(
        label=_("E-mail (optional)"),
        required=False,
        max_length=254,
        help_text=_("We send the tracking code and the reply here too."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    consent_to_publish = forms.BooleanField(
        label=_("The case may be shown on the public board, with my name and phone masked."),
        required=False,
    )
    photos = PhotosField(
        label=_("Photos (optional)"),
        help_text=_("Up to three photos."),
    )
    # A field people never see (hidden by the stylesheet); robots fill it in.
    website = forms.CharField(
        label=_("Leave this field empty"),
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )
    captcha = DigitsCaptchaField(
        label=_("Digits in the picture"),
        widget=PublicCaptchaInput(attrs={"inputmode": "numeric"}),
        help_text=_("Can't read it? Tap “Another picture”."),
        error_messages={
            "invalid": _("The digits do not match the picture. Please type the digits of the new one."),
            "required": _("Type the digits in the picture."),
            "incomplete": _("Type the digits in the picture."),
        },
    )

    def clean_submitter_phone(self) -> str:
        raw = self.cleaned_data["submitter_phone"]
        phone = phone_normalize(raw)
        if phone is None:
            raise forms.ValidationError(
                _("Enter an 11-digit mobile number, or a landline with its area code (e.g. 0591-87654321).")
            )
        return phone

    def clean_website(self) -> str:
        if self.cleaned_data.get("website"):
            raise forms.ValidationError(_("Your submission could not be accepted."))
        return ""


# --- Status lookup, rating, board filters ----------------------------------------


class LookupForm(forms.Form):
    code = forms.CharField(
        label=_("Tracking code"),
        max_length=32,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}),
    )
    last4 = forms.CharField(
        label=_("Last four digits of your phone"),
        max_length=8,
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "numeric"}),
    )

    def clean_last4(self) -> str:
        digits = _digits4(self.cleaned_data["last4"])
        if digits is None:
            raise forms.ValidationError(_("Enter the last four digits of the phone number you gave."))
        return digits


class RatingForm(forms.Form):
    rating = forms.ChoiceField(
        label=_("How satisfied are you with the reply?"), choices=Rating.choices, widget=forms.RadioSelect
    )
    text = LimitedText(
        label=_("Comment (optional)"),
        max_length=FEEDBACK_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class BoardFilterForm(forms.Form):
    region = forms.ModelChoiceField(
        label=_("District or street"),
        queryset=Region.objects.all(),
        required=False,
        widget=RegionSelect(empty_label=_("All places")),
    )
    category = forms.ModelChoiceField(
        label=_("Category"), queryset=Category.objects.filter(is_active=True), required=False, empty_label=_("All")
    )
    unit = forms.ModelChoiceField(
        label=_("Handling unit"),
        queryset=HandlingUnit.objects.filter(is_active=True).order_by("name"),
        required=False,
        empty_label=_("All"),
    )


class DistrictSelect(forms.Select):
    """The counties and districts (not every region), read when the page is drawn."""

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        self.choices = [("", _("Not chosen")), *district_choices()]
        return super().get_context(name, value, attrs)


class StationSearchForm(forms.Form):
    q = forms.CharField(label=_("Station name or address"), required=False)
    district = forms.ModelChoiceField(
        label=_("My district"),
        queryset=Region.objects.filter(level=RegionLevel.COUNTY),
        required=False,
        widget=DistrictSelect(attrs={"data-autosubmit": ""}),
        help_text=_("Its stations are listed first. Remembered on this phone."),
    )
    after = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def clean_q(self) -> str:
        # Overlong input is cut, not refused: a search box should always answer.
        return " ".join(str(self.cleaned_data["q"]).split())[:SEARCH_MAX_LENGTH]
