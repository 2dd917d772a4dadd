"""The assistant's answering engine: pure retrieval over the knowledge base,
no Django models. patron.assistant.selectors turns published entries into
Docs; patron.assistant.services asks the engine and logs the outcome."""

from patron.assistant.engine.core import Doc, Engine, Hit, Ranking
from patron.assistant.engine.text import normalize

__all__ = ["Doc", "Engine", "Hit", "Ranking", "normalize"]
