"""Rasa NLU component: the deterministic crisis detector, run on every message after the ML classifier.

A message the lexicon flags gets the intent ``crisis`` with confidence 1.0 (rules answer it first, whatever the
dialogue was doing) and a ``crisis_type`` entity with the most urgent kind, so responses and actions can give
the matching numbers. The ML prediction is kept in the intent ranking for analysis; it never overrides safety.

No ``from __future__ import annotations`` here: Rasa validates the graph from real type annotations.
"""

from typing import Any, Dict, List

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.components.crisis import CrisisLexicon, load_lexicon

CRISIS_INTENT = "crisis"
CRISIS_ENTITY = "crisis_type"


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class CrisisDetector(GraphComponent):
    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        # An operator may point at a reviewed lexicon elsewhere (e.g. a city-maintained copy). An ML-only crisis
        # prediction below the threshold is treated as an unclear message (searched), never answered with 911/988.
        return {"lexicon": None, "ml_crisis_threshold": 0.9}

    def __init__(self, config: Dict[str, Any]) -> None:
        path = config.get("lexicon")
        self.lexicon: CrisisLexicon = CrisisLexicon.load(path) if path else load_lexicon()
        self.ml_threshold = float(config.get("ml_crisis_threshold", 0.9))

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "CrisisDetector":
        return cls(config)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            self._flag(message)
        return messages

    def _flag(self, message: Message) -> None:
        text: str | None = message.get(TEXT)
        if not text:
            return
        crisis = self.lexicon.detect(text)
        if crisis is None:
            self._check_ml_crisis(message, text)
            return
        previous = message.get(INTENT) or {}
        ranking = [r for r in (message.get(INTENT_RANKING_KEY) or []) if r.get("name") != CRISIS_INTENT]
        message.set(INTENT, {"name": CRISIS_INTENT, "confidence": 1.0}, add_to_output=True)
        message.set(INTENT_RANKING_KEY, [{"name": CRISIS_INTENT, "confidence": 1.0}, *ranking], add_to_output=True)
        entities = [e for e in (message.get(ENTITIES) or []) if e.get("entity") != CRISIS_ENTITY]
        # One entity, the most urgent kind: a text slot filled from several entities would become a list. The
        # response for it names the other lines a combined crisis needs (911 for danger with violence at home).
        entities.append(
            {
                "entity": CRISIS_ENTITY,
                "value": crisis.primary,
                "start": 0,
                "end": 0,
                "extractor": "CrisisDetector",
                "confidence_entity": 1.0,
            }
        )
        message.set(ENTITIES, entities, add_to_output=True)
        if previous.get("name") and previous.get("name") != CRISIS_INTENT:
            message.set("crisis_overrode_intent", previous.get("name"), add_to_output=False)

    def _check_ml_crisis(self, message: Message, text: str) -> None:
        intent = message.get(INTENT) or {}
        if intent.get("name") != CRISIS_INTENT:
            return
        confident = (intent.get("confidence") or 0.0) >= self.ml_threshold
        if confident and self.lexicon.has_signal(text) and not self.lexicon.has_idiom(text):
            return
        confidence = intent.get("confidence") or 0.0
        message.set(INTENT, {"name": "nlu_fallback", "confidence": confidence}, add_to_output=True)
