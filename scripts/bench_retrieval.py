"""Retrieval benchmark: full index build time, load time of an existing index, per-question latency of
`NluEngine.understand` (p50/p99) and of the whole answer (`answer_text`: understanding, the aspect and facts read,
the message built), resident memory of a process serving from the index, the time a publish takes to
reach the answers (`reindex`), a server's start-to-ready time when the index exists, and a first start on a fresh
machine (no index on disk): how soon it answers from the words alone and when the complete index answers.

The build runs in this process into a fresh temporary index directory; loading and answering run in a fresh child
process, as a server would, so the load time includes reading the dictionary and the encoder and the memory figure
is what serving costs. Questions are the held-out set's texts, each asked several times.

    python scripts/bench_retrieval.py [--model builtin] [--rounds 3]

Targets: build ≤ 30 s, p50 ≤ 10 ms, p99 ≤ 30 ms, start to ready ≤ 5 s.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TARGETS = {"build_seconds": 30.0, "p50_ms": 10.0, "p99_ms": 30.0, "ready_seconds": 5.0}


def resident_mb() -> float:
    """Current resident set size of this process (Linux /proc), in MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def settings_for(index_dir: Path, model: str):
    from app.config import get_settings

    return get_settings().model_copy(update={"index_dir": index_dir, "embedding_model": model})


def serve(index_dir: Path, model: str, rounds: int) -> dict:
    """Child process: load the engine from the existing index, then answer every question `rounds` times."""
    from app.knowledge.service import KnowledgeBase, load_from_files
    from app.nlu.evaluation import load_questions
    from app.nlu.service import build_engine, reindex

    settings = settings_for(index_dir, model)
    kb = load_from_files(settings.knowledge_dir, settings.intents_dir)
    started = time.perf_counter()
    engine = build_engine(kb, settings)
    load_seconds = time.perf_counter() - started
    examples = dict(kb.service_examples)
    examples["wages-unpaid"] = (*examples["wages-unpaid"], "老闆欠我加班費跟兩個月薪水 店還開著")
    started = time.perf_counter()
    reindex(engine, KnowledgeBase(kb.plan_items, kb.services, examples, kb.intent_examples))
    reindex_seconds = time.perf_counter() - started
    texts = [q.text for q in load_questions()]
    for text in texts[:20]:  # warm-up: first calls allocate
        engine.understand(text)
    latencies = []
    for _ in range(rounds):
        for text in texts:
            started = time.perf_counter()
            engine.understand(text)
            latencies.append((time.perf_counter() - started) * 1000)
    # The whole answer as the conversation builds it: understanding, the aspect and facts read, the message made.
    from app.conversation.service import answer_text

    answering = []
    for text in texts:
        started = time.perf_counter()
        answer_text(text, kb=kb, engine=engine)
        answering.append((time.perf_counter() - started) * 1000)
    return {
        "answer_p50_ms": round(percentile(answering, 0.50), 2),
        "answer_p99_ms": round(percentile(answering, 0.99), 2),
        "load_seconds": round(load_seconds, 2),
        "reindex_seconds": round(reindex_seconds, 2),
        "questions": len(latencies),
        "p50_ms": round(percentile(latencies, 0.50), 2),
        "p99_ms": round(percentile(latencies, 0.99), 2),
        "mean_ms": round(statistics.fmean(latencies), 2),
        "rss_mb": round(resident_mb(), 1),
    }


def build(index_dir: Path, model: str) -> dict:
    from app.knowledge.service import load_from_files
    from app.nlu.service import build_engine

    settings = settings_for(index_dir, model)
    kb = load_from_files(settings.knowledge_dir, settings.intents_dir)
    started = time.perf_counter()
    engine = build_engine(kb, settings)
    return {
        "build_seconds": round(time.perf_counter() - started, 2),
        "documents": len(engine.index.documents),
        "targets": len(engine.index.targets),
    }


def start_to_ready(index_dir: Path, model: str) -> list[float]:
    """Seconds from `uvicorn app.main:app` to /readyz answering 200 with the index built: a first start on an empty
    database (migrated and seeded on the way), then a restart."""
    return [times[0] for times in _starts(index_dir, model, 2, until_complete=False)]


def cold_start(model: str) -> tuple[float, float]:
    """A fresh machine: an empty database and no index on disk. Seconds to answering (from the words alone) and to
    the complete index answering."""
    index_dir = Path(tempfile.mkdtemp(prefix="bench-cold-index-"))
    try:
        (answering, complete), = _starts(index_dir, model, 1, until_complete=True)
    finally:
        shutil.rmtree(index_dir, ignore_errors=True)
    return answering, complete


def _starts(index_dir: Path, model: str, starts: int, *, until_complete: bool) -> list[tuple[float, ...]]:
    work = Path(tempfile.mkdtemp(prefix="bench-server-"))
    env = {**os.environ, "INDEX_DIR": str(index_dir), "EMBEDDING_MODEL": model, "DATA_DIR": str(work),
           "DATABASE_URL": f"sqlite:///{work / 'bench.db'}"}
    results = []
    try:
        for _ in range(starts):
            with socket.socket() as sock:
                sock.bind(("127.0.0.1", 0))
                port = sock.getsockname()[1]
            started = time.perf_counter()
            server = subprocess.Popen([sys.executable, "-m", "uvicorn", "app.main:app", "--port", str(port)], cwd=ROOT,
                                      env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            try:
                times = []
                while time.perf_counter() - started < 600:
                    readiness = _readiness(port)
                    if not times and readiness.get("ready"):
                        times.append(round(time.perf_counter() - started, 2))
                    if times and (not until_complete or readiness.get("answering_from") == "complete"):
                        break
                    time.sleep(0.05)
                if until_complete:
                    times.append(round(time.perf_counter() - started, 2))
                results.append(tuple(times))
            finally:
                server.terminate()
                server.wait(30)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return results


def _readiness(port: int) -> dict:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as error:
        return json.loads(error.read() or b"{}")
    except (OSError, ValueError):
        return {}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="builtin", help="embedding_model setting (default: builtin)")
    parser.add_argument("--rounds", type=int, default=3, help="times each held-out question is asked")
    parser.add_argument("--serve", metavar="INDEX_DIR", help=argparse.SUPPRESS)  # child process mode
    args = parser.parse_args()
    if args.serve:
        print(json.dumps(serve(Path(args.serve), args.model, args.rounds)))
        return 0

    index_dir = Path(tempfile.mkdtemp(prefix="bench-index-"))
    try:
        built = build(index_dir, args.model)
        child = subprocess.run(
            [sys.executable, __file__, "--serve", str(index_dir), "--model", args.model, "--rounds", str(args.rounds)],
            check=True,
            capture_output=True,
            text=True,
        )
        served = json.loads(child.stdout.strip().splitlines()[-1])
        first_start, restart = start_to_ready(index_dir, args.model)
        cold_answering, cold_complete = cold_start(args.model)
    finally:
        shutil.rmtree(index_dir, ignore_errors=True)

    rows = [
        ("full index build", f"{built['build_seconds']} s", f"≤ {TARGETS['build_seconds']:.0f} s",
         built["build_seconds"] <= TARGETS["build_seconds"]),
        ("load existing index", f"{served['load_seconds']} s", "", None),
        ("server start to ready", f"{restart} s", f"≤ {TARGETS['ready_seconds']:.0f} s", restart <= TARGETS["ready_seconds"]),
        ("  first start, empty db", f"{first_start} s", "", None),
        ("no index: answering after", f"{cold_answering} s", "", None),
        ("  complete index after", f"{cold_complete} s", "", None),
        ("publish → reindexed", f"{served['reindex_seconds']} s", "", None),
        ("understand() p50", f"{served['p50_ms']} ms", f"≤ {TARGETS['p50_ms']:.0f} ms", served["p50_ms"] <= TARGETS["p50_ms"]),
        ("understand() p99", f"{served['p99_ms']} ms", f"≤ {TARGETS['p99_ms']:.0f} ms", served["p99_ms"] <= TARGETS["p99_ms"]),
        ("understand() mean", f"{served['mean_ms']} ms", "", None),
        ("answer_text() p50 / p99", f"{served['answer_p50_ms']} / {served['answer_p99_ms']} ms", "", None),
        ("resident memory (serving)", f"{served['rss_mb']} MiB", "", None),
    ]
    print(f"retrieval benchmark — model {args.model}, {built['documents']} documents, {built['targets']} targets, "
          f"{served['questions']} questions timed")
    print(f"{'measure':28}{'value':>14}{'target':>12}  ok")
    for name, value, target, ok in rows:
        print(f"{name:28}{value:>14}{target:>12}  {'' if ok is None else ('yes' if ok else 'NO')}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
