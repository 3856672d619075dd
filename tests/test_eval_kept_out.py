"""The evaluation sets measure questions the bot has never seen only while none of them is an example it learnt from:
no evaluation question or dialogue turn may appear in intents/, word for word or nearly (eval/README.md: "if a
question from here turns up in intents/, delete it there"). A failure names the example in intents/ to delete, never
the evaluation text, so whoever fixes it still has not read the evaluation set."""

from __future__ import annotations

from collections import Counter, defaultdict
from pathlib import Path

import yaml

from app.conversation.evaluation import load_citizen_questions, load_dialogues, load_real_questions
from app.nlu.normalize import matching_form

ROOT = Path(__file__).resolve().parents[1]
# Share of character trigrams two texts have in common (Jaccard) from which they count as the same question
# reworded; short texts (bare keywords such as 失業給付, which people and examples both write) only count when equal.
NEAR_DUPLICATE = 0.8
SHORTEST_COMPARED = 8


def trigrams(form: str) -> frozenset[str]:
    return frozenset(form[i:i + 3] for i in range(max(1, len(form) - 2)))


def test_no_evaluation_question_is_a_training_example():
    evaluation = [q.text for q in (*load_citizen_questions(), *load_real_questions())]
    evaluation += [turn.text for dialogue in load_dialogues() for turn in dialogue.turns]
    assert len(evaluation) > 500, "the evaluation sets were not found"
    exact = {matching_form(text) for text in evaluation}
    held_out = [trigrams(form) for form in exact if len(form) >= SHORTEST_COMPARED]
    # Which compared evaluation questions hold each trigram: an example's shared trigrams with every question are
    # counted from its own trigrams, instead of intersecting it with each of the thousands of questions.
    holding: dict[str, list[int]] = defaultdict(list)
    for number, grams in enumerate(held_out):
        for gram in grams:
            holding[gram].append(number)

    def nearly_held_out(grams: frozenset[str]) -> bool:
        shared = Counter(number for gram in grams for number in holding.get(gram, ()))
        return any(count / (len(grams) + len(held_out[number]) - count) >= NEAR_DUPLICATE
                   for number, count in shared.items())

    leaks = []
    for path in sorted((ROOT / "intents").glob("*.yaml")):
        for example in yaml.safe_load(path.read_text(encoding="utf-8"))["examples"]:
            form = matching_form(example)
            if form in exact or (len(form) >= SHORTEST_COMPARED and nearly_held_out(trigrams(form))):
                leaks.append(f"{path.name}: {example}")
    assert not leaks, "examples in intents/ that are (nearly) evaluation questions; delete them:\n" + "\n".join(leaks)
