"""Missing-modality and scarce-label studies for any scikit-learn estimator.

* Protocols turn a (train, test) fold into study settings:
  :class:`FixedConditions` (MMIN's fixed kept-modality conditions),
  :class:`MissingRates` (IMDer's random missing rates) and
  :class:`LabelFractions` (a stratified fraction of training labels).
* Splitting: :func:`make_splitter`, :func:`make_folds`, :class:`FixedSplit`
  and :class:`LabelledSplit` keep speakers/sessions on one side and
  unlabelled rows out of test folds; :func:`labelled_scorer` scores CV.
* :func:`run_study` runs every method on every fold and setting (joblib or
  dask) into a tidy DataFrame; :func:`summarize`, :func:`pivot_summary` and
  :func:`to_markdown` report it.
"""

from skmmer.metrics import labelled_scorer
from skmmer.model_selection._protocols import (
    FixedConditions,
    FoldSetting,
    LabelFractions,
    MissingRates,
    StudyProtocol,
    default_rates,
    keep_label_fraction,
)
from skmmer.model_selection._report import pivot_summary, summarize, to_markdown
from skmmer.model_selection._split import FixedSplit, LabelledSplit, make_folds, make_splitter
from skmmer.model_selection._study import RESULT_COLUMNS, run_study

__all__ = [
    "RESULT_COLUMNS",
    "FixedConditions",
    "FixedSplit",
    "FoldSetting",
    "LabelFractions",
    "LabelledSplit",
    "MissingRates",
    "StudyProtocol",
    "default_rates",
    "keep_label_fraction",
    "labelled_scorer",
    "make_folds",
    "make_splitter",
    "pivot_summary",
    "run_study",
    "summarize",
    "to_markdown",
]
