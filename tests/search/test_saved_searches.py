"""Saved searches: saving from /search/, My learning (/my/), changing the digest, one-click unsubscribe, the API."""

import pytest

from catalog import lists
from catalog.factories import CourseFactory
from search.saved import service
from search.saved.models import SavedSearch
from search.saved.tokens import make_token
from search.service import SearchParams

pytestmark = pytest.mark.django_db


@pytest.fixture
def learner(django_user_model):
    return django_user_model.objects.create_user("learner", "learner@example.org", "pw")


@pytest.fixture
def signed_in(client, learner):
    client.force_login(learner)
    return client


def save(user, q="robotics", frequency="weekly", **filters):
    return service.create_saved_search(user, SearchParams(q=q, filters=filters), frequency=frequency)


def test_search_page_links_to_save_this_search_without_user_data(client, learner):
    html = client.get("/search/", {"q": "robotics", "level": "introductory"}).content.decode()
    assert 'href="/my/searches/new/?q=robotics&amp;mode=hybrid&amp;level=introductory"' in html
    client.force_login(learner)
    signed_in_html = client.get("/search/", {"q": "robotics", "level": "introductory"}).content.decode()
    assert "csrfmiddlewaretoken" not in signed_in_html.split('class="save-search"')[1].split("</p>")[0]
    assert "Save this search" not in client.get("/search/").content.decode()  # nothing to save


def test_saving_a_search_asks_visitors_to_sign_in_then_confirms(client, learner):
    url = "/my/searches/new/?q=robotics&mode=lexical&level=introductory"
    response = client.get(url)
    assert response.status_code == 302
    assert (
        response["Location"]
        == "/accounts/login/?next=/my/searches/new/%3Fq%3Drobotics%26mode%3Dlexical%26level%3Dintroductory"
    )
    client.force_login(learner)
    page = client.get(url)
    assert page.status_code == 200 and "no-store" in page["Cache-Control"]
    assert 'name="level" value="introductory"' in page.content.decode()
    response = client.post(
        "/my/searches/new/",
        {"q": "robotics", "mode": "lexical", "level": "introductory", "name": "Robots", "frequency": "daily"},
    )
    assert response.status_code == 302 and response["Location"] == "/my/"
    saved = SavedSearch.objects.get(owner=learner)
    assert (saved.name, saved.query, saved.filters, saved.mode, saved.frequency) == (
        "Robots",
        "robotics",
        {"level": ["introductory"]},
        "lexical",
        "daily",
    )
    assert service.search_url(saved) == "/search/?q=robotics&mode=lexical&level=introductory"


def test_saving_an_empty_search_or_a_bad_frequency_is_explained(signed_in):
    response = signed_in.get("/my/searches/new/")
    assert response.status_code == 400 and "Search for something" in response.content.decode()
    response = signed_in.post("/my/searches/new/", {"q": "robotics", "frequency": "hourly"})
    assert response.status_code == 400 and "Choose how often" in response.content.decode()
    assert not SavedSearch.objects.exists()


def test_my_learning_needs_sign_in_is_private_and_shows_everything(client, learner):
    assert client.get("/my/")["Location"] == "/accounts/login/?next=/my/"
    resource = CourseFactory(title="Saved course")
    lists.add_item(lists.default_list(learner), resource)
    lists.create_list(learner, title="Weekend reading")
    save(learner, "robotics", frequency="daily")
    client.force_login(learner)
    response = client.get("/my/")
    html = response.content.decode()
    assert response.status_code == 200 and {"private", "no-store"} <= set(response["Cache-Control"].split(", "))
    assert "Saved course" in html and "Weekend reading" in html and "robotics" in html
    assert '<option value="daily" selected>' in html


def test_changing_and_deleting_a_saved_search_is_owner_only(signed_in, learner, django_user_model):
    saved = save(learner)
    other = save(django_user_model.objects.create_user("other", "o@example.org", "pw"))
    response = signed_in.post(f"/my/searches/{saved.pk}/", {"frequency": "off", "action": "save"})
    assert response.status_code == 302
    saved.refresh_from_db()
    assert saved.frequency == "off"
    assert signed_in.post(f"/my/searches/{other.pk}/", {"action": "delete"}).status_code == 404
    signed_in.post(f"/my/searches/{saved.pk}/", {"action": "delete"})
    assert list(SavedSearch.objects.all()) == [other]


def test_unsubscribe_works_signed_out_and_get_only_asks(client, learner):
    first, second = save(learner, "robotics"), save(learner, "astronomy", frequency="daily")
    url = f"/my/unsubscribe/{make_token(learner.pk, first.pk)}/"
    page = client.get(url)
    assert page.status_code == 200 and "Stop emails" in page.content.decode()
    first.refresh_from_db()
    assert first.frequency == "weekly"  # a link scanner opening the link changes nothing
    response = client.post(url)
    assert response.status_code == 200 and "no more emails" in response.content.decode()
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.frequency, second.frequency) == ("off", "daily")


def test_one_click_unsubscribe_from_a_mail_client_stops_all_digests(client, learner):
    """RFC 8058: the mail client POSTs List-Unsubscribe=One-Click, with no cookie and no CSRF token."""
    from django.test import Client

    save(learner, "robotics"), save(learner, "astronomy", frequency="daily")
    strict = Client(enforce_csrf_checks=True)
    response = strict.post(
        f"/my/unsubscribe/{make_token(learner.pk)}/",
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    assert set(SavedSearch.objects.values_list("frequency", flat=True)) == {"off"}


@pytest.mark.parametrize("tamper", ["user", "signature", "garbage"])
def test_a_tampered_unsubscribe_token_is_refused(client, learner, django_user_model, tamper):
    victim = django_user_model.objects.create_user("victim", "v@example.org", "pw")
    save(victim, "robotics")
    token = make_token(learner.pk)
    if tamper == "user":
        import base64
        import json

        payload, rest = token.split(":", 1)
        forged = base64.urlsafe_b64encode(json.dumps({"u": victim.pk}).encode()).decode().rstrip("=")
        token = f"{forged}:{rest}"
    elif tamper == "signature":
        token = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    else:
        token = "not-a-token"
    response = client.post(f"/my/unsubscribe/{token}/")
    assert response.status_code == 400 and "not valid" in response.content.decode()
    assert SavedSearch.objects.get(owner=victim).frequency == "weekly"


# --- API -----------------------------------------------------------------------------------------


def test_api_saved_searches_crud_owner_only(client, learner, django_user_model):
    assert client.get("/api/v1/saved-searches/").status_code == 401
    other = save(django_user_model.objects.create_user("other", "o@example.org", "pw"))
    client.force_login(learner)
    response = client.post(
        "/api/v1/saved-searches/",
        {"query": "robotics", "filters": {"level": ["introductory"]}, "mode": "lexical", "frequency": "daily"},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (
        body["name"]
        and body["frequency"] == "daily"
        and body["search_url"].endswith("/search/?q=robotics&mode=lexical&level=introductory")
    )
    saved_id = body["id"]
    response = client.patch(
        f"/api/v1/saved-searches/{saved_id}/", {"frequency": "off"}, content_type="application/json"
    )
    assert response.status_code == 200 and response.json()["frequency"] == "off"
    assert [item["id"] for item in client.get("/api/v1/saved-searches/").json()["results"]] == [saved_id]
    assert client.get(f"/api/v1/saved-searches/{other.pk}/").status_code == 404
    assert client.delete(f"/api/v1/saved-searches/{other.pk}/").status_code == 404
    assert client.delete(f"/api/v1/saved-searches/{saved_id}/").status_code == 204


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"query": "x", "filters": {"colour": ["red"]}}, "filters"),
        ({"query": "x", "mode": "psychic"}, "mode"),
        ({"query": "x", "frequency": "hourly"}, "frequency"),
        ({"query": ""}, "detail"),
    ],
)
def test_api_bad_saved_searches_are_explained(signed_in, payload, field):
    response = signed_in.post("/api/v1/saved-searches/", payload, content_type="application/json")
    assert response.status_code == 400 and field in response.json()


@pytest.mark.parametrize("size", [2, 20])
def test_my_learning_and_api_run_a_constant_number_of_queries(signed_in, learner, size, django_assert_max_num_queries):
    saved_list = lists.default_list(learner)
    for resource in CourseFactory.create_batch(size):
        lists.add_item(saved_list, resource)
    for n in range(size):
        lists.create_list(learner, title=f"List {n}")
        save(learner, f"topic {n}")
    with django_assert_max_num_queries(8):
        assert signed_in.get("/my/").status_code == 200
    with django_assert_max_num_queries(5):
        assert len(signed_in.get("/api/v1/saved-searches/?limit=100").json()["results"]) == size


def test_operators_read_the_digest_record_in_the_admin(admin_client, learner):
    from django.utils import timezone

    from search.saved.models import DigestDelivery

    now = timezone.now()
    DigestDelivery.objects.create(
        user=learner, frequency="daily", period="2026-12-05", status="failed", until=now, attempted_at=now,
        error="Connection refused",
    )  # fmt: skip
    response = admin_client.get("/admin/search/digestdelivery/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "2026-12-05" in html and "Failed" in html
    assert admin_client.get("/admin/search/digestdelivery/create/").status_code in (302, 403, 404)
