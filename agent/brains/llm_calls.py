"""One structured call to the LLM endpoint: schema out, validated model back, usage recorded.

The ladder, per call: strict json_schema response format -> (endpoint rejects it) JSON mode with
the schema in the instructions -> one repair round for a reply that is cut off or fails
validation -> LLMError naming the endpoint and model. 429 and 5xx are retried with exponential
backoff (tenacity); every other failure is reported at once.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

import openai
from openai import OpenAI
from openai.types.chat import ChatCompletion
from openai.types.chat.chat_completion import Choice
from pydantic import BaseModel, ValidationError
from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_exponential

from director.agent.brains.llm_client import NO_KEY, LLMError, LLMSettings, scrub
from director.agent.brains.llm_prompts import render
from director.agent.brains.llm_schemas import strict_schema

T = TypeVar("T", bound=BaseModel)
Message = dict[str, Any]
Recorder = Callable[[dict[str, Any]], None]

_SCHEMA_WORDS = ("response_format", "json_schema", "structured output", "schema")


class _Unusable(Exception):
    """A reply that arrived but cannot be used as it stands; one repair round may fix it."""

    def __init__(self, problem: str, content: str, *, truncated: bool = False) -> None:
        super().__init__(problem)
        self.problem = problem
        self.content = content
        self.truncated = truncated


def _retryable(exc: BaseException) -> bool:
    return isinstance(exc, openai.APIStatusError) and (
        exc.status_code == 429 or exc.status_code >= 500
    )


def _schema_unsupported(exc: openai.APIStatusError) -> bool:
    """A 400/422 that complains about the response format, not about the request as a whole."""
    text = str(exc).lower()
    return exc.status_code in (400, 422) and any(w in text for w in _SCHEMA_WORDS)


def _first_error(exc: ValidationError) -> str:
    errors = exc.errors()
    first = errors[0]
    where = ".".join(str(p) for p in first.get("loc", ())) or "the reply"
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"{where}: {first.get('msg', 'invalid')}{more}"


class StructuredCaller:
    """Sends chat requests for one brain; remembers when the endpoint needs JSON mode."""

    def __init__(
        self,
        client: OpenAI,
        settings: LLMSettings,
        *,
        record: Recorder | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.client = client
        self.settings = settings
        self.record = record
        self.sleep = sleep
        self.json_mode = False
        self._lock = threading.Lock()

    # --- the public call ---------------------------------------------------------------------

    def call(self, call: str, schema: type[T], messages: list[Message], *, shot: int = -1) -> T:
        """A validated `schema` instance for `messages`, or LLMError."""
        for round_ in (1, 2):
            try:
                return self._ask(call, schema, messages, shot)
            except _Unusable as bad:
                if round_ == 2:
                    raise self._error(
                        f"gave no valid {schema.__name__} for the {call} call after one repair "
                        f"round ({bad.problem})"
                    ) from None
                shorter = (
                    " Keep it shorter: fewer words per field, and only the items needed."
                    if bad.truncated else ""
                )
                messages = [
                    *messages,
                    {"role": "assistant", "content": bad.content or "(empty)"},
                    {"role": "user", "content": render("repair", problem=bad.problem,
                                                       shorter=shorter)},
                ]
        raise AssertionError("unreachable")

    def raw(self, call: str, request: dict[str, Any], *, shot: int = -1) -> Any:
        """One completion for a request built by the caller (tool calling), usage recorded."""
        completion = self._send(request)
        self._account(call, completion, shot, "tools")
        return completion

    # --- one round ---------------------------------------------------------------------------

    def _ask(self, call: str, schema: type[T], messages: list[Message], shot: int) -> T:
        if not self.json_mode:
            request = self._request(messages, {
                "type": "json_schema",
                "json_schema": {"name": schema.__name__, "schema": strict_schema(schema),
                                "strict": True},
            })
            try:
                completion = self._send(request)
            except LLMError as exc:
                if not getattr(exc, "schema_unsupported", False):
                    raise
                # Older local servers take only JSON mode: from now on ask for that instead.
                self.json_mode = True
            else:
                self._account(call, completion, shot, "json_schema")
                return self._validate(schema, completion)
        # JSON mode promises JSON, not this schema: the schema goes into the instructions.
        shape = (
            "\n\nReply with one JSON object that matches this JSON schema exactly:\n"
            + json.dumps(schema.model_json_schema())
        )
        first, *rest = messages
        request = self._request(
            [{**first, "content": f"{first['content']}{shape}"}, *rest], {"type": "json_object"}
        )
        completion = self._send(request)
        self._account(call, completion, shot, "json_object")
        return self._validate(schema, completion)

    def _request(self, messages: list[Message], response_format: dict[str, Any]) -> dict[str, Any]:
        request: dict[str, Any] = {
            "model": self.settings.model,
            "messages": messages,
            "response_format": response_format,
        }
        if self.settings.max_tokens:
            request["max_tokens"] = self.settings.max_tokens
        return request

    def _validate(self, schema: type[T], completion: Any) -> T:
        if not completion.choices:
            raise _Unusable("the reply had no choices", "")
        choice = completion.choices[0]
        message = choice.message
        if message is None:
            raise _Unusable("the reply had no message", "")
        refusal = getattr(message, "refusal", None)
        if refusal:
            raise self._error(f"refused the request: {str(refusal)[:200]}")
        content = message.content or ""
        if choice.finish_reason == "content_filter":
            raise self._error("stopped the reply with its content filter")
        if choice.finish_reason == "length":
            raise _Unusable("the reply was cut off at the token limit", content, truncated=True)
        text = content.strip()
        if text.startswith("```"):
            # Some local models fence JSON even in JSON mode; the fence is not the answer.
            text = text.strip("`").removeprefix("json").strip()
        try:
            return schema.model_validate_json(text)
        except ValidationError as exc:
            raise _Unusable(f"it failed validation at {_first_error(exc)}", content) from None

    # --- transport ---------------------------------------------------------------------------

    def _send(self, request: dict[str, Any]) -> Any:
        """POST with retries on 429/5xx only; any API failure becomes one clear LLMError."""
        retrying = Retrying(
            retry=retry_if_exception(_retryable),
            stop=stop_after_attempt(self.settings.retries + 1),
            wait=wait_exponential(multiplier=self.settings.backoff_s, max=30),
            sleep=self.sleep,
            reraise=True,
        )
        # Every failure is re-raised `from None`: the SDK's exception holds the request (with
        # its Authorization header) and the server's text, which may echo the key.
        try:
            completion = retrying(self.client.chat.completions.create, **request)
        except openai.APIStatusError as exc:
            tries = f" after {self.settings.retries + 1} tries" if _retryable(exc) else ""
            error = self._error(f"answered HTTP {exc.status_code}{tries}: {_api_message(exc)}",
                                retryable=_retryable(exc))
            error.schema_unsupported = _schema_unsupported(exc)  # type: ignore[attr-defined]
            raise error from None
        except openai.APITimeoutError:
            raise self._error(f"timed out after {self.settings.timeout_s:g}s") from None
        except openai.APIConnectionError:
            raise self._error("could not be reached", retryable=True) from None
        except openai.OpenAIError as exc:  # e.g. a body the SDK could not read
            raise self._error(f"sent a reply the client could not read ({type(exc).__name__})"
                              ) from None
        # A server that is not a chat endpoint (a web page, a proxy's error JSON) still answers
        # 200; the SDK hands back whatever it got without checking its shape.
        if not isinstance(completion, ChatCompletion) or not isinstance(
                completion.choices, list) or not all(isinstance(c, Choice)
                                                     for c in completion.choices):
            raise self._error("answered with something that is not a chat completion (is "
                              "OPENAI_BASE_URL the API root, e.g. …/v1?)")
        return completion

    def _error(self, what: str, *, retryable: bool = False) -> LLMError:
        key = str(getattr(self.client, "api_key", "") or "")
        message = f"LLM endpoint {self.settings.endpoint} (model {self.settings.model}) {what}"
        return LLMError(scrub(message, "" if key == NO_KEY else key), retryable=retryable)

    def _account(self, call: str, completion: Any, shot: int, mode: str) -> None:
        usage = getattr(completion, "usage", None)
        prompt = _count(getattr(usage, "prompt_tokens", 0))
        done = _count(getattr(usage, "completion_tokens", 0))
        if self.record is None:
            return
        with self._lock:
            self.record({
                "call": call,
                "shot": shot,
                "model": self.settings.model,
                "endpoint": self.settings.endpoint,
                "mode": mode,
                "prompt_tokens": prompt,
                "completion_tokens": done,
                "cost_usd": self.settings.cost_usd(prompt, done),
            })


def _api_message(exc: openai.APIStatusError) -> str:
    """The server's own error message, one line, short; never the request (which has no key,
    but may be long)."""
    body = exc.body
    if isinstance(body, dict):
        inner = body.get("error", body)
        message = inner.get("message") if isinstance(inner, dict) else inner
        if message:
            return " ".join(str(message).split())[:200]
    return " ".join(str(exc.message).split())[:200]


def _count(value: Any) -> int:
    """A token count as the endpoint reported it; 0 when it sent none or nonsense."""
    return value if isinstance(value, int) and value > 0 else 0
