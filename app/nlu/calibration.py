"""One calibrated confidence per target, and the thresholds that turn it into a decision, learnt by cross-validation.

The scorer is a softmax over targets of a linear function of each target's signals (plus a bias per kind of target,
and for `intent:out_of_scope` the query-level evidence that the question is about our domain at all). Its weights and
the decision thresholds are fitted on phrasings the index did not contain: the example phrasings of intents/ are
split into folds, and each fold is scored by an index (encoder included) built without it. So the confidences mean
what they say on questions the bot has never seen, which is what citizens send.
"""

from __future__ import annotations

import multiprocessing
import os
import random
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from typing import Literal

import numpy as np

from app.nlu.documents import INTENT, OUT_OF_SCOPE, PLAN, SERVICE, Document, target_kind, target_name
from app.nlu.index import QUERY_SIGNALS, TARGET_SIGNALS, SearchIndex, Signals

FOLDS = 5
FOLD_SEED = 7
L2_PENALTY = 1e-3

# Kind-of-target indicators appended to the signals; a service is the reference (no indicator).
KIND_FEATURES = ("is_plan", "is_smalltalk", "is_out_of_scope")
N_FEATURES = len(TARGET_SIGNALS) + len(KIND_FEATURES) + len(QUERY_SIGNALS)

# What each outcome is worth when choosing thresholds. A wrong answer with nothing right offered costs more than an
# honest "I don't know" gains. A clarification and a wrong answer that offers the right service as 「或：…」 both
# leave the person one tap from right, and are worth the same; the clarification also costs that tap when the first
# guess was right. (Worth more than the wrong answer, the clarification won where real questions, which often have
# two right services, were answered right by the first guess: real questions answered outright 67.6% → 72.4%.)
# Answering an out-of-scope question with a service is the worst outcome.
UTILITY = {
    "answer_right": 1.0,
    "answer_wrong_offered": 0.25,
    "answer_wrong": -3.0,
    "pair_containing": 0.7,
    "clarify_containing": 0.25,
    "clarify_missing": -0.5,
    "fallback_in_scope": -0.25,
    "out_of_scope_rejected": 1.0,
    "out_of_scope_clarified": -1.0,
    "out_of_scope_answered": -12.0,
}
# A service at least this likely, after the one answered, is offered beside the answer.
ALTERNATIVE_CONFIDENCE = 0.03
# Two services answered together when the second is at least this share as likely as the first …
PAIR_SHARE = 0.5
# … and the two together at least this likely: where answering both is worth more than offering them, by UTILITY.
# Not fitted: every held-out phrasing has one right service, so the folds cannot show what answering two is worth
# (the fitted value came and went with a few examples).
PAIR_MASS = round((UTILITY["clarify_missing"] - UTILITY["answer_wrong"]) / (
    UTILITY["pair_containing"] - UTILITY["clarify_containing"] + UTILITY["clarify_missing"] - UTILITY["answer_wrong"]), 2)


# Candidate thresholds, in steps of 0.01: with steps of 0.05 the best utility fell between two candidates and the
# threshold landed a few hundredths above confidences the folds showed to be right.
THRESHOLD_GRID = tuple(round(0.2 + 0.01 * i, 2) for i in range(79))  # 0.20 … 0.98
# How many times likelier than the next service the best one must be to be answered below the answer threshold
# (inf: never); a question spread evenly over two services is clarified, one with a clear favourite answered.
LEAD_GRID = (2.0, 2.5, 3.0, 4.0, 5.0, 7.0, 10.0, 15.0, float("inf"))
SURE_GRID = (0.8, 0.85, 0.9, 0.95, 1.01)
CEILING_GRID = (0.02, 0.05, 0.08, 0.1, 0.15, 0.2, 0.3, 1.0)


@dataclass(frozen=True)
class Thresholds:
    answer: float  # least confidence in the best service or plan item to answer with it
    clarify: float  # least probability that a service or plan item is meant at all, to offer the best three
    smalltalk: float  # least confidence in a conversational intent
    lead: float = float("inf")  # best service this many times likelier than the next: answered all the same
    lead_floor: float = 1.0  # … when at least this likely
    # Below `sure`, an answer also needs the probability that the question is another agency's matter to be at most
    # `out_of_scope_ceiling`: look-alikes (軍公教退休金 for 勞工退休金) match one service well and leave the rest to
    # "out of scope", where a real question leaves it to neighbouring services.
    sure: float = 1.01
    out_of_scope_ceiling: float = 1.0


@dataclass(frozen=True)
class Calibration:
    weights: tuple[float, ...]
    thresholds: Thresholds
    cross_validation: dict = field(default_factory=dict)  # what the folds measured, for the report and the manifest

    def to_json(self) -> dict:
        thresholds = {k: (None if v == float("inf") else v) for k, v in asdict(self.thresholds).items()}
        return {"weights": list(self.weights), "thresholds": thresholds, "cross_validation": self.cross_validation}

    @classmethod
    def from_json(cls, data: dict) -> Calibration:
        thresholds = {k: (float("inf") if v is None else v) for k, v in data["thresholds"].items()}
        return cls(tuple(data["weights"]), Thresholds(**thresholds), data.get("cross_validation", {}))


def design_matrix(signals: Signals, targets: Sequence[str]) -> np.ndarray:
    """Per target: its signals, kind indicators, and the query-level signals on the out-of-scope row only."""
    kinds = kind_indicators(tuple(targets))
    query = np.outer(kinds[:, 2], signals.query)
    return np.hstack([signals.targets, kinds, query]).astype(np.float32)


@lru_cache(maxsize=8)
def kind_indicators(targets: tuple[str, ...]) -> np.ndarray:
    rows = []
    for target in targets:
        kind = target_kind(target)
        rows.append(
            [
                float(kind == PLAN),
                float(kind == INTENT and target_name(target) != OUT_OF_SCOPE),
                float(target == f"{INTENT}:{OUT_OF_SCOPE}"),
            ]
        )
    return np.array(rows, dtype=np.float32).reshape(len(targets), len(KIND_FEATURES))


def probabilities(weights: np.ndarray, design: np.ndarray) -> np.ndarray:
    logits = design @ weights
    logits -= logits.max()
    exp = np.exp(logits)
    return exp / exp.sum()


def fit_weights(designs: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Multinomial logistic regression over targets (shared weights), L-BFGS; deterministic."""
    import torch  # only to build an index: a serving process never imports it (see app.nlu.encoder)

    x = torch.from_numpy(designs)  # (n_queries, n_targets, n_features)
    y = torch.from_numpy(labels)
    weights = torch.zeros(designs.shape[2], dtype=torch.float32, requires_grad=True)
    optimizer = torch.optim.LBFGS([weights], lr=1.0, max_iter=200, line_search_fn="strong_wolfe")

    def closure() -> torch.Tensor:
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(x @ weights, y) + L2_PENALTY * (weights**2).sum()
        loss.backward()
        return loss

    optimizer.step(closure)
    return weights.detach().numpy().astype(np.float64)


@dataclass(frozen=True)
class HeldOut:
    """A phrasing scored by an index that did not contain it."""

    text: str
    target: str
    design: np.ndarray
    targets: tuple[str, ...]


def assign_folds(documents: Sequence[Document], folds: int = FOLDS) -> dict[int, int]:
    """Fold of each example document (by position), stratified per target so every fold sees every target."""
    by_target: dict[str, list[int]] = defaultdict(list)
    for position, document in enumerate(documents):
        if document.kind == "example":
            by_target[document.target].append(position)
    generator = random.Random(FOLD_SEED)
    fold_of = {}
    for target in sorted(by_target):
        positions = by_target[target]
        generator.shuffle(positions)
        offset = generator.randrange(folds)
        for i, position in enumerate(positions):
            fold_of[position] = (i + offset) % folds
    return fold_of


def plan_item_probes(documents: Sequence[Document]) -> dict[int, str]:
    """Plan items no service covers have no example phrasings; their names serve as held-out questions, so the
    scorer learns how strongly such a target must match before it is worth answering."""
    first_passage: dict[str, int] = {}
    for position, document in enumerate(documents):
        if target_kind(document.target) == PLAN and document.target not in first_passage:
            first_passage[document.target] = position
    return {position: target for target, position in first_passage.items()}


def held_out_signals(
    documents: Sequence[Document],
    build_index: Callable[[list[Document]], SearchIndex],
    fold_done: Callable[[int], None] = lambda folds_done: None,
    processes: int = 1,
) -> list[HeldOut]:
    """Every example phrasing scored by an index built without its fold. With `processes` > 1, folds are built in
    that many processes side by side (this one included; `build_index` must then be picklable): each fold trains
    an encoder of its own, most of an index build's time, and they do not depend on one another."""
    fold_of = assign_folds(documents)
    probes = plan_item_probes(documents)
    for position in probes:
        fold_of[position] = position % FOLDS
    by_fold: dict[int, list[HeldOut]] = {}
    elsewhere = [fold for fold in range(FOLDS) if fold % processes]
    # Spawned, not forked: the caller may hold threads and locks (a serving process builds in a thread).
    pool = ProcessPoolExecutor(processes - 1, mp_context=multiprocessing.get_context("spawn"),
                               initializer=_exit_with_parent, initargs=(os.getpid(),)) if elsewhere else None
    try:
        remote = {fold: pool.submit(fold_signals, documents, fold_of, fold, build_index) for fold in elsewhere} if pool else {}
        for fold in range(FOLDS):
            if fold not in remote:
                by_fold[fold] = fold_signals(documents, fold_of, fold, build_index)
                fold_done(len(by_fold))
        for fold, result in remote.items():
            by_fold[fold] = result.result()
            fold_done(len(by_fold))
    finally:
        if pool:
            pool.shutdown(cancel_futures=True)
    return [held for fold in range(FOLDS) for held in by_fold[fold]]


def _exit_with_parent(parent: int) -> None:
    """A fold process ends when the process building the index does, however that ended: a server killed during a
    build left its fold process behind, holding an encoder's memory (about 700 MB) and a core."""
    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


def fold_signals(documents: Sequence[Document], fold_of: dict[int, int], fold: int,
                 build_index: Callable[[list[Document]], SearchIndex]) -> list[HeldOut]:
    """The phrasings of one fold, scored by an index built from the documents of the other folds."""
    kept = [d for position, d in enumerate(documents) if fold_of.get(position) != fold]
    index = build_index(kept)
    targets = tuple(index.targets)
    scored = [d for position, d in enumerate(documents) if fold_of.get(position) == fold and d.target in targets]
    vectors = index.embed([d.text for d in scored])
    return [HeldOut(document.text, document.target, design_matrix(index.signals(document.text, vector), targets), targets)
            for document, vector in zip(scored, vectors, strict=True)]


@dataclass(frozen=True)
class Evidence:
    """What the decision looks at, from the calibrated confidences of one message."""

    ranked: tuple[int, ...]  # target positions, best first
    best: int
    best_kind: str  # service | plan | intent
    best_confidence: float
    service_top3: tuple[int, ...]  # the three most likely services
    service_top3_mass: float  # probability that the right target is one of them
    in_scope_mass: float  # probability that a service or plan item is meant at all
    out_of_scope_mass: float
    runner_up_confidence: float  # of the most likely service after the best target
    alternatives: tuple[int, ...]  # services offered beside an answer: the next two at least ALTERNATIVE_CONFIDENCE


def evidence(confidences: np.ndarray, targets: Sequence[str]) -> Evidence:
    ranked = tuple(int(i) for i in np.argsort(-confidences, kind="stable"))
    kinds = [target_kind(targets[i]) for i in ranked]
    services = tuple(i for i, kind in zip(ranked, kinds, strict=True) if kind == SERVICE)[:3]
    in_scope = sum(float(confidences[i]) for i, kind in zip(ranked, kinds, strict=True) if kind in (SERVICE, PLAN))
    out_of_scope = sum(float(confidences[i]) for i in ranked if targets[i] == f"{INTENT}:{OUT_OF_SCOPE}")
    others = [i for i in services if i != ranked[0]]
    return Evidence(
        ranked=ranked,
        best=ranked[0],
        best_kind=kinds[0],
        best_confidence=float(confidences[ranked[0]]),
        service_top3=services,
        service_top3_mass=float(sum(confidences[i] for i in services)),
        in_scope_mass=in_scope,
        out_of_scope_mass=out_of_scope,
        runner_up_confidence=float(confidences[others[0]]) if others else 0.0,
        alternatives=tuple(i for i in others[:2] if confidences[i] >= ALTERNATIVE_CONFIDENCE),
    )


# What to do with a message; "pair" is an answer with two services.
Decision = Literal["answer", "pair", "clarify", "smalltalk", "fallback"]


def decide(found: Evidence, targets: Sequence[str], thresholds: Thresholds) -> Decision:
    """The decision rule, shared by the engine and the threshold search.

    Answer when the best service or plan item alone is likely enough, or a clear favourite (`lead` times likelier
    than the next service) — the next plausible services go with the answer, a tap away; answer with two services
    when two are close and together likely enough (`PAIR_MASS`); otherwise, when the question is likely about one of our
    services at all, offer the best three; a conversational intent when it is the best target and clear; otherwise
    fall back. Comparing masses rather than single targets matters: a question spread over four plausible
    services is still about our services, even if "out of scope" is more likely than each of them alone.
    """
    if found.best_kind == INTENT and target_name(targets[found.best]) != OUT_OF_SCOPE:
        return "smalltalk" if found.best_confidence >= thresholds.smalltalk else "fallback"
    if found.best_kind in (SERVICE, PLAN):
        plausible = found.best_confidence >= thresholds.sure or found.out_of_scope_mass <= thresholds.out_of_scope_ceiling
        if plausible and found.best_confidence >= thresholds.answer:
            return "answer"
        if plausible and found.best_kind == SERVICE and found.best_confidence >= thresholds.lead_floor and (
            found.best_confidence >= thresholds.lead * found.runner_up_confidence
        ):
            return "answer"
        if _pair_possible(found) and found.best_confidence + found.runner_up_confidence >= PAIR_MASS:
            return "pair"
    if found.service_top3 and found.in_scope_mass >= thresholds.clarify:
        return "clarify"
    return "fallback"


def _pair_possible(found: Evidence) -> bool:
    return found.best_kind == SERVICE and found.runner_up_confidence >= PAIR_SHARE * found.best_confidence


def outcome(kind: str, found: Evidence, targets: Sequence[str], expected: str) -> str:
    if expected == f"{INTENT}:{OUT_OF_SCOPE}":
        return {"answer": "out_of_scope_answered", "pair": "out_of_scope_answered",
                "clarify": "out_of_scope_clarified"}.get(kind, "out_of_scope_rejected")
    if kind == "answer":
        if targets[found.best] == expected:
            return "answer_right"
        return "answer_wrong_offered" if expected in [targets[i] for i in found.alternatives] else "answer_wrong"
    if kind == "pair":
        return "pair_containing" if expected in (targets[found.best], targets[found.service_top3[1]]) else "answer_wrong"
    if kind == "clarify":
        offered = [targets[i] for i in found.service_top3]
        return "clarify_containing" if expected in offered else "clarify_missing"
    return "fallback_in_scope"


def choose_thresholds(held: Sequence[HeldOut], weights: np.ndarray) -> tuple[Thresholds, dict]:
    """The thresholds with the best total utility on the held-out phrasings (services and out-of-scope ones):
    the answer, lead and clarify thresholds together, then the out-of-scope guard given them, then the answer
    threshold again, bagged. Two services are answered together by `PAIR_MASS`, which the folds cannot fit."""
    scored = [
        (evidence(probabilities(weights, h.design), h.targets), h)
        for h in held
        if target_kind(h.target) in (SERVICE, PLAN) or h.target == f"{INTENT}:{OUT_OF_SCOPE}"
    ]
    # A phrasing's outcome depends on the thresholds only through a few numbers: precompute its outcome under each
    # decision, then sweep the grids with array operations.
    utility = {
        kind: np.array([UTILITY[outcome(kind, found, h.targets, h.target)] for found, h in scored])
        for kind in ("answer", "clarify", "fallback")
    }
    best_confidence = np.array([found.best_confidence for found, _ in scored])
    runner_up = np.array([found.runner_up_confidence for found, _ in scored])
    answerable = np.array([found.best_kind in (SERVICE, PLAN) for found, _ in scored])
    is_service = np.array([found.best_kind == SERVICE for found, _ in scored])
    in_scope_mass = np.array([found.in_scope_mass if found.service_top3 else 0.0 for found, _ in scored])
    smalltalk_first = np.array([found.best_kind == INTENT and target_name(h.targets[found.best]) != OUT_OF_SCOPE for found, h in scored])
    with np.errstate(divide="ignore"):
        lead_ratio = np.where(runner_up > 0, best_confidence / np.maximum(runner_up, 1e-12), np.inf)

    grid = np.array(THRESHOLD_GRID)
    clarify_gain = utility["clarify"] - utility["fallback"]

    def totals(answered: np.ndarray) -> np.ndarray:
        """Total utility for every clarify threshold of the grid at once: what is not answered is clarified when its
        in-scope mass reaches the threshold, else falls back."""
        base = float(np.where(answered, utility["answer"], utility["fallback"]).sum())
        open_ = ~smalltalk_first & ~answered
        masses, gains = in_scope_mass[open_], clarify_gain[open_]
        order = np.argsort(-masses, kind="stable")
        gained = np.concatenate([[0.0], np.cumsum(gains[order])])
        reaching = np.searchsorted(-masses[order], -grid, side="right")  # how many masses are ≥ each threshold
        return base + gained[reaching]

    def each(answered: np.ndarray, clarify: float) -> np.ndarray:
        """Every phrasing's utility, for one clarify threshold."""
        clarified = ~smalltalk_first & ~answered & (in_scope_mass >= clarify)
        return np.where(answered, utility["answer"], np.where(clarified, utility["clarify"], utility["fallback"]))

    out_of_scope_mass = np.array([found.out_of_scope_mass for found, _ in scored])

    def answered_by(answer: float, lead: float, floor: float, sure: float, ceiling: float) -> np.ndarray:
        plausible = (best_confidence >= sure) | (out_of_scope_mass <= ceiling)
        return ~smalltalk_first & plausible & ((answerable & (best_confidence >= answer))
                                              | (is_service & (best_confidence >= floor) & (lead_ratio >= lead)))

    # Coordinate search: answer, lead and clarify together; then the out-of-scope guard given them; then the answer
    # threshold again given the guard, as the median of its best values over bootstrap resamples: the total utility
    # is nearly flat around its best, whose place moved by 0.1 with a few glossary words (and with it a few real
    # questions between right and wrong); the median over resamples moves a few hundredths.
    best: tuple[float, float, float, float, float] | None = None
    for answer in THRESHOLD_GRID:
        for lead in LEAD_GRID:
            for floor in (0.3, 0.4, 0.5, 0.6) if lead != float("inf") else (1.0,):
                values = totals(answered_by(answer, lead, floor, 1.01, 1.0))
                at = int(np.argmax(values))  # the first best, as the loop over the grid found it
                if best is None or values[at] > best[0]:
                    best = (float(values[at]), answer, lead, floor, THRESHOLD_GRID[at])
    assert best is not None
    value, answer, lead, floor, clarify = best
    sure, ceiling = 1.01, 1.0
    for candidate_sure in SURE_GRID:
        for candidate_ceiling in CEILING_GRID:
            if (v := float(each(answered_by(answer, lead, floor, candidate_sure, candidate_ceiling), clarify).sum())) > value:
                value, sure, ceiling = v, candidate_sure, candidate_ceiling
    answer = _bagged_answer_threshold(np.stack([each(answered_by(a, lead, floor, sure, ceiling), clarify)
                                                for a in THRESHOLD_GRID]))
    everything = [(probabilities(weights, h.design), h) for h in held]
    thresholds = Thresholds(answer=answer, clarify=clarify, smalltalk=_smalltalk_threshold(everything), lead=lead,
                            lead_floor=floor, sure=sure, out_of_scope_ceiling=ceiling)
    counts = Counter(outcome(decide(found, h.targets, thresholds), found, h.targets, h.target) for found, h in scored)
    return thresholds, dict(counts)


def _bagged_answer_threshold(utilities: np.ndarray, resamples: int = 50) -> float:
    """The median, over bootstrap resamples of the held-out phrasings, of the answer threshold with the best total
    utility (`utilities`: one row per threshold of the grid, one column per phrasing)."""
    generator = np.random.default_rng(FOLD_SEED)
    n = utilities.shape[1]
    best = [int(np.argmax(utilities[:, generator.integers(0, n, n)].sum(axis=1))) for _ in range(resamples)]
    return THRESHOLD_GRID[int(np.median(best))]


def _smalltalk_threshold(scored: Sequence[tuple[np.ndarray, HeldOut]]) -> float:
    """Lowest threshold at which "this is a greeting/thanks/…" is right ≥ 95% of the times it is said."""
    for threshold in THRESHOLD_GRID:
        said = [
            (h.targets[int(np.argmax(p))], h.target)
            for p, h in scored
            if p.max() >= threshold and _is_smalltalk(h.targets[int(np.argmax(p))])
        ]
        if said and sum(got == want for got, want in said) / len(said) >= 0.95:
            return threshold
    return 0.95


def _is_smalltalk(target: str) -> bool:
    return target_kind(target) == INTENT and target_name(target) != OUT_OF_SCOPE


def calibrate(
    documents: Sequence[Document],
    build_index: Callable[[list[Document]], SearchIndex],
    fold_done: Callable[[int], None] = lambda folds_done: None,
    processes: int = 1,
) -> Calibration:
    return fit_calibration(held_out_signals(documents, build_index, fold_done, processes))


def fit_calibration(held: Sequence[HeldOut]) -> Calibration:
    by_shape: dict[tuple[str, ...], list[HeldOut]] = defaultdict(list)
    for h in held:
        if h.target in h.targets:
            by_shape[h.targets].append(h)
    # Folds differ in their target list only if a target lost all its documents; fit on the common shape.
    targets, group = max(by_shape.items(), key=lambda item: len(item[1]))
    designs = np.stack([h.design for h in group])
    labels = np.array([targets.index(h.target) for h in group], dtype=np.int64)
    weights = fit_weights(designs, labels)
    thresholds, counts = choose_thresholds(group, weights)
    top1 = float(np.mean((designs @ weights).argmax(axis=1) == labels))
    report = {"held_out": len(group), "top1": round(top1, 4), "outcomes": counts}
    return Calibration(tuple(float(w) for w in weights), thresholds, report)
