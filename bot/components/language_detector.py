"""Rasa NLU component: tags a message's language (entity ``language``: en or es) when its words make it clear.

The ``language`` slot fills from this entity (and from an explicit "español"/"English"), and every response has a
Spanish variation conditioned on that slot. Short or unclear messages ("60623", "2") leave the slot as it was.

No ``from __future__ import annotations`` here: Rasa validates the graph from real type annotations.
"""

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from knowledge.language import detect_language

LANGUAGE_ENTITY = "language"


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=False)
class LanguageDetector(GraphComponent):
    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "LanguageDetector":
        return cls()

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text = message.get(TEXT) or ""
            entities = message.get(ENTITIES) or []
            if any(e.get("entity") == LANGUAGE_ENTITY for e in entities):
                continue  # an explicit choice ("español") wins over detection
            lang = detect_language(text, default="")
            if lang:
                entity = {
                    "entity": LANGUAGE_ENTITY,
                    "value": lang,
                    "start": 0,
                    "end": 0,
                    "extractor": "LanguageDetector",
                }
                message.set(ENTITIES, [*entities, entity], add_to_output=True)
        return messages
