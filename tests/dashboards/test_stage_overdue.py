"""The dashboards' overdue figure counts work waiting too long before any unit has it (issue 14 §6):
a stage 梳理, 拟办 or 交办 past its limit, live like the units' overdue counts."""

from __future__ import annotations

import pytest
from django.utils.translation import gettext as _

from accounts.models import User
from dashboards.periods import Period
from dashboards.selectors import dashboard_get, dashboard_regions, dashboard_subject
from tests.dashboards.conftest import TODAY, Data, at, d, suggestion

pytestmark = pytest.mark.django_db


def test_stage_items_past_their_limit_count_as_overdue(data: Data, committee_staff: User) -> None:
    w = data.world
    suggestion(w, "station_a", at("2025-06-10"), state="received", stage_due=d("2025-06-12"))
    suggestion(w, "station_a", at("2025-06-16"), state="proposed", stage_due=d("2025-06-19"))
    suggestion(w, "station_a", at("2025-06-18"), state="sorted", stage_due=d("2025-06-20"))  # due today: not late
    subject = dashboard_subject(user=committee_staff, region_code="", station_id=None)
    _up, down = dashboard_regions(user=committee_staff, subject=subject)
    board = dashboard_get(subject=subject, period=Period.year(2025), children=down, today=TODAY)
    # The two units' items of the hand-computed data, and the two stage items on a line of their own.
    assert board.overdue_total == 4
    assert [(u.name, u.overdue, u.reply_overdue) for u in board.overdue_units] == [
        ("鼓楼区住建局", 2, 1),
        (_("Not handed over yet"), 2, 0),
    ]
