"""Writes for users and memberships."""

from __future__ import annotations

from django.contrib.auth.models import Group
from django.db import transaction

from accounts.models import Membership, Role, User
from stations.models import Region, Station
from suggestions.models import HandlingUnit


@transaction.atomic
def membership_grant(
    *,
    user: User,
    role: Role,
    station: Station | None = None,
    unit: HandlingUnit | None = None,
    region: Region | None = None,
) -> Membership:
    """Tie a user to what they work for and put them in the role's group."""
    membership, _ = Membership.objects.get_or_create(user=user, role=role, station=station, unit=unit, region=region)
    group, _ = Group.objects.get_or_create(name=role.value)
    user.groups.add(group)
    if role == Role.ADMINISTRATOR and not (user.is_staff and user.is_superuser):
        user.is_staff = True
        user.is_superuser = True
        user.save(update_fields=["is_staff", "is_superuser"])
    return membership


def api_token_issue(*, user: User) -> str:
    """The user's API token for the REST API, created if they have none (one token per user)."""
    from rest_framework.authtoken.models import Token

    if not user.is_active:
        raise ValueError("An inactive user cannot have an API token.")
    token, _ = Token.objects.get_or_create(user=user)
    return str(token.key)


def api_token_revoke(*, user: User) -> bool:
    """Delete the user's API token; every client using it is signed out at once. False if there was none."""
    from rest_framework.authtoken.models import Token

    deleted, _ = Token.objects.filter(user=user).delete()
    return deleted > 0
