"""Request and response shapes of the Ask API (documented with drf-spectacular)."""

from rest_framework import serializers

from .answer import MAX_QUESTION_CHARS


class AskRequestSerializer(serializers.Serializer):
    question = serializers.CharField(max_length=MAX_QUESTION_CHARS, trim_whitespace=True)
    conversation_id = serializers.UUIDField(
        required=False, allow_null=True, help_text="Continue this conversation (a follow-up question)."
    )
    stream = serializers.BooleanField(
        required=False, default=True, help_text="false: one JSON answer instead of Server-Sent Events."
    )


class CitationSerializer(serializers.Serializer):
    ref = serializers.CharField(help_text='The marker used in the answer text, e.g. "R12".')
    resource_id = serializers.IntegerField()
    title = serializers.CharField()
    url = serializers.CharField()
    resource_type = serializers.CharField()
    passage = serializers.CharField(help_text="Quoted text of the resource (a content passage or its description).")


class AskResponseSerializer(serializers.Serializer):
    conversation_id = serializers.UUIDField()
    message_id = serializers.IntegerField(required=False)
    mode = serializers.ChoiceField(choices=["model", "extractive"])
    model = serializers.CharField(allow_blank=True)
    answer = serializers.CharField(allow_blank=True, help_text="Cites resources as [R<id>] markers.")
    citations = CitationSerializer(many=True)
    dropped_citations = serializers.IntegerField(help_text="Citations removed: not returned by retrieval.")
    no_match = serializers.BooleanField(required=False)
    tokens = serializers.IntegerField(required=False)
    latency_ms = serializers.IntegerField(required=False)
    error = serializers.CharField(allow_blank=True)


class AskErrorSerializer(serializers.Serializer):
    errors = serializers.DictField(child=serializers.CharField())


# One name in the OpenAPI schema for the request's and the response's choices (SPECTACULAR_SETTINGS).
FEEDBACK_VALUES = ["up", "down", "none"]


class FeedbackRequestSerializer(serializers.Serializer):
    conversation_id = serializers.UUIDField(help_text="The conversation the message belongs to.")
    value = serializers.ChoiceField(choices=FEEDBACK_VALUES)


class FeedbackResponseSerializer(serializers.Serializer):
    message_id = serializers.IntegerField()
    feedback = serializers.ChoiceField(choices=FEEDBACK_VALUES)
