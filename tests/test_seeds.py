"""The seed importer against the real seed plans in ../shared/seeds."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from app.knowledge.schemas import AGENCY_MOL, AGENCY_TAICHUNG, PlanItem
from app.knowledge.seeds import (
    MOL_SEED,
    MOL_WORK_PLAN_STRATEGIES,
    PLAN_ITEMS_FILE,
    TAICHUNG_SEED,
    SeedFormatError,
    import_seeds,
    main,
    parse_mol_plan,
    parse_taichung_plan,
    render_plan_items,
    squeeze_spaces,
    write_plan_items,
)

REPO_ROOT = Path(__file__).resolve().parents[1]
SEEDS_DIR = REPO_ROOT.parent / "shared" / "seeds"

MOL_NAMES = [
    "加強勞動政策推展，健全政策發展與溝通",
    "落實施政管制與促進研究發展，提升施政效能",
    "強化勞動力政策評估，健全勞動市場機制",
    "推動國際勞動事務參與及合作，提升我國勞動事務國際能見度",
    "營造勞工有利結社環境",
    "提升國民勞動權觀念",
    "增進訴訟外爭議處理機制",
    "加強派遣勞工權益保障，明確勞動契約規範",
    "落實勞動基準法，保障勞工法定權益",
    "推動合理工資制度，檢討母性保護規定",
    "健全合理工時制度，檢討工時相關規定",
    "促進職場平權，落實就業平等",
    "健全勞工保險制度，改善勞工保險財務",
    "健全職業災害保障制度，增進職災勞工權益",
    "完備就業保險制度，提升促進就業功能",
    "強化勞工保險及就業保險業務監理功能",
    "推動雇主設置哺（集）乳室與托兒設施措施",
    "支持推動企業工作與生活平衡措施，營造友善職場",
    "強化勞工退休金制度，落實勞工退休準備金提撥",
    "落實勞動基金投資運用之監理效能",
    "辦理勞動法規審議、勞動法令適用疑義研議及國家賠償業務處理，健全勞動法制並落實依法行政",
    "辦理勞動訴願案件之審議、研究及改進，強化訴願功能",
    "強化勞工保險爭議審議機制，增進勞工救濟權益",
    "落實執行勞（就）保及其他受任業務，提升服務品質及效能",
    "推動勞工保險局「電腦主機系統採購暨應用系統移轉計畫」，保障被保險人權益",
    "辦理「勞動保障暨年金服務躍升計畫」，確保業務運作順利，保障民眾權益",
    "推動多元培訓，強化技能，提升勞動素質",
    "增進就業服務效能",
    "協助青年職涯發展與適性就業",
    "強化中高齡就業法制與服務",
    "加強身心障礙者及特定對象個別化就業服務",
    "推動職能基準發展並策進產業多元應用",
    "鼓勵創新創業創造在地就業機會",
    "擘建基金最適配置，增加另類投資部位，兼顧基金報酬與風險",
    "靈活自營投資策略，獲取長期穩健收益",
    "加強職場防災分級管理及勞動監督檢查效能",
    "強化職業衛生及勞工健康服務",
    "建構安全衛生智能發展及智慧化產業管理機制",
    "提升職場安全及友善勞動環境",
    "健全職業傷病防治與重建服務網絡",
    "強化勞動市場研究，提供優化職場的勞動政策建議，持續強化勞動關係研究，建立優質勞動環境，提升勞動條件",
    "開發職場安全工程改善及管理技術，掌握職業衛生問題與開發控制技術，有害物風險評估與職場勞工健康管理，研發成果推廣與展示",
    "物聯網技術應用於職業安全衛生之創新研究",
]

TC_YOUTH_CAMPUS = "與本市大專院校推動青年就創業"
TC_EMPLOYMENT = "強化就(創)業協助網絡，提升就業競爭力"
TC_LABOUR_STANDARDS = "落實勞動基準法規定，保障勞工權益"
TC_RISK = "實施風險分級管理，提升產業安全衛生水準"
TC_SAFETY_CULTURE = "整合產官學界資源，促進職場安全衛生文化"
TC_UNIONS = "輔導工會多元參與，促進勞資和諧，建構友善職場環境"
TC_DISABILITY = "促進身心障礙者就業服務"
TC_MIGRANT = "完善移工安全保護機制"
TC_SOCIAL_MEDIA = "利用社群媒體工具，主動提供整合性勞動訊息，維護勞工權益"

# (重要計畫項目, 工作計畫名稱) in document order.
TAICHUNG_ITEMS = [
    ("結合學校就業資源推展青年就創業務", TC_YOUTH_CAMPUS),
    ("提供青年創業一站式服務並補助辦理大學社團青年市集", TC_YOUTH_CAMPUS),
    ("成立青年事務諮詢委員會（青年發展組），討論青年就創業議題", TC_YOUTH_CAMPUS),
    ("辦理創新前瞻青年菁英領袖營", TC_YOUTH_CAMPUS),
    ("辦理青年職場體驗活動及提供暑期工讀機會", TC_YOUTH_CAMPUS),
    ("體驗百業活動", TC_EMPLOYMENT),
    ("青年即時就業穩定計畫", TC_EMPLOYMENT),
    ("青年就業金安薪方案", TC_EMPLOYMENT),
    ("一站式就業服務方案", TC_EMPLOYMENT),
    ("特定對象個案管理站", TC_EMPLOYMENT),
    ("結合產業需求，規劃勞工大學課程，提供勞工進修管道", TC_EMPLOYMENT),
    ("督促事業單位遵守勞動條件法令計畫", TC_LABOUR_STANDARDS),
    ("勞工退休準備金按月提撥查核作業計畫", TC_LABOUR_STANDARDS),
    ("勞工權益基金補助計畫", TC_LABOUR_STANDARDS),
    ("推動109年政府機關協力構築臺中市職場安全及健康精進計畫", TC_RISK),
    ("協助事業單位申請補助衝剪機械", TC_RISK),
    ("辦理臺中市金安心工程認證計畫", TC_RISK),
    ("危險性機械及設備職業災害預防宣導、源頭管理及健康促進臨廠診斷輔導計畫", TC_RISK),
    ("結合職業工會辦理安全衛生宣導、觀摩、交流體驗活動及工安週", TC_RISK),
    ("推動中小企業工作環境輔導改善計畫", TC_SAFETY_CULTURE),
    ("推動製造業、營造業及綜合行業等各一場勞動行政業務與董事長有約座談會", TC_SAFETY_CULTURE),
    ("臺中市所屬工業區職業安全衛生促進會推動工作實施計畫", TC_SAFETY_CULTURE),
    ("辦理工會幹部訓練、提升會務e化作業，建立社會對話機制", TC_UNIONS),
    ("工會評鑑暨財務管理輔導計畫", TC_UNIONS),
    ("志願服務創新方案", TC_UNIONS),
    ("擴大勞資爭議在地調解機制", TC_UNIONS),
    ("補助工會辦理勞工休閒活動", TC_UNIONS),
    ("勞資趣味競賽計畫", TC_UNIONS),
    ("推動友善職場計畫", TC_UNIONS),
    ("身心障礙者職業重建服務計畫", TC_DISABILITY),
    ("視障者就業服務計畫", TC_DISABILITY),
    ("身心障礙者定額進用計畫", TC_DISABILITY),
    ("落實執行外籍移工管理業務", TC_MIGRANT),
    ("移工中文課程與到宅指導照顧技巧", TC_MIGRANT),
    ("推動移工安全保護機制", TC_MIGRANT),
    ("強化本局社群媒體影響力", TC_SOCIAL_MEDIA),
    ("持續依民眾需求調整官網架構", TC_SOCIAL_MEDIA),
    ("以資訊系統提升服務效率與品質", TC_SOCIAL_MEDIA),
]

SME_ITEM = "推動中小企業工作環境輔導改善計畫"
MEETING_ITEM = "推動製造業、營造業及綜合行業等各一場勞動行政業務與董事長有約座談會"
INDUSTRIAL_PARK_ITEM = "臺中市所屬工業區職業安全衛生促進會推動工作實施計畫"


@pytest.fixture(scope="module")
def items() -> list[PlanItem]:
    return import_seeds(SEEDS_DIR)


@pytest.fixture(scope="module")
def by_name(items: list[PlanItem]) -> dict[str, PlanItem]:
    return {item.name: item for item in items}


def mol(items: list[PlanItem]) -> list[PlanItem]:
    return [item for item in items if item.agency == AGENCY_MOL]


def taichung(items: list[PlanItem]) -> list[PlanItem]:
    return [item for item in items if item.agency == AGENCY_TAICHUNG]


def seed_text(name: str) -> str:
    return (SEEDS_DIR / name).read_text(encoding="utf-8")


# --- counts, names, ids ---------------------------------------------------------------------------------------


def test_counts_per_agency(items: list[PlanItem]) -> None:
    assert len(mol(items)) == 43
    assert len(taichung(items)) == 38
    assert len(items) == 81


def test_mol_names_exactly_in_document_order(items: list[PlanItem]) -> None:
    assert [item.name for item in mol(items)] == MOL_NAMES


def test_taichung_names_and_work_plans_exactly_in_document_order(items: list[PlanItem]) -> None:
    assert [(item.name, item.work_plan) for item in taichung(items)] == TAICHUNG_ITEMS


def test_ids_follow_document_order_and_agencies_come_in_order(items: list[PlanItem]) -> None:
    expected = [f"mol-{n:02d}" for n in range(1, 44)] + [f"tc-{n:02d}" for n in range(1, 39)]
    assert [item.id for item in items] == expected
    assert {item.agency for item in mol(items)} == {AGENCY_MOL}
    assert {item.year for item in items} == {2020}


def test_names_unique_across_both_plans(items: list[PlanItem]) -> None:
    assert len({item.name for item in items}) == len(items)


@pytest.mark.parametrize(
    ("raw", "joined"),
    [
        ("推動 109 年政府機關協力構築", "推動109年政府機關協力構築"),
        ("辦理臺中市金 安心工程認證 計畫", "辦理臺中市金安心工程認證計畫"),
        ("提升會務 e 化作業", "提升會務e化作業"),
        ("新臺幣 15 萬元", "新臺幣15萬元"),
        ("APEC WTO\n ILO", "APEC WTO ILO"),
        ("  臺中市所屬工 業區\t", "臺中市所屬工業區"),
    ],
)
def test_squeeze_spaces_keeps_a_space_only_between_ascii_letters_or_digits(raw: str, joined: str) -> None:
    assert squeeze_spaces(raw) == joined


def test_no_conversion_whitespace_left_in_names_or_work_plans(items: list[PlanItem]) -> None:
    for item in items:
        for text in (item.name, item.work_plan):
            assert squeeze_spaces(text) == text, item.id


def test_source_line_points_at_the_item_name(items: list[PlanItem]) -> None:
    lines = {name: seed_text(name).splitlines() for name in (MOL_SEED, TAICHUNG_SEED)}
    for item in items:
        line = squeeze_spaces(lines[item.source_file][item.source_line - 1])
        assert item.name[:6] in line, (item.id, line)


# --- categories, content, strategy ----------------------------------------------------------------------------


def test_categories(items: list[PlanItem]) -> None:
    research = {"mol-41", "mol-42", "mol-43"}
    for item in mol(items):
        assert item.category == ("科技發展" if item.id in research else "社會發展"), item.id
    assert {item.category for item in taichung(items)} == {None}


def test_content_is_clean_text(items: list[PlanItem]) -> None:
    for item in items:
        assert "<p>" not in item.content and "</p>" not in item.content, item.id
        assert "\t" not in item.content, item.id
        for line in item.content.splitlines():
            assert line and squeeze_spaces(line) == line, (item.id, line)


def test_every_item_has_content(items: list[PlanItem]) -> None:
    assert [item.name for item in items if not item.content] == []



def test_mol_content_keeps_numbered_points_on_their_own_lines(by_name: dict[str, PlanItem]) -> None:
    item = by_name["加強職場防災分級管理及勞動監督檢查效能"]
    lines = item.content.splitlines()
    assert len(lines) == 12
    assert lines[0].startswith("一、研修職業安全衛生")
    assert lines[-1] == "十二、健全危險性機械設備檢查資訊管理系統功能。"


def test_taichung_paragraphs_split_at_p_tags_and_numbered_points(by_name: dict[str, PlanItem]) -> None:
    market = by_name["提供青年創業一站式服務並補助辦理大學社團青年市集"].content.splitlines()
    assert [line[:2] for line in market] == ["一、", "二、"]
    visits = by_name["督促事業單位遵守勞動條件法令計畫"].content.splitlines()
    assert visits == ["一、持續辦理宣導說明會提升法令認知。", "二、專人進行臨場訪視確認企業法遵程度。",
                      "三、擴大專案檢查對象杜絕少數不肖企業脫法行為。"]


def test_press_machine_subsidy_amount_is_normalised_without_spaces(by_name: dict[str, PlanItem]) -> None:
    content = by_name["協助事業單位申請補助衝剪機械"].content
    assert "同一事業同一年度補助上限為新臺幣15萬元" in content
    assert "15 萬元" not in content


def test_gold_safety_certification_has_its_four_levels(by_name: dict[str, PlanItem]) -> None:
    content = by_name["辦理臺中市金安心工程認證計畫"].content
    for level in ("「基礎級」", "「成長級」", "「進階級」", "「金安心優勝級」"):
        assert level in content
    assert "等4層" in content


def test_every_item_has_strategy_text(items: list[PlanItem]) -> None:
    for item in items:
        assert item.strategy.strip(), item.id
        assert re.match(r"[一二三四五六七八九]、", item.strategy), item.id


def test_taichung_strategy_is_the_section_headed_by_the_work_plan(items: list[PlanItem]) -> None:
    for item in taichung(items):
        if item.name == SME_ITEM:
            continue
        heading, *points = item.strategy.splitlines()
        assert re.fullmatch(rf"[一二三四五六七八九]、{re.escape(item.work_plan)}", heading), item.id
        assert points and all(re.match(r"\([一二三四五六七八九]\)", p) for p in points), item.id
    social = next(item for item in taichung(items) if item.work_plan == TC_SOCIAL_MEDIA)
    assert social.strategy.splitlines()[1].startswith("(一)以各種社群媒體工具揭露本局相關訊息")


def test_mol_mapping_table_covers_exactly_the_work_plans_of_the_seed(items: list[PlanItem]) -> None:
    assert list(dict.fromkeys(item.work_plan for item in mol(items))) == list(MOL_WORK_PLAN_STRATEGIES)


@pytest.mark.parametrize(
    ("name", "headings"),
    [
        ("加強職場防災分級管理及勞動監督檢查效能", ["四、提升我國職業安全衛生水準，健全職業災害保險制度"]),
        ("營造勞工有利結社環境", ["三、推動公平的集體勞資關係，強化勞動基準之建立"]),
        (
            "促進職場平權，落實就業平等",
            ["三、推動公平的集體勞資關係，強化勞動基準之建立", "六、鼓勵企業推動友善職場設（措）施，促進職場工作平等"],
        ),
        ("擘建基金最適配置，增加另類投資部位，兼顧基金報酬與風險", ["五、完善退休金制度，強化勞動債權保障"]),
        (
            "協助青年職涯發展與適性就業",
            ["一、推辦職訓多元管道，推廣職能基準之產業運用", "二、強化就業服務網絡，協助民眾適性就業"],
        ),
    ],
)
def test_mol_strategy_follows_the_mapping_table(by_name: dict[str, PlanItem], name: str, headings: list[str]) -> None:
    strategy = by_name[name].strategy
    found = [line for line in strategy.splitlines() if re.match(r"[一二三四五六七八]、", line)]
    assert found == headings
    assert "（一）" in strategy


# --- the 臺中 table's page-layout breaks, one by one -------------------------------------------------------------


def test_content_cell_split_across_pages_is_joined(by_name: dict[str, PlanItem]) -> None:
    campus = by_name["結合學校就業資源推展青年就創業務"].content
    assert "辦理座談會，邀請各校參加，以增進彼此交流合作" in campus
    press = by_name["協助事業單位申請補助衝剪機械"].content
    assert "如中小企業曾因衝剪機械未符合安全標準" in press
    assert press.endswith("改善工作環境。")


def test_work_plan_name_scattered_across_rows_is_joined(items: list[PlanItem]) -> None:
    social = [item for item in taichung(items) if item.work_plan == TC_SOCIAL_MEDIA]
    assert [item.name for item in social] == ["強化本局社群媒體影響力", "持續依民眾需求調整官網架構", "以資訊系統提升服務效率與品質"]
    assert not any(item.work_plan.startswith("供整合性") for item in items)


def test_sme_item_carries_the_strategy_sentence_that_describes_it_and_no_other_items_content(
    items: list[PlanItem], by_name: dict[str, PlanItem]
) -> None:
    sme = by_name[SME_ITEM]
    assert sme.work_plan == TC_SAFETY_CULTURE
    # Its row has no 實施內容 cell; its only description is strategy 四(二), which names it.
    assert sme.content == ("推動中小企業工作環境輔導改善，提供教育訓練、參訪、輔導、諮詢及觀摩等協助，並透過安衛家族、促進會及"
                           "大廠帶小廠等服務資源，提升其安全衛生管理水準。")
    assert sme.strategy.splitlines() == [
        "四、實施風險分級管理，提升產業安全衛生水準",
        "(二)推動中小企業工作環境輔導改善，提供教育訓練、參訪、輔導、諮詢及觀摩等協助，並透過安衛家族、促進會及大廠帶小廠等服務資源，提升其安全衛生管理水準。",
    ]
    others = {item.content for item in items if item.name != SME_ITEM}
    assert sme.content not in others


def test_rows_shifted_left_get_their_own_name_and_content(by_name: dict[str, PlanItem]) -> None:
    meeting = by_name[MEETING_ITEM]
    assert meeting.work_plan == TC_SAFETY_CULTURE
    assert meeting.content.startswith("經營者在推動勞動行政工作上扮演極重要角色")
    assert meeting.content.endswith("共同構築本市安全、健康及友善之職場環境。")
    assert meeting.source_line == 115

    park = by_name[INDUSTRIAL_PARK_ITEM]
    assert park.work_plan == TC_SAFETY_CULTURE
    assert park.content.startswith("對於本市已成立安全衛生促進會之10大工業區")
    # The name's last character and the content's end sit on the next page.
    assert "安促會成員大會暨職業安全衛生法規與防災資訊說明會" in park.content
    assert park.content.endswith("基層幹部訓練課程。")
    assert park.source_line == 116


def test_item_names_written_in_narrow_cells_are_joined(by_name: dict[str, PlanItem]) -> None:
    assert by_name["辦理臺中市金安心工程認證計畫"].source_line == 111
    assert by_name["危險性機械及設備職業災害預防宣導、源頭管理及健康促進臨廠診斷輔導計畫"].work_plan == TC_RISK
    assert by_name["結合職業工會辦理安全衛生宣導、觀摩、交流體驗活動及工安週"].work_plan == TC_RISK


# --- failing loudly -------------------------------------------------------------------------------------------


def without_line(text: str, marker: str) -> str:
    lines = text.splitlines(keepends=True)
    matching = [i for i, line in enumerate(lines) if marker in line]
    assert len(matching) == 1, marker
    del lines[matching[0]]
    return "".join(lines)


@pytest.mark.parametrize(
    ("marker", "error"),
    [
        ("\t補助工會辦理勞工休閒活動\t", "expected 38 plan items, parsed 37"),  # an ordinary row
        ("\t視障者就業服務計畫\t", "expected 38 plan items, parsed 37"),
        ("推動中小企業 工作環境輔導", "shifted right"),  # the shifted-right row a fixup expects
        ("推動製造業、 營造業", "shifted left"),  # a shifted-left row
    ],
)
def test_taichung_seed_with_an_item_removed_raises(marker: str, error: str) -> None:
    with pytest.raises(SeedFormatError, match=error):
        parse_taichung_plan(without_line(seed_text(TAICHUNG_SEED), marker))


def test_mol_seed_with_an_item_removed_raises() -> None:
    text = seed_text(MOL_SEED)
    block = "\t\n\t增進就業服務效能\n\t社會發展\n"
    assert block in text
    start = text.index(block)
    end = text.index("\n\n", start) + 1
    with pytest.raises(SeedFormatError, match="expected 43 plan items, parsed 42"):
        parse_mol_plan(text[:start] + text[end + 1 :])


def test_mol_seed_with_an_unknown_category_raises() -> None:
    original = seed_text(MOL_SEED)
    text = original.replace("\t科技發展\n\t辦理優質物聯網", "\t其他\n\t辦理優質物聯網")
    assert text != original
    with pytest.raises(SeedFormatError, match="計畫類別"):
        parse_mol_plan(text)


def test_taichung_seed_with_an_unrepaired_split_raises() -> None:
    # Another cell cut by a page break that no fixup knows must not be glued silently to a neighbour.
    original = seed_text(TAICHUNG_SEED)
    text = original.replace(
        "\t勞資趣味競賽計畫\t辦理勞資趣味競賽活動，透過運動休閒促進勞工身體健康。",
        "\t勞資趣味競賽計畫\t辦理勞資趣味競賽活動，\n\n工作計畫名稱\t重要計畫項目\t實施內容\n\t\t透過運動休閒促進勞工身體健康。",
    )
    assert text != original
    with pytest.raises(SeedFormatError, match="row without"):
        parse_taichung_plan(text)


# --- writing ----------------------------------------------------------------------------------------------------


def test_writing_twice_gives_identical_bytes(items: list[PlanItem], tmp_path: Path) -> None:
    path = write_plan_items(items, tmp_path)
    first = path.read_bytes()
    write_plan_items(import_seeds(SEEDS_DIR), tmp_path)
    assert path.read_bytes() == first
    assert first.decode("utf-8").startswith('[\n  {\n    "id": "mol-01",')
    assert "勞動部" in first.decode("utf-8")  # not \\u-escaped
    assert [p.name for p in tmp_path.iterdir()] == [PLAN_ITEMS_FILE]


def test_committed_plan_items_equal_a_fresh_import(items: list[PlanItem]) -> None:
    committed = (REPO_ROOT / "knowledge" / PLAN_ITEMS_FILE).read_text(encoding="utf-8")
    assert committed == render_plan_items(items), "re-run scripts/import_seeds.py and commit knowledge/plan_items.json"


def test_command_line_writes_the_file_and_prints_counts(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--seeds-dir", str(SEEDS_DIR), "--knowledge-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "勞動部: 43" in out
    assert "臺中市政府勞工局: 38" in out
    assert (tmp_path / PLAN_ITEMS_FILE).read_text(encoding="utf-8") == (
        REPO_ROOT / "knowledge" / PLAN_ITEMS_FILE
    ).read_text(encoding="utf-8")
