"""Load benchmark of the webhook: signed text events at a set rate and concurrency against a running server
(one and two worker processes), with the local fake LINE API. LINE forbids load tests through its platform.

Prints throughput, acknowledgement p50/p99, time to reply p50/p99 and events lost.

    python scripts/bench_webhook.py [--rate 200] [--seconds 10] [--concurrency 64] [--workers 1 2]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.conftest import CHANNEL_SECRET, FAKE_LINE, sign, text_event, webhook_body  # noqa: E402  (sets the env)
from tests.servers import ServerProcess  # noqa: E402

QUESTIONS = ["老闆欠薪三個月怎麼辦", "我想申請勞資爭議調解", "失業給付要準備什麼", "衝剪機械補助怎麼申請",
             "Bos saya belum bayar gaji", "青年就業獎勵怎麼領", "職災可以請什麼", "勞保沒保怎麼辦"]


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def run_load(url: str, rate: float, seconds: float, concurrency: int) -> dict:
    sent_at: dict[str, float] = {}
    ack_ms: list[float] = []
    failures = 0
    limit = asyncio.Semaphore(concurrency)
    async with httpx.AsyncClient(timeout=10, limits=httpx.Limits(max_connections=concurrency)) as http:

        async def send(n: int) -> None:
            nonlocal failures
            event = text_event(QUESTIONS[n % len(QUESTIONS)], user=f"U{uuid.uuid4().hex}")
            body = webhook_body(event)
            headers = {"Content-Type": "application/json", "X-Line-Signature": sign(body, CHANNEL_SECRET)}
            async with limit:
                start = time.perf_counter()
                try:
                    response = await http.post(url + "/callback", content=body, headers=headers)
                except httpx.HTTPError:
                    failures += 1
                    return
                if response.status_code != 200:
                    failures += 1
                    return
                ack_ms.append((time.perf_counter() - start) * 1000)
                sent_at[event["replyToken"]] = time.monotonic() - (time.perf_counter() - start)

        total = int(rate * seconds)
        begin = time.perf_counter()
        tasks = []
        for n in range(total):
            delay = begin + n / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(send(n)))
        await asyncio.gather(*tasks)
        send_seconds = time.perf_counter() - begin

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        replied = {r.body["replyToken"]: r.at for r in FAKE_LINE.replies() if r.body}
        if all(token in replied for token in sent_at):
            break
        await asyncio.sleep(0.2)
    replied = {r.body["replyToken"]: r.at for r in FAKE_LINE.replies() if r.body}
    reply_ms = [(replied[t] - at) * 1000 for t, at in sent_at.items() if t in replied]
    last_reply = max(replied.values(), default=time.monotonic())
    first_sent = min(sent_at.values(), default=time.monotonic())
    return {
        "sent": total,
        "acknowledged": len(ack_ms),
        "refused_or_failed": failures,
        "ack_per_s": len(ack_ms) / send_seconds,
        "replies_per_s": len(reply_ms) / max(1e-9, last_reply - first_sent),
        "ack_p50": statistics.median(ack_ms) if ack_ms else float("nan"),
        "ack_p99": percentile(ack_ms, 0.99),
        "reply_p50": statistics.median(reply_ms) if reply_ms else float("nan"),
        "reply_p99": percentile(reply_ms, 0.99),
        "lost": len(sent_at) - len(reply_ms),
        "duplicates": len(FAKE_LINE.replies()) - len(replied),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rate", type=float, default=200, help="events per second offered")
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()

    rows = []
    for workers in args.workers:
        FAKE_LINE.reset()
        work = Path(tempfile.mkdtemp(prefix="bench-webhook-"))
        env = {"DATABASE_URL": os.environ.get("BENCH_DATABASE_URL", f"sqlite:///{work / 'bench.db'}"),
               "DATA_DIR": str(work), "LOG_LEVEL": "WARNING"}
        server = ServerProcess(env, work / "server.log", workers=workers)
        try:
            server.wait_ready()
            asyncio.run(run_load(server.url, min(args.rate, 20), 1, 8))  # warm-up
            FAKE_LINE.reset()
            rows.append((workers, asyncio.run(run_load(server.url, args.rate, args.seconds, args.concurrency))))
        finally:
            server.stop()

    print(f"\noffered {args.rate:.0f} events/s for {args.seconds:.0f}s, concurrency {args.concurrency}")
    header = ("workers", "sent", "acked", "ack/s", "reply/s", "ack p50 ms", "ack p99 ms", "reply p50 ms",
              "reply p99 ms", "lost", "dup")
    print(" | ".join(header))
    for workers, r in rows:
        print(" | ".join(str(x) for x in (
            workers, r["sent"], r["acknowledged"], f"{r['ack_per_s']:.0f}", f"{r['replies_per_s']:.0f}",
            f"{r['ack_p50']:.1f}", f"{r['ack_p99']:.1f}", f"{r['reply_p50']:.1f}", f"{r['reply_p99']:.1f}",
            r["lost"], r["duplicates"])))


if __name__ == "__main__":
    main()
