"""Ask conversations: each learner question and its answer, kept for the learner's follow-ups and admins' review.

Nothing here identifies an anonymous learner: no IP address, no session key. A conversation's UUID is what a
follow-up names; a signed-in user's conversation answers follow-ups from that user only. Old conversations are
deleted by `search.ask.tasks.expire_conversations` (ASK_CONVERSATION_DAYS)."""

import uuid

from django.conf import settings
from django.db import models


class AskConversation(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="ask_conversations"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        ordering = ["-updated_at"]
        verbose_name = "Ask conversation"

    def __str__(self):
        first = self.messages.order_by("created_at").first()
        return first.question[:80] if first else str(self.id)


class AskMessage(models.Model):
    class Feedback(models.IntegerChoices):
        NONE = 0, "None"
        UP = 1, "Helpful"
        DOWN = -1, "Not helpful"

    conversation = models.ForeignKey(AskConversation, on_delete=models.CASCADE, related_name="messages")
    question = models.TextField()
    answer = models.TextField(blank=True)
    citations = models.JSONField(default=list, blank=True, help_text="[{resource_id, title, url, passage}, ...]")
    dropped_citations = models.PositiveIntegerField(
        default=0, help_text="Citations the model made of resources retrieval did not return (removed)."
    )
    mode = models.CharField(max_length=16, default="extractive", help_text='"model" or "extractive".')
    model = models.CharField(max_length=200, blank=True)
    prompt_tokens = models.PositiveIntegerField(default=0)
    completion_tokens = models.PositiveIntegerField(default=0)
    latency_ms = models.PositiveIntegerField(default=0)
    no_match = models.BooleanField(default=False, help_text="Retrieval found no good match.")
    error = models.CharField(max_length=500, blank=True)
    feedback = models.SmallIntegerField(choices=Feedback.choices, default=Feedback.NONE)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "Ask message"

    def __str__(self):
        return self.question[:80]

    def citation_summary(self) -> str:
        """The cited resources, one per line (admin review)."""
        return "\n".join(
            f"[{c.get('ref', '')}] {c.get('title', '')} — {c.get('url', '')}" for c in self.citations or []
        )

    citation_summary.short_description = "Citations"

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens
