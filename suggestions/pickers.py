"""Typed, searchable pickers for long lists (units, regions) in the action forms.

A <select> of 500 units or 60 checkboxes cannot be used; the list filters already replace a
long list by a text field whose <datalist> the app fills as the user types (htmx, no inline
script). The action forms do the same, with one difference: what the field offers and what it
accepts are the same scoped queryset (the field's), so a unit outside the actor's reach is
neither suggested nor accepted.

What a person types or picks is the unit's (or region's) name; a name that several rows of
the queryset share is written "name（code）". The field also accepts a code or an id, as
older forms and scripts send them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from django import forms
from django.db.models import Count, Model, Q, QuerySet
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from stations.models import Region

# How many suggestions the datalist holds at a time: what fits on a phone screen.
OPTION_MATCHES = 20
# "name（code）" or "name (code)", as an ambiguous name is written.
_WITH_CODE = re.compile(r"^(?P<name>.+?)\s*[（(]\s*(?P<code>[^（）()]+?)\s*[）)]$")

MSG_PICK = _("“%(value)s” is not one of the choices here: type part of the name and pick it from the list.")
MSG_AMBIGUOUS = _("More than one has the name “%(value)s”: pick the one you mean from the list.")


def _label_of(obj: Model) -> str:
    return str(getattr(obj, "name", obj))


def _code_of(obj: Model) -> str:
    return str(getattr(obj, "code", obj.pk))


def _resolve(queryset: QuerySet[Any], text: str) -> Model:
    """The row of `queryset` that `text` names: by code, id, unique name or "name（code）"."""
    text = text.strip()
    match: Model | None = queryset.filter(code=text).first()
    if match is None and text.isdigit():
        match = queryset.filter(pk=int(text)).first()
    if match is not None:
        return match
    named = list(queryset.filter(name=text)[:2])
    if len(named) == 1:
        row: Model = named[0]
        return row
    if len(named) > 1:
        raise forms.ValidationError(MSG_AMBIGUOUS, code="ambiguous", params={"value": text})
    with_code = _WITH_CODE.match(text)
    found: Model | None = queryset.filter(code=with_code["code"], name=with_code["name"]).first() if with_code else None
    if found is not None:
        return found
    raise forms.ValidationError(MSG_PICK, code="invalid_choice", params={"value": text[:64]})


def _shared_names(queryset: QuerySet[Any], names: Iterable[str]) -> set[str]:
    """Which of these names more than one row of the queryset has."""
    wanted = sorted(set(names))
    if not wanted:
        return set()
    rows = queryset.order_by().filter(name__in=wanted).values("name").annotate(n=Count("id")).filter(n__gt=1)
    return {str(r["name"]) for r in rows}


def picker_values(queryset: QuerySet[Any], rows: Sequence[Model]) -> list[str]:
    """What each row is written as in the field: its name, or "name（code）" where shared."""
    shared = _shared_names(queryset, (_label_of(r) for r in rows))
    return [f"{_label_of(r)}（{_code_of(r)}）" if _label_of(r) in shared else _label_of(r) for r in rows]


class PickerMixin:
    """What the typed fields share: how they search, write and describe their rows."""

    queryset: Any

    def search(self, text: str) -> QuerySet[Any]:
        """The rows matching what the user typed: part of the name, or the start of the code."""
        qs: QuerySet[Any] = self.queryset
        text = text.strip()[:64]
        if text:
            with_code = _WITH_CODE.match(text)
            name = with_code["name"] if with_code else text
            qs = qs.filter(Q(name__icontains=name) | Q(code__istartswith=text))
        return qs

    def describe(self, rows: Sequence[Model]) -> list[str]:
        """The smaller text beside each suggestion: where the row is."""
        return [str(getattr(getattr(r, "region", None), "name", "")) for r in rows]

    def options(self, text: str = "") -> list[tuple[str, str]]:
        """Up to OPTION_MATCHES (value, description) pairs for the datalist."""
        rows = list(self.search(text)[:OPTION_MATCHES])
        return list(zip(picker_values(self.queryset, rows), self.describe(rows), strict=True))

    def display(self, value: Any) -> str:
        """How a chosen row (or its id) is written back into the field."""
        if value in (None, ""):
            return ""
        if isinstance(value, Model):
            row: Model | None = value
        elif isinstance(value, int) or (isinstance(value, str) and value.isdigit()):
            row = self.queryset.filter(pk=int(value)).first()
        else:
            return str(value)
        return picker_values(self.queryset, [row])[0] if row is not None else str(value)


class PickerInput(forms.TextInput):
    """A text field with a <datalist> that htmx refills from `options_url` as the user types."""

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs)
        self.options_url = ""
        self.list_id = ""
        self.initial_options: list[tuple[str, str]] = []

    def configure(self, *, options_url: str, list_id: str, initial_options: list[tuple[str, str]]) -> None:
        self.options_url = options_url
        self.list_id = list_id
        self.initial_options = initial_options

    def picker_attrs(self) -> dict[str, str]:
        return {
            "list": self.list_id,
            "autocomplete": "off",
            "data-picker": "1",
            "placeholder": str(_("Type part of the name")),
            "hx-get": self.options_url,
            "hx-trigger": "input changed delay:250ms",
            "hx-target": f"#{self.list_id}",
            "hx-swap": "innerHTML",
            "hx-push-url": "false",
            "hx-sync": "this:replace",
        }

    def datalist(self) -> SafeString:
        options = format_html_join("", '<option value="{}">{}</option>', self.initial_options)
        return format_html('<datalist id="{}">{}</datalist>', self.list_id, options)

    def render(self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None) -> SafeString:
        field = super().render(name, value, {**(attrs or {}), **self.picker_attrs()}, renderer)
        return format_html("{}{}", field, self.datalist())


class PickerMultipleInput(PickerInput):
    """Several typed fields of one name (one unit each), with a button that adds one more.

    Without JavaScript there is always an empty field more than the values given, and at
    least two; with it, the button adds fields (static/js/app.js, `data-picker-add`)."""

    allow_multiple_selected = True

    def value_from_datadict(self, data: Any, files: Any, name: str) -> list[str]:
        getter = getattr(data, "getlist", None)
        values = getter(name) if getter is not None else data.get(name)
        if values is None:
            return []
        if isinstance(values, str):
            values = [values]
        return [str(v) for v in values if str(v).strip()]

    def value_omitted_from_data(self, data: Any, files: Any, name: str) -> bool:
        return False

    def render(self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None) -> SafeString:
        values = [v for v in (value or []) if v not in (None, "")]
        attrs = {**(attrs or {})}
        base_id = str(attrs.pop("id", f"id_{name}"))
        count = max(len(values) + 1, 2)
        fields = []
        for index in range(count):
            one = values[index] if index < len(values) else ""
            field_attrs = {**attrs, **self.picker_attrs(), "id": base_id if index == 0 else f"{base_id}_{index}"}
            fields.append(forms.TextInput.render(self, name, one, field_attrs, renderer))
        items = format_html_join("", '<li class="picker-item">{}</li>', ((f,) for f in fields))
        button = format_html(
            '<button type="button" class="button small js-only" data-picker-add="{}">{}</button>',
            base_id,
            _("Add another"),
        )
        return format_html('<ul class="picker-many" id="{}_list">{}</ul>{}{}', base_id, items, button, self.datalist())

    def format_value(self, value: Any) -> Any:
        return value


class PickerChoiceField(PickerMixin, forms.ModelChoiceField):  # type: ignore[type-arg]
    """One row of the queryset, typed and picked by name."""

    widget = PickerInput

    def __init__(self, queryset: QuerySet[Any], **kwargs: Any) -> None:
        kwargs.setdefault("empty_label", None)
        super().__init__(queryset, **kwargs)

    def to_python(self, value: Any) -> Model | None:
        text = str(value or "").strip()
        if not text:
            return None
        return _resolve(self.queryset, text)

    def prepare_value(self, value: Any) -> Any:
        return self.display(value)

    def has_changed(self, initial: Any, data: Any) -> bool:
        return self.display(initial) != str(data or "").strip()


class PickerMultipleChoiceField(PickerMixin, forms.ModelMultipleChoiceField):  # type: ignore[type-arg]
    """Any number of rows of the queryset, each typed and picked by name; named once each."""

    widget = PickerMultipleInput
    default_error_messages = {
        **forms.ModelMultipleChoiceField.default_error_messages,
        "duplicate": _("Each one may be named only once: “%(value)s” is named twice."),
    }

    def clean(self, value: Any) -> list[Model]:  # type: ignore[override]  # in the order typed
        texts = [str(v).strip() for v in (value or []) if str(v).strip()]
        if not texts:
            if self.required:
                raise forms.ValidationError(self.error_messages["required"], code="required")
            return []
        rows: list[Model] = []
        errors: list[forms.ValidationError] = []
        for text in texts:
            try:
                row = _resolve(self.queryset, text)
            except forms.ValidationError as error:
                errors.append(error)
                continue
            if any(r.pk == row.pk for r in rows):
                errors.append(
                    forms.ValidationError(self.error_messages["duplicate"], code="duplicate", params={"value": text})
                )
                continue
            rows.append(row)
        if errors:
            raise forms.ValidationError(errors)
        self.run_validators(rows)
        return rows

    def prepare_value(self, value: Any) -> Any:
        if value is None:
            return []
        items = value if isinstance(value, list | tuple | QuerySet) else [value]
        return [self.display(v) for v in items]

    def has_changed(self, initial: Any, data: Any) -> bool:
        return bool(self.prepare_value(initial) != list(data or []))


def picker_fields(form: forms.Form) -> list[tuple[str, PickerMixin]]:
    return [(name, field) for name, field in form.fields.items() if isinstance(field, PickerMixin)]


def configure_pickers(form: forms.Form, *, options_url: str) -> None:
    """Point each picker of the form at its options URL (`options_url` with the field's name
    as `{field}`), and fill its datalist with the first matches so something is offered
    before anything is typed (and without JavaScript)."""
    for name, field in picker_fields(form):
        widget = field.widget  # type: ignore[attr-defined]
        if isinstance(widget, PickerInput):
            widget.configure(
                options_url=options_url.replace("__field__", name),
                list_id=f"{name}-options",
                initial_options=field.options(""),
            )


class RegionPickerField(PickerChoiceField):
    """A region, typed by name; described by the county and township above it."""

    def search(self, text: str) -> QuerySet[Any]:
        return super().search(text).order_by("depth", "path")

    def describe(self, rows: Sequence[Model]) -> list[str]:
        codes = {c for r in rows for c in str(getattr(r, "path", "")).split("/")[:-2] if c}
        names = dict(Region.objects.filter(code__in=codes).values_list("code", "name")) if codes else {}
        out = []
        for r in rows:
            above = [c for c in str(getattr(r, "path", "")).split("/")[:-2] if c]
            out.append(" · ".join(names.get(c, "") for c in above[-2:] if names.get(c)))
        return out
