"""The Ask API and its surroundings: POST /api/v1/ask/ as SSE, JSON and a plain form post; follow-ups by
conversation id; rate limits; feedback; the OpenAPI schema; the panel on the search page; expiry of old
conversations; the admin review listing; logs that do not identify the learner."""

import json
import logging
import uuid
from datetime import timedelta

from django.core.cache import cache
from django.utils import timezone

import pytest

from catalog.factories import CourseFactory
from cms.tasks import default_schedule_names, ensure_default_schedules
from search.ask.models import AskConversation, AskMessage
from search.ask.tasks import EXPIRE_FUNC, expire_conversations

pytestmark = pytest.mark.django_db
URL = "/api/v1/ask/"


@pytest.fixture(autouse=True)
def extractive(settings):
    cache.clear()  # rate-limit counters and the token budget live in the cache
    settings.ASK_MODEL = ""
    settings.ASK_RATE_PER_MINUTE = 50
    settings.ASK_LOG_LEARNER = False


@pytest.fixture
def catalogue(reindex):
    course = CourseFactory(title="Python for data analysis", description="<p>Pandas for beginners.</p>")
    reindex()
    return course


def sse_events(response) -> list[tuple[str, dict]]:
    body = b"".join(response.streaming_content).decode()
    events = []
    for frame in body.split("\n\n"):
        lines = dict(line.split(": ", 1) for line in frame.splitlines() if not line.startswith(":"))
        if lines:
            events.append((lines["event"], json.loads(lines["data"])))
    return events


def test_ask_streams_server_sent_events_in_order(client, catalogue):
    response = client.post(URL, {"question": "python data analysis"}, content_type="application/json")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/event-stream")
    assert response["Cache-Control"] == "no-store"
    events = sse_events(response)
    names = [name for name, _ in events]
    assert names[0] == "start" and names[-2:] == ["citations", "done"] and "delta" in names
    assert set(names) == {"start", "delta", "citations", "done"}
    assert events[-2][1]["citations"][0]["resource_id"] == catalogue.pk
    conversation_id = events[0][1]["conversation_id"]
    assert AskConversation.objects.filter(pk=conversation_id).exists()


@pytest.mark.parametrize("how", ["query", "accept", "body"])
def test_ask_answers_as_one_json_object_on_request(client, catalogue, how):
    url = URL + ("?stream=0" if how == "query" else "")
    body = {"question": "python data analysis", **({"stream": False} if how == "body" else {})}
    headers = {"HTTP_ACCEPT": "application/json"} if how == "accept" else {}
    response = client.post(url, body, content_type="application/json", **headers)
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    data = response.json()
    assert data["mode"] == "extractive" and data["answer"].startswith("Extractive answer")
    assert [c["resource_id"] for c in data["citations"]] == [catalogue.pk]
    assert data["dropped_citations"] == 0 and data["error"] == ""
    assert AskMessage.objects.get(pk=data["message_id"]).answer == data["answer"]


def test_a_follow_up_continues_the_conversation(client, catalogue):
    first = client.post(URL + "?stream=0", {"question": "python data analysis"}, content_type="application/json")
    conversation_id = first.json()["conversation_id"]
    second = client.post(
        URL + "?stream=0",
        {"question": "any free ones?", "conversation_id": conversation_id},
        content_type="application/json",
    ).json()
    assert second["conversation_id"] == conversation_id
    assert [c["resource_id"] for c in second["citations"]] == [catalogue.pk]
    assert AskConversation.objects.get(pk=conversation_id).messages.count() == 2


def test_bad_requests_name_what_was_wrong(client, catalogue):
    response = client.post(URL, {}, content_type="application/json")
    assert response.status_code == 400 and "question" in response.json()["errors"]
    response = client.post(URL, {"question": "x" * 1001}, content_type="application/json")
    assert response.status_code == 400 and "1000" in response.json()["errors"]["question"]
    unknown = {"question": "more", "conversation_id": str(uuid.uuid4())}
    response = client.post(URL, unknown, content_type="application/json")
    assert response.status_code == 404 and "expired" in response.json()["errors"]["conversation_id"]
    assert AskMessage.objects.count() == 0


def test_a_signed_in_learners_conversation_is_theirs_only(client, django_user_model, catalogue):
    owner = django_user_model.objects.create_user(username="owner", password="x")
    conversation = AskConversation.objects.create(user=owner)
    body = {"question": "more", "conversation_id": str(conversation.pk)}
    assert client.post(URL + "?stream=0", body, content_type="application/json").status_code == 404
    client.force_login(owner)
    assert client.post(URL + "?stream=0", body, content_type="application/json").status_code == 200


def test_questions_are_rate_limited_per_learner(client, settings, catalogue):
    settings.ASK_RATE_PER_MINUTE = 2
    for _ in range(2):
        assert (
            client.post(URL + "?stream=0", {"question": "python"}, content_type="application/json").status_code == 200
        )
    response = client.post(URL + "?stream=0", {"question": "python"}, content_type="application/json")
    assert response.status_code == 429 and int(response["Retry-After"]) >= 1
    assert "at most 2 a minute" in response.json()["errors"]["rate"]
    other = client.post(
        URL + "?stream=0", {"question": "python"}, content_type="application/json", REMOTE_ADDR="10.9.9.9"
    )
    assert other.status_code == 200  # another learner is not limited


def test_feedback_marks_an_answer_up_or_down(client, catalogue):
    data = client.post(URL + "?stream=0", {"question": "python"}, content_type="application/json").json()
    url = f"{URL}messages/{data['message_id']}/feedback/"
    response = client.post(
        url, {"conversation_id": data["conversation_id"], "value": "down"}, content_type="application/json"
    )
    assert response.status_code == 200 and response.json() == {"message_id": data["message_id"], "feedback": "down"}
    assert AskMessage.objects.get(pk=data["message_id"]).feedback == AskMessage.Feedback.DOWN
    wrong = client.post(url, {"conversation_id": str(uuid.uuid4()), "value": "up"}, content_type="application/json")
    assert wrong.status_code == 404
    bad = client.post(
        url, {"conversation_id": data["conversation_id"], "value": "meh"}, content_type="application/json"
    )
    assert bad.status_code == 400 and "value" in bad.json()["errors"]
    assert AskMessage.objects.get(pk=data["message_id"]).feedback == AskMessage.Feedback.DOWN


def test_a_plain_form_post_without_javascript_gets_an_html_answer(client, catalogue):
    response = client.post(URL, {"question": "python data analysis"}, HTTP_ACCEPT="text/html,*/*;q=0.8")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert "Extractive answer" in html and catalogue.get_absolute_url() in html
    conversation = AskConversation.objects.get()
    assert f'value="{conversation.pk}"' in html  # the follow-up form carries the conversation


def test_the_search_page_has_the_ask_panel(client, catalogue):
    response = client.get("/search/?q=python")
    html = response.content.decode()
    assert "data-ask-panel" in html and f'action="{URL}"' in html and 'name="question"' in html
    assert (
        'name="csrfmiddlewaretoken"' not in html and "csrftoken" not in response.cookies
    )  # a publicly cached page carries no CSRF token for anonymous learners


def test_the_openapi_schema_documents_ask(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    operation = schema["paths"]["/api/v1/ask/"]["post"]
    assert operation["operationId"] == "ask"
    assert {"application/json", "text/event-stream"} <= set(operation["responses"]["200"]["content"])
    assert {"400", "404", "429"} <= set(operation["responses"])
    assert "/api/v1/ask/messages/{message_id}/feedback/" in schema["paths"]


def test_old_conversations_expire_on_a_daily_schedule(settings):
    settings.ASK_CONVERSATION_DAYS = 30
    old = AskConversation.objects.create()
    AskMessage.objects.create(conversation=old, question="old")
    AskConversation.objects.filter(pk=old.pk).update(updated_at=timezone.now() - timedelta(days=31))
    recent = AskConversation.objects.create()
    assert expire_conversations() == 1
    assert list(AskConversation.objects.all()) == [recent] and AskMessage.objects.count() == 0
    schedules = {schedule.name: schedule for schedule in ensure_default_schedules()}
    assert "ask:expire_conversations" in default_schedule_names()
    assert schedules["ask:expire_conversations"].func == EXPIRE_FUNC


def test_admins_review_answers_read_only(admin_client, catalogue):
    conversation = AskConversation.objects.create()
    message = AskMessage.objects.create(
        conversation=conversation,
        question="Where do I start with pandas?",
        answer="Try [R1]",
        citations=[{"ref": "R1", "resource_id": 1, "title": "Pandas 101", "url": "/x/", "passage": "p"}],
    )
    listing = admin_client.get("/admin/search/askmessage/")
    assert listing.status_code == 200 and "Where do I start with pandas?" in listing.content.decode()
    inspect = admin_client.get(f"/admin/search/askmessage/inspect/{message.pk}/")
    assert inspect.status_code == 200 and "Pandas 101" in inspect.content.decode()
    assert admin_client.get("/admin/search/askmessage/create/").status_code in {302, 403}


def test_logs_do_not_identify_the_learner_unless_settings_allow(client, settings, django_user_model, catalogue, caplog):
    user = django_user_model.objects.create_user(username="learner-x", password="x")
    client.force_login(user)
    with caplog.at_level(logging.INFO, logger="search.ask"):
        client.post(URL + "?stream=0", {"question": "python"}, content_type="application/json", REMOTE_ADDR="10.1.2.3")
    logged = caplog.text
    assert "ask answered" in logged
    assert "10.1.2.3" not in logged and "learner-x" not in logged and f"user={user.pk}" not in logged
    settings.ASK_LOG_LEARNER = True
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="search.ask"):
        client.post(URL + "?stream=0", {"question": "python"}, content_type="application/json")
    assert f"user={user.pk}" in caplog.text
