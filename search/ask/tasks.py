"""The daily `ask:expire_conversations` schedule (created by `cms.tasks.ensure_default_schedules`)."""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from .models import AskConversation

EXPIRE_FUNC = "search.ask.tasks.expire_conversations"


def expire_conversations(days: int | None = None) -> int:
    """Delete conversations (and their messages) not continued for ASK_CONVERSATION_DAYS; return how many."""
    days = settings.ASK_CONVERSATION_DAYS if days is None else days
    cutoff = timezone.now() - timedelta(days=days)
    deleted, by_model = AskConversation.objects.filter(updated_at__lt=cutoff).delete()
    return by_model.get("search.AskConversation", 0)
