"""The matrix as a heatmap PNG: aspects × kans/risico, colour = segments, text '12 (5)'.

Drawn with matplotlib's object API on an Agg canvas (no pyplot, so a notebook's
backend is left alone); matplotlib is imported inside the functions so that
``qualcode --help`` stays fast.
"""
from __future__ import annotations

import io
import textwrap
from typing import TYPE_CHECKING, Sequence

import numpy as np

from qualcode.analysis.results import matrix_view
from qualcode.outputs.i18n import cell_text, words

if TYPE_CHECKING:
    from qualcode.analysis.matrix import MatrixResult
    from qualcode.analysis.results import Matrix

CMAP = "Oranges"
DPI = 150


def _panel_data(matrix: "Matrix", group: str | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    cells = [[matrix.cell(code, d, group) for d in matrix.directions] for code in matrix.codes]
    shape = (len(matrix.codes), len(matrix.directions))
    segs = np.array([[c.segments for c in row] for row in cells]).reshape(shape)
    cases = np.array([[c.cases for c in row] for row in cells]).reshape(shape)
    sug = np.array([[c.suggested for c in row] for row in cells]).reshape(shape)
    return segs, cases, sug


def _draw(ax, segs: np.ndarray, cases: np.ndarray, sugg: np.ndarray, row_labels: Sequence[str],
          col_labels: Sequence[str], norm, cmap, *, show_rows: bool = True, separators: Sequence[float] = ()):
    image = ax.imshow(segs if segs.size else np.zeros((len(row_labels), len(col_labels))), cmap=cmap, norm=norm,
                      aspect="auto")
    ax.set_xticks(range(len(col_labels)), labels=col_labels, fontsize=11)
    ax.xaxis.tick_top()
    ax.set_yticks(range(len(row_labels)), labels=row_labels if show_rows else [], fontsize=11)
    ax.tick_params(length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)
    # white grid lines between the cells
    ax.set_xticks(np.arange(-0.5, len(col_labels), 1), minor=True)
    ax.set_yticks(np.arange(-0.5, len(row_labels), 1), minor=True)
    ax.grid(which="minor", color="white", linewidth=2)
    ax.tick_params(which="minor", length=0)
    for x in separators:
        ax.axvline(x, color="#444444", linewidth=1.5)
    for i in range(segs.shape[0]):
        for j in range(segs.shape[1]):
            value = segs[i, j]
            text = cell_text(int(value), int(cases[i, j]), int(sugg[i, j]), mark="*")
            dark = norm(value) > 0.55
            ax.text(j, i, text, ha="center", va="center", fontsize=12, fontweight="bold" if value else "normal",
                    color="white" if dark else ("#222222" if value else "#888888"))
    return image


def _wrap(label: str, width: int = 18) -> str:
    return "\n".join(textwrap.wrap(str(label), width)) or str(label)


def _legend(w, n_cases: int | None, suggested: bool, extra: str | None) -> str:
    lines = [w("cell_legend")]
    if n_cases is not None:
        lines[0] += f"  n = {n_cases} {w('cases')}."
    if suggested:
        lines.append(w("suggested_legend"))
    if extra:
        lines.append(extra)
    return "\n".join(lines)


def _legend_text(fig, text: str) -> None:
    """The line explaining the numbers, under the plot (a figure label, so the layout leaves room)."""
    fig.supxlabel(text, fontsize=9, color="#444444", x=0.01, ha="left", multialignment="left")


def _png(fig) -> bytes:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, bbox_inches="tight", facecolor="white")
    return buf.getvalue()


def heatmap_png(result: "Matrix | MatrixResult", codebook, *, by_group: bool | None = None, title: str | None = None,
                note: str | None = None) -> bytes:
    """The matrix as PNG bytes; with groups (``result.by``) the kans/risico columns repeat per group."""
    from matplotlib import colors
    from matplotlib.figure import Figure

    matrix, w = matrix_view(result), words(codebook)
    by_group = bool(matrix.groups) if by_group is None else by_group and bool(matrix.groups)
    rows = [_wrap(w.code(code)) for code in matrix.codes]
    dir_labels = [w.direction(d) for d in matrix.directions]
    if by_group:
        groups = list(matrix.groups)
        parts = [_panel_data(matrix, g) for g in groups]
        segs = np.hstack([p[0] for p in parts])
        cases = np.hstack([p[1] for p in parts])
        sugg = np.hstack([p[2] for p in parts])
        cols = dir_labels * len(groups)
    else:
        groups = []
        segs, cases, sugg = _panel_data(matrix, None)
        cols = dir_labels
    ncols = max(1, segs.shape[1])
    width = 2.6 + 1.35 * ncols + 1.2
    height = 1.9 + 0.62 * len(rows) + 0.25 * (len(groups) > 0)
    fig = Figure(figsize=(width, height), layout="constrained")
    ax = fig.add_subplot(1, 1, 1)
    norm = colors.Normalize(vmin=0, vmax=max(1, int(segs.max()) if segs.size else 1))
    seps = [len(dir_labels) * k - 0.5 for k in range(1, len(groups))]
    image = _draw(ax, segs, cases, sugg, rows, cols, norm, CMAP, separators=seps)
    for k, g in enumerate(groups):
        # group names above their kans/risico pair, between the title and the column labels
        x = len(dir_labels) * k + (len(dir_labels) - 1) / 2
        ax.annotate(f"{_wrap(g, 16)} (n = {matrix.n_cases(g)})", xy=(x, 1.0),
                    xycoords=("data", "axes fraction"), xytext=(0, 24), textcoords="offset points",
                    ha="center", va="bottom", fontsize=11, fontweight="bold")
    bar = fig.colorbar(image, ax=ax, fraction=0.04, pad=0.03)
    bar.set_label(w("segments"), fontsize=10)
    bar.ax.tick_params(labelsize=9)
    bar.locator = _integer_locator()
    bar.update_ticks()
    heading = title or w("title")
    if groups:
        heading += f" — {w.attribute(matrix.by)}"
    ax.set_title(heading, fontsize=14, fontweight="bold", pad=62 if groups else 30)
    _legend_text(fig, _legend(w, None if groups else matrix.n_cases(), matrix.has_suggested, note))
    return _png(fig)


def compare_heatmap_png(result: "Matrix | MatrixResult", codebook, *, title: str | None = None,
                        note: str | None = None) -> bytes:
    """One panel per group (e.g. per study) side by side, on the same colour scale."""
    from matplotlib import colors
    from matplotlib.figure import Figure
    from matplotlib.layout_engine import ConstrainedLayoutEngine

    matrix, w = matrix_view(result), words(codebook)
    groups = list(matrix.groups)
    rows = [_wrap(w.code(code)) for code in matrix.codes]
    dir_labels = [w.direction(d) for d in matrix.directions]
    parts = {g: _panel_data(matrix, g) for g in groups}
    vmax = max([1, *[int(p[0].max()) for p in parts.values() if p[0].size]])
    norm = colors.Normalize(vmin=0, vmax=vmax)
    panel_w = 0.7 + 1.3 * len(dir_labels)
    fig = Figure(figsize=(2.6 + panel_w * len(groups) + 1.0, 2.3 + 0.62 * len(rows)), layout="constrained")
    engine = fig.get_layout_engine()
    if isinstance(engine, ConstrainedLayoutEngine):
        engine.set(wspace=0.06)  # a visible gap between the groups' panels
    axes = fig.subplots(1, len(groups), squeeze=False)[0]
    image = None
    for k, (ax, g) in enumerate(zip(axes, groups)):
        segs, cases, sugg = parts[g]
        image = _draw(ax, segs, cases, sugg, rows, dir_labels, norm, CMAP, show_rows=k == 0)
        ax.set_title(f"{g} (n = {matrix.n_cases(g)})", fontsize=12, fontweight="bold", pad=30)
    if image is not None:
        bar = fig.colorbar(image, ax=list(axes), fraction=0.03, pad=0.02)
        bar.set_label(w("segments"), fontsize=10)
    bar.ax.tick_params(labelsize=9)
    bar.locator = _integer_locator()
    bar.update_ticks()
    fig.suptitle(title or f"{w('compare')}: {w.attribute(matrix.by)}", fontsize=14, fontweight="bold")
    _legend_text(fig, _legend(w, None, matrix.has_suggested, note))
    return _png(fig)


def _integer_locator():
    from matplotlib.ticker import MaxNLocator

    return MaxNLocator(integer=True, nbins=5)
