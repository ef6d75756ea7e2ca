"""The bell and the notification list: a user sees only their own, pages back by keyset, marks read."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from pytest_django import DjangoAssertNumQueries

from accounts.models import User
from notifications.models import Notification

pytestmark = pytest.mark.django_db


def notify(user: User, count: int, *, title: str = "建议 ABC 已交办贵单位") -> list[Notification]:
    return Notification.objects.bulk_create(
        [
            Notification(
                recipient=user, kind="handed_over", title=f"{title} #{i}", body="正文", url="/suggestions/ABC/"
            )
            for i in range(count)
        ]
    )


def logged_in(client: Client, user: User) -> Client:
    client.force_login(user)
    return client


def test_the_bell_shows_the_users_unread_count_on_every_staff_page(
    client: Client, unit_staff: User, other_unit_staff: User
) -> None:
    notify(unit_staff, 3)
    notify(other_unit_staff, 5)
    logged_in(client, unit_staff)
    page = client.get(reverse("notifications:list")).content.decode()
    assert 'data-testid="bell"' in page
    assert '<span class="bell-count"' in page
    assert ">3</span>" in page
    home = client.get(reverse("home"))
    assert home.status_code == 200
    assert ">3</span>" in home.content.decode()


def test_the_bell_caps_the_count_instead_of_counting_everything(client: Client, unit_staff: User) -> None:
    notify(unit_staff, 120)
    page = logged_in(client, unit_staff).get(reverse("notifications:list")).content.decode()
    assert ">99+</span>" in page


def test_no_bell_count_without_unread_notifications(client: Client, unit_staff: User) -> None:
    page = logged_in(client, unit_staff).get(reverse("notifications:list")).content.decode()
    assert 'data-testid="bell"' in page
    assert "bell-count" not in page
    assert "暂无通知" in page or "No notifications yet." in page


def test_the_list_shows_only_the_users_own_notifications(
    client: Client, unit_staff: User, other_unit_staff: User
) -> None:
    notify(unit_staff, 2, title="我的通知")
    notify(other_unit_staff, 2, title="别人的通知")
    page = logged_in(client, unit_staff).get(reverse("notifications:list")).content.decode()
    assert page.count('data-testid="notification"') == 2
    assert "我的通知" in page
    assert "别人的通知" not in page


def test_the_list_pages_back_by_keyset(client: Client, unit_staff: User) -> None:
    rows = notify(unit_staff, 35)
    logged_in(client, unit_staff)
    first = client.get(reverse("notifications:list"))
    assert first.context["notifications"][0].pk == rows[-1].pk
    assert len(first.context["notifications"]) == 30
    older = first.context["next_before"]
    assert f"before={older}" in first.content.decode()
    second = client.get(reverse("notifications:list"), {"before": older})
    assert [n.pk for n in second.context["notifications"]] == [r.pk for r in reversed(rows[:5])]
    assert second.context["next_before"] is None


@pytest.mark.parametrize("before", ["abc", "-1", "0", "99999999999999999999999", ""])
def test_a_bad_page_position_is_ignored(client: Client, unit_staff: User, before: str) -> None:
    notify(unit_staff, 2)
    response = logged_in(client, unit_staff).get(reverse("notifications:list"), {"before": before})
    assert response.status_code == 200
    assert len(response.context["notifications"]) == 2


def test_unread_filter(client: Client, unit_staff: User) -> None:
    read, unread = notify(unit_staff, 2)
    Notification.objects.filter(pk=read.pk).update(read_at="2025-01-01T00:00:00Z")
    response = logged_in(client, unit_staff).get(reverse("notifications:list"), {"unread": "1"})
    assert [n.pk for n in response.context["notifications"]] == [unread.pk]


def test_the_list_page_has_a_fixed_number_of_queries(
    client: Client, unit_staff: User, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    notify(unit_staff, 30)
    logged_in(client, unit_staff)
    with django_assert_max_num_queries(8):
        assert client.get(reverse("notifications:list")).status_code == 200


def test_mark_one_as_read(client: Client, unit_staff: User) -> None:
    first, second = notify(unit_staff, 2)
    response = logged_in(client, unit_staff).post(reverse("notifications:read"), {"id": first.pk})
    assert response.status_code == 302
    assert response["Location"] == reverse("notifications:list")
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.read_at is not None
    assert second.read_at is None


def test_mark_all_as_read_leaves_other_users_alone(client: Client, unit_staff: User, other_unit_staff: User) -> None:
    notify(unit_staff, 3)
    notify(other_unit_staff, 2)
    logged_in(client, unit_staff).post(reverse("notifications:read"), {"all": "1"})
    assert not Notification.objects.filter(recipient=unit_staff, read_at__isnull=True).exists()
    assert Notification.objects.filter(recipient=other_unit_staff, read_at__isnull=True).count() == 2


def test_someone_elses_notification_cannot_be_marked_read(
    client: Client, unit_staff: User, other_unit_staff: User
) -> None:
    (theirs,) = notify(other_unit_staff, 1)
    response = logged_in(client, unit_staff).post(reverse("notifications:read"), {"id": [theirs.pk, "junk"]})
    assert response.status_code == 302
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_marking_read_never_redirects_off_site(client: Client, unit_staff: User) -> None:
    (mine,) = notify(unit_staff, 1)
    response = logged_in(client, unit_staff).post(
        reverse("notifications:read"), {"id": mine.pk, "next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("notifications:list")
    response = client.post(reverse("notifications:read"), {"id": mine.pk, "next": "/notifications/?unread=1"})
    assert response["Location"] == "/notifications/?unread=1"


def test_marking_read_needs_post_and_a_login(client: Client, unit_staff: User) -> None:
    (mine,) = notify(unit_staff, 1)
    assert client.post(reverse("notifications:read"), {"all": "1"}).status_code == 302  # to the login page
    mine.refresh_from_db()
    assert mine.read_at is None
    assert client.get(reverse("notifications:list")).status_code == 302
    assert logged_in(client, unit_staff).get(reverse("notifications:read")).status_code == 405


def test_opening_someone_elses_notification_is_not_found_and_marks_nothing(
    client: Client, unit_staff: User, other_unit_staff: User
) -> None:
    (theirs,) = notify(other_unit_staff, 1)
    logged_in(client, unit_staff)
    assert client.get(reverse("notifications:open", args=[theirs.pk])).status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_the_bell_refresh_answers_nothing_once_signed_out(client: Client, unit_staff: User) -> None:
    notify(unit_staff, 2)
    assert client.get(reverse("notifications:bell")).status_code == 204
    logged_in(client, unit_staff)
    response = client.get(reverse("notifications:bell"))
    assert response.status_code == 200
    assert 'class="bell-count"' in response.content.decode()
