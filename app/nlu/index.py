"""The search index: documents embedded in FAISS plus the lexical indexes, and the per-target signals they give.

`SearchIndex.signals(text)` returns, for every target, the evidence the calibrated scorer weighs: best dense match
among its example phrasings and among its descriptions, BM25 of its phrasings and of its descriptions, best
character n-gram match of each kind, and query-level evidence of whether the question is about our domain at all.

Persistence: `index_dir/<knowledge version>-<model key>/` holds the FAISS index, the documents, the builtin encoder
(when used), the calibration and a manifest. A directory is written under a temporary name and renamed when
complete, so a reader never sees half an index and two processes building at once do not collide.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import faiss
import numpy as np

from app.nlu import encoder as encoders
from app.nlu.documents import PLAN, SERVICE, Document, target_kind, targets_of
from app.nlu.lexical import CURATED_TERMS, Bm25Index, CharNgramIndex, Segmenter
from app.nlu.normalize import matching_form

# Part of every index's identity, with the knowledge version and the encoder: an index written by other NLU code
# (normalisation, glossary, signals, training) is rebuilt rather than read with the wrong assumptions.
_INDEX_MODULES = ("normalize.py", "glossary.py", "lexical.py", "encoder.py", "documents.py", "index.py", "calibration.py")
NLU_CODE_FINGERPRINT = hashlib.sha256(
    b"".join((Path(__file__).parent / name).read_bytes() for name in _INDEX_MODULES)
).hexdigest()[:12]
MANIFEST = "manifest.json"
ENCODER_DIR = "encoder"
VECTORS_FILE = "vectors.faiss"
DOCUMENTS_FILE = "documents.json"

TARGET_SIGNALS = (
    "dense_example",  # best cosine with one of the target's example phrasings
    "dense_example_top3",  # mean of its three best: several close phrasings are stronger evidence than one
    "dense_description",  # best cosine with a passage of the target's curated text
    "bm25_example",  # log(1 + BM25) against the bag of its phrasings: grows with matched words, not diluted by the
    "bm25_description",  # rest of a long story; the same against its curated text
    "char_example",  # best character n-gram cosine with one phrasing
    "char_description",  # best character n-gram cosine with one passage
    "char_example_covered",  # largest share of one phrasing's n-gram weight found in the question
    "char_description_covered",  # the same for a passage
)
QUERY_SIGNALS = (
    "best_dense",  # best dense match with anything in scope (services and plan items)
    "best_char",  # best n-gram match with anything in scope
    "domain_coverage",  # share of the query's text (in characters) made of words our content uses at all
    "known_ngrams",  # share of the query's character n-grams our content uses at all
)


@dataclass(frozen=True)
class Signals:
    targets: np.ndarray  # (n_targets, len(TARGET_SIGNALS))
    query: np.ndarray  # (len(QUERY_SIGNALS),)


def domain_terms(services_keywords: list[str]) -> list[str]:
    return [*CURATED_TERMS, *services_keywords]


def model_key(spec: str) -> str:
    return hashlib.sha256(f"{spec}|{NLU_CODE_FINGERPRINT}".encode()).hexdigest()[:10]


class SearchIndex:
    def __init__(
        self,
        documents: list[Document],
        model: encoders.Encoder,
        spec: str,
        vectors: faiss.Index,
        segmenter: Segmenter,
        analysed: list[tuple[str, tuple[str, ...]]] | None = None,
    ):
        """`analysed`: each document's matching form and words, as saved with the index (a second of work at start)."""
        self.documents = documents
        self.targets = targets_of(documents)
        self.spec = spec
        self.model = model
        self.vectors = vectors
        self.segmenter = segmenter
        position = {t: i for i, t in enumerate(self.targets)}
        self.doc_target = np.array([position[d.target] for d in documents], dtype=np.int64)
        self.doc_is_example = np.array([d.kind == "example" for d in documents])
        self.target_in_scope = np.array([target_kind(t) in (SERVICE, PLAN) for t in self.targets])
        if analysed is None:
            analysed = [(form, segmenter.content_tokens(form)) for form in (matching_form(d.text) for d in documents)]
        self._analysed = analysed
        self.chars = CharNgramIndex([form for form, _ in analysed])
        example_bags: list[list[str]] = [[] for _ in self.targets]
        description_bags: list[list[str]] = [[] for _ in self.targets]
        for document, (_, words), row in zip(documents, analysed, self.doc_target, strict=True):
            bags = example_bags if document.kind == "example" else description_bags
            bags[row].extend(words)
        self.bm25_examples = Bm25Index(example_bags)
        self.bm25_descriptions = Bm25Index(description_bags)
        self._vocabulary = self.bm25_examples.vocabulary | self.bm25_descriptions.vocabulary
        self._known_vectors: dict[str, np.ndarray] = {}  # texts a fixed encoder already embedded (cross-validation)

    @classmethod
    def build(
        cls,
        documents: list[Document],
        spec: str,
        segmenter: Segmenter,
        model: encoders.Encoder,
        known_vectors: dict[str, np.ndarray] | None = None,
    ) -> SearchIndex:
        """`known_vectors` (text → vector) spares re-encoding texts a fixed, pretrained encoder has already seen."""
        if known_vectors is None:
            vectors = encoders.encode(model, [encoders.encoder_text(spec, d.text) for d in documents])
        else:
            vectors = np.stack([known_vectors[d.text] for d in documents])
        index = faiss.IndexFlatIP(vectors.shape[1])
        index.add(vectors)
        built = cls(documents, model, spec, index, segmenter)
        built._known_vectors = known_vectors or {}
        return built

    # --- signals -------------------------------------------------------------------------------------------------

    def embed(self, texts: list[str]) -> np.ndarray:
        """Query vectors, one row per text, in one encoder call (texts a fixed encoder already embedded are reused)."""
        if texts and all(t in self._known_vectors for t in texts):
            return np.stack([self._known_vectors[t] for t in texts])
        return encoders.encode(self.model, [encoders.encoder_text(self.spec, t) for t in texts])

    def signals(self, text: str, query_vector: np.ndarray | None = None) -> Signals:
        """`query_vector`: the text's row from `embed`, when many texts are scored at once."""
        form = matching_form(text)
        n_targets = len(self.targets)
        out = np.zeros((n_targets, len(TARGET_SIGNALS)), dtype=np.float32)

        query_vector = (self.embed([text])[0] if query_vector is None else query_vector)[None, :]
        dense = np.empty(len(self.documents), dtype=np.float32)
        scores, rows = self.vectors.search(query_vector, len(self.documents))
        dense[rows[0]] = scores[0]
        out[:, 0], out[:, 1] = self._best_and_top3(dense, self.doc_is_example)
        out[:, 2] = self._best(dense, ~self.doc_is_example)

        tokens = self.segmenter.content_tokens(form)
        if tokens:
            out[:, 3] = np.log1p(self.bm25_examples.scores(tokens))
            out[:, 4] = np.log1p(self.bm25_descriptions.scores(tokens))

        chars, covered = self.chars.similarities(form)
        out[:, 5] = self._best(chars, self.doc_is_example)
        out[:, 6] = self._best(chars, ~self.doc_is_example)
        out[:, 7] = self._best(covered, self.doc_is_example)
        out[:, 8] = self._best(covered, ~self.doc_is_example)

        in_scope_docs = self.target_in_scope[self.doc_target]
        query = np.array(
            [
                float(dense[in_scope_docs].max(initial=0.0)),
                float(chars[in_scope_docs].max(initial=0.0)),
                self._domain_coverage(tokens),
                self.chars.known_fraction(form),
            ],
            dtype=np.float32,
        )
        return Signals(out, query)

    def _best(self, values: np.ndarray, mask: np.ndarray) -> np.ndarray:
        best = np.zeros(len(self.targets), dtype=np.float32)
        np.maximum.at(best, self.doc_target[mask], np.maximum(values[mask], 0.0))
        return best

    def _best_and_top3(self, values: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        rows, clipped = self.doc_target[mask], np.maximum(values[mask], 0.0)
        order = np.lexsort((-clipped, rows))
        rows, clipped = rows[order], clipped[order]
        group_start = np.searchsorted(rows, rows, side="left")
        rank = np.arange(len(rows)) - group_start
        best = np.zeros(len(self.targets), dtype=np.float32)
        top3 = np.zeros(len(self.targets), dtype=np.float32)
        best[rows[rank == 0]] = clipped[rank == 0]
        np.add.at(top3, rows[rank < 3], clipped[rank < 3] / 3)
        return best, top3

    def _domain_coverage(self, tokens: Sequence[str]) -> float:
        if not tokens:
            return 0.0
        known = sum(len(t) for t in tokens if t in self._vocabulary)
        return known / sum(len(t) for t in tokens)

    # --- persistence ---------------------------------------------------------------------------------------------

    def save(self, directory: Path) -> None:
        faiss.write_index(self.vectors, str(directory / VECTORS_FILE))
        (directory / DOCUMENTS_FILE).write_text(
            json.dumps(
                [[d.target, d.kind, d.text, form, words] for d, (form, words) in zip(self.documents, self._analysed, strict=True)],
                ensure_ascii=False,
            ),
            encoding="utf-8",
        )

    @classmethod
    def load(cls, directory: Path, spec: str, segmenter: Segmenter, model: encoders.Encoder) -> SearchIndex:
        rows = json.loads((directory / DOCUMENTS_FILE).read_text(encoding="utf-8"))
        documents = [Document(target, kind, text) for target, kind, text, _, _ in rows]
        analysed = [(form, tuple(words)) for _, _, _, form, words in rows]
        return cls(documents, model, spec, faiss.read_index(str(directory / VECTORS_FILE)), segmenter, analysed)


def index_directory(index_dir: Path, knowledge_version: str, spec: str) -> Path:
    return index_dir / f"{knowledge_version}-{model_key(spec)}"


def read_manifest(directory: Path) -> dict | None:
    try:
        return json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def publish_directory(staging: Path, final: Path) -> None:
    """Move a completely written index into place; if another process got there first, keep theirs."""
    try:
        staging.rename(final)
    except OSError:
        shutil.rmtree(staging, ignore_errors=True)


def staging_directory(index_dir: Path) -> Path:
    index_dir.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=".building-", dir=index_dir))
