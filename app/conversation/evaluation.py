"""What citizens meet: every evaluation set run through the conversation itself (`reply_to_text`), scored by outcome.

Sets (all kept out of `intents/`; nothing is tuned on them — thresholds come from cross-validation on intents/):
- `eval/dev_set.yaml`: questions written the way citizens type (short, colloquial, typos), one service each;
- `eval/real_questions_*.yaml`: questions people wrote on public pages, each with its source URL and every
  acceptable service;
- `eval/dialogues*.yaml`: multi-turn conversations with the acceptable services and the aspect asked per turn.

Each set is split once, by a hash of the text (dialogues: of the dialogue id), into a dev part and a frozen test
part (a third); both are reported, so a change that helps only where it was looked at shows.

Outcomes of an in-scope question: *right* (answered outright, the first service acceptable), *recoverable* (an
acceptable service a tap away: offered beside the answer, second of a pair, among the choices of a
clarification, or suggested by an unsure fallback), *harmful* (answered, and nothing acceptable answered or offered), *unhelped* (anything else:
a fallback, a clarification without an acceptable choice, small talk). An out-of-scope question is *rejected* unless
it is answered or clarified with a service.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from sqlalchemy.pool import StaticPool
from sqlmodel import Session, SQLModel, create_engine

from app import yamlfile
from app.config import PROJECT_ROOT, Settings
from app.conversation import messages, texts
from app.conversation.service import Reply, answer_text, reply_to_text
from app.knowledge.schemas import Service
from app.knowledge.service import KnowledgeBase, load_from_files
from app.nlu.service import NluEngine, build_engine

EVAL_DIR = PROJECT_ROOT / "eval"
OUT_OF_SCOPE = "out_of_scope"
TEST_SHARE = 3  # one item in three goes to the frozen test split
# "Short": well under the card's length — at most half the whole card's text in the same language, or this many
# characters for a service whose card is short anyway.
SHORT_FLOOR_CHARS = 400
_CJK_RE = re.compile(r"[\u3400-\u9fff]")

TARGETS = {
    "citizen": {"right": 0.90, "harmful_max": 0.01, "out_of_scope_rejected": 0.95},
    "real": {"right": 0.80, "harmful_max": 0.015, "unhelped_max": 0.05, "out_of_scope_rejected": 0.90},
    "dialogues": {"follow_up_right": 0.90, "aspect_first": 0.85, "follow_up_in_language": 0.90},
}


@dataclass(frozen=True)
class Question:
    text: str
    acceptable: frozenset[str]
    lang: str
    source: str | None = None

    @property
    def out_of_scope(self) -> bool:
        return self.acceptable == {OUT_OF_SCOPE}


@dataclass(frozen=True)
class Turn:
    text: str
    acceptable: frozenset[str]
    aspect: str
    facts: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Dialogue:
    id: str
    lang: str
    turns: tuple[Turn, ...]


def is_test(key: str) -> bool:
    return int(hashlib.sha1(key.encode()).hexdigest(), 16) % TEST_SHARE == 0


def load_citizen_questions(path: Path = EVAL_DIR / "dev_set.yaml") -> list[Question]:
    """The held-out set: its `expected` service, and the `also` acceptable ones where a question fits two."""
    return [Question(str(q["text"]), frozenset([str(q["expected"]), *map(str, q.get("also", []))]), str(q["lang"]))
            for q in yamlfile.safe_load(path.read_text("utf-8"))]


def load_real_questions(directory: Path = EVAL_DIR) -> list[Question]:
    return [
        Question(str(q["text"]), frozenset(q["acceptable"]), str(q["lang"]), q.get("source"))
        for path in sorted(directory.glob("real_questions_*.yaml"))
        for q in yamlfile.safe_load(path.read_text("utf-8"))
    ]


def load_dialogues(directory: Path = EVAL_DIR) -> list[Dialogue]:
    return [
        Dialogue(str(d["id"]), str(d["lang"]), tuple(
            Turn(str(t["text"]), frozenset(t["services"]), str(t.get("aspect") or "overview"), t.get("facts") or {})
            for t in d["turns"]))
        for path in sorted(directory.glob("dialogues*.yaml"))
        for d in yamlfile.safe_load(path.read_text("utf-8"))
    ]


# --- outcomes ----------------------------------------------------------------------------------------------------


def outcome(reply: Reply, acceptable: frozenset[str]) -> str:
    answered = [m.service_id for m in reply.matches] if reply.kind == "answer" else []
    if acceptable == {OUT_OF_SCOPE}:
        return "harmful" if answered or reply.kind == "clarify" else "rejected"
    offered = [m.service_id for m in reply.alternatives] + answered[1:]
    if answered and answered[0] in acceptable:
        return "right"
    if reply.kind == "clarify":
        return "recoverable" if acceptable & {m.service_id for m in reply.matches[:3]} else "unhelped"
    if answered:
        return "recoverable" if acceptable & set(offered) else "harmful"
    return "recoverable" if acceptable & set(offered) else "unhelped"  # an unsure fallback's suggestions


def reply_text(reply: Reply) -> str:
    return reply.text_fallback or "\n".join(m.get("text") or m.get("altText", "") for m in reply.messages)


def in_language(reply: Reply, lang: str) -> bool:
    """Answered in the person's language: the reply is tagged with it and at most a quarter of its letters are
    Chinese characters (names shown in Chinese on purpose are allowed for)."""
    expected = texts.reply_language(lang)
    if reply.language != expected:
        return False
    if expected == "zh-TW":
        return True
    text = "".join(m.get("text") or m.get("altText", "") for m in reply.messages)
    letters = [c for c in text if c.isalpha()]
    return bool(letters) and len(_CJK_RE.findall(text)) <= 0.25 * len(letters)


def _share(values: Sequence[bool]) -> float:
    return round(sum(values) / len(values), 4) if values else 0.0


def score_questions(questions: Sequence[Question], replies: Sequence[Reply]) -> dict:
    in_scope = [(q, r) for q, r in zip(questions, replies, strict=True) if not q.out_of_scope]
    oos = [(q, r) for q, r in zip(questions, replies, strict=True) if q.out_of_scope]
    counts = Counter(outcome(r, q.acceptable) for q, r in in_scope)
    by_language: dict[str, Counter] = defaultdict(Counter)
    misses: Counter[tuple[str, str]] = Counter()
    for q, r in zip(questions, replies, strict=True):
        result = outcome(r, q.acceptable)
        by_language[q.lang][result] += 1
        if result not in ("right", "rejected"):
            got = r.matches[0].service_id if r.kind == "answer" and r.matches else r.kind
            misses[(",".join(sorted(q.acceptable)), f"{result}: {got}")] += 1
    n = max(len(in_scope), 1)
    return {
        "questions": len(questions), "in_scope": len(in_scope), "out_of_scope": len(oos),
        **{k: round(counts[k] / n, 4) for k in ("right", "recoverable", "harmful", "unhelped")},
        "out_of_scope_rejected": _share([outcome(r, q.acceptable) == "rejected" for q, r in oos]),
        "by_language": {lang: dict(c) for lang, c in sorted(by_language.items())},
        "misses": [{"expected": e, "got": g, "n": k} for (e, g), k in misses.most_common(25)],
    }


@contextmanager
def scratch_session() -> Iterator[Session]:
    """A private in-memory database, so dialogues keep their state as on a real channel and touch nothing else."""
    engine = create_engine("sqlite://", poolclass=StaticPool, connect_args={"check_same_thread": False})
    SQLModel.metadata.create_all(engine)
    with Session(engine) as session:
        yield session
    engine.dispose()


def run_dialogues(dialogues: Sequence[Dialogue], kb: KnowledgeBase, engine: NluEngine) -> list[list[tuple[Turn, Reply]]]:
    results = []
    with scratch_session() as session:
        for dialogue in dialogues:
            user = "eval-" + hashlib.sha1(dialogue.id.encode()).hexdigest()[:16]
            results.append([(turn, reply_to_text(session, turn.text, kb=kb, engine=engine, channel="eval", user=user))
                            for turn in dialogue.turns])
            session.commit()
    return results


def short_enough(text: str, service: Service, lang: str) -> bool:
    return len(text) <= max(SHORT_FLOOR_CHARS, len(messages.service_text(service, lang)) / 2)


def aspect_answered_first(reply: Reply, aspect: str, kb: KnowledgeBase) -> bool:
    """The asked part came first, in a short message (an eligibility question may be answered by the check)."""
    if reply.kind != "answer" or reply.aspect != aspect or not reply.matches:
        return False
    if reply.intent == "eligibility":
        return True
    first, service = reply.messages[0], kb.service(reply.matches[0].service_id or "")
    return first.get("type") == "text" and service is not None and short_enough(first["text"], service, reply.language)


def score_dialogues(dialogues: Sequence[Dialogue], results: Sequence[Sequence[tuple[Turn, Reply]]],
                    kb: KnowledgeBase) -> dict:
    follow_ups: list[bool] = []
    aspects: list[bool] = []
    languages: list[bool] = []
    first_turns: list[bool] = []
    by_language: dict[str, Counter] = defaultdict(Counter)
    misses: list[dict] = []
    for dialogue, turns in zip(dialogues, results, strict=True):
        for position, (turn, reply) in enumerate(turns):
            result = outcome(reply, turn.acceptable)
            by_language[dialogue.lang][result] += 1
            (follow_ups if position else first_turns).append(result in ("right", "rejected"))
            if position and dialogue.lang not in ("zh-TW", "zh-CN"):
                languages.append(in_language(reply, dialogue.lang))
            if turn.aspect != "overview" and OUT_OF_SCOPE not in turn.acceptable:
                aspects.append(aspect_answered_first(reply, turn.aspect, kb))
            if result not in ("right", "rejected") or (turn.aspect != "overview" and not aspects[-1]):
                got = reply.matches[0].service_id if reply.kind == "answer" and reply.matches else reply.kind
                misses.append({"dialogue": dialogue.id, "turn": position + 1, "text": turn.text,
                               "expected": f"{','.join(sorted(turn.acceptable))}/{turn.aspect}",
                               "got": f"{result}: {got}/{reply.aspect}"})
    return {
        "dialogues": len(dialogues), "turns": sum(len(t) for t in results),
        "first_turn_right": _share(first_turns),
        "follow_up_right": _share(follow_ups), "follow_ups": len(follow_ups),
        "aspect_first": _share(aspects), "aspect_turns": len(aspects),
        "follow_up_in_language": _share(languages), "follow_ups_other_languages": len(languages),
        "by_language": {lang: dict(c) for lang, c in sorted(by_language.items())},
        "misses": misses,
    }


def _split(items, key) -> dict[str, list]:
    parts: dict[str, list] = {"dev": [], "test": []}
    for item in items:
        parts["test" if is_test(key(item)) else "dev"].append(item)
    return parts


def run_conversation_eval(settings: Settings, out: TextIO, *, kb: KnowledgeBase | None = None,
                          engine: NluEngine | None = None) -> dict:
    kb = kb or load_from_files(settings.knowledge_dir, settings.intents_dir)
    engine = engine or build_engine(kb, settings)
    report: dict = {}
    for name, questions in (("citizen", load_citizen_questions()), ("real", load_real_questions())):
        for split, part in _split(questions, lambda q: q.text).items():
            started = time.perf_counter()
            replies = [answer_text(q.text, kb=kb, engine=engine) for q in part]
            ms = (time.perf_counter() - started) / max(len(part), 1) * 1000
            report[f"{name}/{split}"] = score_questions(part, replies) | {"ms_per_question": round(ms, 2)}
    dialogues = load_dialogues()
    for split, part in _split(dialogues, lambda d: d.id).items():
        report[f"dialogues/{split}"] = score_dialogues(part, run_dialogues(part, kb, engine), kb)
    _print(report, out)
    return report


def print_seed_spread(reports: Sequence[dict], out: TextIO) -> None:
    """Each set's outcomes as mean [lowest–highest] over builds from different encoder seeds."""
    def spread(values: Sequence[float]) -> str:
        return f"{sum(values) / len(values):.1%} [{min(values):.1%}–{max(values):.1%}]"

    print(f"\nOver {len(reports)} encoder seeds: mean [lowest–highest]", file=out)
    for name in reports[0]:
        keys: tuple[str, ...] = ("first_turn_right", "follow_up_right", "aspect_first", "follow_up_in_language")
        if not name.startswith("dialogues"):
            keys = ("right", "recoverable", "harmful", "unhelped", "out_of_scope_rejected")
        print(f"  {name:14} " + "  ".join(f"{key} {spread([r[name][key] for r in reports])}" for key in keys), file=out)


def _print(report: dict, out: TextIO) -> None:
    print("\nWhat citizens meet (through the conversation; right / recoverable / harmful / unhelped of in-scope "
          "questions, out of scope rejected)", file=out)
    for name, result in report.items():
        if name.startswith("dialogues"):
            continue
        print(f"  {name:14} n={result['questions']:<4} right {result['right']:.1%}  recoverable "
              f"{result['recoverable']:.1%}  harmful {result['harmful']:.1%}  unhelped {result['unhelped']:.1%}  "
              f"OOS rejected {result['out_of_scope_rejected']:.1%} (n={result['out_of_scope']})", file=out)
        for lang, counts in result["by_language"].items():
            total = sum(counts.values())
            parts = "  ".join(f"{k} {v}" for k, v in sorted(counts.items()))
            print(f"      {lang:6} n={total:<4} {parts}", file=out)
    for name, result in report.items():
        if not name.startswith("dialogues"):
            continue
        print(f"  {name:14} {result['dialogues']} dialogues, {result['turns']} turns: first turns right "
              f"{result['first_turn_right']:.1%}; follow-ups right {result['follow_up_right']:.1%} "
              f"(n={result['follow_ups']}); asked aspect first, short {result['aspect_first']:.1%} "
              f"(n={result['aspect_turns']}); follow-ups in id/vi/th/en/tl answered in that language "
              f"{result['follow_up_in_language']:.1%} (n={result['follow_ups_other_languages']})", file=out)
        for lang, counts in result["by_language"].items():
            total = sum(counts.values())
            print(f"      {lang:6} turns={total:<4} " + "  ".join(f"{k} {v}" for k, v in sorted(counts.items())), file=out)
    print("  targets: " + "; ".join(f"{name}: " + ", ".join(f"{k} {v:.1%}" if v < 1 else f"{k} {v}" for k, v in t.items())
                                    for name, t in TARGETS.items()), file=out)
