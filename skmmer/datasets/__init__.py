"""Data sets: a synthetic generator, bundled mfeat, and loaders for research corpora.

Every loader returns the package's standard form: one float64 matrix ``X``
with one column block per modality (a block is missing in a row when all its
columns are NaN), labels ``y``, and ``modalities`` as an ordered dict
``name -> size`` that can be passed straight to the estimators.

* :func:`make_multimodal_classification` -- synthetic blocks sharing a latent
  cause, with per-block informativeness and optional missing blocks.
* :func:`load_mfeat` -- UCI handwritten digits, six views; bundled (CC BY 4.0).
* :func:`load_mosi`, :func:`load_deap`, :func:`load_wesad` -- research-only
  corpora read from a local copy given by ``data_home`` (or the
  ``SKMMER_DATA`` environment variable); none of their data ships with skmmer.
"""

from skmmer.datasets._corpora import load_deap, load_mosi, load_wesad
from skmmer.datasets._mfeat import load_mfeat
from skmmer.datasets._synthetic import make_multimodal_classification

__all__ = [
    "load_deap",
    "load_mfeat",
    "load_mosi",
    "load_wesad",
    "make_multimodal_classification",
]
