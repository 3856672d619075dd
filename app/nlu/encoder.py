"""Sentence encoders: a pretrained sentence-transformers model, or the builtin one trained from our own content.

`settings.embedding_model` picks it. "builtin" needs no download: a `StaticEmbedding` (a bag of token vectors) over a
BPE tokenizer learnt from knowledge/ and intents/ (BPE learns the words of Chinese, Thai and Latin text alike from
their frequency), trained with MultipleNegativesRankingLoss so each phrasing lands near the other texts of its
target. It trains in seconds on a CPU, is deterministic for a seed, and is saved as an ordinary
sentence-transformers model directory (`SentenceTransformer(path)` loads it). Any other value is a model name or
path given to `SentenceTransformer`, e.g. "paraphrase-multilingual-MiniLM-L12-v2" or a directory baked into the image.

A trained builtin model is served as a `StaticEncoder`: the same token table and tokenizer, averaged with numpy.
Importing torch and sentence-transformers takes most of a server's start (about 5 of 7 seconds here), and a static
embedding needs neither to be applied; they are imported only to train, or to load a pretrained model.
"""

from __future__ import annotations

import json
import random
from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Union

import numpy as np
from safetensors.numpy import load_file
from tokenizers import Regex, Tokenizer, models, normalizers, pre_tokenizers, trainers

from app.nlu.documents import Document
from app.nlu.normalize import matching_form, normalize

BUILTIN = "builtin"

# Small on purpose: the corpus is a few thousand sentences and the machine has two shared cores.
BUILTIN_VOCAB_SIZE = 6000
BUILTIN_DIMENSION = 128
BUILTIN_BATCH_SIZE = 128
BUILTIN_LEARNING_RATE = 0.5
BUILTIN_PAIRS_PER_TARGET = 32
PAIRING_SEED = 20261121  # which passages pair with which: the same for every training seed
UNKNOWN_TOKEN = "[UNK]"

if TYPE_CHECKING:
    import torch
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.losses import MultipleNegativesRankingLoss

# What a saved builtin model consists of, in sentence-transformers' modules.json.
_STATIC_MODULES = (
    "sentence_transformers.sentence_transformer.modules.static_embedding.StaticEmbedding",
    "sentence_transformers.base.modules.normalize.Normalize",
)

# Han, Thai, Latin letters and digits form separate pre-tokens, so BPE merges inside one script only.
_PRE_TOKEN_PATTERN = r"[\p{Han}]+|[\p{Thai}]+|[\p{Latin}]+|\d+|[^\s\p{Han}\p{Thai}\p{Latin}\d]+"


def is_builtin(spec: str) -> bool:
    return spec == BUILTIN


def encoder_text(spec: str, text: str) -> str:
    """The form of a text an encoder is given: the builtin one learnt the matching form, pretrained ones read text."""
    return matching_form(text) if is_builtin(spec) else normalize(text)


class StaticEncoder:
    """The builtin model applied with numpy: the mean of its texts' token vectors, scaled to unit length — what its
    StaticEmbedding (an EmbeddingBag in mean mode) and Normalize modules compute, without torch."""

    def __init__(self, tokenizer: Tokenizer, token_vectors: np.ndarray):
        self.tokenizer = tokenizer
        self.token_vectors = np.ascontiguousarray(token_vectors, dtype=np.float32)

    @classmethod
    def load(cls, path: Path) -> StaticEncoder:
        """From the directory `train_builtin` saved (an ordinary sentence-transformers model directory)."""
        modules = json.loads((path / "modules.json").read_text(encoding="utf-8"))
        if tuple(m["type"] for m in modules) != _STATIC_MODULES:
            raise ValueError(f"{path} is not a builtin static model: {[m['type'] for m in modules]}")
        tokenizer = Tokenizer.from_file(str(path / "tokenizer.json"))
        tokenizer.no_padding()
        return cls(tokenizer, load_file(str(path / "model.safetensors"))["embedding.weight"])

    @property
    def dimension(self) -> int:
        return self.token_vectors.shape[1]

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        vectors = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, encoding in enumerate(self.tokenizer.encode_batch(list(texts), add_special_tokens=False)):
            if encoding.ids:  # an empty bag stays a zero vector, as in torch
                vectors[row] = self.token_vectors[encoding.ids].mean(axis=0)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.maximum(norms, 1e-12)  # torch.nn.functional.normalize's eps


class NoEncoder:
    """No dense evidence at all: every text is the same zero vector, so only the lexical signals decide. What a
    process answers with in the seconds after a first start, before any trained encoder exists (see `Runtime`)."""

    dimension = 1

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        return np.zeros((len(texts), self.dimension), dtype=np.float32)


Encoder = Union[StaticEncoder, NoEncoder, "SentenceTransformer"]


def load_pretrained(spec: str) -> SentenceTransformer:
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(spec, device="cpu")


def load_saved(path: Path) -> SentenceTransformer:
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(path), device="cpu")


def dimension(model: SentenceTransformer) -> int:
    """The length of the model's vectors. Every model used here ends in a pooling layer, which knows it."""
    size = model.get_embedding_dimension()
    if size is None:
        raise ValueError("the sentence-transformers model does not say how long its vectors are")
    return size


def encode(model: Encoder, texts: Sequence[str]) -> np.ndarray:
    """Unit-length float32 rows (inner product = cosine), the layout the FAISS index stores."""
    if isinstance(model, (StaticEncoder, NoEncoder)):
        return model.encode(texts)
    if not texts:
        return np.zeros((0, dimension(model)), dtype=np.float32)
    vectors = model.encode(list(texts), batch_size=256, convert_to_numpy=True, normalize_embeddings=True)
    return np.ascontiguousarray(vectors, dtype=np.float32)


def train_tokenizer(corpus: Sequence[str]) -> Tokenizer:
    tokenizer = Tokenizer(models.BPE(unk_token=UNKNOWN_TOKEN))
    tokenizer.normalizer = normalizers.NFKC()
    tokenizer.pre_tokenizer = pre_tokenizers.Split(pattern=Regex(_PRE_TOKEN_PATTERN), behavior="isolated")
    trainer = trainers.BpeTrainer(
        vocab_size=BUILTIN_VOCAB_SIZE, min_frequency=2, special_tokens=[UNKNOWN_TOKEN], show_progress=False
    )
    tokenizer.train_from_iterator(corpus, trainer=trainer)
    return tokenizer


def builtin_training_data(documents: Sequence[Document]) -> tuple[list[str], list[tuple[str, str, str]]]:
    """(corpus, pairs) in matching form. Each example phrasing and each description passage is paired with another
    passage of its target's curated description and with another text of the same target, so both "question ↔
    service text" and "question ↔ question" are learnt; passages in other languages pair with Chinese ones, which is
    what lets an Indonesian question meet a service described in Chinese."""
    generator = random.Random(PAIRING_SEED)
    texts: dict[str, list[str]] = defaultdict(list)
    descriptions: dict[str, list[str]] = defaultdict(list)
    for document in documents:
        form = matching_form(document.text)
        texts[document.target].append(form)
        if document.kind == "description":
            descriptions[document.target].append(form)
    pairs = []
    for target, members in texts.items():
        passages = descriptions.get(target, [])
        for position, text in enumerate(members):
            if passages:
                pairs.append((text, generator.choice(passages), target))
            if len(members) > 1:
                other = (position + generator.randrange(1, len(members))) % len(members)
                pairs.append((text, members[other], target))
    return [form for members in texts.values() for form in members], pairs


def train_builtin(documents: Sequence[Document], out_dir: Path | None = None, *, members: int, epochs: int,
                  seed: int) -> StaticEncoder:
    """Train the builtin encoder on our documents (`members` token tables, `epochs` passes over the pairs: the
    settings `builtin_members` and `builtin_epochs`); saved to `out_dir` as a sentence-transformers model if given."""
    with single_thread():
        return _train_builtin(documents, out_dir, seed, members, epochs)


@contextmanager
def single_thread() -> Iterator[None]:
    """Run torch on one thread: its ops here are tiny, and on a busy two-core machine a second thread waits more
    than it works (a 64×128 matrix product measured ten times slower with two threads)."""
    import torch

    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def _train_builtin(documents: Sequence[Document], out_dir: Path | None, seed: int, members: int,
                   epochs: int) -> StaticEncoder:
    import torch
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.base.modules.normalize import Normalize
    from sentence_transformers.sentence_transformer.losses import MultipleNegativesRankingLoss
    from sentence_transformers.sentence_transformer.modules import StaticEmbedding

    corpus, pairs = builtin_training_data(documents)
    tokenizer = train_tokenizer(corpus)
    # Every anchor and positive is a corpus text: tokenise each once, not once per epoch.
    token_ids = {
        text: encoding.ids or [0]
        for text, encoding in zip(corpus, tokenizer.encode_batch(corpus, add_special_tokens=False), strict=True)
    }
    # Token tables trained from different seeds, side by side: one table's similarities moved with
    # its seed enough to move the calibrated thresholds, and how often real questions were answered, by ten points.
    tables = []
    for member in range(members):
        torch.manual_seed(seed + member)
        embedding = StaticEmbedding(tokenizer, embedding_dim=BUILTIN_DIMENSION)
        torch.nn.init.normal_(embedding.embedding.weight, std=0.1)
        # Sparse gradients: a batch touches a few hundred of the thousands of token rows.
        embedding.embedding.sparse = True
        model = SentenceTransformer(modules=[embedding, Normalize()], device="cpu")
        loss = MultipleNegativesRankingLoss(model, scale=20.0, directions=("query_to_doc", "doc_to_query"))
        optimizer = torch.optim.Adagrad(model.parameters(), lr=BUILTIN_LEARNING_RATE)
        model.train()
        # The sparse gradients come from torch's own embedding backward: checking their invariants is wasted work.
        with torch.sparse.check_sparse_tensor_invariants(enable=False):
            _fit(model, loss, optimizer, pairs, token_ids, random.Random(seed + member), epochs)
        weights = embedding.embedding.weight.detach()
        tables.append(weights / weights.norm(dim=1, keepdim=True).clamp_min(1e-12).mean())  # members weigh alike
    combined = StaticEmbedding(tokenizer, embedding_dim=BUILTIN_DIMENSION * members)
    with torch.no_grad():
        combined.embedding.weight.copy_(torch.cat(tables, dim=1))
    if out_dir is not None:
        SentenceTransformer(modules=[combined, Normalize()], device="cpu").save(str(out_dir))
    return StaticEncoder(tokenizer, combined.embedding.weight.detach().numpy())


def _fit(
    model: SentenceTransformer,
    loss: MultipleNegativesRankingLoss,
    optimizer: torch.optim.Optimizer,
    pairs: Sequence[tuple[str, str, str]],
    token_ids: dict[str, list[int]],
    generator: random.Random,
    epochs: int,
) -> None:
    for _ in range(epochs):
        for batch in _distinct_target_batches(pairs, BUILTIN_BATCH_SIZE, generator):
            anchors = model(_bag([token_ids[a] for a, _, _ in batch]))["sentence_embedding"]
            positives = model(_bag([token_ids[p] for _, p, _ in batch]))["sentence_embedding"]
            # MultipleNegativesRankingLoss takes the other pairs of the batch as negatives and reads no labels.
            value = loss.compute_loss_from_embeddings([anchors, positives], labels=None)  # type: ignore[arg-type]
            optimizer.zero_grad()
            value.backward()
            optimizer.step()


def _bag(sequences: list[list[int]]) -> dict[str, torch.Tensor]:
    """The input StaticEmbedding's forward takes: token ids end to end, and where each text starts."""
    import torch

    offsets = np.cumsum([0] + [len(s) for s in sequences[:-1]])
    return {
        "input_ids": torch.tensor([i for s in sequences for i in s], dtype=torch.long),
        "offsets": torch.from_numpy(offsets),
    }


def _distinct_target_batches(
    pairs: Sequence[tuple[str, str, str]], batch_size: int, generator: random.Random
) -> list[list[tuple[str, str, str]]]:
    """One epoch: batches in which no target appears twice (the loss treats the other rows of a batch as negatives,
    and two phrasings of one service are not negatives of each other). A target contributes at most
    BUILTIN_PAIRS_PER_TARGET pairs per epoch, a fresh sample each time: a target with hundreds of pairs would
    otherwise force hundreds of nearly empty batches. Each pair goes to the first open batch that lacks its target."""
    by_target: dict[str, list[tuple[str, str, str]]] = defaultdict(list)
    for pair in pairs:
        by_target[pair[2]].append(pair)
    shuffled = [
        pair
        for members in by_target.values()
        for pair in generator.sample(members, min(len(members), BUILTIN_PAIRS_PER_TARGET))
    ]
    generator.shuffle(shuffled)
    batches: list[list[tuple[str, str, str]]] = []
    targets_in: list[set[str]] = []
    first_open = 0
    for pair in shuffled:
        slot = next(
            (i for i in range(first_open, len(batches)) if len(batches[i]) < batch_size and pair[2] not in targets_in[i]),
            None,
        )
        if slot is None:
            batches.append([])
            targets_in.append(set())
            slot = len(batches) - 1
        batches[slot].append(pair)
        targets_in[slot].add(pair[2])
        while first_open < len(batches) and len(batches[first_open]) == batch_size:
            first_open += 1
    return [batch for batch in batches if len(batch) > 1]
