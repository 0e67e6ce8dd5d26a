"""Small figures for the method pages, drawn by the ``plot`` directive.

They read the benchmark CSV files in ``benchmarks/results/`` (so they follow
the numbers) or draw a schematic; each takes well under a second.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

RESULTS = Path(__file__).resolve().parents[2] / "benchmarks" / "results"


def per_condition_bars(path, dataset, methods=None, metric="balanced_accuracy", title=None):
    """Grouped bars: ``metric`` per condition and method from a tidy CSV."""
    import pandas as pd

    path = RESULTS / path
    if not path.exists():
        fig, ax = plt.subplots(figsize=(6, 1))
        ax.text(0.5, 0.5, f"{path.name}: no results yet", ha="center", va="center")
        ax.set_axis_off()
        return
    frame = pd.read_csv(path)
    frame = frame[frame["dataset"] == dataset]
    if methods is not None:
        frame = frame[frame["method"].isin(methods)]
    table = frame.pivot_table(index="condition", columns="method", values=metric, sort=False)
    table = table.dropna(how="all")
    fig, ax = plt.subplots(figsize=(7.5, 3.6))
    width = 0.8 / max(1, table.shape[1])
    x = np.arange(len(table))
    for k, method in enumerate(table.columns):
        ax.bar(x + k * width - 0.4 + width / 2, table[method], width, label=method)
    ax.set_xticks(x, table.index, rotation=20)
    ax.set_ylabel(metric.replace("_", " "))
    low = np.nanmin(table.to_numpy())
    ax.set_ylim(max(0.0, low - 0.1), None)
    ax.legend(fontsize=8, ncol=4, loc="upper center", bbox_to_anchor=(0.5, -0.28), frameon=False)
    ax.set_title(title or f"{dataset}: {metric.replace('_', ' ')} per test condition", fontsize=10)
    fig.tight_layout()


def _box(ax, x, y, text, color, w=1.5, h=0.6):
    ax.add_patch(plt.Rectangle((x - w / 2, y - h / 2), w, h, facecolor=color, edgecolor="0.3"))
    ax.text(x, y, text, ha="center", va="center", fontsize=8)


def _arrow(ax, x0, y0, x1, y1, style="-|>", color="0.3", **kw):
    ax.annotate(
        "", xy=(x1, y1), xytext=(x0, y0), arrowprops=dict(arrowstyle=style, color=color, lw=1, **kw)
    )


def cmdm_diagram():
    """Per-modality denoising autoencoders whose latents are matched by MMD."""
    fig, ax = plt.subplots(figsize=(7.5, 3))
    names = ["audio", "video", "text"]
    ys = [2.4, 1.4, 0.4]
    for name, y in zip(names, ys):
        _box(ax, 0.8, y, f"$x_{{{name[0]}}}$ + noise", "#e8f0fb")
        _box(ax, 2.9, y, f"encoder$_{{{name[0]}}}$", "#d6e9d6")
        _box(ax, 4.9, y, f"$h_{{{name[0]}}}$", "#fdf1d2", w=0.8)
        _box(ax, 6.9, y, f"decoder$_{{{name[0]}}}$ → $\\hat x_{{{name[0]}}}$", "#d6e9d6", w=1.9)
        _arrow(ax, 1.55, y, 2.15, y)
        _arrow(ax, 3.65, y, 4.5, y)
        _arrow(ax, 5.3, y, 5.95, y)
    for a, b in [(0, 1), (1, 2)]:
        _arrow(ax, 4.9, ys[a] - 0.3, 4.9, ys[b] + 0.3, style="<|-|>", color="tab:red")
    ax.text(5.05, 1.9, "MMD", color="tab:red", fontsize=8)
    ax.text(5.05, 0.9, "MMD", color="tab:red", fontsize=8)
    _box(ax, 4.9, -0.6, "mean over observed $h$ → classifier (labelled rows)", "#f3dede", w=4.2)
    _arrow(ax, 4.9, 0.1, 4.9, -0.3)
    ax.set_xlim(-0.1, 8.1)
    ax.set_ylim(-1.0, 2.9)
    ax.set_axis_off()
    ax.set_title("Reconstruction and MMD: every row; cross-entropy: labelled rows", fontsize=9)
    fig.tight_layout()


def nmer_diagram():
    """Noise scheduler, student encoders and CVAE, with the frozen teacher's targets."""
    fig, ax = plt.subplots(figsize=(7.5, 3.4))
    for name, y in zip("avl", [2.4, 1.4, 0.4]):
        _box(ax, 0.5, y, f"$x_{name}$", "#e8f0fb", w=0.6)
        _arrow(ax, 0.8, y, 1.45, y)
    noisy = "$\\sqrt{\\bar\\alpha_t}\\,x + \\sqrt{1 - \\bar\\alpha_t}\\,\\epsilon$"
    scheduler = f"noise scheduler\n\nincomplete\nmodalities become\n{noisy}"
    _box(ax, 2.3, 1.4, scheduler, "#fdf1d2", w=1.7, h=2.6)
    _arrow(ax, 3.15, 1.4, 3.65, 1.4)
    _box(ax, 4.5, 1.4, "student encoders\n$E_m$, $H_m = S(E_m)$", "#d6e9d6", w=1.7, h=1.0)
    _arrow(ax, 5.35, 1.4, 5.85, 1.4)
    cvae = "CVAE\n$z \\sim q(z \\mid E, H)$\n$\\hat E = g(z, H)$"
    _box(ax, 6.7, 1.4, cvae, "#d6e9d6", w=1.7, h=1.0)
    _arrow(ax, 7.55, 1.4, 8.05, 1.4)
    _box(ax, 8.75, 1.4, "classifier\non $\\hat E$", "#f3dede", w=1.4, h=1.0)
    teacher = "frozen teacher (IF-MMIN stage 1) on the clean $x$: $E^*$, $H^*$"
    _box(ax, 5.6, -0.6, teacher, "#eeeeee", w=4.4)
    _arrow(ax, 0.5, 0.1, 3.4, -0.6)
    _arrow(ax, 4.5, -0.3, 4.5, 0.9, color="tab:red", linestyle="--")
    _arrow(ax, 6.7, -0.3, 6.7, 0.9, color="tab:red", linestyle="--")
    ax.text(4.6, 0.3, "$\\|H - H^*\\|^2$", color="tab:red", fontsize=8)
    ax.text(6.8, 0.3, "$\\|\\hat E - E^*\\|^2$", color="tab:red", fontsize=8)
    ax.set_xlim(0.0, 9.6)
    ax.set_ylim(-1.0, 2.9)
    ax.set_axis_off()
    title = "Cross-entropy: labelled rows; reconstruction, KL and invariance: every row"
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
