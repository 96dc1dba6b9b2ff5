"""The matrix as a heatmap (PNG and SVG): aspects × kans/risico, colour = share of the group's cases.

Opportunity and risk get two distinct hues that stay apart for colour-blind readers (blue
and orange, from ColorBrewer), 'geen richting' a grey, and only when the matrix has that
column. Each cell reads '6 (5 van 6, 83%)'. One panel per study or group, side by side,
sized to be readable when printed at A4 width. Drawn with matplotlib's object API on an Agg
canvas (no pyplot, so a notebook's backend is left alone); matplotlib is imported inside
the functions so that ``qualcode --help`` stays fast.
"""
from __future__ import annotations

import io
import textwrap
from typing import TYPE_CHECKING, Sequence

from qualcode.analysis.results import matrix_view
from qualcode.outputs.i18n import words

if TYPE_CHECKING:
    from qualcode.analysis.matrix import MatrixResult
    from qualcode.analysis.results import Matrix

# colour-blind-safe: ColorBrewer Blues and Oranges (opportunity, risk), Greys for no direction
CMAPS = {"opportunity": "Blues", "risk": "Oranges", "none": "Greys"}
DPI = 200
A4_TEXT_WIDTH_IN = 6.7  # the figure is drawn at this width, so its font sizes are the printed sizes
CELL_FONT = 8.5
LABEL_FONT = 9


def _wrap(label: str, width: int = 16) -> str:
    return "\n".join(textwrap.wrap(str(label), width)) or str(label)


Panel = tuple[str, "Matrix", "str | None"]  # heading, matrix, group in it (None: overall)


def _figure(panels: Sequence[Panel], codebook, title: str, note: str | None):
    from matplotlib import colormaps
    from matplotlib.figure import Figure

    w = words(codebook)
    codes = panels[0][1].codes
    ncols = sum(len(m.directions) for _, m, _ in panels)  # each panel its own directions ('geen richting' if used)
    cell_w = min(1.25, (A4_TEXT_WIDTH_IN - 1.5) / max(1, ncols))
    width = min(A4_TEXT_WIDTH_IN, 1.5 + cell_w * ncols + 0.2)
    height = 1.3 + 0.62 * len(codes)
    texts = {(k, code, d): _cell_lines(w, m.cell(code, d, group))
             for k, (_, m, group) in enumerate(panels) for code in codes for d in m.directions}
    longest = max((len(line) for t in texts.values() for line in t.split("\n")), default=1)
    # the widest line must keep clear of the cell's edges: about 0.6 em per character, 80% of the cell
    cell_font = min(CELL_FONT, 0.8 * cell_w * 72 / (0.6 * max(1, longest)))
    fig = Figure(figsize=(width, height), layout="constrained")
    axes = fig.subplots(1, len(panels), squeeze=False,
                        gridspec_kw={"width_ratios": [len(m.directions) for _, m, _ in panels]})[0]
    any_suggested = False
    for k, (ax, (heading, m, group)) in enumerate(zip(axes, panels)):
        directions = m.directions
        ax.set_xlim(-0.5, len(directions) - 0.5)
        ax.set_ylim(len(codes) - 0.5, -0.5)
        for i, code in enumerate(codes):
            for j, d in enumerate(directions):
                cell = m.cell(code, d, group)
                any_suggested |= bool(cell.suggested)
                value = cell.cases / cell.n_cases if cell.n_cases else 0.0
                colour = colormaps[CMAPS.get(d, "Greys")](0.08 + 0.82 * value)
                ax.add_patch(_rect(j, i, colour))
                ax.text(j, i, texts[(k, code, d)], ha="center", va="center", fontsize=cell_font, linespacing=1.15,
                        color="white" if value > 0.55 else "#222222", fontweight="bold" if cell.segments else "normal")
        ax.set_xticks(range(len(directions)), labels=[w.direction(d) for d in directions], fontsize=LABEL_FONT)
        ax.xaxis.tick_top()
        ax.set_yticks(range(len(codes)), labels=[_wrap(w.code(c)) for c in codes] if k == 0 else [],
                      fontsize=LABEL_FONT)
        ax.tick_params(length=0)
        for spine in ax.spines.values():
            spine.set_visible(False)
        if heading:
            ax.set_title(heading, fontsize=LABEL_FONT + 0.5, fontweight="bold")
    fig.suptitle(title, fontsize=LABEL_FONT + 1.5, fontweight="bold")
    lines = [w("heat_legend")]
    if any_suggested:
        lines.append(w("suggested_legend"))
    if note:
        lines.append(note)
    fig.supxlabel(textwrap.fill(" ".join(lines), 110), fontsize=7, color="#444444", x=0.01, ha="left",
                  multialignment="left")
    return fig


def _cell_lines(w, cell) -> str:
    """'19' / '13 van 18' / '72%' on three lines, so that the label keeps clear of the cell's edges."""
    text = w.cell(cell)
    if " (" not in text:
        return text
    head, rest = text.split(" (", 1)
    parts = rest.rstrip(")").rsplit(", ", 1)
    return "\n".join([head, *parts])


def _rect(x: float, y: float, colour):
    from matplotlib.patches import Rectangle

    return Rectangle((x - 0.5, y - 0.5), 1, 1, facecolor=colour, edgecolor="white", linewidth=2)


def _save(fig, fmt: str) -> bytes:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format=fmt, dpi=DPI, facecolor="white")
    return buf.getvalue()


def panels_image(panels: Sequence[Panel], codebook, *, title: str, note: str | None = None,
                 fmt: str = "png") -> bytes:
    """Panels side by side on one figure, as PNG (or ``fmt="svg"``) bytes."""
    return _save(_figure(panels, codebook, title, note), fmt)


def heatmap_png(result: "Matrix | MatrixResult", codebook, *, by_group: bool | None = None, title: str | None = None,
                note: str | None = None, fmt: str = "png") -> bytes:
    """The matrix as PNG bytes; with groups (``result.by``) one panel per group."""
    matrix, w = matrix_view(result), words(codebook)
    by_group = bool(matrix.groups) if by_group is None else by_group and bool(matrix.groups)
    if by_group:
        panels: list[Panel] = [(f"{_wrap(g, 18)} (n = {matrix.n_cases(g)})", matrix, g) for g in matrix.groups]
    else:
        panels = [(f"n = {matrix.n_cases()} {w('cases')}", matrix, None)]
    heading = title or (w("title") + (f" — {w.attribute(matrix.by)}" if by_group else ""))
    return panels_image(panels, codebook, title=heading, note=note, fmt=fmt)


def compare_heatmap_png(result: "Matrix | MatrixResult", codebook, *, title: str | None = None,
                        note: str | None = None, fmt: str = "png") -> bytes:
    """One panel per group (e.g. per study) side by side, on the same colour scale (share of cases)."""
    matrix, w = matrix_view(result), words(codebook)
    return heatmap_png(matrix, codebook, by_group=True, title=title or f"{w('compare')}: {w.attribute(matrix.by)}",
                       note=note, fmt=fmt)
