"""CrossModalMatchingClassifier under label scarcity: does the MMD on unlabelled rows help?

One run, the same folds and masks for every method: 1%, 5%, 20% and 100% of
the training labels kept (the rest -1), with 0% and 30% of modality entries
missing in train and test. Compares CMDM's default, its options (MMD on class
posteriors, class-conditional MMD), the ablation that shows what the method
adds (no MMD and unlabelled rows dropped), SelfTraining, LabelSpreading and
MultiViewDGMClassifier.

Usage::

    python benchmarks/bench_cmdm.py                    # MOSI, DEAP, WESAD
    python benchmarks/bench_cmdm.py --datasets mosi --quick
    python benchmarks/bench_cmdm.py --sweep --datasets mosi deap   # mmd_weight sweep
    python benchmarks/bench_cmdm.py --datasets mosi --early-stopping auto --tag auto
    python benchmarks/bench_cmdm.py --datasets mosi --seeds 0 1 2 3 4 --tag seeds
    python benchmarks/bench_cmdm.py --datasets mosi_test_videos --tag mosi_test_videos

``mosi_test_videos`` cross-validates on MOSI's test videos only, whose
features the release's extractors never trained on (see ``_config.py``).

``--seeds`` fits every method once per seed on the same folds, labels and
masks; the tables then give the mean over seeds (of the mean over folds) ±
the standard deviation over seeds, which on MOSI's fixed split is the only
spread there is.

``--sweep`` runs the MMD weight sweep instead (1, 0.1, 0.01, 0 with unlabelled
rows, and the labelled-rows-only ablation) at 5% and 100% of the labels with
30% of modality entries missing, and writes ``mmd_weight.md``.

``--terms`` asks where the unlabelled rows' effect comes from: the default,
then the same with the reconstruction term off, with the MMD off, with both off
(unlabelled rows then only change how many classifier steps an epoch takes),
and the labelled-rows-only ablation; 5% and 20% of the labels, 30% of modality
entries missing; writes ``terms.md``.

``--fusion`` compares the classifier's two fusions of the modality latents,
the mean of the observed ones (the default) and their concatenation (a
missing modality's slot zero), each with its labelled-rows-only ablation;
5%, 20% and 100% of the labels, 0% and 30% of modality entries missing;
writes ``fusion.md``.

``--noise`` asks how much input noise the denoising autoencoders want: the
default (``noise_std=0.1``), 0.3 and 1.0, and the labelled-rows-only ablation
at 0.1 and 1.0 (the classifier reads the latents of the noisy inputs during
training, so the noise regularizes it too, with or without unlabelled rows);
5%, 20% and 100% of the labels, 0% and 30% of modality entries missing;
writes ``noise.md``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).parent))

from _config import ALL_DATASETS, baseline_estimators  # noqa: E402
from _seeds import summarize_over_seeds, with_seeds  # noqa: E402
from run_benchmarks import command_line, environment_lines, varying_key, write_report  # noqa: E402

from skmmer import CrossModalMatchingClassifier, MultiViewDGMClassifier  # noqa: E402
from skmmer.masking import simulate_missing  # noqa: E402
from skmmer.model_selection import LabelFractions, pivot_summary, run_study, to_markdown  # noqa: E402

RESULTS = Path(__file__).parent / "results" / "cmdm"


def common_settings(modalities, quick: bool, early_stopping) -> dict[str, object]:
    """The training settings every skmmer estimator of these runs shares."""
    common = dict(modalities=modalities, early_stopping=early_stopping, random_state=0)
    if quick:
        common["max_epochs"] = 30
    return common


def cmdm_factory(common: dict):
    """``cmdm(**changes)``: CrossModalMatchingClassifier with ``common`` and the changes."""
    return lambda **changes: CrossModalMatchingClassifier(**common, **changes)


def methods(modalities, quick: bool, early_stopping=True) -> dict[str, object]:
    common = common_settings(modalities, quick, early_stopping)
    cmdm = cmdm_factory(common)
    baselines = baseline_estimators(semi_supervised=True, quick=quick)
    return {
        "CMDM (default: MMD on latents)": cmdm(),
        "CMDM, MMD on class posteriors": cmdm(mmd_on="posterior", modality_head_weight=1.0),
        "CMDM + class-conditional MMD": cmdm(class_conditional_mmd=True),
        "CMDM ablation: no MMD, labelled rows only": cmdm(mmd_weight=0.0, use_unlabelled=False),
        "MultiViewDGMClassifier": MultiViewDGMClassifier(**common),
        "SelfTraining(LogisticRegression)": baselines["SelfTraining(LogisticRegression)"],
        "LabelSpreading (kNN)": baselines["LabelSpreading (kNN)"],
        "mean impute + LogisticRegression (labelled rows)": baselines["mean impute + LogisticRegression"],
    }


def sweep_methods(modalities, quick: bool, early_stopping=True) -> dict[str, object]:
    cmdm = cmdm_factory(common_settings(modalities, quick, early_stopping))
    methods = {f"CMDM mmd_weight={w}": cmdm(mmd_weight=w) for w in (1.0, 0.1, 0.01, 0.0)}
    methods["CMDM ablation: no MMD, labelled rows only"] = cmdm(mmd_weight=0.0, use_unlabelled=False)
    return methods


def terms_methods(modalities, quick: bool, early_stopping=True) -> dict[str, object]:
    cmdm = cmdm_factory(common_settings(modalities, quick, early_stopping))
    return {
        "CMDM default (reconstruction + MMD on all rows)": cmdm(),
        "CMDM, no reconstruction": cmdm(reconstruction_weight=0.0),
        "CMDM, no MMD": cmdm(mmd_weight=0.0),
        "CMDM, neither term (unlabelled rows inert)": cmdm(reconstruction_weight=0.0, mmd_weight=0.0),
        "CMDM ablation: no MMD, labelled rows only": cmdm(mmd_weight=0.0, use_unlabelled=False),
    }


def fusion_methods(modalities, quick: bool, early_stopping=True) -> dict[str, object]:
    cmdm = cmdm_factory(common_settings(modalities, quick, early_stopping))
    ablation = dict(mmd_weight=0.0, use_unlabelled=False)
    return {
        "CMDM, mean of the observed latents (default)": cmdm(),
        "CMDM, concatenated latents (missing ones zero)": cmdm(fusion="concat"),
        "CMDM ablation, mean": cmdm(**ablation),
        "CMDM ablation, concatenated": cmdm(fusion="concat", **ablation),
    }


def noise_methods(modalities, quick: bool, early_stopping=True) -> dict[str, object]:
    cmdm = cmdm_factory(common_settings(modalities, quick, early_stopping))
    ablation = dict(mmd_weight=0.0, use_unlabelled=False)
    return {
        "CMDM noise_std=0.1": cmdm(noise_std=0.1),
        "CMDM noise_std=0.3": cmdm(noise_std=0.3),
        "CMDM noise_std=1.0": cmdm(noise_std=1.0),
        "CMDM ablation, noise_std=0.1": cmdm(noise_std=0.1, **ablation),
        "CMDM ablation, noise_std=1.0": cmdm(noise_std=1.0, **ablation),
    }


#: mode -> (method factory, label fractions, output stem, report title)
MODES = {
    "main": (methods, (0.01, 0.05, 0.2, 1.0), "cmdm", "CrossModalMatchingClassifier under label scarcity"),
    "sweep": (sweep_methods, (0.05, 1.0), "mmd_weight", "CMDM: the MMD weight"),
    "terms": (terms_methods, (0.05, 0.2), "terms", "CMDM: which unlabelled-row term moves the accuracy"),
    "fusion": (fusion_methods, (0.05, 0.2, 1.0), "fusion", "CMDM: how the classifier fuses the latents"),
    "noise": (noise_methods, (0.05, 0.2, 1.0), "noise", "CMDM: the denoising input noise"),
}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", default=["mosi", "deap", "wesad"], choices=list(ALL_DATASETS))
    parser.add_argument("--quick", action="store_true", help="fewer folds and epochs")
    parser.add_argument("--data-home", default=None)
    parser.add_argument("--n-jobs", type=int, default=1)
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--sweep", action="store_true", help="the mmd_weight sweep (mmd_weight.md)")
    mode.add_argument("--terms", action="store_true", help="each unlabelled-row term switched off (terms.md)")
    mode.add_argument("--fusion", action="store_true", help="mean against concatenated latents (fusion.md)")
    mode.add_argument("--noise", action="store_true", help="the denoising input noise (noise.md)")
    parser.add_argument("--tag", default="", help="suffix of the output files (keeps earlier runs)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0],
                        help="fit every method once per seed (same folds, labels and masks); default: 0")
    parser.add_argument(
        "--early-stopping", choices=["true", "auto"], default="true",
        help='early_stopping of the skmmer estimators ("auto" is off below 1000 labelled rows)',
    )
    args = parser.parse_args(argv)

    early_stopping = True if args.early_stopping == "true" else "auto"
    start = time.perf_counter()
    mode = next((m for m in ("sweep", "terms", "fusion", "noise") if getattr(args, m)), "main")
    make_methods, fractions, stem, title = MODES[mode]
    missing_only = mode in ("sweep", "terms")
    frames = []
    for name in args.datasets:
        data = ALL_DATASETS[name](args.data_home, args.quick)
        X_missing = simulate_missing(data["X"], data["modalities"], rate=0.3, random_state=0)
        settings = (("0% missing", data["X"]), ("30% missing", X_missing))
        for label, X in settings[1:] if missing_only else settings:
            print(f"[{name}] labels, {label}; cv: {data['cv_name']}", file=sys.stderr)
            frames.append(run_study(
                with_seeds(make_methods(data["modalities"], args.quick, early_stopping), args.seeds),
                X, data["y"], data["modalities"],
                protocols=[LabelFractions(fractions, name=f"labels, {label}")], cv=data["cv"],
                groups=data["groups"], dataset=name, n_jobs=args.n_jobs, random_state=0, verbose=1,
            ))
    results = pd.concat(frames, ignore_index=True)
    elapsed = time.perf_counter() - start

    RESULTS.mkdir(parents=True, exist_ok=True)
    suffix = f"_{args.tag}" if args.tag else ""
    folds_file = "folds" if mode == "main" else f"{stem}_folds"
    results.to_csv(RESULTS / f"{folds_file}{suffix}.csv", index=False)
    stem += suffix
    command = command_line(__file__, argv)
    spread = (
        "mean ± std over folds" if len(args.seeds) == 1
        else f"mean over folds, then mean ± std over {len(args.seeds)} seeds"
    )
    lines = [f"# {title}", "",
             *environment_lines(command, elapsed), "",
             f"Balanced accuracy, {spread}; settings are the fraction of training labels kept.", ""]
    summary = summarize_over_seeds(results)
    for (protocol, dataset), block in summary.groupby(["protocol", "dataset"], sort=False):
        ua = block[block["metric"] == "UA"]
        lines += [f"## {dataset}, {protocol}", "",
                  to_markdown(pivot_summary(ua, rows="method", columns=varying_key(block))), ""]
    fit = summary[summary["metric"] == "UA"].groupby(["dataset", "method"], sort=False)["fit_time"].mean()
    lines += ["## Mean fit time per fold (s)", "", to_markdown(fit.round(2).reset_index()), ""]
    write_report(RESULTS / f"{stem}.md", lines)
    return 0


if __name__ == "__main__":
    sys.exit(main())
