"""The dashboard page and its Excel export, as staff see them."""

from __future__ import annotations

import re
from io import BytesIO

import pytest
from django.test import Client
from django.utils.translation import gettext as _
from openpyxl import load_workbook

from accounts.models import User
from dashboards.forms import DashboardForm
from dashboards.services import stats_rebuild
from tests.dashboards.conftest import Data

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_today")]

YEAR_2025 = {"period": "year", "year": "2025"}


def _page(client: Client, user: User, **params: str) -> tuple[int, str]:
    client.force_login(user)
    response = client.get("/dashboards/", params)
    return response.status_code, response.content.decode()


def test_committee_staff_see_their_district_with_charts(client: Client, data: Data, committee_staff: User) -> None:
    stats_rebuild()
    status, html = _page(client, committee_staff, **YEAR_2025)
    assert status == 200
    assert "鼓楼区" in html
    assert "台江区" not in html  # the other district appears nowhere, not even in the picker
    assert html.count("<svg") >= 6
    kpis = dict(re.findall(r'kpi-label">([^<]+)</span><span class="kpi-value">([^<]+)<', html))
    assert kpis[_("Visits held")] == "4"
    assert kpis[_("Voters received")] == "11"
    assert kpis[_("Suggestions collected")] == "6"
    assert kpis[_("Resolved on the spot")] == "1"
    assert kpis[_("On-time rate")] == "33.3%"
    assert kpis[_("Final satisfaction")] == "100.0%"
    assert kpis[_("Average handling days")] == "11.7"
    assert kpis[_("Overdue now")] == "2"
    # The township below is offered as a link that keeps the period.
    assert 'href="?region=350102001&amp;period=year&amp;year=2025"' in html


def test_the_page_obeys_the_strict_csp(client: Client, data: Data, committee_staff: User) -> None:
    client.force_login(committee_staff)
    response = client.get("/dashboards/", YEAR_2025)
    html = response.content.decode()
    assert "unsafe-inline" not in response["Content-Security-Policy"]
    assert " style=" not in html
    assert "<style" not in html
    assert not re.search(r"<script(?![^>]*\bsrc=)", html)
    assert "/static/css/dashboards.css" in html


def test_the_page_says_how_fresh_the_figures_are(client: Client, data: Data, committee_staff: User) -> None:
    _status, live = _page(client, committee_staff, **YEAR_2025)
    stats_rebuild()
    _status, summarised = _page(client, committee_staff, **YEAR_2025)
    assert live != summarised
    assert "staleness" in summarised


def test_a_township_is_counted_live(client: Client, data: Data, committee_staff: User) -> None:
    stats_rebuild()
    status, html = _page(client, committee_staff, region="350102001", **YEAR_2025)
    assert status == 200
    assert "鼓东街道" in html


def test_station_staff_see_their_station(client: Client, data: Data, station_staff: User) -> None:
    status, html = _page(client, station_staff, **YEAR_2025)
    assert status == 200
    assert "鼓东街道代表联络站" in html
    assert "瀛洲街道代表联络站" not in html


def test_end_before_start_is_refused_with_a_message(client: Client, data: Data, committee_staff: User) -> None:
    status, html = _page(client, committee_staff, period="range", start="2025-03-01", end="2025-02-01")
    assert status == 400
    assert _("The last day is before the first day. Swap them or choose again.") in html
    assert "kpi-value" not in html


def test_a_range_needs_both_days_and_real_dates(client: Client, data: Data, committee_staff: User) -> None:
    status, html = _page(client, committee_staff, period="range", start="2025-03-01")
    assert status == 400
    assert _("Choose both the first and the last day of the range.") in html
    status, html = _page(client, committee_staff, period="range", start="2025-02-30", end="2025-03-01")
    assert status == 400
    assert _("Enter the date as YYYY-MM-DD.") in html
    status, html = _page(client, committee_staff, period="year", year="1899")
    assert status == 400
    assert _("Choose a year from 2000 on.") in html


@pytest.mark.parametrize("params", [{"region": "350103"}, {"region": "350100"}, {"region": "999999"}, {"station": "0"}])
def test_a_region_outside_the_area_is_not_found(
    client: Client, data: Data, committee_staff: User, params: dict[str, str]
) -> None:
    status, html = _page(client, committee_staff, **params)
    assert status in (400, 404)
    assert "kpi-value" not in html


def test_the_other_district_is_not_found_with_a_clear_message(
    client: Client, data: Data, committee_staff: User
) -> None:
    status, html = _page(client, committee_staff, region=data.world.district_b.code)
    assert status == 404
    assert _("This region or station does not exist or is outside the area you work for.") in html
    status, _html = _page(client, committee_staff, station=str(data.world.station_b.pk))
    assert status == 404


def test_unit_staff_are_told_dashboards_are_not_for_them(client: Client, data: Data, unit_staff: User) -> None:
    status, html = _page(client, unit_staff)
    assert status == 403
    assert (
        _("Dashboards are for committee staff, station staff and administrators. Your account has none to show.")
        in html
    )


def test_anonymous_users_are_sent_to_log_in(client: Client) -> None:
    response = client.get("/dashboards/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_the_page_costs_a_fixed_number_of_queries(
    client: Client, data: Data, city_committee_staff: User, django_assert_max_num_queries: object
) -> None:
    stats_rebuild()
    client.force_login(city_committee_staff)
    with django_assert_max_num_queries(16):  # type: ignore[operator]
        assert client.get("/dashboards/", YEAR_2025).status_code == 200


def test_the_excel_export_holds_the_same_figures(client: Client, data: Data, city_committee_staff: User) -> None:
    stats_rebuild()
    client.force_login(city_committee_staff)
    response = client.get("/dashboards/export.xlsx", YEAR_2025)
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="dashboard-350100-20250101-20251231.xlsx"'
    book = load_workbook(BytesIO(response.content))
    summary = {row[0]: row[1] for row in book[_("Summary")].iter_rows(values_only=True) if row and row[0]}
    assert summary[_("Visits held")] == 5
    assert summary[_("Voters received")] == 21
    assert summary[_("Suggestions collected")] == 8
    assert summary[_("On-time rate")] == pytest.approx(0.4)
    assert summary[_("Final satisfaction")] == pytest.approx(0.667)
    regions = [row[:4] for row in book[_("Sub-regions")].iter_rows(min_row=2, values_only=True)]
    assert regions == [("鼓楼区", 4, 11, 6), ("台江区", 1, 10, 2)]
    units = list(book[_("Overdue by unit")].iter_rows(min_row=2, values_only=True))
    assert units == [("鼓楼区住建局", 2, 1), ("台江区住建局", 1, 1)]


def test_the_export_refuses_bad_input_too(client: Client, data: Data, committee_staff: User) -> None:
    client.force_login(committee_staff)
    assert client.get("/dashboards/export.xlsx", {"region": "350103"}).status_code == 404
    bad = {"period": "range", "start": "2025-03-01", "end": "2025-01-01"}
    assert client.get("/dashboards/export.xlsx", bad).status_code == 400


def test_period_links_round_trip() -> None:
    from dashboards.periods import Period

    for period in (Period.year(2025), Period.quarter(2025, 3), Period.month(2024, 2)):
        form = DashboardForm(data={k: str(v) for k, v in DashboardForm.initial_for(period).items()})
        assert form.is_valid()
        assert form.period_value == period


def test_the_overdue_figure_says_why_it_differs_from_the_start_pages_queue(
    client: Client, committee_staff: User
) -> None:
    client.force_login(committee_staff)
    page = client.get("/dashboards/").content.decode()
    assert "本期登记，含交办前环节" in page
    assert 'id="definition-overdue"' in page
    assert "两处数字可能不同" in page
    home = client.get("/").content.decode()
    assert "不论何时登记" in home


def test_a_refusal_does_not_link_back_to_itself(client: Client, unit_staff: User) -> None:
    client.force_login(unit_staff)
    response = client.get("/dashboards/")
    assert response.status_code == 403
    page = response.content.decode()
    assert 'href="/dashboards/"' not in page
    assert "返回工作台" in page or 'href="/"' in page
