"""ADDRESS: placeholder (filled in the next step)."""

from __future__ import annotations

from presidio_analyzer import LocalRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

from catalog.recognizers._base import LANGUAGE


class AddressRecognizer(LocalRecognizer):
    def __init__(self) -> None:
        super().__init__(supported_entities=["ADDRESS"], supported_language=LANGUAGE, name="AddressRecognizer")

    def load(self) -> None:
        pass

    def analyze(self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None) -> list[RecognizerResult]:
        return []
