"""POST /api/v1/ask/ (an answer as Server-Sent Events, or JSON, or — a plain form post — an HTML page) and
POST /api/v1/ask/messages/{id}/feedback/ (thumbs up/down)."""

from django.http import StreamingHttpResponse
from django.shortcuts import render

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from .answer import AskContext, ask
from .limits import check_rate, learner_key
from .models import AskConversation, AskMessage
from .serializers import (
    AskErrorSerializer,
    AskRequestSerializer,
    AskResponseSerializer,
    FeedbackRequestSerializer,
    FeedbackResponseSerializer,
)
from .sse import collect, sse_stream

FEEDBACK = {"up": AskMessage.Feedback.UP, "down": AskMessage.Feedback.DOWN, "none": AskMessage.Feedback.NONE}
FEEDBACK_NAMES = {value: name for name, value in FEEDBACK.items()}

SSE_DESCRIPTION = """Server-Sent Events, in order: `start` (`conversation_id`, `mode`: "model" or "extractive", \
`model`), `delta`s (`text`: the next piece of the answer; resources are cited as `[R<id>]`), `citations` \
(`citations`: [{ref, resource_id, title, url, resource_type, passage}], `dropped`), then `done` (`message_id`, \
`no_match`, `tokens`, `latency_ms`, ...). A provider error or timeout ends the stream with an `error` event \
(`message`) instead of `done`."""


class EventStreamRenderer(BaseRenderer):
    """Lets clients ask for `text/event-stream` (the view streams; this renderer only names the media type)."""

    media_type = "text/event-stream"
    format = "sse"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data if isinstance(data, bytes) else str(data).encode()


def _wants(request) -> str:
    """ "sse", "json" or "html": `stream=false` (query or body) or an Accept of JSON → json; a browser's plain form
    post (Accept text/html) → html; otherwise Server-Sent Events."""
    accept = request.META.get("HTTP_ACCEPT", "")
    stream_param = str(request.query_params.get("stream", "")).lower()
    if stream_param in {"0", "false", "no"}:
        return "json"
    if "text/event-stream" in accept:
        return "sse"
    if "text/html" in accept:
        return "html"
    if "application/json" in accept:
        return "json"
    return "sse"


def _error(errors: dict, status: int, *, retry_after: int | None = None) -> Response:
    response = Response({"errors": errors}, status=status)
    response["Cache-Control"] = "no-store"
    if retry_after is not None:
        response["Retry-After"] = str(retry_after)
    return response


class AskAPIView(APIView):
    """Ask Learnhub a question; the answer recommends catalogue resources and cites them."""

    renderer_classes = [JSONRenderer, EventStreamRenderer]

    @extend_schema(
        operation_id="ask",
        summary="Ask a question; get an answer that cites catalogue resources",
        description="Answers with recommendations drawn from the search service and content passages. Only "
        "resources that retrieval returned are cited. With no language model configured (or the daily token "
        "budget spent) the answer is extractive (`mode: extractive`): the best matching resources and their "
        "passages. Streams Server-Sent Events by default; `?stream=0`, `stream: false` or "
        "`Accept: application/json` give one JSON object. Rate limited per learner (429 with Retry-After).\n\n"
        + SSE_DESCRIPTION,
        parameters=[
            OpenApiParameter("stream", OpenApiTypes.BOOL, description="0/false: answer as one JSON object."),
        ],
        request=AskRequestSerializer,
        responses={
            (200, "application/json"): AskResponseSerializer,
            (200, "text/event-stream"): OpenApiResponse(OpenApiTypes.STR, description=SSE_DESCRIPTION),
            400: AskErrorSerializer,
            404: AskErrorSerializer,
            429: AskErrorSerializer,
        },
        examples=[
            OpenApiExample(
                "A question", value={"question": "I want to learn data analysis in Python, free, no background"}
            )
        ],
        tags=["ask"],
    )
    def post(self, request):
        serializer = AskRequestSerializer(data=request.data)
        if not serializer.is_valid():
            return _error({key: " ".join(str(m) for m in messages) for key, messages in serializer.errors.items()}, 400)
        data = serializer.validated_data
        wants = _wants(request)
        if "stream" in request.data and not data["stream"]:
            wants = "json"
        user = request.user if request.user.is_authenticated else None
        if data.get("conversation_id"):
            conversation = AskConversation.objects.filter(pk=data["conversation_id"]).first()
            if conversation is None or (conversation.user_id and conversation.user_id != getattr(user, "pk", None)):
                return _error(
                    {"conversation_id": "no such conversation (it may have expired); ask without it to start anew"},
                    404,
                )
        else:
            conversation = None
        limited = check_rate(request)
        if limited:
            return _error({"rate": limited.message}, 429, retry_after=limited.retry_after)
        if conversation is None:
            conversation = AskConversation.objects.create(user=user)
        events = ask(data["question"], conversation, context=AskContext(user=user, learner=learner_key(request)))
        if wants == "sse":
            response = StreamingHttpResponse(sse_stream(events), content_type="text/event-stream; charset=utf-8")
            response["Cache-Control"] = "no-store"
            response["X-Accel-Buffering"] = "no"  # nginx: pass each event on at once
            return response
        answer = collect(events)
        if wants == "html":
            response = render(
                request._request, "search/ask_answer.html", {"answer": answer, "question": data["question"]}
            )
        else:
            response = Response(AskResponseSerializer(answer).data)
        response["Cache-Control"] = "no-store"
        return response


class AskFeedbackAPIView(APIView):
    """Thumbs up or down on one answer."""

    throttle_scope = "write"  # cms.accounts.throttling: API_THROTTLE_WRITE_*

    @extend_schema(
        operation_id="ask_feedback",
        summary="Rate an answer (thumbs up/down)",
        description="`conversation_id` must be the answer's conversation (it is what proves the asker); a "
        "signed-in learner's conversation takes feedback from that learner only.",
        request=FeedbackRequestSerializer,
        responses={200: FeedbackResponseSerializer, 400: AskErrorSerializer, 404: AskErrorSerializer},
        tags=["ask"],
    )
    def post(self, request, message_id: int):
        serializer = FeedbackRequestSerializer(data=request.data)
        if not serializer.is_valid():
            return _error({key: " ".join(str(m) for m in messages) for key, messages in serializer.errors.items()}, 400)
        message = (
            AskMessage.objects.select_related("conversation")
            .filter(pk=message_id, conversation_id=serializer.validated_data["conversation_id"])
            .first()
        )
        user_id = request.user.pk if request.user.is_authenticated else None
        if message is None or (message.conversation.user_id and message.conversation.user_id != user_id):
            return _error({"message_id": f"no answer {message_id} in that conversation"}, 404)
        message.feedback = FEEDBACK[serializer.validated_data["value"]]
        message.save(update_fields=["feedback"])
        return Response({"message_id": message.pk, "feedback": FEEDBACK_NAMES[message.feedback]})
