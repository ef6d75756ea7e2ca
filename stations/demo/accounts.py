"""Demo accounts: one login per role, tied to what the generated data put them in charge of."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.hashers import make_password
from django.utils.translation import gettext as _

from accounts.models import Membership, Role, User
from accounts.services import membership_grant
from representatives.models import Representative
from stations.models import Region, Station
from suggestions.models import HandlingUnit, HandlingUnitContact

DEMO_PASSWORD = "demo12345"


@dataclass(frozen=True)
class DemoAccount:
    username: str
    role: Role


DEMO_ACCOUNTS = (
    DemoAccount("admin", Role.ADMINISTRATOR),
    DemoAccount("committee", Role.COMMITTEE_STAFF),
    DemoAccount("district", Role.COMMITTEE_STAFF),
    DemoAccount("station", Role.STATION_STAFF),
    DemoAccount("unit", Role.UNIT_STAFF),
    DemoAccount("rep", Role.REPRESENTATIVE),
)
DEMO_USERNAMES = tuple(a.username for a in DEMO_ACCOUNTS)


@dataclass
class DemoUsers:
    """The demo users, and which of them this run created (only those get scoped here)."""

    users: dict[str, User]
    created: set[str]

    def new_id(self, username: str) -> int | None:
        return self.users[username].pk if username in self.created else None


def demo_users_ensure() -> DemoUsers:
    users: dict[str, User] = {}
    created: set[str] = set()
    encoded = ""
    for account in DEMO_ACCOUNTS:
        user = User.objects.filter(username=account.username).first()
        if user is None:
            # One hash for all: the password is public anyway, and hashing is deliberately slow.
            encoded = encoded or make_password(DEMO_PASSWORD)
            user = User(username=account.username, email=f"{account.username}@demo.example", password=encoded)
            user.save()
            created.add(account.username)
        users[account.username] = user
    return DemoUsers(users=users, created=created)


def demo_users_scope(
    *,
    demo: DemoUsers,
    city: Region,
    district: Region,
    station: Station,
    unit: HandlingUnit | None,
    representative_id: int | None,
) -> None:
    """Give each user created in this run its role, its scope and a display name."""
    names = {
        "admin": "系统管理员",
        "committee": f"{city.name}人大常委会选联工委",
        "district": f"{district.name}人大常委会",
        "station": f"{station.name}工作人员",
        "unit": f"{unit.name}联络员" if unit else "",
        "rep": "",
    }
    targets: dict[str, dict[str, object]] = {
        "committee": {"region": city},
        "district": {"region": district},
        "station": {"station": station},
        "unit": {"unit": unit},
    }
    for account in DEMO_ACCOUNTS:
        if account.username not in demo.created:
            continue
        if account.username == "unit" and unit is None:
            continue
        user = demo.users[account.username]
        if account.username == "rep" and representative_id is not None:
            rep = Representative.objects.get(pk=representative_id)
            names["rep"] = f"{rep.name}代表"
        membership_grant(user=user, role=account.role, **targets.get(account.username, {}))  # type: ignore[arg-type]
        user.display_name = names[account.username]
        user.save(update_fields=["display_name"])
        if account.username == "unit" and unit is not None:
            HandlingUnitContact.objects.create(
                unit=unit, user=user, name=user.display_name, email=user.email, phone="0591-87000000"
            )


def demo_accounts_table() -> list[tuple[str, str, str, str]]:
    """(username, password, role, scope) for each demo account that exists."""
    rows = []
    for account in DEMO_ACCOUNTS:
        user = User.objects.filter(username=account.username).first()
        if user is None:
            continue
        memberships = Membership.objects.filter(user=user).select_related("station", "unit", "region")
        scopes = []
        roles = []
        for m in memberships:
            roles.append(str(Role(m.role).label))
            if m.role == Role.ADMINISTRATOR:
                scopes.append(_("everything, and the Django admin at /admin/"))
            elif m.station is not None:
                scopes.append(_("station %(station)s") % {"station": m.station.name})
            elif m.unit is not None:
                scopes.append(_("handling unit %(unit)s") % {"unit": m.unit.name})
            elif m.region is not None:
                scopes.append(_("region %(region)s and everything in it") % {"region": m.region.name})
        rep = Representative.objects.filter(user=user).prefetch_related("stations").first()
        if rep is not None:
            stations = "、".join(s.name for s in rep.stations.all())
            scopes.append(
                _("representative %(name)s, assigned to %(stations)s") % {"name": rep.name, "stations": stations}
            )
        rows.append((user.username, DEMO_PASSWORD, "、".join(dict.fromkeys(roles)) or "—", "；".join(scopes) or "—"))
    return rows
