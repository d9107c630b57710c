"""The NLP engine behind the analyzer: a blank spaCy ``zh`` pipeline fed by jieba.

No model is downloaded.  ``spacy.blank("zh")`` supplies the vocabulary, stop words
and punctuation; jieba supplies word segmentation and part-of-speech tags, stored as
each token's ``tag_`` so the PERSON recognizer can read ``nr`` (person name) from
the same artifacts Presidio hands every recognizer.  jieba reads the normalised view
(:mod:`.normalise`), which the artifacts carry for every recognizer; word offsets
index that view.  jieba is initialised once per process and kept quiet.
"""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Iterable, Iterator
from functools import lru_cache
from typing import Any

import jieba
import jieba.posseg
import spacy
from presidio_analyzer.nlp_engine import NlpArtifacts, NlpEngine
from spacy.lang.zh.stop_words import STOP_WORDS
from spacy.language import Language
from spacy.tokens import Doc

from catalog.recognizers._base import LANGUAGE
from catalog.recognizers.normalise import Normalised, normalise
from catalog.recognizers.viterbi import tag_run


class _MemoPOSTokenizer(jieba.posseg.POSTokenizer):
    """jieba.posseg with its part-of-speech HMM memoised per unknown run of characters.

    Runs of characters jieba's dictionary does not know (mostly names) go through a
    Viterbi pass over every POS state, about 3 ms each: two thirds of the analysis
    time.  :mod:`.viterbi` computes the same pass over the transitions that exist
    only, and names recur across a column (the same recipient, the same clerk), so a
    bounded cache of run → tagged words pays too; results are identical.
    """

    # Overrides the private HMM step that jieba.posseg runs on unknown runs.
    def _POSTokenizer__cut(self, sentence: str) -> Iterator[jieba.posseg.pair]:
        return iter(_tag_unknown_run(sentence))


@lru_cache(maxsize=200_000)
def _tag_unknown_run(sentence: str) -> tuple[jieba.posseg.pair, ...]:
    return tuple(tag_run(sentence))


@lru_cache(maxsize=1)
def _segmenter() -> jieba.posseg.POSTokenizer:
    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    tokenizer = _MemoPOSTokenizer(jieba.dt)
    tokenizer.initialize()
    return tokenizer


class JiebaArtifacts(NlpArtifacts):
    """Presidio's ``NlpArtifacts`` holding jieba's ``(word, tag, offset)`` triples.

    The spaCy ``Doc`` and the keyword list Presidio's own recognizers would read
    are built only when something asks for them; ours read :attr:`words` directly.
    """

    def __init__(
        self, words: list[tuple[str, str, int]], engine: JiebaNlpEngine, vocab: Any, normalised: Normalised
    ) -> None:
        self.words = words
        self.normalised = normalised
        self._vocab = vocab
        self._doc: Doc | None = None
        self.entities: list[Any] = []
        self.nlp_engine = engine
        self.scores: list[float] = []

    @property
    def tokens(self) -> Doc:  # type: ignore[override]
        """The words as a spaCy ``Doc`` whose tags are jieba's POS flags (built lazily)."""
        if self._doc is None:
            words = [w for w, _, _ in self.words]
            tags = [t for _, t, _ in self.words]
            self._doc = Doc(self._vocab, words=words, spaces=[False] * len(words), tags=tags)
        return self._doc

    @property
    def lemmas(self) -> list[str]:  # type: ignore[override]
        """Words stand in for lemmas (Chinese has no inflection)."""
        return [w for w, _, _ in self.words]

    @property
    def tokens_indices(self) -> list[int]:  # type: ignore[override]
        """Character offset of each word."""
        return [at for _, _, at in self.words]

    @property
    def keywords(self) -> list[str]:  # type: ignore[override]
        """Words that are neither stop words nor punctuation."""
        return NlpArtifacts.set_keywords(self.nlp_engine, self.lemmas, LANGUAGE)


class JiebaNlpEngine(NlpEngine):
    """Presidio ``NlpEngine`` over ``spacy.blank("zh")`` with jieba words and POS tags."""

    def __init__(self) -> None:
        self._nlp: Language | None = None

    def load(self) -> None:
        """Create the blank pipeline and initialise jieba."""
        self._nlp = spacy.blank(LANGUAGE)
        _segmenter()

    def is_loaded(self) -> bool:
        """True once :meth:`load` ran."""
        return self._nlp is not None

    def process_text(self, text: str, language: str) -> NlpArtifacts:
        """Segment the normalised ``text`` with jieba.posseg into words, tags and offsets (of the normalised text)."""
        if self._nlp is None:
            self.load()
        assert self._nlp is not None
        norm = normalise(text)
        words, at = [], 0
        for pair in _segmenter().cut(norm.text) if norm.text else ():
            words.append((pair.word, pair.flag, at))
            at += len(pair.word)
        return JiebaArtifacts(words, self, self._nlp.vocab, norm)

    def process_batch(
        self, texts: Iterable[str], language: str, batch_size: int = 1, n_process: int = 1, **kwargs: Any
    ) -> Iterator[tuple[str, NlpArtifacts]]:
        """Process texts one by one (jieba has no batch mode)."""
        for text in texts:
            yield text, self.process_text(text, language)

    def is_stopword(self, word: str, language: str) -> bool:
        """spaCy's Chinese stop-word list (a set lookup: no lexeme per word)."""
        return word in STOP_WORDS

    def is_punct(self, word: str, language: str) -> bool:
        """True when every character is Unicode punctuation."""
        return bool(word) and all(unicodedata.category(c).startswith("P") for c in word)

    def get_supported_entities(self) -> list[str]:
        """The engine itself recognizes no entities; recognizers do."""
        return []

    def get_supported_languages(self) -> list[str]:
        """Chinese only."""
        return [LANGUAGE]

