"""Import every 重要計畫項目 of the two seed plans into `knowledge/plan_items.json`.

The seeds are text conversions of PDF plans:

* 勞動部109年度施政計畫 — a clean table, one cell per line: 工作計畫名稱 (empty when the previous one continues),
  重要計畫項目, 計畫類別, 實施內容 (first line tab-prefixed, further lines not), blocks separated by blank lines.
* 臺中市政府勞工局109年度施政計畫 — one tab-separated row per table row, but the page layout broke the table: cells
  split across pages, the header repeated on every page and some rows shifted by a column. Each break is repaired
  by a named fixup that checks the exact shape it expects before touching anything.

The parser never guesses: if a count, a heading or a row shape differs from what the seeds hold, it raises
`SeedFormatError` instead of silently merging or dropping an item.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import tempfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from app.config import get_settings
from app.knowledge.schemas import AGENCY_MOL, AGENCY_TAICHUNG, PlanItem

PLAN_YEAR = 2020  # 民國109年
MOL_SEED = "000_4c056af95ad1c0bc.txt"
TAICHUNG_SEED = "003_c75f2b3ec31a716e.txt"
PLAN_ITEMS_FILE = "plan_items.json"

# 勞動部 does not state its item count; 43 is what the 2020 plan holds. 臺中 states its own (checked against the text).
EXPECTED_MOL_ITEMS = 43
EXPECTED_TAICHUNG_ITEMS = 38
MOL_CATEGORIES = ("社會發展", "科技發展")

CHINESE_NUMERAL = "[一二三四五六七八九十]+"

# 勞動部 work plans are organised by department while its eight strategies are organised by policy goal, so the two
# do not line up one to one. Each work plan maps to the numbered strategies (一..八) that its items serve; a work plan
# gets two only where its items clearly split between two goals.
MOL_WORK_PLAN_STRATEGIES: dict[str, tuple[str, ...]] = {
    # International affairs → 七 (國際勞工議題); 施政管制 and its 管考 of execution → 八 (預算執行效率).
    "綜合規劃業務": ("七", "八"),
    # Unions, collective bargaining, dispute handling, dispatched workers → 三 (集體勞資關係, 派遣勞工).
    "勞動關係業務": ("三",),
    # Labour standards, minimum wage, working hours → 三 (勞動基準); 就業平等 item → 六 (職場平權).
    "勞動條件及就業平等業務": ("三", "六"),
    # 職業災害保險 item → 四 (職業災害保險制度); 勞工保險 and its 監理 → 五 (勞工保險法制, 年金).
    "勞動保險業務（一）": ("四", "五"),
    # Retirement pension and labour-fund oversight → 五; nursing rooms, childcare, work-life balance → 六.
    "勞動福祉退休業務": ("五", "六"),
    # No strategy names legal affairs; 五 (完善勞工保險法制) is the one its 勞保爭議審議 item serves.
    "勞動法務業務": ("五",),
    # 勞工保險局 operations: insurance enrolment, benefits, pension contributions → 五.
    "勞動保險業務（二）": ("五",),
    # Vocational training and 職能基準 → 一; employment services for youth, seniors, the disabled, start-ups → 二.
    "勞動力發展業務": ("一", "二"),
    # Fund allocation and self-managed investment → 五 (七)(八), worded the same.
    "勞動基金運用業務": ("五",),
    # Inspection, occupational health, safety culture, injured-worker services → 四.
    "職業安全衛生業務": ("四",),
    # Two of its three items are occupational-safety research → 四.
    "勞動及職業安全衛生研究業務": ("四",),
}

# 臺中: the table puts 推動中小企業工作環境輔導改善計畫 under 五 but its row has no 實施內容 cell; the only text describing
# it is strategy 四(二), which names it word for word. That sub-strategy is its strategy text, and its sentence (without
# the "(二)") is its content: what the seed says the item does. The next rows are other items, never its content.
TAICHUNG_SME_ITEM = "推動中小企業工作環境輔導改善計畫"
TAICHUNG_SHIFTED_LEFT_MEETING_ITEM = "推動製造業、營造業及綜合行業等各一場勞動行政業務與董事長有約座談會"
TAICHUNG_CONTENT_FROM_STRATEGY = frozenset({TAICHUNG_SME_ITEM})
TAICHUNG_STRATEGY_OVERRIDES: dict[str, tuple[str, str]] = {TAICHUNG_SME_ITEM: ("四", "二")}


class SeedFormatError(ValueError):
    """A seed does not have the structure the importer was written for."""


def squeeze_spaces(text: str) -> str:
    """Remove whitespace left by the PDF conversion, keeping one space only between two ASCII letters/digits.

    "推動 109 年政府機關" → "推動109年政府機關", "提升會務 e 化作業" → "提升會務e化作業", "15 萬元" → "15萬元",
    "Line@ 官方帳號" → "Line@官方帳號"; "WTO ILO" stays as it is.
    """
    text = text.strip()

    def replace(match: re.Match[str]) -> str:
        start, end = match.start(), match.end()
        inside = 0 < start and end < len(text)
        return " " if inside and _is_ascii_alnum(text[start - 1]) and _is_ascii_alnum(text[end]) else ""

    return re.sub(r"\s+", replace, text)


def _is_ascii_alnum(char: str) -> bool:
    return char.isascii() and char.isalnum()


def clean_cell_text(cell: str) -> str:
    """One 臺中 table cell as clean text: <p> paragraphs, numbered points and sentences after 。 each on a line."""
    text = re.sub(r"</p>\s*<p>", "\n", cell)
    text = re.sub(r"</?p>", "", text)
    # Paragraphs inside one cell were flattened to a single space: before "二、…" and after a full stop.
    text = re.sub(rf"\s+(?={CHINESE_NUMERAL}、)", "\n", text)
    text = re.sub(r"(?<=。)\s+", "\n", text)
    return "\n".join(squeeze_spaces(part) for part in text.split("\n") if part.strip())


@dataclass(frozen=True)
class StrategySection:
    numeral: str
    heading: str  # without the "一、" prefix
    points: tuple[str, ...]  # sub-points as the seed writes them, e.g. "（一）…" / "(一)…"

    def text(self) -> str:
        return "\n".join((f"{self.numeral}、{self.heading}", *self.points))

    def point_text(self, numeral: str) -> str:
        matching = [p for p in self.points if re.match(rf"[（(]{numeral}[）)]", p)]
        if len(matching) != 1:
            raise SeedFormatError(f"strategy {self.numeral} has no single sub-point ({numeral})")
        return f"{self.numeral}、{self.heading}\n{matching[0]}"


def _find_line(lines: list[str], text: str, source_file: str) -> int:
    """0-based index of the one line that reads `text` (whitespace ignored)."""
    found = [i for i, line in enumerate(lines) if squeeze_spaces(line) == text]
    if len(found) != 1:
        raise SeedFormatError(f"{source_file}: expected one line '{text}', found {len(found)}")
    return found[0]


def parse_strategies(lines: list[str], source_file: str) -> dict[str, StrategySection]:
    """The numbered sections of 年度施政目標及策略 in `lines` (the lines between that heading and the plan table)."""
    sections: dict[str, StrategySection] = {}
    current: tuple[str, str, list[str]] | None = None
    for raw in lines:
        line = squeeze_spaces(re.sub(r"^\s*-\s+", "", raw))  # 臺中 writes later sub-points as "- (二)…"
        if not line:
            continue
        heading = re.fullmatch(rf"({CHINESE_NUMERAL})、(.+)", line)
        if heading:
            if current:
                sections[current[0]] = StrategySection(current[0], current[1], tuple(current[2]))
            current = (heading[1], heading[2], [])
        elif current and re.match(rf"[（(]{CHINESE_NUMERAL}[）)]", line):
            current[2].append(line)
        else:
            raise SeedFormatError(f"{source_file}: unexpected line in the strategies: {line[:40]!r}")
    if current:
        sections[current[0]] = StrategySection(current[0], current[1], tuple(current[2]))
    if not sections or any(not s.points for s in sections.values()):
        raise SeedFormatError(f"{source_file}: every strategy section needs sub-points")
    return sections


def _check_count(items: list[PlanItem], expected: int, source_file: str) -> None:
    if len(items) != expected:
        raise SeedFormatError(f"{source_file}: expected {expected} plan items, parsed {len(items)}")
    duplicates = [name for name, n in Counter(item.name for item in items).items() if n > 1]
    if duplicates:
        raise SeedFormatError(f"{source_file}: duplicate plan item names {duplicates}")


# ---------------------------------------------------------------------------------------------------------------
# 勞動部
# ---------------------------------------------------------------------------------------------------------------


def parse_mol_plan(text: str, source_file: str = MOL_SEED) -> list[PlanItem]:
    lines = text.splitlines()
    strategies_at = _find_line(lines, "壹、年度施政目標及策略", source_file)
    table_at = _find_line(lines, "貳、年度重要計畫", source_file)
    strategies = parse_strategies(lines[strategies_at + 1 : table_at], source_file)
    missing = {n for numerals in MOL_WORK_PLAN_STRATEGIES.values() for n in numerals} - set(strategies)
    if missing:
        raise SeedFormatError(f"{source_file}: strategies {sorted(missing)} of the mapping table are missing")

    header = [line.strip() for line in lines[table_at + 1 : table_at + 5]]
    if header != ["工作計畫名稱", "重要計畫項目", "計畫類別", "實施內容"]:
        raise SeedFormatError(f"{source_file}: unexpected table header {header}")

    items: list[PlanItem] = []
    work_plan = ""
    for start, block in _blocks(lines, table_at + 5):
        if len(block) < 4 or not all(line.startswith("\t") for line in block[:4]):
            raise SeedFormatError(f"{source_file}:{start + 1}: a row needs 工作計畫名稱, 項目, 類別 and 實施內容 cells")
        work_plan = squeeze_spaces(block[0]) or work_plan
        if work_plan not in MOL_WORK_PLAN_STRATEGIES:
            raise SeedFormatError(f"{source_file}:{start + 1}: work plan {work_plan!r} is not in the mapping table")
        category = block[2].strip()
        if category not in MOL_CATEGORIES:
            raise SeedFormatError(f"{source_file}:{start + 3}: unknown 計畫類別 {category!r}")
        content = "\n".join(squeeze_spaces(line) for line in block[3:] if line.strip())
        items.append(
            PlanItem(
                id=f"mol-{len(items) + 1:02d}",
                agency=AGENCY_MOL,
                year=PLAN_YEAR,
                work_plan=work_plan,
                name=squeeze_spaces(block[1]),
                category=category,
                content=content,
                strategy="\n".join(strategies[n].text() for n in MOL_WORK_PLAN_STRATEGIES[work_plan]),
                source_file=source_file,
                source_line=start + 2,
            )
        )
    unused = set(MOL_WORK_PLAN_STRATEGIES) - {item.work_plan for item in items}
    if unused:
        raise SeedFormatError(f"{source_file}: work plans of the mapping table not in the seed: {sorted(unused)}")
    _check_count(items, EXPECTED_MOL_ITEMS, source_file)
    return items


def _blocks(lines: list[str], start: int) -> list[tuple[int, list[str]]]:
    """Runs of lines from `start` separated by blank lines, each with the 0-based index of its first line.

    A line holding only a tab is not blank: it is an empty 工作計畫名稱 cell (the previous work plan continues).
    """
    blocks: list[tuple[int, list[str]]] = []
    after_separator = True
    for index in range(start, len(lines)):
        line = lines[index]
        if "\t" not in line and not line.strip():
            after_separator = True
            continue
        if after_separator:
            blocks.append((index, []))
            after_separator = False
        blocks[-1][1].append(line)
    return blocks


# ---------------------------------------------------------------------------------------------------------------
# 臺中市政府勞工局
# ---------------------------------------------------------------------------------------------------------------

TAICHUNG_HEADER = ["工作計畫名稱", "重要計畫項目", "實施內容"]


@dataclass
class TableRow:
    """One row of the 臺中 table as the conversion wrote it: cells 工作計畫名稱, 重要計畫項目, 實施內容."""

    line: int  # 1-based
    cells: list[str]
    follows_page_break: bool  # the row right after a repeated table header

    @property
    def work_plan(self) -> str:
        return squeeze_spaces(self.cells[0])

    @property
    def name(self) -> str:
        return squeeze_spaces(self.cells[1])


def _table_rows(lines: list[str], first: int, source_file: str) -> list[TableRow]:
    rows: list[TableRow] = []
    after_header = False
    for index in range(first, len(lines)):
        line = lines[index]
        if not line.strip():
            continue
        cells = line.split("\t")
        if [c.strip() for c in cells] == TAICHUNG_HEADER:
            after_header = True
            continue
        if len(cells) != 3:
            raise SeedFormatError(f"{source_file}:{index + 1}: a table row needs 3 cells, found {len(cells)}")
        rows.append(TableRow(index + 1, cells, follows_page_break=after_header))
        after_header = False
    return rows


def _one_row(rows: list[TableRow], matches: Callable[[TableRow], bool], what: str) -> int:
    found = [i for i, row in enumerate(rows) if matches(row)]
    if len(found) != 1:
        raise SeedFormatError(f"臺中 fixup '{what}': expected exactly one matching row, found {len(found)}")
    return found[0]


def join_content_split_at_page_break(rows: list[TableRow], continuation_start: str) -> None:
    """A 實施內容 cell cut by a page break: its rest is a row with only that cell, right after the header.

    The cut falls inside a word ("…邀" / "請各校參加"), so the two halves join without a separator.
    """
    index = _one_row(
        rows,
        lambda r: r.follows_page_break and r.cells[0].strip() == r.cells[1].strip() == ""
        and r.cells[2].strip().startswith(continuation_start),
        f"content continues with {continuation_start}",
    )
    if index == 0 or not rows[index - 1].cells[2].strip():
        raise SeedFormatError(f"臺中 fixup: no content before the continuation '{continuation_start}'")
    previous = rows[index - 1]
    previous.cells[2] = previous.cells[2].rstrip() + rows[index].cells[2].strip()
    del rows[index]


def unshift_row_shifted_right(rows: list[TableRow], item_name: str) -> None:
    """A row shifted one column right: 工作計畫名稱 in the 項目 column, the item name in the 實施內容 column.

    Its 實施內容 is empty in the seed and stays empty: the next row's text belongs to the next item.
    """
    index = _one_row(
        rows, lambda r: squeeze_spaces(r.cells[2]) == item_name, f"{item_name} shifted right"
    )
    row = rows[index]
    if row.cells[0].strip() or not row.cells[1].strip():
        raise SeedFormatError(f"臺中 fixup: row of {item_name} is not shifted as expected: {row.cells}")
    row.cells = [row.cells[1], row.cells[2], ""]


def unshift_row_shifted_left(rows: list[TableRow], name_start: str, follows_item: str) -> None:
    """A row shifted one column left: the item name in the 工作計畫名稱 column, its content in the 項目 column.

    It must come right after the (already repaired) row of `follows_item`.
    """
    index = _one_row(
        rows, lambda r: squeeze_spaces(r.cells[0]).startswith(name_start), f"{name_start} shifted left"
    )
    row = rows[index]
    if index == 0 or rows[index - 1].name != follows_item:
        raise SeedFormatError(f"臺中 fixup: the row of {name_start} no longer follows {follows_item}")
    if row.cells[2].strip() or not row.cells[1].strip():
        raise SeedFormatError(f"臺中 fixup: row of {name_start} is not shifted as expected: {row.cells}")
    row.cells = ["", row.cells[0], row.cells[1]]


def join_name_split_at_page_break(rows: list[TableRow], name_end: str) -> None:
    """An item name cut by a page break ("…實施計" / "畫"): the next page's first row holds the rest of the name and
    the rest of the content."""
    index = _one_row(
        rows,
        lambda r: r.follows_page_break and not r.cells[0].strip() and r.name == name_end,
        f"name continues with {name_end}",
    )
    if index == 0 or not rows[index - 1].cells[1].strip() or not rows[index - 1].cells[2].strip():
        raise SeedFormatError(f"臺中 fixup: no item before the name continuation '{name_end}'")
    previous = rows[index - 1]
    previous.cells[1] = previous.cells[1].rstrip() + name_end
    previous.cells[2] = previous.cells[2].rstrip() + rows[index].cells[2].strip()
    del rows[index]


def join_work_plan_split_at_page_break(rows: list[TableRow], continuation_start: str) -> None:
    """A 工作計畫名稱 cut by a page break ("利用社群媒體工具，主動提" / "供整合性勞動 訊息，…"): the rest is a row with
    only that cell, and it continues the work plan named in the row just before it."""
    index = _one_row(
        rows,
        lambda r: r.follows_page_break and r.work_plan.startswith(continuation_start)
        and not r.cells[1].strip() and not r.cells[2].strip(),
        f"work plan continues with {continuation_start}",
    )
    if index == 0 or not rows[index - 1].cells[0].strip():
        raise SeedFormatError(f"臺中 fixup: no work plan just before the continuation '{continuation_start}'")
    owner = rows[index - 1]
    owner.cells[0] = owner.cells[0].rstrip() + rows[index].cells[0].strip()
    del rows[index]


def repair_taichung_table(rows: list[TableRow]) -> None:
    """Every break the page layout made in the 臺中 table, in document order; each raises if not found as expected."""
    # 結合學校就業資源推展青年就創業務: "…辦理座談會，邀" / "請各校參加…"
    join_content_split_at_page_break(rows, "請各校參加")
    # 協助事業單位申請補助衝剪機械: "…如中小企業" / "曾因衝剪機械未符合安全標準…"
    join_content_split_at_page_break(rows, "曾因衝剪機械")
    # Under 整合產官學界資源，促進職場安全衛生文化 the first item's row is shifted right (no content of its own) and the
    # next two rows are shifted left.
    unshift_row_shifted_right(rows, TAICHUNG_SME_ITEM)
    unshift_row_shifted_left(rows, "推動製造業、營造業及綜合行業", follows_item=TAICHUNG_SME_ITEM)
    unshift_row_shifted_left(
        rows, "臺中市所屬工業區職業安全衛生促進會", follows_item=TAICHUNG_SHIFTED_LEFT_MEETING_ITEM
    )
    # 臺中市所屬工業區職業安全衛生促進會推動工作實施計 / 畫, content "…成員大會" / "暨職業安全衛生法規…"
    join_name_split_at_page_break(rows, "畫")
    # 利用社群媒體工具，主動提 / 供整合性勞動訊息，維護勞工權益
    join_work_plan_split_at_page_break(rows, "供整合性勞動")


def parse_taichung_plan(text: str, source_file: str = TAICHUNG_SEED) -> list[PlanItem]:
    lines = text.splitlines()
    stated = re.search(r"共計有\s*(\d+)\s*項重要推動計畫", text)
    if not stated or int(stated[1]) != EXPECTED_TAICHUNG_ITEMS:
        raise SeedFormatError(f"{source_file}: the preface no longer states {EXPECTED_TAICHUNG_ITEMS} items")
    strategies_at = _find_line(lines, "貳、年度施政目標及策略", source_file)
    table_at = _find_line(lines, "參、年度重要計畫", source_file)
    strategies = parse_strategies(lines[strategies_at + 1 : table_at], source_file)
    by_heading = {section.heading: section for section in strategies.values()}

    rows = _table_rows(lines, table_at + 1, source_file)
    repair_taichung_table(rows)

    items: list[PlanItem] = []
    work_plan = ""
    for row in rows:
        work_plan = row.work_plan or work_plan
        name = row.name
        content = clean_cell_text(row.cells[2])
        if not work_plan or not name:
            raise SeedFormatError(f"{source_file}:{row.line}: row without 工作計畫名稱 or 重要計畫項目: {row.cells}")
        if work_plan not in by_heading:
            raise SeedFormatError(f"{source_file}:{row.line}: work plan {work_plan!r} matches no strategy heading")
        if name in TAICHUNG_STRATEGY_OVERRIDES:
            numeral, point = TAICHUNG_STRATEGY_OVERRIDES[name]
            strategy = strategies[numeral].point_text(point)
        else:
            strategy = by_heading[work_plan].text()
        if not content and name in TAICHUNG_CONTENT_FROM_STRATEGY:
            content = re.sub(r"^[（(][一二三四五六七八九十]+[）)]", "", strategy.splitlines()[-1])
        if not content:
            raise SeedFormatError(f"{source_file}:{row.line}: {name} has no 實施內容")
        items.append(
            PlanItem(
                id=f"tc-{len(items) + 1:02d}",
                agency=AGENCY_TAICHUNG,
                year=PLAN_YEAR,
                work_plan=work_plan,
                name=name,
                category=None,
                content=content,
                strategy=strategy,
                source_file=source_file,
                source_line=row.line,
            )
        )
    work_plans = list(dict.fromkeys(item.work_plan for item in items))
    if work_plans != [section.heading for section in strategies.values()]:
        raise SeedFormatError(f"{source_file}: work plans {work_plans} do not follow the strategy headings in order")
    _check_count(items, EXPECTED_TAICHUNG_ITEMS, source_file)
    return items


# ---------------------------------------------------------------------------------------------------------------
# Import and write
# ---------------------------------------------------------------------------------------------------------------


def import_seeds(seeds_dir: Path) -> list[PlanItem]:
    """Every plan item of both seeds, 勞動部 first, each in document order."""
    mol = parse_mol_plan((seeds_dir / MOL_SEED).read_text(encoding="utf-8"), MOL_SEED)
    taichung = parse_taichung_plan((seeds_dir / TAICHUNG_SEED).read_text(encoding="utf-8"), TAICHUNG_SEED)
    # Services refer to plan items by name, so a name must point at one item across both plans.
    shared = {item.name for item in mol} & {item.name for item in taichung}
    if shared:
        raise SeedFormatError(f"plan item names in both seeds: {sorted(shared)}")
    return [*mol, *taichung]


def render_plan_items(items: list[PlanItem]) -> str:
    # citizen_answer is curated in plan_item_answers.yaml and merged by the loader, not imported from the seeds.
    records = [item.model_dump(mode="json", exclude={"citizen_answer"}) for item in items]
    return json.dumps(records, ensure_ascii=False, indent=2) + "\n"


def write_plan_items(items: list[PlanItem], knowledge_dir: Path) -> Path:
    """Write `plan_items.json` atomically (the server polls the knowledge directory and must never read half a file)."""
    knowledge_dir.mkdir(parents=True, exist_ok=True)
    path = knowledge_dir / PLAN_ITEMS_FILE
    fd, tmp = tempfile.mkstemp(dir=knowledge_dir, prefix=f".{PLAN_ITEMS_FILE}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(render_plan_items(items))
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def run_import(seeds_dir: Path, knowledge_dir: Path) -> dict[str, int]:
    """Import both seeds into `knowledge_dir`; returns the number of plan items per agency."""
    items = import_seeds(seeds_dir)
    write_plan_items(items, knowledge_dir)
    return dict(Counter(item.agency for item in items))


def main(argv: list[str] | None = None) -> int:
    """Command line: import the seeds and print how many plan items each agency has."""
    settings = get_settings()
    parser = argparse.ArgumentParser(description="Import the plan items of the seed plans into knowledge/.")
    parser.add_argument("--seeds-dir", type=Path, default=settings.seeds_dir)
    parser.add_argument("--knowledge-dir", type=Path, default=settings.knowledge_dir)
    args = parser.parse_args(argv)
    counts = run_import(args.seeds_dir, args.knowledge_dir)
    for agency, count in counts.items():
        print(f"{agency}: {count} plan items")
    print(f"wrote {args.knowledge_dir / PLAN_ITEMS_FILE}")
    return 0
