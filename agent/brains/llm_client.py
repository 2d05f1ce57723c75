"""The LLM endpoint: settings from the environment and the OpenAI-compatible client factory.

Any server that speaks the OpenAI chat API works (OpenAI, Ollama, vLLM, llama.cpp server,
OpenRouter). The key is read here, handed to the SDK client and kept nowhere else: settings,
graph state, checkpoints, ledgers and error messages never hold it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

from director.config import env_int, env_number
from director.errors import ProviderError

if TYPE_CHECKING:
    import httpx
    from openai import OpenAI

DEFAULT_MODEL = "gpt-4o-mini"
"""Used when DIRECTOR_LLM_MODEL is unset; any model the endpoint serves can be named instead."""
OPENAI_URL = "https://api.openai.com/v1"
# Servers such as Ollama or llama.cpp take no key, but the SDK insists on one.
NO_KEY = "no-key"


class LLMError(ProviderError):
    """The LLM endpoint failed, refused, or kept answering outside the schema."""


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    return env_number(name, default, env=env)


def _int(env: Mapping[str, str], name: str, default: int, high: int) -> int:
    return env_int(name, default, 0, high, env=env)


# Bearer tokens and the usual key shapes (sk-..., sk-proj-..., or-...): an endpoint's error text
# may echo the key it was sent, and that text reaches messages, events and logs.
_SECRET_SHAPES = re.compile(
    r"(?i)(bearer\s+)\S+|\b(?:sk|rk|pk|or|gsk|xai)-[A-Za-z0-9_\-*.]{8,}"
)


def scrub(text: str, *secrets: str) -> str:
    """`text` with every given secret and anything shaped like an API key replaced by `***`."""
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "***")
    return _SECRET_SHAPES.sub(lambda m: f"{m.group(1) or ''}***", text)


def redact_url(url: str) -> str:
    """The endpoint as it may be shown: scheme, host, port and path, never userinfo or query."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path.rstrip("/"), "", ""))


@dataclass(frozen=True)
class LLMSettings:
    """Which endpoint and models the LLM brain uses, and how patiently. Holds no secret."""

    base_url: str = OPENAI_URL
    """OPENAI_BASE_URL: the OpenAI-compatible endpoint, e.g. http://localhost:11434/v1."""
    model: str = DEFAULT_MODEL
    """DIRECTOR_LLM_MODEL: the model that plans, writes, revises and converses."""
    vision_model: str = DEFAULT_MODEL
    """DIRECTOR_VISION_MODEL: the model that looks at frames (defaults to `model`)."""
    timeout_s: float = 120.0
    """DIRECTOR_LLM_TIMEOUT_S: seconds one request may take."""
    retries: int = 3
    """DIRECTOR_LLM_RETRIES: extra tries after a 429 or a 5xx (no other failure is retried)."""
    backoff_s: float = 1.0
    """DIRECTOR_LLM_BACKOFF_S: first wait between tries; it doubles each time (max 30 s)."""
    max_tokens: int = 0
    """DIRECTOR_LLM_MAX_TOKENS: completion token cap per call; 0 leaves the endpoint's default."""
    price_in_per_m: float = 0.0
    """DIRECTOR_LLM_PRICE_IN: US dollars per million prompt tokens, for the ledger (0: unpriced)."""
    price_out_per_m: float = 0.0
    """DIRECTOR_LLM_PRICE_OUT: US dollars per million completion tokens (0: unpriced)."""

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> LLMSettings:
        env = os.environ if env is None else env
        model = env.get("DIRECTOR_LLM_MODEL", "").strip() or DEFAULT_MODEL
        return cls(
            base_url=env.get("OPENAI_BASE_URL", "").strip() or OPENAI_URL,
            model=model,
            vision_model=env.get("DIRECTOR_VISION_MODEL", "").strip() or model,
            timeout_s=_float(env, "DIRECTOR_LLM_TIMEOUT_S", 120.0) or 120.0,
            retries=_int(env, "DIRECTOR_LLM_RETRIES", 3, 10),
            backoff_s=_float(env, "DIRECTOR_LLM_BACKOFF_S", 1.0),
            max_tokens=_int(env, "DIRECTOR_LLM_MAX_TOKENS", 0, 1_000_000),
            price_in_per_m=_float(env, "DIRECTOR_LLM_PRICE_IN", 0.0),
            price_out_per_m=_float(env, "DIRECTOR_LLM_PRICE_OUT", 0.0),
        )

    @property
    def endpoint(self) -> str:
        """The base URL with any credentials or query removed, for messages and the ledger."""
        return redact_url(self.base_url)

    def cost_usd(self, prompt_tokens: int, completion_tokens: int) -> float:
        return round(
            (prompt_tokens * self.price_in_per_m + completion_tokens * self.price_out_per_m) / 1e6,
            6,
        )


def llm_configured(env: Mapping[str, str] | None = None) -> bool:
    """True when the environment names an LLM endpoint (a key or a base URL)."""
    env = os.environ if env is None else env
    return bool(env.get("OPENAI_API_KEY", "").strip() or env.get("OPENAI_BASE_URL", "").strip())


def make_client(
    settings: LLMSettings,
    *,
    env: Mapping[str, str] | None = None,
    http_client: httpx.Client | None = None,
) -> OpenAI:
    """The SDK client for `settings`, with the key from the environment.

    The SDK's own retries are off (max_retries=0): the brain retries 429 and 5xx only, with its
    own backoff, so a timeout or a 4xx is reported at once instead of silently repeated.
    `http_client` lets tests inject an httpx.MockTransport.
    """
    from openai import OpenAI  # imported on first use: the SDK takes a second to load

    env = os.environ if env is None else env
    key = env.get("OPENAI_API_KEY", "").strip()
    if not key and settings.base_url == OPENAI_URL:
        raise LLMError("the LLM brain needs OPENAI_API_KEY (or OPENAI_BASE_URL for a local server)")
    return OpenAI(
        api_key=key or NO_KEY,
        base_url=settings.base_url,
        timeout=settings.timeout_s,
        max_retries=0,
        http_client=http_client,
    )
