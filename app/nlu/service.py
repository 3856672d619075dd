"""Understanding a message: which service (or plan item, or conversational intent) it is about, and how sure we are.

`build_engine(kb, settings)` loads the index for this knowledge version and encoder when one was built before, else
builds it (encoder training and cross-validated calibration included) and saves it. `NluEngine.understand(text)`
fuses the dense, lexical and example signals into one calibrated confidence per target and decides:

- answer: the best service or plan item is confident enough to answer;
- clarify: no service is confident enough, but the best few are plausible: offer up to three;
- fallback: out of scope (`intent="out_of_scope"`), or too unsure to name anything (`intent=None`);
- smalltalk: greeting, thanks, menu, human, feedback.

`EngineHolder` keeps the engine a server answers from and swaps in a new one, built in a background thread, when the
staff console publishes new content.
"""

from __future__ import annotations

import json
import logging
import shutil
import threading
import time
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

import numpy as np

from app.config import Settings
from app.knowledge.service import KnowledgeBase
from app.nlu import encoder as encoders
from app.nlu.calibration import Calibration, calibrate, decide, design_matrix, evidence, probabilities
from app.nlu.documents import INTENT, OUT_OF_SCOPE, all_documents, target_kind, target_name
from app.nlu.index import (
    ENCODER_DIR,
    NLU_CODE_FINGERPRINT,
    MANIFEST,
    SearchIndex,
    domain_terms,
    index_directory,
    publish_directory,
    read_manifest,
    staging_directory,
)
from app.nlu.language import DEFAULT_LANGUAGE, detect_language
from app.nlu.lexical import Segmenter

log = logging.getLogger(__name__)

CALIBRATION_FILE = "calibration.json"
MAX_CANDIDATES = 3
# Index directories of older knowledge versions kept beside the current one (another process may still read them).
KEEP_OLD_INDEXES = 2


@dataclass(frozen=True)
class Candidate:
    target: str  # "service:<id>" | "plan:<plan item id>" | "intent:<name>"
    score: float  # calibrated 0..1


@dataclass(frozen=True)
class Understanding:
    kind: Literal["answer", "clarify", "fallback", "smalltalk"]
    language: str
    intent: str | None  # smalltalk: greeting/thanks/menu/human/feedback; fallback: "out_of_scope" or None (unsure)
    candidates: tuple[Candidate, ...]  # ranked, best first; answer → [0]; clarify → up to 3 services
    confidence: float


class NluEngine:
    def __init__(self, index: SearchIndex, calibration: Calibration, knowledge_version: str):
        self.index = index
        self.calibration = calibration
        self.knowledge_version = knowledge_version
        self._weights = np.asarray(calibration.weights, dtype=np.float64)

    def ranking(self, text: str) -> list[Candidate]:
        """Every target with its calibrated confidence, best first."""
        confidences = probabilities(self._weights, design_matrix(self.index.signals(text), self.index.targets))
        order = np.argsort(-confidences, kind="stable")
        return [Candidate(self.index.targets[i], float(confidences[i])) for i in order]

    def understand(self, text: str) -> Understanding:
        language = detect_language(text) if text.strip() else DEFAULT_LANGUAGE
        if not any(c.isalnum() for c in text):
            return Understanding("fallback", language, None, (), 0.0)
        targets = self.index.targets
        confidences = probabilities(self._weights, design_matrix(self.index.signals(text), targets))
        found = evidence(confidences, targets)
        kind = decide(found, targets, self.calibration.thresholds)
        best = Candidate(targets[found.best], found.best_confidence)
        in_scope = tuple(
            Candidate(targets[i], float(confidences[i])) for i in found.ranked if target_kind(targets[i]) != INTENT
        )[:MAX_CANDIDATES]
        if kind == "smalltalk":
            return Understanding(kind, language, target_name(best.target), (best,), best.score)
        if kind == "answer":
            return Understanding(kind, language, None, in_scope, best.score)
        if kind == "clarify":
            services = tuple(Candidate(targets[i], float(confidences[i])) for i in found.service_top3)
            return Understanding(kind, language, None, services, found.service_top3_mass)
        if found.out_of_scope_mass >= found.in_scope_mass:
            return Understanding(kind, language, OUT_OF_SCOPE, in_scope, found.out_of_scope_mass)
        # Unsure: the closest services are still listed, for a "did you mean" the conversation may offer.
        return Understanding(kind, language, None, in_scope, best.score)


def _manifest(kb: KnowledgeBase, spec: str, calibration: Calibration, build_seconds: float) -> dict:
    return {
        "nlu_code": NLU_CODE_FINGERPRINT,
        "knowledge_version": kb.version,
        "embedding_model": spec,
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "build_seconds": round(build_seconds, 2),
        "cross_validation": calibration.cross_validation,
    }


def _manifest_matches(manifest: dict | None, kb: KnowledgeBase, spec: str) -> bool:
    return bool(
        manifest
        and manifest.get("nlu_code") == NLU_CODE_FINGERPRINT
        and manifest.get("knowledge_version") == kb.version
        and manifest.get("embedding_model") == spec
    )


def build_engine(kb: KnowledgeBase, settings: Settings) -> NluEngine:
    """The engine for this knowledge base: loaded from `settings.index_dir` when its manifest matches, else built."""
    spec = settings.embedding_model
    directory = index_directory(settings.index_dir, kb.version, spec)
    segmenter = _segmenter(tuple(sorted(set(domain_terms([k for s in kb.published for k in s.keywords])))))
    if _manifest_matches(read_manifest(directory), kb, spec):
        try:
            return _load(directory, kb, spec, segmenter)
        except Exception as exc:  # a damaged index (any reader may fail: faiss, json, safetensors) is rebuilt
            log.warning("index in %s unreadable (%s); rebuilding", directory, exc)
    return _build(directory, kb, spec, segmenter, settings)


@lru_cache(maxsize=2)
def _segmenter(terms: tuple[str, ...]) -> Segmenter:
    """jieba takes about a second to load its dictionary; rebuilds with unchanged keywords reuse it."""
    return Segmenter(terms)


def _load(directory, kb: KnowledgeBase, spec: str, segmenter: Segmenter) -> NluEngine:
    model = encoders.load_saved(directory / ENCODER_DIR) if encoders.is_builtin(spec) else encoders.load_pretrained(spec)
    index = SearchIndex.load(directory, spec, segmenter, model)
    calibration = Calibration.from_json(json.loads((directory / CALIBRATION_FILE).read_text(encoding="utf-8")))
    return NluEngine(index, calibration, kb.version)


def _build(directory, kb: KnowledgeBase, spec: str, segmenter: Segmenter, settings: Settings) -> NluEngine:
    started = time.monotonic()
    documents = all_documents(kb)
    pretrained = None if encoders.is_builtin(spec) else encoders.load_pretrained(spec)
    known_vectors = None
    if pretrained is not None:  # a fixed encoder: embed every text once for all cross-validation folds
        texts = list(dict.fromkeys(d.text for d in documents))
        known_vectors = dict(zip(texts, encoders.encode(pretrained, [encoders.encoder_text(spec, t) for t in texts])))

    def build_index(subset, out_dir=None) -> SearchIndex:
        if pretrained is not None:
            return SearchIndex.build(subset, spec, segmenter, pretrained, known_vectors)
        return SearchIndex.build(subset, spec, segmenter, encoders.train_builtin(subset, out_dir))

    calibration = calibrate(documents, build_index)
    staging = staging_directory(settings.index_dir)
    try:
        encoder_dir = staging / ENCODER_DIR
        index = build_index(documents, encoder_dir if pretrained is None else None)
        index.save(staging)
        (staging / CALIBRATION_FILE).write_text(json.dumps(calibration.to_json(), indent=2), encoding="utf-8")
        manifest = _manifest(kb, spec, calibration, time.monotonic() - started)
        (staging / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False), encoding="utf-8")
        if directory.exists():  # stale (older format or another model): replace it
            shutil.rmtree(directory, ignore_errors=True)
        publish_directory(staging, directory)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    _remove_old_indexes(settings, keep=directory)
    log.info("NLU index for knowledge %s built in %.1fs: %s", kb.version, time.monotonic() - started, calibration.cross_validation)
    return NluEngine(index, calibration, kb.version)


def _remove_old_indexes(settings: Settings, keep) -> None:
    directories = sorted(
        (p for p in settings.index_dir.iterdir() if p.is_dir() and not p.name.startswith(".") and p != keep),
        key=lambda p: p.stat().st_mtime,
        reverse=True,
    )
    for stale in directories[KEEP_OLD_INDEXES:]:
        shutil.rmtree(stale, ignore_errors=True)


class EngineHolder:
    """The engine a server answers from; `update(kb)` builds a new one in the background and swaps it in.

    Until the first engine is ready `current` is None and `ready` is False. While a build runs, the old engine keeps
    answering; if more content is published meanwhile, only the newest is built next. A failed build is logged and
    the old engine stays.
    """

    def __init__(self, settings: Settings, build=build_engine):
        self._settings = settings
        self._build = build
        self._lock = threading.Lock()
        self._engine: NluEngine | None = None
        self._pending: KnowledgeBase | None = None
        self._requested_version: str | None = None  # the newest content asked for, built or being built
        self._worker: threading.Thread | None = None
        self._idle = threading.Event()
        self._idle.set()

    @property
    def current(self) -> NluEngine | None:
        return self._engine

    @property
    def ready(self) -> bool:
        return self._engine is not None

    def update(self, kb: KnowledgeBase) -> None:
        with self._lock:
            if kb.version == self._requested_version:
                return
            self._requested_version = kb.version
            self._pending = kb
            if self._worker is None:
                self._idle.clear()
                self._worker = threading.Thread(target=self._run, name="nlu-index-build", daemon=True)
                self._worker.start()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until no build is running (tests, start-up); True if idle."""
        return self._idle.wait(timeout)

    def _run(self) -> None:
        while True:
            with self._lock:
                kb, self._pending = self._pending, None
                if kb is None:
                    self._worker = None
                    self._idle.set()
                    return
            try:
                engine = self._build(kb, self._settings)
            except Exception:  # keep answering from the old engine; publishing again retries
                log.exception("building the NLU engine for knowledge %s failed", kb.version)
                with self._lock:
                    if self._requested_version == kb.version:
                        self._requested_version = None
                continue
            with self._lock:
                self._engine = engine
