"""Ledgers laid out the way Chinese offices keep them, written by XlsxWriter (never by openpyxl,
which the importer reads with): merged problem cells, an instructions sheet first, section
titles, sub-headings, footers, hidden columns, formulas with their values, padded used ranges,
and the three lists."""

import datetime
import io

import xlsxwriter

INSTRUCTIONS = ["填报说明", "1. 每个问题一行或多行措施，问题单元格可合并。", "2. 整改时限写到月或日。"]


def _book(buffer_or_path=None, **options):
    target = buffer_or_path if buffer_or_path is not None else io.BytesIO()
    book = xlsxwriter.Workbook(target, {"in_memory": True, **options})
    return target, book


def _done(target, book):
    book.close()
    return target.getvalue() if isinstance(target, io.BytesIO) else target


def merged_ledger(instructions_first=True):
    """The commonest layout: a title merged across, 整改时限 over 计划完成时间 / 实际完成时间,
    one problem over three measure rows (序号, 问题类别, 存在问题, 责任领导 merged down),
    names written with blanks, deadlines as people write them, footers and a 说明 line."""
    target, book = _book()
    if instructions_first:
        notes = book.add_worksheet("填报说明")
        for number, line in enumerate(INSTRUCTIONS):
            notes.write(number, 0, line)
    sheet = book.add_worksheet("整改台账")
    wrap = book.add_format({"border": 1, "text_wrap": True, "valign": "vcenter"})
    dated = book.add_format({"border": 1, "num_format": "yyyy/m/d"})
    sheet.merge_range("A1:I1", "机运党支部专题民主生活会问题整改台账", wrap)
    for column, heading in enumerate(
        ["序号", "问题类别", "存在问题", "整改措施（具体举措）", "责任领导", "牵头单位", "责任人（签字）"]
    ):
        sheet.merge_range(1, column, 2, column, heading, wrap)
    sheet.merge_range("H2:I2", "整改时限", wrap)
    sheet.write("H3", "计划完成时间", wrap)
    sheet.write("I3", "实际完成时间", wrap)
    # Rows 4 to 6: one problem, three measures.
    sheet.merge_range("A4:A6", 1, wrap)
    sheet.merge_range("B4:B6", "安全", wrap)
    sheet.merge_range("C4:C6", "班前会安全讲评流于形式", wrap)
    sheet.merge_range("E4:E6", "赵志刚", wrap)
    measures = ["修订班前会制度", "每周抽查班前会记录", "开展安全讲评培训"]
    owners = ["王  强", "王　强\n", "王强、杨帆"]
    deadlines = ["2026年12月底", "2027年6月底前", datetime.datetime(2026, 11, 30)]
    for offset, (measure, owner, deadline) in enumerate(zip(measures, owners, deadlines, strict=True)):
        row = 3 + offset
        sheet.write(row, 3, measure, wrap)
        sheet.write(row, 5, "机运工区", wrap)
        sheet.write(row, 6, owner, wrap)
        if isinstance(deadline, datetime.datetime):
            sheet.write_datetime(row, 7, deadline, dated)
        else:
            sheet.write(row, 7, deadline, wrap)
    sheet.write_datetime("I6", datetime.datetime(2026, 11, 20), dated)
    # Row 7: a second problem; 2026.12 typed so that Excel keeps a number.
    sheet.write_row(
        "A7", [2, "作风", "调查研究不深入", "每季度到班组蹲点调研", " 赵志刚 ", "机运工区", " 杨帆 "], wrap
    )
    sheet.write_number("H7", 2026.12, wrap)
    # Footers in separate cells, then a 说明 line merged across.
    sheet.write("A9", "填表人：李明")
    sheet.write("D9", "审核人：张建国")
    sheet.write("G9", "填报日期：2026年11月24日")
    sheet.merge_range("A10:I10", "说明：整改时限以党委批复为准。", wrap)
    return _done(target, book)


def sectioned_ledger():
    """No category column: section titles merged across the table file the rows below them."""
    target, book = _book()
    sheet = book.add_worksheet("台账")
    sheet.write_row("A1", ["序号", "存在问题", "整改措施", "责任人", "完成时限："])
    sheet.merge_range("A2:E2", "一、安全生产方面")
    sheet.write_row("A3", [1, "隐患排查不彻底", "建立隐患台账", "王强", "2026年11月30日前"])
    sheet.merge_range("A4:E4", "二、思想政治方面")
    sheet.write_row("A5", [2, "理论学习不系统", "制定学习计划", "杨帆", "2026.12.31前"])
    sheet.write_row("A6", [3, "学用结合不紧", "开展专题研讨", "杨帆", "2027年3月31日之前"])
    return _done(target, book)


def extended_ledger():
    """After an extension: the original 整改时限 hidden, 延期后整改时限 visible; states and
    progress as written, 整改状态 computed by a formula (its value kept by the writer)."""
    target, book = _book()
    sheet = book.add_worksheet("台账")
    percent = book.add_format({"num_format": "0%"})
    sheet.write_row(
        "A1",
        [
            "序号",
            "问题描述",
            "整改措施",
            "责任人",
            "整改时限",
            "延期后整改时限",
            "完成进度",
            "整改状态",
            "整改目标",
            "备注",
            "协办人",
        ],
    )
    sheet.set_column("E:E", None, None, {"hidden": True})
    rows = [
        (
            "设备巡检漏项",
            "修订巡检表",
            "2026-10-31",
            "20261231",
            0.5,
            '=IF(G2>=1,"已完成","整改中")',
            "整改中",
        ),
        ("交接班不规范", "推行交接班清单", "2026-09-30", "2027.3", "60%", None, "正在整改"),
        ("台账更新滞后", "每月更新台账", "2026-08-31", "2026-12-31", 30, None, "待整改"),
        ("防护罩缺失", "更换防护罩", "2026-07-31", "2026-11-15", 1, '=IF(G5>=1,"已完成","整改中")', "已完成"),
    ]
    for offset, (description, measure, original, extended, progress, formula, state) in enumerate(rows):
        row = 1 + offset
        sheet.write_row(row, 0, [offset + 1, description, measure, "王强", original])
        if extended == "20261231":
            sheet.write_number(row, 5, 20261231)
        else:
            sheet.write(row, 5, extended)
        if isinstance(progress, float) or progress == 1:
            sheet.write_number(row, 6, progress, percent)
        else:
            sheet.write(row, 6, progress)
        if formula:
            sheet.write_formula(row, 7, formula, None, state)
        else:
            sheet.write(row, 7, state)
    sheet.write("I2", "巡检表覆盖全部设备")
    sheet.write("J3", "已延期一次")
    sheet.write("K2", "杨帆")
    return _done(target, book)


def dated_ledger(deadlines, owners=None, raised=None):
    """One row per deadline, each written as given (text, number or date); `raised` gives a
    提出日期 column (dates written as date cells)."""
    owners = owners or ["王强"] * len(deadlines)
    target, book = _book()
    sheet = book.add_worksheet("台账")
    dated = book.add_format({"num_format": 'yyyy"年"m"月"d"日"'})
    sheet.write_row("A1", ["存在问题", "整改措施", "责任人", "整改时限"] + (["提出日期"] if raised else []))
    for offset, deadline in enumerate(deadlines):
        row = 1 + offset
        sheet.write_row(row, 0, [f"问题{offset + 1}", f"措施{offset + 1}", owners[offset]])
        if isinstance(deadline, (int, float)):
            sheet.write_number(row, 3, deadline)
        else:
            sheet.write(row, 3, deadline)
        if raised:
            sheet.write_datetime(row, 4, raised[offset], dated)
    return _done(target, book)


def lit_ledger():
    """An export with the derived light (亮灯) between its columns, as the exporter writes it."""
    target, book = _book()
    sheet = book.add_worksheet("台账")
    sheet.write_row("A1", ["存在问题", "整改措施", "亮灯", "责任人", "整改时限", "Light"])
    sheet.write_row("A2", ["问题1", "措施1", "红", "王强", "2026-12-31", "red"])
    sheet.write_row("A3", ["问题2", "措施2", "绿", "杨帆", "2027年3月底", "green"])
    return _done(target, book)


def padded_ledger(path, last_row=1_048_576, bordered_rows=20_000, late_row=None):
    """Six rows of data in a sheet formatted down to row 1,048,576: every row styled, the first
    `bordered_rows` with bordered empty cells (what a sheet formatted by whole columns holds);
    with `late_row`, one more row of data that far down."""
    book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = book.add_worksheet("台账")
    border = book.add_format({"border": 1})
    sheet.write_row(0, 0, ["序号", "问题描述", "问题类别", "整改措施", "责任人", "整改时限"], border)
    for number in range(1, 7):
        sheet.write_row(
            number, 0, [number, f"问题{number}", "安全", f"措施{number}", "王强", "2027-03-31"], border
        )
    for row in range(7, last_row):
        if row == late_row:
            sheet.write_row(row, 0, [7, "问题7", "安全", "措施7", "王强", 20261231], border)
            continue
        sheet.set_row(row, None, border)
        if row < bordered_rows:
            for column in range(6):
                sheet.write_blank(row, column, None, border)
    book.close()
    return path


def three_lists(orphan=False):
    """问题清单 / 任务清单 / 责任清单 on three sheets, linked by 序号 (with `orphan`, a task of a
    序号 that 问题清单 lacks)."""
    target, book = _book()
    problems = book.add_worksheet("问题清单")
    problems.write_row("A1", ["序号", "问题类别", "查摆问题"])
    problems.write_row("A2", [1, "安全", "隐患整改不闭环"])
    problems.write_row("A3", [2, "作风", "会议多、落实少"])
    tasks = book.add_worksheet("任务清单")
    tasks.write_row("A1", ["序号", "整改举措", "整改目标"])
    tasks.write_row("A2", [1, "建立隐患销号制度", "隐患全部销号"])
    tasks.write_row("A3", [1, "每月通报整改进度", ""])
    tasks.write_row("A4", [2, "精简会议", "会议减少三成"])
    if orphan:
        tasks.write_row("A5", [3, "无对应问题的任务", ""])
    owners = book.add_worksheet("责任清单")
    owners.write_row("A1", ["序号", "责任领导", "牵头单位", "责任人", "完成时限"])
    owners.write_row("A2", [1, "赵志刚", "机运工区", "王强", "2026年12月底"])
    owners.write_row("A3", [2, "赵志刚", "综合办", "杨帆", "2027年3月底"])
    return _done(target, book)
