"""A suggestion's city and county columns follow its region, and region filters use them."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from stations.models import Region, RegionLevel
from suggestions.filters import SuggestionFilter
from suggestions.models import Suggestion
from tests.conftest import World
from tests.factories import RegionFactory, StationFactory, SuggestionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def province(world: World) -> Region:
    """Put the test city under a province, as a real deployment has it."""
    root = RegionFactory(code="350000", name="福建省", level=RegionLevel.PROVINCE)
    world.city.parent = root
    world.city.save()
    for region in (world.district_a, world.district_b, world.town_a, world.town_b):
        region.refresh_from_db()
    return root


def _place(s: Suggestion) -> tuple[int | None, int | None]:
    s.refresh_from_db()
    return s.city_id, s.county_id


def test_a_suggestion_knows_its_city_and_county(world: World, province: Region) -> None:
    village = RegionFactory(code="350102001001", level=RegionLevel.VILLAGE, parent=world.town_a)
    in_village = SuggestionFactory(station=StationFactory(region=village))
    assert _place(in_village) == (world.city.pk, world.district_a.pk)
    at_city = SuggestionFactory(station=None, region=world.city)
    assert _place(at_city) == (world.city.pk, None)
    at_top = SuggestionFactory(station=None, region=province)
    assert _place(at_top) == (None, None)


def test_moving_a_township_moves_its_suggestions_to_the_new_district(world: World, province: Region) -> None:
    s = SuggestionFactory(station=world.station_a)
    assert _place(s) == (world.city.pk, world.district_a.pk)
    world.town_a.refresh_from_db()
    world.town_a.parent = world.district_b
    world.town_a.save()
    assert _place(s) == (world.city.pk, world.district_b.pk)


def test_region_filters_match_the_subtree_through_the_kept_columns(world: World, province: Region) -> None:
    a = SuggestionFactory(station=world.station_a)
    b = SuggestionFactory(station=world.station_b)
    elsewhere = SuggestionFactory(station=None, region=province)

    def codes(region: Region) -> set[str]:
        filterset = SuggestionFilter({"region": region.code}, queryset=Suggestion.objects.all())
        assert filterset.is_valid()
        with CaptureQueriesContext(connection) as ctx:
            found = {s.tracking_code for s in filterset.qs}
        where = ctx.captured_queries[-1]["sql"].split("WHERE", 1)[1]
        if region.depth in (1, 2):
            assert "stations_region" not in where  # the column, not the path
        return found

    assert codes(world.city) == {a.tracking_code, b.tracking_code}
    assert codes(world.district_a) == {a.tracking_code}
    assert codes(world.town_b) == {b.tracking_code}
    assert codes(province) == {a.tracking_code, b.tracking_code, elsewhere.tracking_code}
