"""The index is persisted with a manifest, reused when content and code are unchanged, rebuilt when content changes
(once, when several processes ask at the same time); the runtime answers new content at once with a reindexed engine
and swaps in the complete one when its background build is done."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from app.config import get_settings
from app.knowledge.service import KnowledgeBase, load_from_files
from app.nlu import service as nlu_service
from app.nlu.index import MANIFEST, index_directory
from app.nlu.service import build_engine, reindex
from app.runtime import Runtime

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
    """An index directory of its own, and an encoder trained lightly: these tests are about the index's life, not
    about how well it routes."""
    return get_settings().model_copy(update={"index_dir": tmp_path / "index", "builtin_members": 1,
                                             "builtin_epochs": 2, "index_build_processes": 1})


@pytest.fixture
def count_builds(monkeypatch) -> list[str]:
    """Knowledge versions whose index was built (calibration runs only when building, never when loading)."""
    built: list[str] = []
    calibrate = nlu_service.calibrate

    def counting(*args):
        built.append("build")
        return calibrate(*args)

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


def test_an_index_trained_otherwise_is_not_reused(small_kb, settings, count_builds):
    build_engine(small_kb, settings)
    build_engine(small_kb, settings.model_copy(update={"builtin_epochs": settings.builtin_epochs + 1}))
    build_engine(small_kb, settings.model_copy(update={"builtin_seed": settings.builtin_seed + 1}))
    assert count_builds == ["build", "build", "build"]


def test_a_damaged_index_is_rebuilt_not_fatal(small_kb, settings, count_builds):
    build_engine(small_kb, settings)
    directory = index_directory(settings.index_dir, small_kb.version, "builtin")
    (directory / "vectors.faiss").write_bytes(b"not an index")
    engine = build_engine(small_kb, settings)
    assert count_builds == ["build", "build"]
    assert engine.understand("最低工資是多少").candidates[0].target == "service:minimum-wage"


def test_folds_built_in_two_processes_give_the_index_one_process_builds(small_kb, settings, tmp_path):
    """The folds train their encoders side by side in a spawned process: same seeds, same documents, so the same
    calibration (weights, thresholds, what the folds measured) and the same answers."""
    one = build_engine(small_kb, settings)
    in_two = settings.model_copy(update={"index_dir": tmp_path / "two", "index_build_processes": 2})
    two = build_engine(small_kb, in_two)
    assert two.calibration == one.calibration
    for question in ("剪床安全防護改善的補助怎麼申請", "老闆欠我薪水", "想學中文"):
        assert two.understand(question) == one.understand(question)


def test_processes_building_the_same_content_at_once_build_it_once(small_kb, settings, count_builds):
    engines = []
    threads = [threading.Thread(target=lambda: engines.append(build_engine(small_kb, settings))) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(300)
    assert len(engines) == 2 and count_builds == ["build"], "the second builder waits and loads the first one's index"


def test_reindex_answers_new_content_with_the_old_encoder_and_calibration(small_kb, settings, count_builds):
    old = build_engine(small_kb, settings)
    phrase = "外籍朋友想學注音符號跟台語會話"
    changed = with_example(small_kb, "tc-migrant-chinese-class", phrase)
    quick = reindex(old, changed)
    assert count_builds == ["build"], "no encoder training, no calibration"
    assert quick.knowledge_version == changed.version and not quick.complete
    assert quick.calibration is old.calibration and quick.index.model is old.index.model
    assert quick.understand(phrase).candidates[0].target == "service:tc-migrant-chinese-class"
    assert quick.understand(phrase).kind == "answer"


class ContentInMemory:
    """What staff published, as the runtime polls it (the database in production)."""

    def __init__(self, kb: KnowledgeBase):
        self.kb, self.published = kb, 1

    def publish(self, kb: KnowledgeBase) -> None:
        self.kb, self.published = kb, self.published + 1

    def revision(self) -> int:
        return self.published

    def knowledge(self) -> KnowledgeBase:
        return self.kb


def test_runtime_answers_new_content_at_once_and_swaps_in_the_complete_engine(small_kb, settings, monkeypatch):
    source = ContentInMemory(small_kb)
    runtime = Runtime(settings, source=source)
    assert not runtime.ready
    assert runtime.refresh() and runtime.wait_for_complete_engine(300) and runtime.content.engine.complete
    assert not runtime.refresh(), "an unchanged revision is not rebuilt"

    release = threading.Event()
    built: list[str] = []

    def held_back_build(kb, build_settings, progress):
        release.wait(60)
        built.append(kb.version)
        return build_engine(kb, build_settings, progress)

    monkeypatch.setattr("app.runtime.build_engine", held_back_build)
    phrase = "基本工資今年調多少了呀"
    source.publish(with_example(small_kb, "minimum-wage", phrase))
    assert runtime.refresh()
    answering = runtime.content
    assert answering.revision == 2 and not answering.engine.complete, "the complete build is still held back"
    assert answering.engine.understand(phrase).candidates[0].target == "service:minimum-wage"

    # Published twice more while the complete engine of revision 2 is being built: of those, only the newest is built.
    skipped = with_example(source.kb, "minimum-wage", "時薪最低可以給多少")
    source.publish(skipped)
    assert runtime.refresh()
    newest = with_example(skipped, "minimum-wage", "最低月薪現在是多少")
    source.publish(newest)
    assert runtime.refresh() and runtime.content.revision == 4
    release.set()
    assert runtime.wait_for_complete_engine(300)
    assert built == [answering.kb.version, newest.version]
    assert runtime.content.revision == 4 and runtime.content.engine.complete
    assert runtime.content.engine.knowledge_version == newest.version


def test_runtime_keeps_answering_when_the_complete_build_fails(small_kb, settings, monkeypatch):
    source = ContentInMemory(small_kb)
    runtime = Runtime(settings, source=source)
    runtime.refresh()
    assert runtime.wait_for_complete_engine(300)

    def broken(kb, build_settings, progress):
        raise RuntimeError("disk full")

    monkeypatch.setattr("app.runtime.build_engine", broken)
    source.publish(with_example(small_kb, "minimum-wage", "最低時薪是多少錢"))
    assert runtime.refresh()
    assert runtime.wait_for_complete_engine(60)
    assert runtime.content.revision == 2 and not runtime.content.engine.complete
    assert runtime.content.engine.understand("最低時薪是多少錢").candidates[0].target == "service:minimum-wage"


def test_a_restart_on_content_without_an_index_answers_at_once_from_the_newest_index(small_kb, settings, monkeypatch):
    source = ContentInMemory(small_kb)
    earlier = Runtime(settings, source=source)  # an earlier run left the index of small_kb
    assert earlier.refresh() and earlier.wait_for_complete_engine(300)
    phrase = "外勞想上華語課有沒有免費的"
    source.publish(with_example(small_kb, "tc-migrant-chinese-class", phrase))  # published, then the server restarted
    release = threading.Event()
    monkeypatch.setattr("app.runtime.build_engine", lambda kb, s, p: (release.wait(60), build_engine(kb, s, p))[1])

    restarted = Runtime(settings, source=source)
    assert restarted.refresh(), "ready while the complete build is held back"
    assert not restarted.content.engine.complete
    assert restarted.content.engine.understand(phrase).candidates[0].target == "service:tc-migrant-chinese-class"
    release.set()
    assert restarted.wait_for_complete_engine(300)
    assert restarted.content.engine.complete and restarted.content.engine.knowledge_version == source.kb.version


def test_a_first_start_answers_from_the_words_alone_within_seconds_then_from_the_complete_engine(
        small_kb, settings, monkeypatch):
    """No index on disk at all: rather than minutes of 503s, a lexical engine answers while the complete one is built;
    its calibration is its own, so it still declines what words alone cannot place."""
    release = threading.Event()
    progress_seen: list[dict] = []

    def held_back_build(kb, build_settings, progress):
        release.wait(60)
        engine = build_engine(kb, build_settings, progress)
        progress_seen.append(progress.as_json())
        return engine

    monkeypatch.setattr("app.runtime.build_engine", held_back_build)
    runtime = Runtime(settings, source=ContentInMemory(small_kb))
    assert runtime.refresh()
    engine = runtime.content.engine
    assert engine.basis == "lexical" and not engine.complete
    assert engine.understand("老闆欠我兩個月薪水").candidates[0].target == "service:wages-unpaid"
    assert engine.understand("健保卡遺失怎麼補辦").kind == "fallback"
    assert runtime.build is not None and runtime.build.done == 0, "the complete build is reported while it runs"
    release.set()
    assert runtime.wait_for_complete_engine(300)
    assert runtime.content.engine.basis == "complete" and runtime.build is None
    assert progress_seen[-1]["steps_done"] == progress_seen[-1]["steps"]


def _children(pid: int, marker: str) -> list[int]:
    """Processes whose parent is `pid` and whose command line holds `marker` (from /proc: Linux)."""
    found = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(line.split(":\t", 1) for line in status.read_text().splitlines() if ":\t" in line)
            cmdline = (status.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if fields.get("PPid", "").strip() == str(pid) and marker in cmdline:
            found.append(int(status.parent.name))
    return found


def _alive(pid: int) -> bool:
    try:
        return (Path("/proc") / str(pid) / "status").read_text().find("State:\tZ") < 0
    except OSError:
        return False


def test_a_fold_process_ends_when_the_build_it_works_for_is_killed(tmp_path):
    """A server killed during an index build must not leave its fold process running (memory and a core)."""
    env = {**os.environ, "INDEX_DIR": str(tmp_path / "index"), "DATA_DIR": str(tmp_path),
           "DATABASE_URL": f"sqlite:///{tmp_path / 'build.db'}",
           "INDEX_BUILD_PROCESSES": "2", "BUILTIN_MEMBERS": "1", "BUILTIN_EPOCHS": "2"}
    build = subprocess.Popen([sys.executable, "-m", "app", "build-index"], env=env, cwd=ROOT,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while not (folds := _children(build.pid, "spawn_main")) and time.monotonic() < deadline:
            assert build.poll() is None, "the build ended before it started a fold process"
            time.sleep(0.2)
        assert folds, "no fold process was started"
        build.kill()
        build.wait(10)
        deadline = time.monotonic() + 10
        while any(_alive(pid) for pid in folds) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not any(_alive(pid) for pid in folds), "the fold process outlived the build"
    finally:
        if build.poll() is None:
            build.kill()
