"""The staff navigation: each role's work queues, built lazily once per request."""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise, SimpleLazyObject
from django.utils.translation import gettext_lazy as _

from accounts.models import Role
from accounts.selectors import user_scope


@dataclass(frozen=True)
class NavItem:
    url: str
    label: str | Promise
    current: bool = False
    urgent: bool = False


@dataclass(frozen=True)
class NavGroup:
    label: str | Promise
    items: tuple[NavItem, ...]


ROLE_LABELS = {
    Role.STATION_STAFF.value: _("Station"),
    Role.COMMITTEE_STAFF.value: _("Committee"),
    Role.UNIT_STAFF.value: _("Handling unit"),
}


def _build(request: HttpRequest) -> list[NavGroup]:
    from suggestions.queues import queues_for

    user = request.user
    if not user.is_authenticated:
        return []
    scope = user_scope(user)
    path = request.path
    current_queue = request.GET.get("queue", "")
    list_url = reverse("suggestions:list")
    home = reverse("home")
    general = [NavItem(home, _("Dashboard"), current=path == home)]
    if scope.station_ids:
        new_visit = reverse("stations:visit_create")
        general.append(NavItem(new_visit, _("Log a visit"), current=path == new_visit))
    if scope.station_ids or scope.region_paths or scope.is_admin or scope.representative_id is not None:
        visits = reverse("stations:visit_list")
        general.append(NavItem(visits, _("Visits"), current=path == visits))
    general.append(NavItem(list_url, _("All suggestions"), current=path == list_url and not current_queue))
    if scope.is_admin or scope.region_paths or scope.station_ids:
        try:
            figures = reverse("dashboards:index")
        except NoReverseMatch:  # the dashboards app is optional in this navigation
            pass
        else:
            general.append(NavItem(figures, _("Statistics"), current=path.startswith(figures)))
    if scope.representative_id is not None:
        mine = reverse("representatives:me")
        field_work = reverse("representatives:field_visit_create")
        general.append(NavItem(mine, _("My performance file"), current=path.startswith(mine) and path != field_work))
        if scope.field_station_ids:
            general.append(NavItem(field_work, _("Record field work"), current=path == field_work))
    if scope.is_admin or scope.region_paths:
        files = reverse("representatives:file_list")
        general.append(NavItem(files, _("Representatives' files"), current=path.startswith(files)))
    groups = [NavGroup(_("Workspace"), tuple(general))]
    by_role: dict[str, list[NavItem]] = {}
    for queue in queues_for(user=user):
        by_role.setdefault(queue.role, []).append(
            NavItem(
                f"{list_url}?queue={queue.code}",
                queue.label,
                current=path == list_url and current_queue == queue.code,
                urgent=queue.urgent,
            )
        )
    for role, items in by_role.items():
        groups.append(NavGroup(ROLE_LABELS.get(role, role), tuple(items)))
    if scope.is_admin:
        export_log = reverse("suggestions:export_log")
        groups.append(
            NavGroup(
                _("Administration"),
                (
                    NavItem(reverse("admin:index"), _("Administration")),
                    NavItem(export_log, _("Export log"), current=path == export_log),
                ),
            )
        )
    return groups


def staff_nav(request: HttpRequest) -> dict[str, object]:
    return {"staff_nav": SimpleLazyObject(lambda: _build(request))}
