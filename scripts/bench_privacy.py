"""Masking benchmark: how long `mask_personal_data` takes on long texts, and that the time grows linearly.

Texts are the personal data and ordinary questions of tests/data/pii_cases.yaml, shuffled and joined (a mask every
~40 characters, far denser than real traffic), and inputs built to make a careless regex backtrack: long runs of
digits, letters, "a@", "1/1/1…", repeated keywords with nothing after them. Each is masked whole (`limit=None`, as
the log filter does), best of several rounds; then 4x as long, which should take about 4x as long.

    python scripts/bench_privacy.py [--chars 50000] [--rounds 5]

Target: 50,000 characters in under 0.1 s, and no input more than 6x slower at 4x the length.
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.privacy import MAX_STORED_CHARS, mask_personal_data  # noqa: E402  (after the path is set)

TARGET_SECONDS = 0.1
MAX_GROWTH = 6.0  # at 4x the length: linear is 4x, quadratic 16x


def mixed_text(chars: int) -> str:
    cases = yaml.safe_load((ROOT / "tests" / "data" / "pii_cases.yaml").read_text("utf-8"))
    pieces = [re.sub("[«»]", "", case["text"]) for case in cases["personal"]] + cases["ordinary"]
    random.Random(1).shuffle(pieces)
    text = " ".join(pieces)
    return (text * (chars // len(text) + 1))[:chars]


ADVERSARIAL = {
    "digits": "7", "digits and spaces": "1 ", "digits and hyphens": "0-", "letters": "a", "a@": "a@", "a.": "a.",
    "hex": "0123456789abcdef", "1/": "1/", "帳號 (nothing after)": "帳號", "路1": "路1", "生日1/": "生日1/",
    "Jl. (no number)": "Jl. ", "1 Lane": "1 Lane ", "line id:": "line id: : ", "my name is X": "my name is X ",
    "full-width Ａ１": "Ａ１", "Chinese": "勞工朋友您好", "Thai": "สวัสดีครับ",
}


def best_time(text: str, rounds: int, limit: int | None = None) -> float:
    best = float("inf")
    for _ in range(rounds):
        started = time.perf_counter()
        mask_personal_data(text, limit=limit)
        best = min(best, time.perf_counter() - started)
    return best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chars", type=int, default=50_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    inputs = {"mixed personal data and questions": mixed_text}
    inputs |= {name: (lambda chars, unit=unit: (unit * (chars // len(unit) + 1))[:chars])
               for name, unit in ADVERSARIAL.items()}
    failures = 0
    print(f"{'input':36s} {args.chars:>9,} chars   {4 * args.chars:>9,} chars   growth")
    for name, make in inputs.items():
        short, long = best_time(make(args.chars), args.rounds), best_time(make(4 * args.chars), args.rounds)
        growth = long / short
        ok = short < TARGET_SECONDS and growth < MAX_GROWTH
        failures += not ok
        print(f"{name:36s} {short * 1000:9.1f} ms   {long * 1000:9.1f} ms   {growth:5.1f}x {'' if ok else ' FAIL'}")
    stored = best_time(mixed_text(1_000_000), args.rounds, limit=MAX_STORED_CHARS)
    print(f"{'1,000,000 characters to be stored':36s} {stored * 1000:9.1f} ms   (cut to {MAX_STORED_CHARS:,} first)")
    print("all within target" if not failures else f"{failures} input(s) over target")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
