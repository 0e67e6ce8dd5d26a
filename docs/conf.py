"""Sphinx configuration of the skmmer documentation.

Build with ``bash .ci/docs`` from the repository root (warnings are errors,
examples are executed). The API pages under ``api/modules/`` are generated
here from each module's ``__all__``, so a new public name is documented
without editing the docs.
"""

from __future__ import annotations

import os
import sys
import warnings
from pathlib import Path

import skmmer

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(DOCS / "_ext"))

# -- Project ---------------------------------------------------------------
project = "skmmer"
author = "skmmer developers"
copyright = "skmmer developers"
release = skmmer.__version__
version = release

# -- Extensions ------------------------------------------------------------
extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "sphinxcontrib.bibtex",
    "myst_parser",
    "matplotlib.sphinxext.plot_directive",
    "skmmer_docs",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
templates_path = ["_templates"]
exclude_patterns = [
    "_build",
    "**.ipynb_checkpoints",
    "auto_examples/*.ipynb",
    "auto_examples/*.py",
    "auto_examples/*.zip",
    "requirements.txt",
    "methods/_bench",
    # included by user_guide/engine.md and user_guide/codebase_map.md
    "engine.md",
    "codebase_map.md",
]
default_role = "literal"
suppress_warnings = []

# -- autodoc / autosummary / numpydoc ---------------------------------------
autosummary_generate = True
autosummary_imported_members = True
autodoc_default_options = {"member-order": "groupwise"}
autodoc_typehints = "none"  # numpydoc's Parameters sections carry the types
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_attributes_as_param_list = True
numpydoc_xref_param_type = False

# -- myst (the engine and codebase pages, benchmark tables) ----------------
myst_enable_extensions = ["colon_fence"]
myst_heading_anchors = 3

# -- bibliography ----------------------------------------------------------
bibtex_bibfiles = ["references.bib"]
bibtex_default_style = "plain"
bibtex_reference_style = "author_year"

# -- matplotlib plot directive (small diagrams on the method pages) --------
plot_include_source = False
plot_html_show_source_link = False
plot_html_show_formats = False
plot_formats = [("png", 110)]

# -- sphinx-gallery --------------------------------------------------------
sphinx_gallery_conf = {
    "examples_dirs": str(ROOT / "examples"),
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "ignore_pattern": r"(__init__|conftest)\.py",
    "within_subsection_order": "FileNameSortKey",
    "doc_module": ("skmmer",),
    "backreferences_dir": "gen_modules/backreferences",
    "reference_url": {"skmmer": None},
    "remove_config_comments": True,
    "min_reported_time": 1,
    "show_memory": False,
    # SKMMER_DOCS_PLOT_GALLERY=0 skips running the examples (quick prose edits).
    "plot_gallery": os.environ.get("SKMMER_DOCS_PLOT_GALLERY", "True"),
}
# The examples run inside this process. Their networks are tiny, and on a
# shared 2-core machine one torch thread is much faster than two fighting
# over the cores (see the engine page); SKMMER_DOCS_TORCH_THREADS overrides.
try:
    import torch

    torch.set_num_threads(int(os.environ.get("SKMMER_DOCS_TORCH_THREADS", "1")))
except ImportError:  # pragma: no cover - torch is a dependency of skmmer
    pass
warnings.filterwarnings(
    "ignore",
    category=UserWarning,
    message="Matplotlib is currently using agg, which is a non-GUI backend",
)

# -- HTML --------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"skmmer {release}"
html_theme_options = {
    "navbar_align": "left",
    "show_toc_level": 2,
    "navigation_with_keys": False,
    "secondary_sidebar_items": ["page-toc"],
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
}
html_sidebars = {"index": [], "references": []}
html_show_sourcelink = False

# -- API pages from __all__ ---------------------------------------------------
#: (module, title, one-line description); subpackages that do not exist yet are skipped.
API_MODULES = [
    (
        "skmmer.fusion",
        "Fusion baselines",
        "Masked late fusion, the baseline every method compares against.",
    ),
    (
        "skmmer.generative",
        "Generative models",
        "Semi-supervised multi-view deep generative classification.",
    ),
    (
        "skmmer.semi_supervised",
        "Semi-supervised classifiers",
        "Classifiers that learn from ``y == -1`` rows.",
    ),
    ("skmmer.impute", "Imputation", "Imputation of missing modalities with uncertainty."),
    ("skmmer.imagination", "Missing-modality imagination", "MMIN and IF-MMIN."),
    (
        "skmmer.noise",
        "Noisy modalities",
        "NMER, and noise-corrupted modalities as test conditions.",
    ),
    (
        "skmmer.masking",
        "Masking",
        "The observed-modality rule, simulated missingness, test conditions.",
    ),
    ("skmmer.metrics", "Metrics", "Scores that ignore unlabelled rows."),
    (
        "skmmer.model_selection",
        "Model selection and studies",
        "Protocols, splitters and ``run_study``.",
    ),
    ("skmmer.datasets", "Datasets", "Synthetic data, bundled mfeat and corpus loaders."),
    (
        "skmmer.utils.estimator_checks",
        "Estimator checks",
        "Public checks of the masking semantics.",
    ),
    ("skmmer.base", "Base classes", "For developers writing a new estimator."),
    ("skmmer.nn", "Torch building blocks", "For developers: the torch blocks shared by methods."),
]

_CANONICAL: dict[int, str] = {}  # id(object) -> documented dotted name


def _public_names(module) -> list[str]:
    names = getattr(module, "__all__", None)
    if names is None:
        names = [n for n in vars(module) if not n.startswith("_")]
    return [n for n in names if not n.startswith("__")]


def _write_api_pages() -> list[str]:
    import importlib
    import shutil

    # autosummary rewrites the stubs; removing them drops pages of names
    # that left an __all__ (they would otherwise warn "not in any toctree").
    shutil.rmtree(DOCS / "api" / "generated", ignore_errors=True)
    out = DOCS / "api" / "modules"
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for dotted, title, blurb in API_MODULES:
        try:
            module = importlib.import_module(dotted)
        except ImportError:
            continue
        names, aliases = [], []
        for name in _public_names(module):
            key = id(getattr(module, name))
            if key in _CANONICAL and not _CANONICAL[key].endswith(f".{name}"):
                names.append(name)  # same object under another name: document it
            elif key in _CANONICAL:
                aliases.append(f":obj:`{name} <{_CANONICAL[key]}>`")  # a re-export
                continue
            else:
                names.append(name)
            _CANONICAL.setdefault(key, f"{dotted}.{name}")
        heading = f":mod:`{dotted}`: {title}"
        lines = [
            f".. _api_{dotted.replace('.', '_')}:",
            "",
            heading,
            "=" * len(heading),
            "",
            f".. automodule:: {dotted}",
            "   :no-members:",
            "   :no-inherited-members:",
            "",
            f"{blurb}",
            "",
        ]
        if aliases:
            lines += [f"Also importable from here: {', '.join(aliases)}.", ""]
        lines += [
            f".. currentmodule:: {dotted}",
            "",
            ".. autosummary::",
            "   :toctree: ../generated/",
            "   :nosignatures:",
            "",
        ]
        lines += [f"   {name}" for name in sorted(names, key=str.lower)]
        text = "\n".join(lines) + "\n"
        path = out / f"{dotted}.rst"
        if not path.exists() or path.read_text() != text:  # keep mtimes: incremental builds
            path.write_text(text)
        written.append(dotted)
    stale = {p.stem for p in out.glob("*.rst")} - set(written)
    for name in stale:
        (out / f"{name}.rst").unlink()
    index = "\n".join(
        [".. toctree::", "   :maxdepth: 1", ""] + [f"   modules/{d}" for d in written]
    )
    rows = [
        ".. list-table::",
        "   :header-rows: 1",
        "   :widths: 40 60",
        "",
        "   * - name",
        "     - documented as",
    ]
    for name in _public_names(skmmer):
        canonical = _CANONICAL.get(id(getattr(skmmer, name)))
        rows += [
            f"   * - ``skmmer.{name}``",
            f"     - :obj:`{canonical}`" if canonical else "     - (not documented)",
        ]
    rows += [
        "   * - ``skmmer.__version__``",
        f"     - the version string, ``{skmmer.__version__!r}``",
    ]
    for fname, text in (("_toctree.rst.inc", index), ("_toplevel.rst.inc", "\n".join(rows))):
        path = out / fname
        if not path.exists() or path.read_text() != text + "\n":
            path.write_text(text + "\n")
    return written


API_WRITTEN = _write_api_pages()
# The estimators re-exported at the top level are documented in their subpackage;
# ``skmmer.MaskedFusionClassifier`` links there (see ``skmmer_docs.resolve_alias``).
SKMMER_TOP_LEVEL = [n for n in _public_names(skmmer)]
skmmer_canonical_names = _CANONICAL
