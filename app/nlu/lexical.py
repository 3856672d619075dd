"""Lexical signals: BM25 over words, and character n-gram similarity (robust to typos, Thai and unsegmented text).

Words come from jieba with a domain dictionary. jieba's dictionary is Simplified Chinese, so Traditional text is cut
on its Simplified transliteration (OpenCC t2s keeps one character per character) and the cuts are mapped back;
cutting Traditional text directly would fall apart into single characters. Thai has no spaces and jieba does not
know it: Thai runs become character trigrams. Latin words are kept whole.
"""

from __future__ import annotations

import logging
import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from functools import lru_cache

import jieba
import numpy as np
from opencc import OpenCC
from rank_bm25 import BM25Okapi

# Terms jieba must keep whole, beyond each service's own `keywords`: programme names and labour-law vocabulary that
# a general dictionary splits (就業金安薪 → 就業/金/安/薪 would match any 就業 question).
CURATED_TERMS = (
    "就業金安薪", "金安薪", "衝剪機械", "衝床", "剪床", "勞資爭議", "移工", "外勞", "外籍移工", "看護工", "家庭看護",
    "積欠工資墊償", "積欠工資", "墊償基金", "欠薪", "拖薪", "欠薪水", "薪水", "工資", "薪資", "底薪", "資遣費", "資遣",
    "加班費", "特休", "特別休假", "國定假日", "勞基法", "勞動基準法", "勞保", "勞工保險", "就保", "就業保險", "勞退",
    "勞工退休金", "退休金", "退休準備金", "勞健保", "職災", "職業災害", "工傷", "失業給付", "最低工資", "基本工資",
    "育嬰留職停薪", "育嬰假", "留職停薪", "產假", "陪產假", "陪產檢假", "性騷擾", "就業歧視", "性別平等", "派遣",
    "要派", "訴願", "爭議審議", "工會", "職業工會", "團體協約", "不當勞動行為", "職業訓練", "職訓", "跨域就業",
    "租屋補助", "鳳凰貸款", "創業貸款", "中高齡", "二度就業", "身心障礙", "身障", "職務再設計", "定額進用",
    "哺集乳室", "哺乳室", "托兒", "雇主", "老闆", "頭家", "仲介", "勞工大學", "金安心", "臨場輔導", "勞動檢查",
    "勞檢", "調解", "勞資調解", "訴訟扶助", "法律扶助", "勞工局", "勞動部", "就業服務站", "就服站", "勞保局",
    "職安署", "1955", "勞權基金", "勞工權益基金", "體驗百業", "暑期工讀", "工讀", "領袖營", "青年創業", "青創",
    "視障", "按摩", "個案管理", "更生人", "原住民", "工作生活平衡", "健康檢查", "過勞", "勞動教育", "中文課",
)

_SIMPLIFIED = OpenCC("t2s")
_HAN_RUN_RE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_SCRIPT_RUN_RE = re.compile(
    r"(?P<han>[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+)|(?P<thai>[\u0e00-\u0e7f]+)|(?P<word>[a-z0-9]+)"
)
# Function words that say nothing about which service is meant; kept out of BM25 and out of domain coverage.
STOP_WORDS = frozenset(
    "的 了 嗎 吧 呢 啊 喔 欸 呵 個 我 你 他 她 我們 是 在 有 和 與 及 或 就 都 也 還 要 會 能 可以 請問 請 想 問 "
    "怎麼 怎麼辦 如何 什麼 哪裡 哪 多少 嗎 這 那 這個 那個 一下 一個 自己 因為 所以 但是 如果 可不可以 能不能 "
    "the a an i my me is are to of for and or in on it do does can how what you your "
    "saya aku yang di ke dan itu ini apa bagaimana "
    "toi la co khong cua va "
    "ang ng mga ko ako sa po ba".split()
)


def _silence_jieba() -> None:
    jieba.setLogLevel(logging.WARNING)


class Segmenter:
    """jieba with our domain dictionary, on its own dictionary instance (the global one is shared)."""

    def __init__(self, domain_terms: Iterable[str]):
        _silence_jieba()
        self._jieba = jieba.Tokenizer()
        self._jieba.initialize()
        # Words of a text without stop words; index builds (cross-validation folds included) cut the same texts
        # again and again, hence the cache.
        self.content_tokens = lru_cache(maxsize=32768)(self._words)
        for term in sorted(set(domain_terms)):
            simplified = _SIMPLIFIED.convert(term)
            if len(simplified) == len(term) and len(term) > 1:
                self._jieba.add_word(simplified, freq=200_000)

    def _cut_han(self, run: str) -> list[str]:
        simplified = _SIMPLIFIED.convert(run)
        if len(simplified) != len(run):
            return list(run)
        words, position = [], 0
        for word in self._jieba.cut(simplified, HMM=False):
            words.append(run[position : position + len(word)])
            position += len(word)
        return words

    def tokens(self, text: str) -> list[str]:
        """Words of a text in matching form; Thai runs as character trigrams."""
        out: list[str] = []
        for match in _SCRIPT_RUN_RE.finditer(text):
            if match.group("han"):
                out.extend(self._cut_han(match.group("han")))
            elif match.group("thai"):
                out.extend(_thai_grams(match.group("thai"), (3,)))
            else:
                out.append(match.group("word"))
        return out

    def _words(self, text: str) -> tuple[str, ...]:
        return tuple(t for t in self.tokens(text) if t not in STOP_WORDS)


def _thai_grams(run: str, sizes: Sequence[int]) -> list[str]:
    grams = [run[i : i + n] for n in sizes for i in range(max(1, len(run) - n + 1))]
    return grams or [run]


@lru_cache(maxsize=65536)
def char_ngrams(text: str) -> Counter[str]:
    """Character n-grams by script: Han uni- and bigrams, Thai bi- and trigrams, Latin words and their trigrams.

    Cached, because index builds (one per cross-validation fold) cut the same texts again: callers must not modify
    the Counter they get."""
    grams: Counter[str] = Counter()
    for match in _SCRIPT_RUN_RE.finditer(text):
        if run := match.group("han"):
            grams.update(run)
            grams.update(run[i : i + 2] for i in range(len(run) - 1))
        elif run := match.group("thai"):
            grams.update(_thai_grams(run, (2, 3)))
        else:
            word = match.group("word")
            grams[word] += 1
            if len(word) > 3 and not word.isdigit():
                padded = f"#{word}#"
                grams.update(padded[i : i + 3] for i in range(len(padded) - 2))
    return grams


@lru_cache(maxsize=262144)
def script_of(token: str) -> str:
    """Han, Thai, Latin or other, by the token's first character (a Latin trigram's "#" marks a word start)."""
    first = token.lstrip("#")[:1]
    if _HAN_RUN_RE.match(first):
        return "han"
    if "\u0e00" <= first <= "\u0e7f":
        return "thai"
    if first.isascii() and first.isalpha():
        return "latin"
    return "other"


def documents_per_script(token_sets: Iterable[Iterable[str]]) -> Counter[str]:
    """How many documents contain some token of each script.

    Document frequencies are compared with this count rather than with all documents: Thai or Indonesian texts are a
    small minority of our content, so against the whole collection even their function words look rare and a Thai
    question would match any Thai text on 「ไหม」 alone. Within their own script, common words are common.
    """
    return Counter(script for tokens in token_sets for script in {script_of(t) for t in tokens})


class CharNgramIndex:
    """TF-IDF cosine between a query and each indexed text over character n-grams, via an inverted index."""

    def __init__(self, texts: Sequence[str]):
        self.size = len(texts)
        grams_per_text = [char_ngrams(t) for t in texts]
        document_frequency: Counter[str] = Counter(g for grams in grams_per_text for g in grams)
        per_script = documents_per_script(grams_per_text)
        self._idf = {
            g: math.log((1 + per_script[script_of(g)]) / (1 + df)) + 1.0 for g, df in document_frequency.items()
        }
        postings: dict[str, tuple[list[int], list[float]]] = {}
        for row, grams in enumerate(grams_per_text):
            weights = self._weights(grams)
            for gram, weight in weights.items():
                rows, values = postings.setdefault(gram, ([], []))
                rows.append(row)
                values.append(weight)
        self._postings = {
            g: (np.asarray(rows, dtype=np.int32), np.asarray(values, dtype=np.float32))
            for g, (rows, values) in postings.items()
        }

    def _weights(self, grams: Counter[str]) -> dict[str, float]:
        weights = {g: (1.0 + math.log(c)) * self._idf.get(g, 0.0) for g, c in grams.items()}
        norm = math.sqrt(sum(w * w for w in weights.values())) or 1.0
        return {g: w / norm for g, w in weights.items() if w > 0}

    def similarities(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """(cosine, coverage) per indexed text. Coverage is the share of a text's TF-IDF mass that the query
        contains: a long story that includes a short phrasing whole covers it fully, however diluted the cosine."""
        cosine = np.zeros(self.size, dtype=np.float32)
        coverage = np.zeros(self.size, dtype=np.float32)
        for gram, weight in self._weights(char_ngrams(text)).items():
            rows, values = self._postings[gram]
            cosine[rows] += weight * values
            coverage[rows] += values * values
        return cosine, coverage

    def known_fraction(self, text: str) -> float:
        """Share of the query's n-grams (by count) that occur anywhere in the indexed texts."""
        grams = char_ngrams(text)
        total = sum(grams.values())
        return sum(c for g, c in grams.items() if g in self._idf) / total if total else 0.0


class _ScriptAwareBm25(BM25Okapi):
    """BM25Okapi whose IDF counts documents of the word's own script (see `documents_per_script`)."""

    def _calc_idf(self, nd: dict[str, int]) -> None:
        per_script = documents_per_script(self.doc_freqs)
        raw = {word: math.log(per_script[script_of(word)] - n + 0.5) - math.log(n + 0.5) for word, n in nd.items()}
        positive = [v for v in raw.values() if v > 0]
        floor = self.epsilon * (sum(positive) / len(positive) if positive else 1.0)
        self.idf = {word: max(value, floor) for word, value in raw.items()}


class Bm25Index:
    """BM25 of a query against one bag of words per target (all its texts concatenated)."""

    def __init__(self, bags: Sequence[Sequence[str]]):
        # rank_bm25 divides by the mean length: an empty corpus or bag would break it.
        self._bm25 = _ScriptAwareBm25([list(bag) or ["∅"] for bag in bags])
        self.vocabulary = frozenset(w for bag in bags for w in bag)

    def scores(self, tokens: Sequence[str]) -> np.ndarray:
        return np.asarray(self._bm25.get_scores(list(tokens)), dtype=np.float32)
