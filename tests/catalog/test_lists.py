"""Learner lists: saving, ordering, privacy and sharing, hidden resources, the pages and the API."""

import pytest

from catalog import lists as service
from catalog.factories import CourseFactory
from catalog.models import LearnerList, LearnerListItem, LearningResource

pytestmark = pytest.mark.django_db


@pytest.fixture
def learner(django_user_model):
    return django_user_model.objects.create_user("learner", "learner@example.org", "pw")


@pytest.fixture
def other(django_user_model):
    return django_user_model.objects.create_user("other", "other@example.org", "pw")


@pytest.fixture
def signed_in(client, learner):
    client.force_login(learner)
    return client


# --- The rules (catalog.lists) -------------------------------------------------------------------


def test_default_list_is_created_once(learner):
    first = service.default_list(learner)
    assert first.title == "Saved" and first.is_default
    assert service.default_list(learner).pk == first.pk
    assert LearnerList.objects.filter(owner=learner).count() == 1


def test_a_resource_is_once_per_list_and_items_keep_their_order(learner):
    learner_list = service.default_list(learner)
    a, b, c = CourseFactory.create_batch(3)
    for resource in (a, b, c):
        assert service.add_item(learner_list, resource)[1] is True
    assert service.add_item(learner_list, b)[1] is False
    assert list(learner_list.items.values_list("resource_id", flat=True)) == [a.pk, b.pk, c.pk]
    service.reorder(learner_list, [c.pk, a.pk])  # unnamed items keep their order after the named ones
    assert list(learner_list.items.values_list("resource_id", flat=True)) == [c.pk, a.pk, b.pk]
    with pytest.raises(service.ListError, match="twice"):
        service.reorder(learner_list, [a.pk, a.pk])
    with pytest.raises(service.ListError, match="not in"):
        service.reorder(learner_list, [999999])
    assert service.remove_item(learner_list, a.pk) is True
    assert service.remove_item(learner_list, a.pk) is False


def test_unpublished_resources_cannot_be_added_and_are_hidden_but_counted(learner):
    learner_list = service.default_list(learner)
    with pytest.raises(service.ListError, match="not available"):
        service.add_item(learner_list, CourseFactory(unpublished=True))
    kept, gone = CourseFactory.create_batch(2)
    service.add_item(learner_list, kept)
    service.add_item(learner_list, gone)
    LearningResource.objects.filter(pk=gone.pk).update(hidden=True)
    assert [item.resource_id for item in service.visible_items(learner_list)] == [kept.pk]
    assert service.unavailable_count(learner_list) == 1
    assert LearnerListItem.objects.filter(resource=gone).exists()  # kept, in case it comes back


def test_sharing_makes_a_fresh_unguessable_token_and_revoking_kills_it(learner):
    learner_list = service.create_list(learner, title="Data science")
    first = service.share(learner_list)
    assert len(first) >= 32 and service.shared_list(first) == learner_list
    second = service.share(learner_list)
    assert second != first and service.shared_list(first) is None
    service.unshare(learner_list)
    assert service.shared_list(second) is None and learner_list.share_token is None


# --- Site pages ----------------------------------------------------------------------------------


def test_resource_page_save_control_for_visitors_and_learners(client, learner):
    resource = CourseFactory(title="Linear algebra")
    html = client.get(resource.get_absolute_url()).content.decode()
    assert f'href="/accounts/login/?next={resource.get_absolute_url()}"' in html
    assert "csrfmiddlewaretoken" not in html  # the public page stays cacheable
    client.force_login(learner)
    html = client.get(resource.get_absolute_url()).content.decode()
    assert f'action="/lists/save/{resource.pk}/"' in html and "csrfmiddlewaretoken" in html


def test_saving_without_javascript_and_with(client, learner):
    resource = CourseFactory()
    response = client.post(f"/lists/save/{resource.pk}/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/?next=")
    client.force_login(learner)
    response = client.post(f"/lists/save/{resource.pk}/", {"next": resource.get_absolute_url()})
    assert response.status_code == 302 and response["Location"] == resource.get_absolute_url()
    saved = LearnerList.objects.get(owner=learner, is_default=True)
    assert list(saved.items.values_list("resource_id", flat=True)) == [resource.pk]
    page = client.get(resource.get_absolute_url()).content.decode()
    assert "Saved to “Saved”." in page and "(saved)" in page
    response = client.post(f"/lists/save/{resource.pk}/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200 and response.json()["detail"] == "Already in “Saved”."
    # An open redirect through `next` is refused.
    response = client.post(f"/lists/save/{resource.pk}/", {"next": "https://evil.example/"})
    assert response["Location"] == resource.get_absolute_url()


def test_saving_to_someone_elses_list_or_an_unavailable_resource_is_refused(signed_in, other):
    theirs = service.create_list(other, title="Theirs")
    resource = CourseFactory()
    response = signed_in.post(f"/lists/save/{resource.pk}/", {"list": theirs.pk}, HTTP_ACCEPT="application/json")
    assert response.status_code == 404 and "does not exist" in response.json()["detail"]
    assert not theirs.items.exists()
    hidden = CourseFactory(hidden=True)
    response = signed_in.post(f"/lists/save/{hidden.pk}/", HTTP_ACCEPT="application/json")
    assert response.status_code == 404 and "not available" in response.json()["detail"]


def test_list_pages_need_sign_in_and_are_private(client, learner, other):
    assert client.get("/lists/")["Location"] == "/accounts/login/?next=/lists/"
    theirs = service.create_list(other, title="Theirs")
    client.force_login(learner)
    response = client.get("/lists/")
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    assert client.get(f"/lists/{theirs.pk}/").status_code == 404
    assert client.post(f"/lists/{theirs.pk}/edit/", {"action": "delete"}).status_code == 404
    assert LearnerList.objects.filter(pk=theirs.pk).exists()


def test_list_page_create_reorder_remove_share_and_delete(signed_in, learner):
    response = signed_in.post("/lists/new/", {"title": "  "})
    assert response.status_code == 302 and not LearnerList.objects.filter(owner=learner).exists()
    response = signed_in.post("/lists/new/", {"title": "Weekend", "description": "Short ones"})
    learner_list = LearnerList.objects.get(owner=learner, title="Weekend")
    a, b = CourseFactory(title="Alpha course"), CourseFactory(title="Beta course")
    service.add_item(learner_list, a)
    service.add_item(learner_list, b)
    url = f"/lists/{learner_list.pk}/"
    signed_in.post(url + "edit/", {"action": "up", "resource": b.pk})
    assert list(learner_list.items.values_list("resource_id", flat=True)) == [b.pk, a.pk]
    html = signed_in.get(url).content.decode()
    assert html.index("Beta course") < html.index("Alpha course")
    signed_in.post(url + "edit/", {"action": "share"})
    learner_list.refresh_from_db()
    assert learner_list.share_token and learner_list.share_token in signed_in.get(url).content.decode()
    signed_in.post(url + "edit/", {"action": "remove", "resource": a.pk})
    assert list(learner_list.items.values_list("resource_id", flat=True)) == [b.pk]
    signed_in.post(url + "edit/", {"action": "delete"})
    assert not LearnerList.objects.filter(pk=learner_list.pk).exists()


def test_shared_page_is_read_only_anonymous_noindex_and_hides_unavailable(client, django_user_model):
    owner = django_user_model.objects.create_user("zelda_owner", "zelda@example.org", "pw", first_name="Zelda")
    learner_list = service.create_list(owner, title="Shared picks")
    visible, gone = CourseFactory(title="Visible course"), CourseFactory(title="Gone course")
    service.add_item(learner_list, visible)
    service.add_item(learner_list, gone)
    LearningResource.objects.filter(pk=gone.pk).update(hidden=True)
    token = service.share(learner_list)
    response = client.get(f"/lists/shared/{token}/")
    html = response.content.decode()
    assert response.status_code == 200 and "Visible course" in html and "Gone course" not in html
    assert "zelda" not in html.lower()
    assert 'content="noindex' in html and response["X-Robots-Tag"].startswith("noindex")
    assert "csrfmiddlewaretoken" not in html and "no longer available" not in html
    service.unshare(learner_list)
    assert client.get(f"/lists/shared/{token}/").status_code == 404


@pytest.mark.parametrize("size", [2, 20])
def test_list_pages_run_a_constant_number_of_queries(signed_in, learner, size, django_assert_max_num_queries):
    learner_list = service.default_list(learner)
    for resource in CourseFactory.create_batch(size):
        service.add_item(learner_list, resource)
    token = service.share(learner_list)
    with django_assert_max_num_queries(8):
        assert signed_in.get(f"/lists/{learner_list.pk}/").status_code == 200
    with django_assert_max_num_queries(6):
        assert signed_in.get("/lists/").status_code == 200
    with django_assert_max_num_queries(6):
        assert signed_in.get(f"/lists/shared/{token}/").status_code == 200


# --- API -----------------------------------------------------------------------------------------


def test_api_needs_authentication_and_shows_only_own_lists(client, learner, other):
    assert client.get("/api/v1/lists/").status_code == 401
    theirs = service.create_list(other, title="Theirs")
    client.force_login(learner)
    assert client.get("/api/v1/lists/").json()["results"] == []
    assert client.get(f"/api/v1/lists/{theirs.pk}/").status_code == 404
    assert client.post(f"/api/v1/lists/{theirs.pk}/items/", {"resource_id": CourseFactory().pk}).status_code == 404
    assert client.delete(f"/api/v1/lists/{theirs.pk}/").status_code == 404


def test_api_crud_items_reorder_and_sharing(signed_in):
    response = signed_in.post(
        "/api/v1/lists/", {"title": "Robotics", "privacy": "private"}, content_type="application/json"
    )
    assert response.status_code == 201
    list_id = response.json()["id"]
    a, b, c = CourseFactory.create_batch(3)
    for resource in (a, b, c):
        response = signed_in.post(
            f"/api/v1/lists/{list_id}/items/", {"resource_id": resource.pk}, content_type="application/json"
        )
        assert response.status_code == 201
    again = signed_in.post(f"/api/v1/lists/{list_id}/items/", {"resource_id": a.pk}, content_type="application/json")
    assert again.status_code == 200 and again.json()["item_count"] == 3
    bad = signed_in.post(f"/api/v1/lists/{list_id}/items/", {"resource_id": "x"}, content_type="application/json")
    assert bad.status_code == 400 and "whole number" in bad.json()["resource_id"]
    hidden = CourseFactory(hidden=True)
    bad = signed_in.post(f"/api/v1/lists/{list_id}/items/", {"resource_id": hidden.pk}, content_type="application/json")
    assert bad.status_code == 400
    response = signed_in.post(
        f"/api/v1/lists/{list_id}/reorder/", {"resource_ids": [c.pk, b.pk, a.pk]}, content_type="application/json"
    )
    assert [item["resource"]["id"] for item in response.json()["items"]] == [c.pk, b.pk, a.pk]
    assert signed_in.delete(f"/api/v1/lists/{list_id}/items/{b.pk}/").status_code == 204
    assert signed_in.delete(f"/api/v1/lists/{list_id}/items/{b.pk}/").status_code == 404
    shared = signed_in.post(f"/api/v1/lists/{list_id}/share/").json()
    token = shared["share_url"].rstrip("/").rsplit("/", 1)[1]
    signed_in.logout()
    response = signed_in.get(f"/api/v1/lists/shared/{token}/")
    assert response.status_code == 200
    body = response.json()
    assert body["title"] == "Robotics" and [item["resource"]["id"] for item in body["items"]] == [c.pk, a.pk]
    assert "owner" not in body and "share_url" not in body
    assert signed_in.get("/api/v1/lists/shared/not-a-token/").status_code == 404


def test_api_patch_privacy_and_default_list_cannot_be_deleted(signed_in, learner):
    saved = service.default_list(learner)
    response = signed_in.patch(f"/api/v1/lists/{saved.pk}/", {"privacy": "shared"}, content_type="application/json")
    assert response.status_code == 200 and response.json()["share_url"]
    response = signed_in.patch(f"/api/v1/lists/{saved.pk}/", {"privacy": "private"}, content_type="application/json")
    assert response.json()["share_url"] is None
    response = signed_in.delete(f"/api/v1/lists/{saved.pk}/")
    assert response.status_code == 400 and "cannot be deleted" in response.json()["detail"]


def test_api_writes_are_throttled_in_the_write_scope(signed_in, settings):
    from django.core.cache import cache

    settings.API_THROTTLE_ENABLED = True  # off in the test settings
    settings.API_THROTTLE_RATES = {**settings.API_THROTTLE_RATES, "write.user": "2/min"}
    cache.clear()
    codes = [
        signed_in.post("/api/v1/lists/", {"title": f"L{n}"}, content_type="application/json").status_code
        for n in range(3)
    ]
    assert codes == [201, 201, 429]
    response = signed_in.post("/api/v1/saved-searches/", {"query": "python"}, content_type="application/json")
    assert response.status_code == 429 and response["Retry-After"]
    assert signed_in.get("/api/v1/lists/").status_code == 200  # reads are not in the write scope
    cache.clear()


@pytest.mark.parametrize("size", [2, 20])
def test_api_lists_run_a_constant_number_of_queries(signed_in, learner, size, django_assert_max_num_queries):
    for n in range(3):
        learner_list = service.create_list(learner, title=f"List {n}")
        for resource in CourseFactory.create_batch(size):
            service.add_item(learner_list, resource)
    token = service.share(learner_list)
    with django_assert_max_num_queries(6):
        response = signed_in.get("/api/v1/lists/")
    assert response.status_code == 200 and len(response.json()["results"]) == 3
    with django_assert_max_num_queries(6):
        assert len(signed_in.get(f"/api/v1/lists/{learner_list.pk}/").json()["items"]) == size
    with django_assert_max_num_queries(5):
        assert len(signed_in.get(f"/api/v1/lists/shared/{token}/").json()["items"]) == size
