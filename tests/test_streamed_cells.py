"""A streamed worksheet that copies the XML of recurring cells writes the file XlsxWriter writes."""
from __future__ import annotations

import zipfile

from hypothesis import example, given, settings
from hypothesis import strategies as st
from xlsxwriter import Workbook

from qualcode.xlsx_safe import RECURRING_TEXT, STREAMING_OPTIONS, recurring_cells_worksheet

_texts = st.one_of(
    st.sampled_from(["werkdruk", "risico", " spaties ", "=SOM(A1)", "a<b & c>d", "tab\tin", "x" * RECURRING_TEXT,
                     "y" * (RECURRING_TEXT + 1), "regel\nregel", "\x01ctrl", "_x0041_", "ë ø 😀"]),
    st.text(max_size=80))
_cells = st.lists(st.tuples(st.integers(0, 3), st.integers(0, 5),
                            st.one_of(st.tuples(st.just("string"), _texts), st.tuples(st.just("blank"), st.none()),
                                      st.tuples(st.just("number"), st.integers(-5, 5) | st.floats(-1e6, 1e6)),
                                      st.tuples(st.just("boolean"), st.booleans())),
                            st.sampled_from([None, 0, 1, 2])),
                  max_size=60)


def _sheet_xml(path, cells, worksheet_class) -> bytes:
    wb = Workbook(str(path), {**STREAMING_OPTIONS, "tmpdir": str(path.parent)})
    ws = wb.add_worksheet("s", worksheet_class=worksheet_class)
    formats = [wb.add_format({"valign": "top"}), wb.add_format({"text_wrap": True}),
               wb.add_format({"quote_prefix": True, "bold": True})]
    ws.set_column(4, 4, 12, formats[1])  # a column format: cells without one of their own show it
    ws.set_row(5, 20, formats[0])
    row = 0
    for step, col, (kind, value), fmt_at in cells:
        row += step  # streamed: rows in order
        fmt = None if fmt_at is None else formats[fmt_at]
        if kind == "string":
            ws.write_string(row, col, value, fmt)
        elif kind == "blank":
            ws.write_blank(row, col, None, fmt if fmt is not None else formats[0])
        elif kind == "number":
            ws.write_number(row, col, value, fmt)
        else:
            ws.write_boolean(row, col, value, fmt)
    wb.close()
    with zipfile.ZipFile(path) as z:
        return z.read("xl/worksheets/sheet1.xml")


@settings(max_examples=15, deadline=None)
@given(_cells, _cells)
# a cell without a format of its own shows its column's or its row's, so the same value differs by place
@example([(0, 4, ("string", "a"), None), (0, 2, ("string", "a"), None), (5, 2, ("string", "a"), None),
          (0, 3, ("blank", None), 0), (1, 3, ("blank", None), 0)], [])
def test_copying_recurring_cells_writes_what_xlsxwriter_writes(tmp_path_factory, first, again):
    cells = first + again + first  # the same cells once more: copied the second time
    folder = tmp_path_factory.mktemp("cells")
    plain = _sheet_xml(folder / "plain.xlsx", cells, None)
    copied = _sheet_xml(folder / "copied.xlsx", cells, recurring_cells_worksheet())
    assert copied == plain
