"""The online suggestion form 网上联络站: what is recorded, and bad input that records nothing."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils.translation import gettext as _
from PIL import Image

from notifications.models import Outbox
from suggestions.models import Attachment, State, Suggestion, SuggestionEvent
from tests.voters.conftest import Site, form_data

pytestmark = pytest.mark.django_db

SUGGEST = "/s/suggest/"


def png_bytes(size: tuple[int, int] = (40, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, format="PNG")
    return out.getvalue()


def submit(client: Client, site: Site, url: str = SUGGEST, **overrides: Any) -> Any:
    return client.post(url, form_data(site, **overrides))


def shown_code(client: Client) -> str:
    page = client.get(reverse("public:suggest_done")).content.decode()
    match = re.search(r'data-testid="tracking-code">([^<]+)<', page)
    assert match is not None
    return match.group(1).replace("-", "")


def test_get_shows_an_empty_form_with_a_captcha_and_a_hidden_honeypot(client: Client, site: Site) -> None:
    page = client.get(SUGGEST).content.decode()
    assert 'name="captcha_1"' in page
    assert '<div class="hp" aria-hidden="true">' in page
    assert 'name="website"' in page
    assert site.world.town_a.name in page


def test_a_valid_suggestion_is_recorded_online_and_its_code_shown(client: Client, site: Site) -> None:
    response = submit(client, site, submitter_phone="１３９ １２３４-５６７８", submitter_email="lisi@example.cn")
    assert response.status_code == 302
    assert response["Location"] == reverse("public:suggest_done")
    s = Suggestion.objects.get()
    assert s.state == State.RECEIVED
    assert s.channel == "online"
    assert s.recorded_by is None
    assert s.submitter_phone == "13912345678"
    assert s.submitter_phone_last4 == "5678"
    assert s.submitter_email == "lisi@example.cn"
    assert s.category == site.category
    assert s.region == site.world.town_a
    assert s.station == site.online_station  # the online station above the township
    assert shown_code(client) == s.tracking_code
    assert SuggestionEvent.objects.filter(suggestion=s, action="suggestion.recorded").count() == 1
    assert Outbox.objects.filter(suggestion=s, kind="suggestion.recorded").count() == 1


def test_a_suggestion_from_a_station_page_goes_to_that_station(client: Client, site: Site) -> None:
    station = site.world.station_a
    page = client.get(reverse("public:station_suggest", args=[station.pk])).content.decode()
    assert station.name in page
    assert f'<option value="{station.region_id}" selected>' in page
    assert submit(client, site, url=reverse("public:station_suggest", args=[station.pk])).status_code == 302
    assert Suggestion.objects.get().station == station


def test_a_suggestion_from_a_contact_card_is_addressed_to_the_representative(client: Client, site: Site) -> None:
    url = reverse("public:representative_suggest", args=[site.rep.pk])
    assert site.rep.name in client.get(url).content.decode()
    assert submit(client, site, url=url).status_code == 302
    s = Suggestion.objects.get()
    assert s.representative == site.rep
    assert s.station == site.world.station_a  # the representative's only station


def test_html_and_script_are_stored_as_typed_and_shown_inert(client: Client, site: Site) -> None:
    evil = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    response = submit(client, site, title=f"标题{evil}", content=f"内容{evil}", address=evil, submitter_name="李四")
    assert response.status_code == 302
    s = Suggestion.objects.get()
    assert s.title == f"标题{evil}"
    assert s.content == f"内容{evil}"
    assert s.address == evil
    code = s.tracking_code
    page = client.post(reverse("public:status"), {"code": code, "last4": "5678"}).content.decode()
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    assert "<script>alert" not in page
    assert "<img src=x" not in page


@pytest.mark.parametrize(
    ("field", "value"),
    [("title", "长" * 201), ("content", "长" * 5001), ("submitter_name", "名" * 65), ("address", "址" * 256)],
)
def test_oversized_text_is_refused_with_a_message_and_kept(client: Client, site: Site, field: str, value: str) -> None:
    response = submit(client, site, **{field: value})
    assert response.status_code == 400
    assert Suggestion.objects.count() == 0
    form = response.context["form"]
    assert field in form.errors
    assert value in response.content.decode()  # what was typed is still there to shorten


def test_wrong_phone_format_explains_and_keeps_what_was_typed(client: Client, site: Site) -> None:
    response = submit(client, site, submitter_phone="1381234", title="我的标题")
    assert response.status_code == 400
    assert Suggestion.objects.count() == 0
    page = response.content.decode()
    assert 'value="1381234"' in page
    assert 'value="我的标题"' in page
    assert response.context["form"].errors["submitter_phone"]


@pytest.mark.parametrize("required", ["title", "content", "region", "submitter_name", "submitter_phone"])
def test_missing_required_fields_record_nothing(client: Client, site: Site, required: str) -> None:
    response = submit(client, site, **{required: ""})
    assert response.status_code == 400
    assert required in response.context["form"].errors
    assert Suggestion.objects.count() == 0


def test_a_file_that_is_not_really_an_image_is_refused(client: Client, site: Site) -> None:
    fake = SimpleUploadedFile("photo.jpg", b"MZ\x90\x00 this is not a picture", content_type="image/jpeg")
    response = client.post(SUGGEST, {**form_data(site), "photos": [fake]})
    assert response.status_code == 400
    assert "photos" in response.context["form"].errors
    assert Suggestion.objects.count() == 0
    assert Attachment.objects.count() == 0


def test_an_oversized_photo_is_refused(client: Client, site: Site, settings: Any) -> None:
    settings.ATTACHMENT_MAX_BYTES = 1024
    big = SimpleUploadedFile("big.png", png_bytes((400, 400)) + b"\0" * 2048, content_type="image/png")
    response = client.post(SUGGEST, {**form_data(site), "photos": [big]})
    assert response.status_code == 400
    assert "photos" in response.context["form"].errors
    assert Suggestion.objects.count() == 0


def test_real_photos_are_attached_privately(client: Client, site: Site, settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path
    photos = [SimpleUploadedFile(f"p{i}.png", png_bytes(), content_type="image/png") for i in range(2)]
    response = client.post(SUGGEST, {**form_data(site), "photos": photos})
    assert response.status_code == 302
    s = Suggestion.objects.get()
    attachments = list(Attachment.objects.filter(suggestion=s))
    assert len(attachments) == 2
    assert {a.content_type for a in attachments} == {"image/png"}
    assert not any(a.is_public for a in attachments)
    assert all(a.file.name.startswith(f"attachments/{s.pk}/") for a in attachments)
    assert {a.original_name for a in attachments} == {"p0.png", "p1.png"}


def test_too_many_photos_are_refused(client: Client, site: Site) -> None:
    photos = [SimpleUploadedFile(f"p{i}.png", png_bytes(), content_type="image/png") for i in range(4)]
    response = client.post(SUGGEST, {**form_data(site), "photos": photos})
    assert response.status_code == 400
    assert Suggestion.objects.count() == 0


def test_the_same_suggestion_sent_twice_makes_one_record(client: Client, site: Site) -> None:
    first = submit(client, site)
    code = shown_code(client)
    other_browser = Client()
    second = submit(other_browser, site)
    assert first.status_code == second.status_code == 302
    assert Suggestion.objects.count() == 1
    assert shown_code(other_browser) == code
    # A different suggestion from the same phone is a new record.
    assert submit(client, site, title="另一件事").status_code == 302
    assert Suggestion.objects.count() == 2


def test_a_second_copy_whose_captcha_was_used_still_lands_on_the_first_record(
    client: Client, site: Site, captcha_test_mode: Callable[[bool], None]
) -> None:
    captcha_test_mode(False)
    from captcha.models import CaptchaStore

    key = CaptchaStore.generate_key()
    answer = CaptchaStore.objects.get(hashkey=key).response
    data = form_data(site, captcha_0=key, captcha_1=answer)
    assert client.post(SUGGEST, data).status_code == 302
    # The double tap carries the same (now used) captcha.
    assert client.post(SUGGEST, data).status_code == 302
    assert Suggestion.objects.count() == 1


def test_a_wrong_captcha_is_refused(client: Client, site: Site, captcha_test_mode: Callable[[bool], None]) -> None:
    captcha_test_mode(False)
    from captcha.models import CaptchaStore

    key = CaptchaStore.generate_key()
    response = submit(client, site, captcha_0=key, captcha_1="WRONG")
    assert response.status_code == 400
    assert "captcha" in response.context["form"].errors
    assert Suggestion.objects.count() == 0


def test_a_filled_honeypot_records_nothing(client: Client, site: Site) -> None:
    response = submit(client, site, website="http://spam.example")
    assert response.status_code == 400
    assert Suggestion.objects.count() == 0


def test_submissions_are_limited_per_phone(client: Client, site: Site, settings: Any) -> None:
    settings.PUBLIC_SUBMIT_PER_PHONE_PER_DAY = 2
    for i in range(2):
        assert submit(client, site, title=f"第{i}件事").status_code == 302
    response = submit(Client(REMOTE_ADDR="10.0.0.9"), site, title="第三件事")
    assert response.status_code == 429
    assert Suggestion.objects.count() == 2
    # Another phone from the same address is fine.
    assert submit(client, site, title="第四件事", submitter_phone="13700001111").status_code == 302


def test_submissions_are_limited_per_client_address(client: Client, site: Site, settings: Any) -> None:
    settings.PUBLIC_SUBMIT_PER_IP_PER_HOUR = 2
    for i in range(2):
        assert submit(client, site, title=f"第{i}件事", submitter_phone=f"1370000000{i}").status_code == 302
    response = submit(client, site, title="第三件事", submitter_phone="13700000009")
    assert response.status_code == 429
    assert _("Too many suggestions from here in a short time. Please try again later.") in response.content.decode()
    assert Suggestion.objects.count() == 2
    elsewhere = Client(REMOTE_ADDR="10.0.0.8")
    assert submit(elsewhere, site, title="第三件事", submitter_phone="13700000009").status_code == 302


def test_done_page_without_a_submission_goes_back_to_the_form(client: Client) -> None:
    response = client.get(reverse("public:suggest_done"))
    assert response.status_code == 302
    assert response["Location"] == reverse("public:suggest")
