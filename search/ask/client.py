"""An OpenAI-compatible chat-completions client for Ask: streaming, tool calls, timeouts and 429 Retry-After.

Any failure of the provider (an error status, a timeout, a stream cut off, a body that is not the protocol)
becomes `ProviderError` with a message a learner may read; the caller ends its stream with an error event.
"""

import email.utils
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.conf import settings


class ProviderError(Exception):
    """The language model could not answer; the message says why in words fit for the learner."""


@dataclass
class ToolCall:
    id: str
    name: str
    arguments: str  # raw JSON text as the model wrote it (may be malformed: the tool reports that)


@dataclass
class Turn:
    """One completed model response: its text, the tools it called, and what it cost."""

    text: str = ""
    tool_calls: list[ToolCall] = field(default_factory=list)
    finish_reason: str = ""
    prompt_tokens: int = 0
    completion_tokens: int = 0


def retry_after_seconds(headers) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date), or None when absent or unreadable."""
    value = (headers or {}).get("retry-after") if headers is not None else None
    if not value:
        return None
    value = value.strip()
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(when.timestamp() - time.time(), 0.0)


def model_configured() -> bool:
    return bool(settings.ASK_MODEL)


class ChatClient:
    """Streams chat completions from ASK_BASE_URL with ASK_MODEL. The openai SDK's own retries are off: a 429 is
    retried here once, after its Retry-After when that is at most ASK_RETRY_AFTER_MAX seconds."""

    def __init__(
        self,
        *,
        model: str | None = None,
        base_url: str | None = None,
        api_key: str | None = None,
        timeout: float | None = None,
        max_tokens: int | None = None,
        temperature: float | None = None,
        retry_after_max: float | None = None,
    ):
        import openai  # the SDK is only loaded when a model is configured (the extractive path never needs it)

        self.openai = openai
        self.model = model or settings.ASK_MODEL
        self.timeout = timeout if timeout is not None else settings.ASK_TIMEOUT
        self.max_tokens = max_tokens or settings.ASK_MAX_TOKENS
        self.temperature = temperature if temperature is not None else settings.ASK_TEMPERATURE
        self.retry_after_max = retry_after_max if retry_after_max is not None else settings.ASK_RETRY_AFTER_MAX
        self.client = openai.OpenAI(
            api_key=(api_key if api_key is not None else settings.ASK_API_KEY) or "unused",
            base_url=(base_url if base_url is not None else settings.ASK_BASE_URL) or None,
            max_retries=0,
            timeout=self.timeout,
        )

    def _open(self, messages: list[dict], tools: list[dict] | None):
        options = {
            "model": self.model,
            "messages": messages,
            "stream": True,
            "stream_options": {"include_usage": True},
            "max_tokens": self.max_tokens,
            "temperature": self.temperature,
        }
        if tools:
            options["tools"] = tools
        openai = self.openai
        for attempt in range(2):
            try:
                return self.client.chat.completions.create(**options)
            except openai.RateLimitError as error:
                wait = retry_after_seconds(getattr(error.response, "headers", None))
                if attempt == 0 and wait is not None and wait <= self.retry_after_max:
                    time.sleep(wait)
                    continue
                when = f" for {wait:.0f} s" if wait is not None else ""
                raise ProviderError(f"the language model is rate limited{when}; try again later") from error
            except openai.APITimeoutError as error:
                raise ProviderError(f"the language model did not answer within {self.timeout:g} s") from error
            except openai.APIConnectionError as error:
                raise ProviderError("the language model could not be reached") from error
            except openai.APIStatusError as error:
                raise ProviderError(f"the language model answered with an error (HTTP {error.status_code})") from error
            except openai.OpenAIError as error:
                raise ProviderError(f"the language model failed ({type(error).__name__})") from error
        raise ProviderError("the language model is rate limited; try again later")  # pragma: no cover

    def stream(self, messages: list[dict], tools: list[dict] | None = None, deadline: float | None = None) -> Iterator:
        """Yield text deltas (str) as they arrive, then one `Turn`. Raises ProviderError; also when `deadline`
        (a time.monotonic() value) passes or the stream ends without a finish reason (cut off)."""
        stream = self._open(messages, tools)
        turn = Turn()
        calls: dict[int, dict] = {}
        text = []
        try:
            for chunk in stream:
                if deadline is not None and time.monotonic() > deadline:
                    raise ProviderError("the answer took too long and was stopped")
                usage = getattr(chunk, "usage", None)
                if usage:
                    turn.prompt_tokens = int(getattr(usage, "prompt_tokens", 0) or 0)
                    turn.completion_tokens = int(getattr(usage, "completion_tokens", 0) or 0)
                for choice in getattr(chunk, "choices", None) or []:
                    delta = choice.delta
                    if delta is not None and delta.content:
                        text.append(delta.content)
                        yield delta.content
                    for call in (getattr(delta, "tool_calls", None) or []) if delta is not None else []:
                        slot = calls.setdefault(call.index or 0, {"id": "", "name": "", "arguments": ""})
                        slot["id"] = call.id or slot["id"]
                        if call.function is not None:
                            slot["name"] += call.function.name or ""
                            slot["arguments"] += call.function.arguments or ""
                    if choice.finish_reason:
                        turn.finish_reason = choice.finish_reason
        except ProviderError:
            raise
        except self.openai.APITimeoutError as error:
            raise ProviderError(f"the language model stopped answering for {self.timeout:g} s") from error
        except (self.openai.OpenAIError, json.JSONDecodeError, ValueError, OSError) as error:
            raise ProviderError("the language model's answer was cut off or unreadable") from error
        except Exception as error:  # httpx transport errors (a connection dropped mid-stream) are not OpenAIErrors
            if type(error).__module__.split(".")[0] in {"httpx", "httpx2", "httpcore", "h11"}:
                if "Timeout" in type(error).__name__:
                    raise ProviderError(f"the language model stopped answering for {self.timeout:g} s") from error
                raise ProviderError("the language model's answer was cut off") from error
            raise
        finally:
            close = getattr(stream, "close", None)
            if close:
                close()
        if not turn.finish_reason:
            raise ProviderError("the language model's answer was cut off")
        turn.text = "".join(text)
        turn.tool_calls = [
            ToolCall(id=slot["id"] or f"call_{index}", name=slot["name"], arguments=slot["arguments"])
            for index, slot in sorted(calls.items())
        ]
        yield turn
