#!/usr/bin/env python3
"""Validate FOCUS 1.0 exports (`export --focus-version 1.0`) with the FinOps Foundation's
focus-validator 1.0.0; exit 1 on any failure. Run it through scripts/focus-validate --version 1.0.

Runs under the virtual environment that .ci/run makes (or make it yourself):
  python3 -m venv ~/.cache/govreview-venvs/focus
  ~/.cache/govreview-venvs/focus/bin/pip install -r scripts/focus/requirements-1.0.txt
and re-executes itself there when started with another Python.

focus-validator 1.0.0 (the last release for Python 3.11) exits 0 even when rules fail, so its
JUnit report is read instead. Its "1.0" rule set still names four columns by their FOCUS 0.5 IDs
(Provider, Publisher, InvoiceIssuer, ResourceID) and its SkuPriceId rule reads ChargeType, so each
export is validated as a temporary copy with those columns added, copied from their 1.0
counterparts (ProviderName, PublisherName, InvoiceIssuerName, ResourceId, ChargeCategory). The
export itself stays FOCUS 1.0.
"""
import csv
import os
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

VENV = os.path.expanduser(os.environ.get("GOVREVIEW_FOCUS_VENV", "~/.cache/govreview-venvs/focus"))
ALIASES = {
    "Provider": "ProviderName",
    "Publisher": "PublisherName",
    "InvoiceIssuer": "InvoiceIssuerName",
    "ResourceID": "ResourceId",
    "ChargeType": "ChargeCategory",
}


def reexec_in_venv():
    py = os.path.join(VENV, "bin", "python")
    if os.path.realpath(sys.prefix) != os.path.realpath(VENV) and os.path.exists(py):
        os.execv(py, [py] + sys.argv)


def validate(src):
    import focus_validator

    if not os.path.isfile(src):
        print(f"{src}: no such file")
        return 2
    if not src.lower().endswith(".csv"):
        print(f"{src}: FOCUS 1.0 is validated as CSV: export it with --focus-version 1.0 --focus FILE.csv")
        return 2
    with open(src, newline="", encoding="utf-8", errors="replace") as f:
        have = next(csv.reader(f), [])
    if "ChargeCategory" not in have or "ServiceSubcategory" in have:
        print(f"{src}: not a FOCUS 1.0 cost and usage file" + (
            "; a FOCUS 1.2 export: run scripts/focus-validate FILE" if "ServiceSubcategory" in have else ""))
        return 2
    tmp = tempfile.mkdtemp(prefix="focus-check-")
    data = os.path.join(tmp, "data.csv")
    report = os.path.join(tmp, "report.xml")
    with open(src, newline="") as fi, open(data, "w", newline="") as fo:
        r = csv.reader(fi)
        w = csv.writer(fo)
        header = next(r)
        extra = [a for a, s in ALIASES.items() if a not in header and s in header]
        idx = [header.index(ALIASES[a]) for a in extra]
        w.writerow(header + extra)
        rows = 0
        for row in r:
            w.writerow(row + [row[i] for i in idx])
            rows += 1
    if rows == 0:
        print(f"{src}: no rows to validate")
        return 1
    # The currency-code check opens a path relative to the package's parent folder.
    cwd = os.path.dirname(os.path.dirname(focus_validator.__file__))
    exe = os.path.join(os.path.dirname(sys.executable), "focus-validator")
    p = subprocess.run(
        [exe, "--data-file", data, "--validate-version", "1.0",
         "--output-type", "unittest", "--output-destination", report],
        cwd=cwd, capture_output=True, text=True)
    if p.returncode != 0 or not os.path.exists(report):
        print(f"{src}: focus-validator failed to run:\n{p.stdout}{p.stderr}")
        return 1
    root = ET.parse(report).getroot()
    bad = [(tc.get("name"), el.tag, el.get("message"))
           for tc in root.iter("testcase") for el in tc if el.tag in ("failure", "error")]
    for name, tag, msg in bad:
        print(f"{src}: {tag.upper()}: {name}: {msg}")
    print(f"{src}: {rows} rows, {int(root.get('tests')) - len(bad)} rules passed, {len(bad)} failed")
    return 1 if bad else 0


def main(paths):
    if not paths:
        print(__doc__, file=sys.stderr)
        return 2
    reexec_in_venv()
    try:
        import focus_validator  # noqa: F401
    except ImportError:
        print(f"focus-validator is not installed: make the virtual environment {VENV} (see the top of this script)", file=sys.stderr)
        return 2
    return max(validate(p) for p in paths)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
