"""Missing-modality imagination: MMIN and its invariant-feature variant IF-MMIN.

Both are two-stage classifiers: a teacher trained on the rows as observed,
then a cascade of autoencoders that imagines the teacher's full-modality
embedding from the modalities a row still has.
"""

from skmmer.imagination._estimators import ImaginationClassifier, InvariantImagination

__all__ = ["ImaginationClassifier", "InvariantImagination"]
