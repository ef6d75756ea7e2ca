"""Open311 GeoReport v2: every response read back by a real XML parser and a JSON parser, and
compared field by field with the specification's own sample responses (spec_examples.py)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import time
from typing import Any
from xml.etree import ElementTree as ET

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.throttling import SimpleRateThrottle

from open311.models import ApiKey, RequestToken
from open311.services import api_key_create
from suggestions import workflow
from suggestions.models import Suggestion
from tests.api.conftest import clear_throttles
from tests.open311 import spec_examples as spec
from tests.suggestions.workflow_builders import Cast, build, make_cast

pytestmark = pytest.mark.django_db

BASE = "/open311/v2"


@pytest.fixture(autouse=True)
def _fresh_throttles() -> None:
    clear_throttles()


@pytest.fixture
def cast(world: Any, station_staff: Any, committee_staff: Any, unit_staff: Any, representative_user: Any,
         admin_user: Any, other_station_staff: Any, other_committee_staff: Any, city_committee_staff: Any,
         other_unit_staff: Any) -> Cast:  # fmt: skip
    return make_cast(
        world,
        {
            "station_staff": station_staff,
            "other_station_staff": other_station_staff,
            "committee_staff": committee_staff,
            "other_committee_staff": other_committee_staff,
            "city_committee_staff": city_committee_staff,
            "unit_staff": unit_staff,
            "other_unit_staff": other_unit_staff,
            "representative_user": representative_user,
            "admin_user": admin_user,
        },
    )


@pytest.fixture
def key(cast: Cast) -> tuple[ApiKey, str]:
    return api_key_create(name="随手拍", region=cast.world.city)


def _xml(response: Any) -> ET.Element:
    assert response["Content-Type"] == "text/xml; charset=utf-8"
    assert response.content.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    return ET.fromstring(response.content)


def _json(response: Any) -> Any:
    assert response["Content-Type"] == "application/json; charset=utf-8"
    return json.loads(response.content.decode("utf-8"))


def _item_fields(document: ET.Element) -> set[str]:
    return {child.tag for child in document[0]}


def _same_items_shape(ours: ET.Element, theirs: ET.Element) -> None:
    assert ours.tag == theirs.tag
    assert {child.tag for child in ours} <= {child.tag for child in theirs}, "item element names differ"
    reference = _item_fields(theirs)
    for item in ours:
        assert {child.tag for child in item} == reference


def _json_kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    return type(value).__name__


# Fields whose sample value is a number in the specification while ours is text (ids and codes
# are strings here: tracking codes and category slugs), or empty in one of the two samples.
_STRINGLY = {"service_request_id", "service_code", "token", "key", "address_id", "zipcode", "code"}


def _same_json_fields(ours: dict[str, Any], theirs: dict[str, Any]) -> None:
    assert list(ours) == list(theirs) or set(ours) == set(theirs), (list(ours), list(theirs))
    for name, value in ours.items():
        if value is None or theirs[name] is None or name in _STRINGLY:
            continue
        assert _json_kind(value) == _json_kind(theirs[name]), name


def test_discovery_matches_the_specification(client: Client) -> None:
    ours = _xml(client.get(f"{BASE}/discovery.xml"))
    theirs = ET.fromstring(spec.DISCOVERY_XML.encode())
    assert ours.tag == theirs.tag == "discovery"
    assert [c.tag for c in ours] == [c.tag for c in theirs]
    [endpoint] = ours.findall("endpoints/endpoint")
    assert [c.tag for c in endpoint] == [c.tag for c in theirs.find("endpoints/endpoint")]  # type: ignore[union-attr]
    assert {c.tag for c in endpoint.find("formats")} == {"format"}  # type: ignore[union-attr]
    assert endpoint.findtext("specification") == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint.findtext("url") == "http://127.0.0.1:8000/open311/v2/"
    assert endpoint.findtext("type") == "production"
    assert [f.text for f in endpoint.findall("formats/format")] == ["text/xml", "application/json"]
    as_json = _json(client.get(f"{BASE}/discovery.json"))
    reference = json.loads(spec.DISCOVERY_JSON)
    _same_json_fields(as_json, reference)
    _same_json_fields(as_json["endpoints"][0], reference["endpoints"][0])
    assert as_json["endpoints"][0]["formats"] == ["text/xml", "application/json"]


def test_services_are_the_active_categories_in_the_specifications_shape(cast: Cast, client: Client) -> None:
    cast.category.description = "道路、路灯、交通设施"
    cast.category.save()
    ours = _xml(client.get(f"{BASE}/services.xml"))
    _same_items_shape(ours, ET.fromstring(spec.SERVICES_XML.encode()))
    [service] = ours
    assert service.findtext("service_code") == "roads"
    assert service.findtext("service_name") == "道路交通"
    assert service.findtext("description") == "道路、路灯、交通设施"
    assert service.findtext("metadata") == "true"
    assert service.findtext("type") == "realtime"

    as_json = _json(client.get(f"{BASE}/services.json"))
    reference = json.loads(spec.SERVICES_JSON)[0]
    assert len(as_json) == 1
    _same_json_fields(as_json[0], reference)
    assert as_json[0]["metadata"] is True


def test_a_service_definition_lists_the_consent_attribute(cast: Cast, client: Client) -> None:
    ours = _xml(client.get(f"{BASE}/services/roads.xml"))
    theirs = ET.fromstring(spec.SERVICE_DEFINITION_XML.encode())
    assert ours.tag == theirs.tag == "service_definition"
    assert [c.tag for c in ours] == [c.tag for c in theirs]
    reference_fields = [c.tag for c in theirs.find("attributes/attribute")]  # type: ignore[union-attr]
    for attribute in ours.findall("attributes/attribute"):
        assert [c.tag for c in attribute] == reference_fields
    consent = ours.find("attributes/attribute")
    assert consent is not None
    assert (consent.findtext("code"), consent.findtext("required"), consent.findtext("datatype")) == (
        "consent_to_publish",
        "true",
        "singlevaluelist",
    )
    assert [v.findtext("key") for v in consent.findall("values/value")] == ["true", "false"]
    assert [c.tag for c in consent.find("values/value")] == ["key", "name"]  # type: ignore[union-attr]

    as_json = _json(client.get(f"{BASE}/services/roads.json"))
    reference = json.loads(spec.SERVICE_DEFINITION_JSON)
    _same_json_fields(as_json, reference)
    for attribute in as_json["attributes"]:
        _same_json_fields(attribute, reference["attributes"][0])
    assert [list(v) for v in as_json["attributes"][0]["values"]] == [["key", "name"], ["key", "name"]]
    assert [v["key"] for v in as_json["attributes"][0]["values"]] == ["true", "false"]
    assert [a["code"] for a in as_json["attributes"]] == ["consent_to_publish", "title", "region_code"]


def test_an_unknown_service_is_an_error_document(client: Client, cast: Cast) -> None:
    for fmt in ("xml", "json"):
        response = client.get(f"{BASE}/services/nope.{fmt}")
        assert response.status_code == 404
        if fmt == "xml":
            ours = _xml(response)
            _same_items_shape(ours, ET.fromstring(spec.ERRORS_XML.encode()))
            assert ours.findtext("error/code") == "404"
        else:
            [error] = _json(response)
            _same_json_fields(error, json.loads(spec.ERRORS_JSON)[0])
            assert error["code"] == 404


def _publish(cast: Cast, *, consent: bool = True) -> Suggestion:
    """A closed case published by committee staff: whole with the voter's consent, else (the only
    publication the workflow then allows) its facts only."""
    suggestion, _ = build(cast, "closed", reply_category="A", consent=consent)
    committee = cast.users["committee_staff"]
    assert committee is not None
    return workflow.suggestion_publish(suggestion=suggestion, actor=committee, facts_only=not consent)


def test_a_published_case_without_the_voters_consent_shows_no_words(cast: Cast, client: Client) -> None:
    # Since issue 14 a case without consent can only be published as its facts: still no words.
    published = _publish(cast, consent=False)
    [item] = _json(client.get(f"{BASE}/requests/{published.tracking_code}.json"))
    assert item["status"] == "closed"
    assert (item["description"], item["status_notes"], item["address"]) == (None, None, None)
    assert item["agency_responsible"] == cast.world.unit_a.name


def test_requests_show_only_published_words_and_mask_personal_data(cast: Cast, client: Client) -> None:
    published = _publish(cast)
    Suggestion.objects.filter(pk=published.pk).update(
        content="张三反映：路灯坏了，电话13812345678，身份证350102199001011234。"
    )
    unpublished, _ = build(cast, "in_progress")

    ours = _xml(client.get(f"{BASE}/requests.xml"))
    _same_items_shape(ours, ET.fromstring(spec.REQUESTS_XML.encode()))
    by_id = {item.findtext("service_request_id"): item for item in ours}
    assert set(by_id) == {published.tracking_code, unpublished.tracking_code}

    shown = by_id[published.tracking_code]
    description = shown.findtext("description") or ""
    assert "路灯坏了" in description
    for secret in ("张三", "13812345678", "350102199001011234"):
        assert secret not in description
    assert "138****5678" in description
    assert "张**" in description
    assert shown.findtext("status") == "closed"
    assert shown.findtext("status_notes") == "已安排维修，月底前完工。"
    assert shown.findtext("agency_responsible") == cast.world.unit_a.name
    assert shown.findtext("service_code") == "roads"

    hidden = by_id[unpublished.tracking_code]
    assert hidden.findtext("status") == "open"
    assert hidden.findtext("description") == ""  # an empty element, as in the specification
    assert hidden.findtext("status_notes") == ""
    assert hidden.findtext("expected_datetime", "").endswith("T23:59:59+08:00")
    assert b"13812345678" not in client.get(f"{BASE}/requests.xml").content

    as_json = _json(client.get(f"{BASE}/requests.json"))
    reference = json.loads(spec.REQUESTS_JSON)[0]
    for item in as_json:
        _same_json_fields(item, reference)
    hidden_json = next(i for i in as_json if i["service_request_id"] == unpublished.tracking_code)
    assert hidden_json["description"] is None
    assert hidden_json["lat"] is None
    requested = dt.datetime.fromisoformat(hidden_json["requested_datetime"])
    assert requested.utcoffset() == dt.timedelta(hours=8)


def test_requests_filters_of_the_specification(cast: Cast, client: Client) -> None:
    closed = _publish(cast)
    open_one, _ = build(cast, "assigned")

    def ids(query: str) -> set[str]:
        return {item["service_request_id"] for item in _json(client.get(f"{BASE}/requests.json?{query}"))}

    assert ids("status=open") == {open_one.tracking_code}
    assert ids("status=closed") == {closed.tracking_code}
    assert ids("status=open,closed") == {open_one.tracking_code, closed.tracking_code}
    assert ids("service_code=roads") == {open_one.tracking_code, closed.tracking_code}
    assert ids("service_code=other") == set()
    # service_request_id overrides every other parameter, and takes a comma-separated list.
    assert ids(f"service_request_id={closed.tracking_code}&status=open") == {closed.tracking_code}
    both = f"{closed.tracking_code},{open_one.tracking_code.lower()}"
    assert ids(f"service_request_id={both}") == {open_one.tracking_code, closed.tracking_code}
    today = timezone.localdate()
    assert ids(f"start_date={today - dt.timedelta(days=1)}&end_date={today}") == {
        open_one.tracking_code,
        closed.tracking_code,
    }
    assert ids(f"start_date={today + dt.timedelta(days=1)}T00:00:00%2B08:00") == set()
    assert ids(f"end_date={today - dt.timedelta(days=2)}") == set()


@pytest.mark.parametrize(
    "query",
    [
        "status=pending",
        "start_date=yesterday",
        "start_date=2025-01-01&end_date=2025-06-01",
        "start_date=2025-03-02&end_date=2025-03-01",
    ],
)
def test_bad_request_filters_answer_400_in_the_error_format(query: str, client: Client) -> None:
    response = client.get(f"{BASE}/requests.xml?{query}")
    assert response.status_code == 400
    errors = _xml(response)
    assert errors.tag == "errors"
    assert errors.findtext("error/code") == "400"
    assert errors.findtext("error/description")


def test_a_single_request_and_its_404(cast: Cast, client: Client) -> None:
    published = _publish(cast)
    ours = _xml(client.get(f"{BASE}/requests/{published.tracking_code}.xml"))
    _same_items_shape(ours, ET.fromstring(spec.REQUESTS_XML.encode()))
    assert [r.findtext("service_request_id") for r in ours] == [published.tracking_code]
    [as_json] = _json(client.get(f"{BASE}/requests/{published.tracking_code}.json"))
    _same_json_fields(as_json, json.loads(spec.REQUESTS_JSON)[0])
    missing = client.get(f"{BASE}/requests/ABCDEFGHJK.json")
    assert missing.status_code == 404
    assert _json(missing)[0]["code"] == 404


def _post(client: Client, fmt: str, data: dict[str, str]) -> Any:
    return client.post(f"{BASE}/requests.{fmt}", data)


def _valid(raw_key: str) -> dict[str, str]:
    return {
        "api_key": raw_key,
        "service_code": "roads",
        "lat": "26.0745",
        "long": "119.2965",
        "address_string": "鼓楼区东街口",
        "description": "东街口人行道路灯不亮\n晚上很暗，老人容易摔倒。",
        "first_name": "三",
        "last_name": "张",
        "phone": "13812345678",
        "email": "zhangsan@example.cn",
        "attribute[consent_to_publish]": "true",
        "attribute[region_code]": "350102001",
    }


def test_posting_a_request_records_an_online_suggestion(cast: Cast, client: Client, key: tuple[ApiKey, str]) -> None:
    _api_key, raw = key
    response = _post(client, "xml", _valid(raw))
    assert response.status_code == 201
    ours = _xml(response)
    theirs = ET.fromstring(spec.POST_RESPONSE_XML.encode())
    assert ours.tag == theirs.tag == "service_requests"
    # The specification's POST fields, plus its optional `token` (GET tokens/{token} resolves it).
    assert [c.tag for c in ours[0]] == ["service_request_id", "token", *[c.tag for c in theirs[0]][1:]]
    assert ours.findtext("request/account_id") == ""
    code = ours.findtext("request/service_request_id")
    suggestion = Suggestion.objects.get(tracking_code=code)
    assert suggestion.channel == "online"
    assert suggestion.recorded_by is None
    assert suggestion.state == "received"
    assert suggestion.title == "东街口人行道路灯不亮"
    assert suggestion.submitter_name == "张三"
    assert suggestion.consent_to_publish is True
    assert suggestion.region == cast.world.town_a
    assert suggestion.category == cast.category
    assert (float(suggestion.latitude or 0), float(suggestion.longitude or 0)) == (26.0745, 119.2965)
    assert suggestion.events.get().action == "suggestion.recorded"

    token = ours.findtext("request/token")
    resolved = _xml(client.get(f"{BASE}/tokens/{token}.xml"))
    theirs_token = ET.fromstring(spec.TOKEN_XML.encode())
    _same_items_shape(resolved, theirs_token)
    assert resolved.findtext("request/service_request_id") == code
    [as_json] = _json(client.get(f"{BASE}/tokens/{token}.json"))
    _same_json_fields(as_json, json.loads(spec.TOKEN_JSON)[0])
    assert client.get(f"{BASE}/tokens/not-a-token.json").status_code == 404

    second = _json(_post(client, "json", {**_valid(raw), "attribute[consent_to_publish]": "false"}))
    _same_json_fields({k: v for k, v in second[0].items() if k != "token"}, json.loads(spec.POST_RESPONSE_JSON)[0])
    assert Suggestion.objects.get(tracking_code=second[0]["service_request_id"]).consent_to_publish is False
    assert RequestToken.objects.count() == 2


def test_posting_needs_a_valid_active_api_key(cast: Cast, client: Client, key: tuple[ApiKey, str]) -> None:
    api_key, raw = key
    count = Suggestion.objects.count()
    for data in ({**_valid(raw), "api_key": "wrong"}, {k: v for k, v in _valid(raw).items() if k != "api_key"}):
        response = _post(client, "xml", data)
        assert response.status_code == 403
        ours = _xml(response)
        _same_items_shape(ours, ET.fromstring(spec.ERRORS_XML.encode()))
        assert ours.findtext("error/code") == "403"
    api_key.is_active = False
    api_key.save()
    assert _post(client, "json", _valid(raw)).status_code == 403
    assert Suggestion.objects.count() == count


def test_a_bad_post_lists_every_problem_and_records_nothing(
    cast: Cast, client: Client, key: tuple[ApiKey, str]
) -> None:
    _api_key, raw = key
    data = {
        "api_key": raw,
        "service_code": "roads",
        "phone": "12345",
        "email": "not-an-email",
    }
    count = Suggestion.objects.count()
    response = _post(client, "json", data)
    assert response.status_code == 400
    errors = _json(response)
    reference = json.loads(spec.ERRORS_JSON)[0]
    for error in errors:
        _same_json_fields(error, reference)
        assert error["code"] == 400
    text = " ".join(e["description"] for e in errors)
    # Each message names the parameter as the client sent it, in either language.
    for name in ("description", "attribute[consent_to_publish]", "email", "phone", "address_string"):
        assert name in text, name
    assert len(errors) == 5  # location, description, consent, phone, e-mail
    assert Suggestion.objects.count() == count

    unknown = _post(client, "xml", {**_valid(raw), "service_code": "nope"})
    assert unknown.status_code == 404
    outside = _post(client, "xml", {**_valid(raw), "attribute[region_code]": "999999"})
    assert outside.status_code == 400
    assert Suggestion.objects.count() == count


def test_a_narrow_key_cannot_file_outside_its_region(cast: Cast, client: Client) -> None:
    _key, raw = api_key_create(name="鼓楼小程序", region=cast.world.district_a)
    response = _post(client, "json", {**_valid(raw), "attribute[region_code]": cast.world.town_b.code})
    assert response.status_code == 400
    assert "region_code" in _json(response)[0]["description"]


def test_xml_stays_well_formed_whatever_a_voter_typed(cast: Cast, client: Client, key: tuple[ApiKey, str]) -> None:
    _api_key, raw = key
    nasty = '<script>alert(1)</script> & \x01\x0b 控制字符 ]]> "quotes"'
    posted = _json(_post(client, "json", {**_valid(raw), "description": nasty}))
    code = posted[0]["service_request_id"]
    suggestion = Suggestion.objects.get(tracking_code=code)
    assert suggestion.content.startswith("<script>")  # stored as typed
    committee = cast.users["committee_staff"]
    admin = cast.admin
    s = workflow.suggestion_sort(suggestion=suggestion, actor=admin, category=cast.category, urgency="normal")
    s = workflow.suggestion_resolve_on_spot(suggestion=s, actor=admin, reply_text="现场解决 <b>&</b>")
    s = workflow.suggestion_feedback(suggestion=s, actor=admin, rating="satisfied")
    assert committee is not None
    workflow.suggestion_publish(suggestion=s, actor=committee)
    ours = _xml(client.get(f"{BASE}/requests/{code}.xml"))
    assert "<script>alert(1)</script> &" in (ours.findtext("request/description") or "")
    assert ours.findtext("request/status_notes") == "现场解决 <b>&</b>"


def test_unknown_paths_and_methods_answer_in_the_error_format(client: Client) -> None:
    missing = client.get(f"{BASE}/nothing.xml")
    assert missing.status_code == 404
    assert _xml(missing).tag == "errors"
    assert _json(client.get(f"{BASE}/nothing.json"))[0]["code"] == 404
    wrong = client.post(f"{BASE}/services.json")
    assert wrong.status_code == 405
    assert _json(wrong)[0]["code"] == 405


def test_clients_are_throttled_per_address(client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        SimpleRateThrottle, "THROTTLE_RATES", {**SimpleRateThrottle.THROTTLE_RATES, "open311": "3/minute"}
    )
    statuses = [client.get(f"{BASE}/services.json").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    limited = client.get(f"{BASE}/services.xml")
    assert limited.status_code == 429
    assert _xml(limited).findtext("error/code") == "429"
    assert int(limited["Retry-After"]) >= 1
    other = Client(REMOTE_ADDR="10.0.0.9")
    assert other.get(f"{BASE}/services.json").status_code == 200


def test_an_administrator_creates_a_key_in_the_admin_and_sees_it_once(
    cast: Cast, client: Client, admin_user: Any
) -> None:
    client.force_login(admin_user)
    response = client.post(
        "/admin/open311/apikey/add/",
        {"name": "市民随手拍", "region": cast.world.city.pk, "is_active": "on"},
        follow=True,
    )
    assert response.status_code == 200
    key = ApiKey.objects.get(name="市民随手拍")
    shown = " ".join(str(m) for m in response.context["messages"])
    found = re.search(rf"{re.escape(key.key_prefix)}[-_A-Za-z0-9]+", shown)
    assert found is not None, shown
    raw = found.group(0)
    assert key.key_hash == hashlib.sha256(raw.encode()).hexdigest()  # stored only as a hash
    client.logout()
    posted = _post(client, "json", _valid(raw))
    assert posted.status_code == 201
    key.refresh_from_db()
    assert key.last_used_at is not None
    # Editing the key later does not show or change its secret.
    client.force_login(admin_user)
    edited = client.post(
        f"/admin/open311/apikey/{key.pk}/change/",
        {"name": "市民随手拍", "region": cast.world.city.pk},
        follow=True,
    )
    assert raw not in edited.content.decode()
    assert ApiKey.objects.get(pk=key.pk).key_hash == key.key_hash
    client.logout()
    assert _post(client, "json", _valid(raw)).status_code == 403  # unticking "active" revoked it


def test_listing_requests_costs_the_same_queries_for_many(
    cast: Cast, client: Client, django_assert_max_num_queries: Any, settings: Any
) -> None:
    settings.OPEN311_LIST_CACHE_SECONDS = 0  # count the queries of every list, not the cache's
    for _ in range(3):
        build(cast, "assigned")
    client.get(f"{BASE}/requests.json")
    with django_assert_max_num_queries(2):
        few = _json(client.get(f"{BASE}/requests.json"))
    for _ in range(6):
        build(cast, "replied")
    with django_assert_max_num_queries(2):
        many = _json(client.get(f"{BASE}/requests.json"))
    assert (len(few), len(many)) == (3, 9)


def test_a_list_asked_again_soon_comes_from_the_cache_for_a_short_while(
    cast: Cast, client: Client, django_assert_num_queries: Any, settings: Any
) -> None:
    settings.OPEN311_LIST_CACHE_SECONDS = 1
    first, _t = build(cast, "assigned")
    response = client.get(f"{BASE}/requests.json?status=open")
    assert response["Cache-Control"] == "public, max-age=1"
    assert [r["service_request_id"] for r in _json(response)] == [first.tracking_code]
    second, _t = build(cast, "assigned")
    with django_assert_num_queries(0):
        again = _json(client.get(f"{BASE}/requests.json?status=open"))
    assert [r["service_request_id"] for r in again] == [first.tracking_code]  # up to a second old
    # Another question is answered from the database, and so is the same one once it expired.
    fresh = _json(client.get(f"{BASE}/requests.json?status=open&service_code={cast.category.code}"))
    assert {r["service_request_id"] for r in fresh} == {first.tracking_code, second.tracking_code}
    time.sleep(1.1)
    later = _json(client.get(f"{BASE}/requests.json?status=open"))
    assert {r["service_request_id"] for r in later} == {first.tracking_code, second.tracking_code}
