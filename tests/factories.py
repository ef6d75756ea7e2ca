"""factory-boy factories for the domain models."""

from __future__ import annotations

import datetime as dt
import secrets

import factory
from django.utils import timezone

from accounts.models import User
from representatives.models import DutyShift, Mandate, Representative
from stations.models import Region, RegionLevel, Station, StationKind, VisitChannel, VoterVisit
from suggestions.models import Category, HandlingUnit, HandlingUnitContact, Suggestion


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    display_name = factory.Sequence(lambda n: f"用户{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.cn")
    password = factory.django.Password("pass-1234")


class RegionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Region
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"9{n:05d}")
    name = factory.Sequence(lambda n: f"测试区{n}")
    level = RegionLevel.COUNTY
    parent = None


class StationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Station

    name = factory.Sequence(lambda n: f"第{n}代表联络站")
    kind = StationKind.STATION
    region = factory.SubFactory(RegionFactory)
    address = "人民路1号"
    phone = "0591-87654321"
    opening_hours = "周一至周五 9:00-17:00"
    star_rating = 3


class RepresentativeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Representative

    name = factory.Sequence(lambda n: f"代表{n}")
    phone = "13800000000"


class MandateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Mandate

    representative = factory.SubFactory(RepresentativeFactory)
    level = "county"
    region = factory.SubFactory(RegionFactory)


class DutyShiftFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DutyShift

    representative = factory.SubFactory(RepresentativeFactory)
    station = factory.SubFactory(StationFactory)
    starts_at = factory.LazyFunction(lambda: timezone.now() + dt.timedelta(days=1))
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + dt.timedelta(hours=3))


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"cat{n}")
    name = factory.Sequence(lambda n: f"类别{n}")


class HandlingUnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = HandlingUnit

    code = factory.Sequence(lambda n: f"unit{n}")
    name = factory.Sequence(lambda n: f"承办单位{n}")
    region = factory.SubFactory(RegionFactory)


class HandlingUnitContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = HandlingUnitContact

    unit = factory.SubFactory(HandlingUnitFactory)
    name = factory.Sequence(lambda n: f"联系人{n}")
    email = factory.Sequence(lambda n: f"contact{n}@example.cn")
    phone = "13900000000"


class VoterVisitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = VoterVisit

    station = factory.SubFactory(StationFactory)
    channel = VisitChannel.RECEPTION
    occurred_at = factory.LazyFunction(timezone.now)
    voters_received = 2


class SuggestionFactory(factory.django.DjangoModelFactory):
    """A freshly received suggestion. Later states come from the workflow's actions."""

    class Meta:
        model = Suggestion

    tracking_code = factory.LazyFunction(lambda: secrets.token_hex(5).upper())
    title = factory.Sequence(lambda n: f"小区路灯不亮{n}")
    content = "晚上路灯不亮，老人出行不便。"
    station = factory.SubFactory(StationFactory)
    region = factory.LazyAttribute(lambda o: o.station.region)
    submitter_name = "张三"
    submitter_phone = "13812345678"
