"""A suggestion's city and county, kept beside its region (see Suggestion.city).

Regions form a tree by materialised path (province/city/county/township/village); a
suggestion's region is usually a village. Filtering by a city or a district through the path
gathers rows from hundreds of villages and sorts them; the two kept columns make it one index
range already in id order. They are set when a suggestion is saved with its region and when
a region moves (Region.save calls `refresh_places`).
"""

from __future__ import annotations

from django.db.models import Q

from stations.models import Region
from suggestions.models import Suggestion

CITY_DEPTH, COUNTY_DEPTH = 1, 2


def city_and_county(region: Region) -> tuple[int | None, int | None]:
    """The ids of the region's city and county (itself when it is one), or None above them."""
    codes = [code for code in region.path.split("/") if code]
    wanted = codes[CITY_DEPTH : COUNTY_DEPTH + 1]
    if not wanted:
        return None, None
    ids = dict(Region.objects.filter(code__in=wanted).values_list("code", "id"))
    city = ids.get(codes[CITY_DEPTH]) if len(codes) > CITY_DEPTH else None
    county = ids.get(codes[COUNTY_DEPTH]) if len(codes) > COUNTY_DEPTH else None
    return city, county


def refresh_places(region: Region) -> int:
    """Set again the city and county of every suggestion in the region's subtree (set-based:
    one UPDATE per city and per county in it); returns the rows written."""
    top_city, top_county = city_and_county(region)
    subtree = Suggestion.objects.filter(region__path__startswith=region.path)
    if region.depth >= COUNTY_DEPTH:
        return subtree.update(city_id=top_city, county_id=top_county)
    written = subtree.filter(region__depth__lt=CITY_DEPTH).update(city_id=None, county_id=None)
    cities = [region] if region.depth == CITY_DEPTH else list(region.subtree().filter(depth=CITY_DEPTH))
    for city in cities:
        in_city = Suggestion.objects.filter(region__path__startswith=city.path)
        written += in_city.filter(region__depth=CITY_DEPTH).update(city_id=city.pk, county_id=None)
        for county in city.subtree().filter(depth=COUNTY_DEPTH):
            written += Suggestion.objects.filter(region__path__startswith=county.path).update(
                city_id=city.pk, county_id=county.pk
            )
    return written


def place_filter(region: Region) -> Q:
    """Suggestions in the region's subtree, by the kept column where there is one."""
    if region.depth == CITY_DEPTH:
        return Q(city=region)
    if region.depth == COUNTY_DEPTH:
        return Q(county=region)
    return Q(region__in=Region.objects.filter(path__startswith=region.path).values("id"))
