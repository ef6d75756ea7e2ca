"""Reference data that the staff lists' cached filter form shows: a change re-renders it."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save

from liaison import fragments

FILTER_FORM = "suggestion-filters"


def _bump_filters(sender: Any, **kwargs: Any) -> None:
    fragments.bump(FILTER_FORM)


def connect() -> None:
    from accounts.models import Membership
    from stations.models import Region, Station
    from suggestions.models import Category, HandlingUnit

    for model in (Category, HandlingUnit, Station, Region, Membership):
        uid = f"suggestion-filters-{model._meta.label_lower}"
        post_save.connect(_bump_filters, sender=model, dispatch_uid=f"{uid}-save")
        post_delete.connect(_bump_filters, sender=model, dispatch_uid=f"{uid}-delete")
