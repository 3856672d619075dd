"""Understanding a message: which service (or plan item, or conversational intent) it is about, and how sure we are.

`build_engine(kb, settings)` loads the index for this knowledge version and encoder when one was built before, else
builds it (encoder training and cross-validated calibration included: one to two minutes) and saves it; processes
sharing an index directory take turns, so one builds and the others load. While it is built, two engines answer at
once: `reindex(engine, kb)`, the new documents indexed with an existing engine's encoder and calibration (under a
second), and where no engine exists yet (a first start), `lexical_engine(kb)`, the lexical signals alone with their
own cross-validated calibration (seconds). `NluEngine.understand(text)` fuses the dense, lexical and example signals into one
calibrated confidence per target and decides:

- answer: the best service or plan item is confident enough to answer, or a clear favourite; the next plausible
  services are listed after it (offered beside the answer); `also_answer` when two close services are answered
  together (「被資遣了 資遣費跟失業給付」);
- clarify: two or more services about equally likely, none confident enough: offer up to three;
- fallback: out of scope (`intent="out_of_scope"`), or too unsure to name anything (`intent=None`);
- smalltalk: greeting, thanks, menu, human, feedback.
"""

from __future__ import annotations

import fcntl
import json
import logging
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache, partial
from pathlib import Path
from typing import Literal

import numpy as np

from app.config import Settings
from app.knowledge.service import KnowledgeBase
from app.nlu import encoder as encoders
from app.nlu.calibration import FOLDS, Calibration, calibrate, decide, design_matrix, evidence, probabilities
from app.nlu.documents import INTENT, OUT_OF_SCOPE, SERVICE, Document, all_documents, target_kind, target_name
from app.nlu.index import (
    ENCODER_DIR,
    MANIFEST,
    NLU_CODE_FINGERPRINT,
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
LEXICAL_ONLY = "lexical-only"  # the spec of `lexical_engine`'s index: no encoder


@dataclass
class BuildProgress:
    """How far this process's build of a complete engine has come, for `/readyz` and the log: the cross-validation
    folds (each trains an encoder), then the final index. Written by the building thread, read by requests."""

    steps: int = FOLDS + 1
    done: int = 0
    waiting: bool = False  # another process sharing the index directory is building it; this one will load it
    started: float = field(default_factory=time.monotonic)

    def as_json(self) -> dict:
        return {"steps_done": self.done, "steps": self.steps, "waiting_for_other_process": self.waiting,
                "elapsed_seconds": round(time.monotonic() - self.started, 1)}


@dataclass(frozen=True)
class Candidate:
    target: str  # "service:<id>" | "plan:<plan item id>" | "intent:<name>": the index's key, shown to staff as is
    score: float  # calibrated 0..1

    @property
    def kind(self) -> str:
        """SERVICE, PLAN or INTENT."""
        return target_kind(self.target)

    @property
    def name(self) -> str:
        """The service id, plan item id or intent name."""
        return target_name(self.target)

    @property
    def service_id(self) -> str | None:
        return self.name if self.kind == SERVICE else None


@dataclass(frozen=True)
class Understanding:
    kind: Literal["answer", "clarify", "fallback", "smalltalk"]
    language: str
    intent: str | None  # smalltalk: greeting/thanks/menu/human/feedback; fallback: "out_of_scope" or None (unsure)
    candidates: tuple[Candidate, ...]  # ranked, best first; answer → [0]; clarify → up to 3 services
    confidence: float
    also_answer: bool = False  # answer: candidates[1] is answered too (two close services)


class NluEngine:
    def __init__(self, index: SearchIndex, calibration: Calibration, knowledge_version: str, *, complete: bool = True):
        self.index = index
        self.calibration = calibration
        self.knowledge_version = knowledge_version
        # False for a `reindex`ed engine: its encoder and calibration were learnt from earlier content.
        self.complete = complete
        self._weights = np.asarray(calibration.weights, dtype=np.float64)

    @property
    def basis(self) -> Literal["complete", "reindexed", "lexical"]:
        """What answers: the complete engine, an earlier engine's encoder and calibration over new content
        (`reindex`), or the words alone (`lexical_engine`)."""
        if self.complete:
            return "complete"
        return "lexical" if self.index.spec == LEXICAL_ONLY else "reindexed"

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
            return Understanding(kind, language, best.name, (best,), best.score)
        if kind == "answer":
            return Understanding(kind, language, None, in_scope, best.score)
        if kind == "pair":
            services = tuple(Candidate(targets[i], float(confidences[i])) for i in found.service_top3)
            return Understanding("answer", language, None, services, best.score, also_answer=True)
        if kind == "clarify":
            services = tuple(Candidate(targets[i], float(confidences[i])) for i in found.service_top3)
            return Understanding(kind, language, None, services, found.service_top3_mass)
        if found.out_of_scope_mass >= found.in_scope_mass:
            return Understanding(kind, language, OUT_OF_SCOPE, in_scope, found.out_of_scope_mass)
        # Unsure: the closest services are still listed, for a "did you mean" the conversation may offer.
        return Understanding(kind, language, None, in_scope, best.score)


def _training(settings: Settings, spec: str) -> dict | None:
    """How the builtin encoder is trained (None for a pretrained one): part of what an index is built from."""
    if not encoders.is_builtin(spec):
        return None
    return {"members": settings.builtin_members, "epochs": settings.builtin_epochs, "seed": settings.builtin_seed}


def _manifest(kb: KnowledgeBase, spec: str, training: dict | None, calibration: Calibration,
              build_seconds: float) -> dict:
    return {
        "nlu_code": NLU_CODE_FINGERPRINT,
        "knowledge_version": kb.version,
        "embedding_model": spec,
        "encoder_training": training,
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "build_seconds": round(build_seconds, 2),
        "cross_validation": calibration.cross_validation,
    }


def _manifest_matches(manifest: dict | None, kb: KnowledgeBase, spec: str, training: dict | None) -> bool:
    return bool(
        manifest
        and manifest.get("nlu_code") == NLU_CODE_FINGERPRINT
        and manifest.get("knowledge_version") == kb.version
        and manifest.get("embedding_model") == spec
        and manifest.get("encoder_training") == training
    )


def load_engine(kb: KnowledgeBase, settings: Settings, spec: str | None = None) -> NluEngine | None:
    """The complete engine for this knowledge base (or with `spec=LEXICAL_ONLY` its lexical engine) when it was
    built before, by any process; else None."""
    spec = spec or settings.embedding_model
    directory = index_directory(settings.index_dir, kb.version, spec)
    if not _manifest_matches(read_manifest(directory), kb, spec, _training(settings, spec)):
        return None
    try:
        return _load(directory, kb.version, spec, segmenter_for(kb))
    except Exception as exc:  # a damaged index (any reader may fail: faiss, json, safetensors) is rebuilt
        log.warning("index in %s unreadable (%s); it will be rebuilt", directory, exc)
        return None


def newest_engine(kb: KnowledgeBase, settings: Settings) -> NluEngine | None:
    """The most recently built complete engine of this NLU code and encoder, whatever content it was built for: a
    process starting on content that has no index yet answers with it (`reindex`) while the complete one is built."""
    spec = settings.embedding_model
    if not settings.index_dir.is_dir():
        return None
    for directory in sorted(_index_directories(settings), key=lambda p: p.stat().st_mtime, reverse=True):
        manifest = read_manifest(directory)
        if manifest and manifest.get("nlu_code") == NLU_CODE_FINGERPRINT and manifest.get("embedding_model") == spec:
            try:
                return _load(directory, manifest["knowledge_version"], spec, segmenter_for(kb))
            except Exception as exc:
                log.warning("index in %s unreadable (%s)", directory, exc)
    return None


def build_engine(kb: KnowledgeBase, settings: Settings, progress: BuildProgress | None = None) -> NluEngine:
    """The complete engine for this knowledge base: loaded from `settings.index_dir` when built before, else built.

    Processes sharing the index directory build one at a time: a process that waited loads what the other built.
    """
    engine = load_engine(kb, settings)
    if engine is not None:
        return engine
    progress = progress or BuildProgress()
    with _build_lock(settings.index_dir, progress):
        return load_engine(kb, settings) or _build(kb, settings, progress)


def lexical_engine(kb: KnowledgeBase, settings: Settings) -> NluEngine:
    """An engine from the lexical signals alone (BM25 and character n-grams; no encoder to train), calibrated by the
    same cross-validation, so its confidences are honest about what words alone can tell: about ten seconds on this
    content. A first start answers with it while the complete engine is built. It is saved like a complete index,
    and built one process at a time, so the web process and the worker of a first start do not both build it."""
    engine = load_engine(kb, settings, LEXICAL_ONLY)
    if engine is not None:
        return engine
    # A lock of its own: a process that has built the lexical engine goes on to build the complete one, and the
    # other process should not wait for that to load this.
    with _build_lock(settings.index_dir, lock_name=".lexical.lock"):
        return load_engine(kb, settings, LEXICAL_ONLY) or _build_lexical(kb, settings)


def _build_lexical(kb: KnowledgeBase, settings: Settings) -> NluEngine:
    started = time.monotonic()
    segmenter, documents, no_encoder = segmenter_for(kb), all_documents(kb), encoders.NoEncoder()

    def build_index(subset) -> SearchIndex:
        return SearchIndex.build(subset, LEXICAL_ONLY, segmenter, no_encoder)

    calibration = calibrate(documents, build_index)
    index = build_index(documents)
    with _publishing(settings, kb, LEXICAL_ONLY) as staging:
        _write(staging, index, calibration, _manifest(kb, LEXICAL_ONLY, None, calibration,
                                                     time.monotonic() - started))
    log.info("lexical engine for knowledge %s built in %.1fs", kb.version, time.monotonic() - started)
    return NluEngine(index, calibration, kb.version, complete=False)


def reindex(engine: NluEngine, kb: KnowledgeBase) -> NluEngine:
    """New content answered at once: its documents indexed with `engine`'s encoder and calibration.

    The calibrated weights describe how signals relate to being right, not which service says what, so they carry
    over to edited content; a phrase the encoder never learnt still matches through the lexical signals.
    """
    index = SearchIndex.build(all_documents(kb), engine.index.spec, segmenter_for(kb), engine.index.model)
    return NluEngine(index, engine.calibration, kb.version, complete=False)


@contextmanager
def _build_lock(index_dir: Path, progress: BuildProgress | None = None, lock_name: str = ".build.lock") -> Iterator[None]:
    index_dir.mkdir(parents=True, exist_ok=True)
    with open(index_dir / lock_name, "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if progress is not None:
                progress.waiting = True
            log.info("another process is building the NLU index in %s; waiting to load it", index_dir)
            fcntl.flock(lock, fcntl.LOCK_EX)
            if progress is not None:
                progress.waiting = False
        yield


def segmenter_for(kb: KnowledgeBase) -> Segmenter:
    return _segmenter(segmenter_terms(kb))


def segmenter_terms(kb: KnowledgeBase) -> tuple[str, ...]:
    """The domain words jieba is told about: the services' keywords."""
    return tuple(sorted(set(domain_terms([k for s in kb.published for k in s.keywords]))))


@lru_cache(maxsize=2)
def _segmenter(terms: tuple[str, ...]) -> Segmenter:
    """jieba takes about a second to load its dictionary; rebuilds with unchanged keywords reuse it."""
    return Segmenter(terms)


def _load(directory, knowledge_version: str, spec: str, segmenter: Segmenter) -> NluEngine:
    model: encoders.Encoder
    if spec == LEXICAL_ONLY:
        model = encoders.NoEncoder()
    elif encoders.is_builtin(spec):
        model = encoders.StaticEncoder.load(directory / ENCODER_DIR)
    else:
        model = encoders.load_pretrained(spec)
    index = SearchIndex.load(directory, spec, segmenter, model)
    calibration = Calibration.from_json(json.loads((directory / CALIBRATION_FILE).read_text(encoding="utf-8")))
    return NluEngine(index, calibration, knowledge_version, complete=spec != LEXICAL_ONLY)


@dataclass(frozen=True)
class BuiltinIndexBuilder:
    """Trains the builtin encoder on some documents and indexes them; a value (it pickles), so the cross-validation
    folds can be built in other processes."""

    spec: str
    domain_terms: tuple[str, ...]
    members: int
    epochs: int
    seed: int

    def __call__(self, documents: list[Document], out_dir: Path | None = None) -> SearchIndex:
        encoder = encoders.train_builtin(documents, out_dir, members=self.members, epochs=self.epochs,
                                         seed=self.seed)
        return SearchIndex.build(documents, self.spec, _segmenter(self.domain_terms), encoder)


def _pretrained_index(documents: list[Document], out_dir: Path | None = None, *, spec: str, segmenter: Segmenter,
                      model: encoders.Encoder, known_vectors: dict | None) -> SearchIndex:
    return SearchIndex.build(documents, spec, segmenter, model, known_vectors)


def _build(kb: KnowledgeBase, settings: Settings, progress: BuildProgress) -> NluEngine:
    started = time.monotonic()
    spec = settings.embedding_model
    directory = index_directory(settings.index_dir, kb.version, spec)
    segmenter = segmenter_for(kb)
    documents = all_documents(kb)
    pretrained = None if encoders.is_builtin(spec) else encoders.load_pretrained(spec)
    known_vectors = None
    if pretrained is not None:  # a fixed encoder: embed every text once for all cross-validation folds
        texts = list(dict.fromkeys(d.text for d in documents))
        vectors = encoders.encode(pretrained, [encoders.encoder_text(spec, t) for t in texts])
        known_vectors = dict(zip(texts, vectors, strict=True))

    build_index: Callable[..., SearchIndex]
    if pretrained is not None:
        build_index = partial(_pretrained_index, spec=spec, segmenter=segmenter, model=pretrained,
                              known_vectors=known_vectors)
        processes = 1  # the folds only look the texts' vectors up: nothing worth another process
    else:
        build_index = BuiltinIndexBuilder(spec, segmenter_terms(kb), settings.builtin_members, settings.builtin_epochs,
                                          settings.builtin_seed)
        processes = settings.index_build_processes

    def fold_done(folds_done: int) -> None:
        progress.done = folds_done
        log.info("NLU index for knowledge %s: cross-validation fold %d of %d done after %.0fs", kb.version,
                 folds_done, FOLDS, time.monotonic() - started)

    calibration = calibrate(documents, build_index, fold_done, processes)
    with _publishing(settings, kb, spec) as staging:
        index = build_index(documents, staging / ENCODER_DIR if pretrained is None else None)
        _write(staging, index, calibration,
               _manifest(kb, spec, _training(settings, spec), calibration, time.monotonic() - started))
    progress.done = progress.steps
    _remove_old_indexes(settings, keep=directory)
    log.info("NLU index for knowledge %s built in %.1fs: %s", kb.version, time.monotonic() - started, calibration.cross_validation)
    return NluEngine(index, calibration, kb.version)


@contextmanager
def _publishing(settings: Settings, kb: KnowledgeBase, spec: str) -> Iterator[Path]:
    """A directory to write an engine into, moved beside the others when the block ends: whole or not at all."""
    directory = index_directory(settings.index_dir, kb.version, spec)
    staging = staging_directory(settings.index_dir)
    try:
        yield staging
        if directory.exists():  # stale (older format or another model): replace it
            shutil.rmtree(directory, ignore_errors=True)
        publish_directory(staging, directory)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _write(staging: Path, index: SearchIndex, calibration: Calibration, manifest: dict) -> None:
    index.save(staging)
    (staging / CALIBRATION_FILE).write_text(json.dumps(calibration.to_json(), indent=2), encoding="utf-8")
    (staging / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False), encoding="utf-8")


def _index_directories(settings: Settings) -> list[Path]:
    """Complete index directories (those being written have a dot name)."""
    return [p for p in settings.index_dir.iterdir() if p.is_dir() and not p.name.startswith(".")]


def _remove_old_indexes(settings: Settings, keep) -> None:
    """Keep the newest few complete indexes (a restart answers from one while it builds); lexical engines only serve
    a first start, which is over once a complete index exists."""
    old = [p for p in _index_directories(settings) if p != keep]
    lexical = [p for p in old if (read_manifest(p) or {}).get("embedding_model") == LEXICAL_ONLY]
    complete = sorted((p for p in old if p not in lexical), key=lambda p: p.stat().st_mtime, reverse=True)
    for stale in lexical + complete[KEEP_OLD_INDEXES:]:
        shutil.rmtree(stale, ignore_errors=True)
