"""Chinese as the bot reads it: in Taiwan's characters and words, whichever script it was typed in.

OpenCC's Taiwan conversion (`s2twp`) also rewrites some traditional words (雇主 → 僱主, 文件 → 檔案, 通過 → 透過),
so every table that is matched against converted text (typos, glossary, aspect cues) is converted the same way.
"""

from __future__ import annotations

import re

from opencc import OpenCC

HAN_RE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_SIMPLIFIED_TO_TAIWAN = OpenCC("s2twp")


def has_han(text: str) -> bool:
    return bool(HAN_RE.search(text))


def to_taiwan_chinese(text: str) -> str:
    return _SIMPLIFIED_TO_TAIWAN.convert(text)


def in_taiwan_characters(text: str) -> str:
    """`text` with its Chinese (if any) in Taiwan's characters and words; other scripts untouched."""
    return to_taiwan_chinese(text) if has_han(text) else text
