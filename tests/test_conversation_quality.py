"""The evaluation sets of what citizens meet are sound (real questions carry their source, every label is a service,
nothing of them is in the training phrasings), and the conversation does not fall below what it reaches on them.

The floors are the measured figures less a margin, so a change that makes citizens' answers worse fails; the
issue's targets and the gap to them are in the README, not asserted here as if they were met."""

from __future__ import annotations

import pytest

from app.config import get_settings
from app.conversation.evaluation import (
    load_citizen_questions,
    load_dialogues,
    load_real_questions,
    run_dialogues,
    score_dialogues,
    score_questions,
)
from app.conversation.service import answer_text
from app.knowledge.service import load_from_files
from app.nlu.normalize import normalize
from app.nlu.service import build_engine


@pytest.fixture(scope="module")
def content():
    settings = get_settings()
    kb = load_from_files(settings.knowledge_dir, settings.intents_dir)
    return kb, build_engine(kb, settings)


def test_the_sets_are_labelled_with_services_and_kept_out_of_the_examples(content):
    kb, _ = content
    services = {s.id for s in kb.published} | {"out_of_scope"}
    examples = {normalize(e) for phrasings in (*kb.service_examples.values(), *kb.intent_examples.values())
                for e in phrasings}
    real = load_real_questions()
    assert len(real) >= 150 and all(q.source and q.source.startswith("http") for q in real)
    dialogues = load_dialogues()
    assert len(dialogues) >= 60
    texts = [q.text for q in real] + [t.text for d in dialogues for t in d.turns]
    for question in real:
        assert question.acceptable <= services, question
    for dialogue in dialogues:
        for turn in dialogue.turns:
            assert turn.acceptable <= services, (dialogue.id, turn.text)
    assert not [t for t in texts if normalize(t) in examples]


def test_citizens_questions_are_answered_right_and_rarely_wrongly(content):
    kb, engine = content
    questions = load_citizen_questions()
    result = score_questions(questions, [answer_text(q.text, kb=kb, engine=engine) for q in questions])
    summary = {k: result[k] for k in ("right", "recoverable", "harmful", "unhelped", "out_of_scope_rejected")}
    assert result["right"] >= 0.88 and result["harmful"] <= 0.015, summary
    assert result["out_of_scope_rejected"] >= 0.95, summary


def test_real_questions_are_seldom_answered_wrongly(content):
    kb, engine = content
    questions = load_real_questions()
    result = score_questions(questions, [answer_text(q.text, kb=kb, engine=engine) for q in questions])
    summary = {k: result[k] for k in ("right", "recoverable", "harmful", "unhelped", "out_of_scope_rejected")}
    assert result["harmful"] <= 0.04 and result["right"] + result["recoverable"] >= 0.75, summary


def test_follow_ups_in_dialogues_stay_with_the_conversation(content):
    kb, engine = content
    dialogues = load_dialogues()
    result = score_dialogues(dialogues, run_dialogues(dialogues, kb, engine), kb)
    summary = {k: result[k] for k in ("follow_up_right", "aspect_first", "follow_up_in_language")}
    assert result["follow_up_right"] >= 0.75 and result["aspect_first"] >= 0.6, summary
