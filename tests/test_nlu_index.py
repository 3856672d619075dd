"""The index is persisted with a manifest, reused when content and code are unchanged, rebuilt when content changes;
the EngineHolder swaps in an engine built from new content while the old one keeps answering."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from app.config import get_settings
from app.knowledge.service import KnowledgeBase, load_from_files
from app.nlu import service as nlu_service
from app.nlu.index import MANIFEST, index_directory
from app.nlu.service import EngineHolder, build_engine

ROOT = Path(__file__).resolve().parents[1]
SMALL_SERVICES = ("wages-unpaid", "tc-press-machine-subsidy", "tc-migrant-chinese-class", "minimum-wage")


@pytest.fixture(scope="module")
def small_kb() -> KnowledgeBase:
    """A few real services with their phrasings, the plan items they cover and two uncovered ones."""
    full = load_from_files(ROOT / "knowledge", ROOT / "intents")
    services = tuple(s for s in full.services if s.id in SMALL_SERVICES)
    covered = {name for s in services for name in s.plan_items}
    uncovered = [p for p in full.plan_items if p.name not in covered and p.citizen_answer][:2]
    return KnowledgeBase(
        plan_items=tuple(p for p in full.plan_items if p.name in covered) + tuple(uncovered),
        services=services,
        service_examples={k: v for k, v in full.service_examples.items() if k in SMALL_SERVICES},
        intent_examples={k: full.intent_examples[k] for k in ("greeting", "thanks", "out_of_scope")},
    )


def with_example(kb: KnowledgeBase, service_id: str, example: str) -> KnowledgeBase:
    examples = dict(kb.service_examples)
    examples[service_id] = (*examples[service_id], example)
    return KnowledgeBase(kb.plan_items, kb.services, examples, kb.intent_examples)


@pytest.fixture
def settings(tmp_path):
    return get_settings().model_copy(update={"index_dir": tmp_path / "index"})


@pytest.fixture
def count_builds(monkeypatch) -> list[str]:
    """Knowledge versions whose index was built (calibration runs only when building, never when loading)."""
    built: list[str] = []
    calibrate = nlu_service.calibrate

    def counting(documents, build_index):
        built.append("build")
        return calibrate(documents, build_index)

    monkeypatch.setattr(nlu_service, "calibrate", counting)
    return built


def test_index_is_persisted_with_a_manifest_and_reused(small_kb, settings, count_builds):
    first = build_engine(small_kb, settings)
    directory = index_directory(settings.index_dir, small_kb.version, settings.embedding_model)
    manifest = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
    assert manifest["knowledge_version"] == small_kb.version
    assert manifest["embedding_model"] == "builtin"
    assert (directory / "encoder" / "modules.json").exists()
    assert count_builds == ["build"]

    second = build_engine(small_kb, settings)
    assert count_builds == ["build"], "an index whose manifest matches is loaded, not rebuilt"
    question = "剪床安全防護改善的補助怎麼申請"
    assert second.understand(question) == first.understand(question)
    assert second.understand(question).candidates[0].target == "service:tc-press-machine-subsidy"
    assert second.understand("你好").kind == "smalltalk"


def test_index_is_rebuilt_when_content_changes(small_kb, settings, count_builds):
    build_engine(small_kb, settings)
    changed = with_example(small_kb, "tc-migrant-chinese-class", "想上免費的華語課")
    engine = build_engine(changed, settings)
    assert count_builds == ["build", "build"]
    assert engine.knowledge_version == changed.version
    assert (index_directory(settings.index_dir, changed.version, "builtin") / MANIFEST).exists()


def test_a_damaged_index_is_rebuilt_not_fatal(small_kb, settings, count_builds):
    build_engine(small_kb, settings)
    directory = index_directory(settings.index_dir, small_kb.version, "builtin")
    (directory / "vectors.faiss").write_bytes(b"not an index")
    engine = build_engine(small_kb, settings)
    assert count_builds == ["build", "build"]
    assert engine.understand("最低工資是多少").candidates[0].target == "service:minimum-wage"


def test_holder_swaps_in_the_engine_for_new_content_while_the_old_one_answers(small_kb, settings):
    release = threading.Event()
    built: list[str] = []

    def slow_build(kb, build_settings):
        if built:  # the first engine is built at once; later ones wait, like a real rebuild taking seconds
            release.wait(30)
        built.append(kb.version)
        return build_engine(kb, build_settings)

    holder = EngineHolder(settings, build=slow_build)
    assert not holder.ready and holder.current is None
    holder.update(small_kb)
    assert holder.wait(120)
    old = holder.current
    assert holder.ready and old.knowledge_version == small_kb.version

    changed = with_example(small_kb, "minimum-wage", "基本工資今年調多少")
    holder.update(changed)
    holder.update(changed)  # asked twice while building: built once
    assert holder.current is old, "the old engine answers until the new one is ready"
    assert old.understand("最低工資多少").kind in ("answer", "clarify")
    release.set()
    assert holder.wait(120)
    assert holder.current.knowledge_version == changed.version
    assert built == [small_kb.version, changed.version]


def test_holder_keeps_the_old_engine_when_a_build_fails(small_kb, settings):
    def failing_after_first(kb, build_settings):
        if kb.version != small_kb.version:
            raise RuntimeError("broken content")
        return build_engine(kb, build_settings)

    holder = EngineHolder(settings, build=failing_after_first)
    holder.update(small_kb)
    assert holder.wait(120)
    old = holder.current
    holder.update(with_example(small_kb, "minimum-wage", "時薪最低多少"))
    assert holder.wait(120)
    assert holder.current is old
