"""Small Sphinx helpers for the skmmer docs.

* ``resolve_alias``: ``skmmer.MaskedFusionClassifier`` (the top-level
  re-export, what users import) links to the page of the documented name
  ``skmmer.fusion.MaskedFusionClassifier``; so does any other path that
  reaches the same object.
* ``write_benchmark_snippets``: ``methods/_bench/<key>.md`` includes the
  benchmark tables of ``benchmarks/results/`` when they exist, and says how
  to produce them when they do not, so method pages never copy numbers.
"""

from __future__ import annotations

import importlib
from pathlib import Path

#: snippet key -> (files under benchmarks/results/, command that writes them)
BENCHMARKS = {
    "masked_fusion": (["imagination/results.md"], "python benchmarks/bench_imagination.py"),
    "dgm": (["dgm/results.md"], "python benchmarks/bench_dgm.py"),
    "cmdm": (
        [
            "cmdm/cmdm.md", "cmdm/cmdm_auto.md", "cmdm/cmdm_auto_deap.md", "cmdm/cmdm_mosi_seeds.md",
            "cmdm/cmdm_mosi_test_videos.md", "cmdm/fusion.md", "cmdm/terms.md",
            "cmdm/noise_mosi.md", "cmdm/noise_others.md",
        ],
        "python benchmarks/bench_cmdm.py",
    ),
    "diffusion": (
        ["diffusion/results.md", "diffusion/README.md", "diffusion/population.md"],
        "python benchmarks/bench_diffusion.py",
    ),
    "imagination": (
        ["imagination/results.md", "imagination/NOTES.md", "imagination/subset_schemes.md"],
        "python benchmarks/bench_imagination.py",
    ),
    "nmer": (
        ["nmer/results.md", "nmer/missing_fill.md", "nmer/NOTES.md"],
        "python benchmarks/bench_nmer.py",
    ),
    "engine": (
        ["engine/engine_overhead.md", "engine/early_stopping.md"],
        "python benchmarks/bench_engine.py",
    ),
}


def _import_object(dotted: str):
    parts = dotted.split(".")
    for i in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            continue
        try:
            for attr in parts[i:]:
                obj = getattr(obj, attr)
        except AttributeError:
            return None
        return obj
    return None


def resolve_alias(app, env, node, contnode):
    if node.get("refdomain") != "py":
        return None
    target = node.get("reftarget", "")
    candidates = [target]
    module = node.get("py:module")
    if module and not target.startswith("skmmer"):
        candidates.insert(0, f"{module}.{target}")
    canonical_names = app.config.skmmer_canonical_names
    for candidate in candidates:
        if not candidate.startswith("skmmer"):
            continue
        obj = _import_object(candidate)
        canonical = canonical_names.get(id(obj)) if obj is not None else None
        if canonical and canonical != candidate:
            domain = env.get_domain("py")
            return domain.resolve_xref(
                env, node["refdoc"], app.builder, node["reftype"], canonical, node, contnode
            )
    return None


def write_benchmark_snippets(app, config):
    docs = Path(app.srcdir)
    results = docs.parent / "benchmarks" / "results"
    out = docs / "methods" / "_bench"
    out.mkdir(parents=True, exist_ok=True)
    for key, (files, command) in BENCHMARKS.items():
        parts = []
        for name in files:
            path = results / name
            if path.exists():
                rel = Path("..", "..", "benchmarks", "results", name).as_posix()  # from methods/
                parts.append(f"```{{include}} {rel}\n:heading-offset: 2\n```\n")
        if not parts:
            parts.append(
                "```{note}\nNo benchmark results have been committed for this method yet; "
                f"`{command}` writes them to `benchmarks/results/`, and this page "
                "includes them on the next build.\n```\n"
            )
        text = "\n".join(parts)
        path = out / f"{key}.md"
        if not path.exists() or path.read_text() != text:
            path.write_text(text)


_SKLEARN_PLUMBING = {"set_output", "get_metadata_routing"}


def skip_foreign_members(app, what, name, obj, skip, options):
    """Leave out members inherited from torch.nn.Module and scikit-learn's
    output/metadata-routing plumbing: their docstrings link to pages of other
    projects' docs, and users reach them through those docs."""
    if what != "class":
        return None
    if name in _SKLEARN_PLUMBING or (name.startswith("set_") and name.endswith("_request")):
        return True
    module = getattr(obj, "__module__", None) or ""
    if module.startswith("torch"):
        return True
    import torch

    if name in vars(torch.nn.Module) and not module.startswith("skmmer"):
        return True  # Module's plain attributes (training, dump_patches, ...)
    return None


def setup(app):
    app.connect("autodoc-skip-member", skip_foreign_members)
    app.add_config_value("skmmer_canonical_names", {}, "")
    app.connect("config-inited", write_benchmark_snippets)
    app.connect("missing-reference", resolve_alias)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
