"""Ask against a real OpenAI-compatible provider: runs only when OPENAI_API_KEY is set (OPENAI_BASE_URL and
ASK_MODEL are honoured). The answer must stream, and cite only resources that retrieval returned."""

from django.conf import settings as django_settings
from django.core.cache import cache

import pytest

from catalog.factories import CourseFactory
from search.ask.answer import ask
from search.ask.models import AskConversation

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(not django_settings.OPENAI_API_KEY, reason="OPENAI_API_KEY is not set"),
]


def test_a_real_model_answers_with_citations_of_retrieved_resources(reindex, settings):
    cache.clear()
    settings.ASK_API_KEY = settings.OPENAI_API_KEY
    settings.ASK_BASE_URL = settings.OPENAI_BASE_URL
    settings.ASK_MODEL = settings.ASK_MODEL or "gpt-4o-mini"
    course = CourseFactory(
        title="Python for data analysis",
        description="<p>Load, clean and plot data with pandas; free, for complete beginners.</p>",
    )
    CourseFactory(title="Medieval French poetry", description="<p>Troubadours.</p>")
    reindex()
    events = list(ask("I want to learn data analysis in Python, free, no background", AskConversation.objects.create()))
    names = [event.name for event in events]
    assert names[0] == "start" and names[-1] == "done", events[-1].data
    assert events[0].data["mode"] == "model"
    citations = next(event for event in events if event.name == "citations").data["citations"]
    assert {c["resource_id"] for c in citations} <= {course.pk}
    assert events[-1].data["tokens"] > 0
