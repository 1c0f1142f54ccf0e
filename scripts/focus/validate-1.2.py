#!/usr/bin/env python3
"""Validate FOCUS 1.2 exports with the FinOps Foundation's focus-validator 2.2.1 (its bundled
1.2 rules, offline), then check what its rules leave out; exit 1 on any real failure. Run it
through scripts/focus-validate.

Runs under the virtual environment that .ci/run makes (Python 3.12 or later), or make it yourself:
  python3.12 -m venv ~/.cache/govreview-venvs/focus12
  ~/.cache/govreview-venvs/focus12/bin/pip install -r scripts/focus/requirements-1.2.txt
and re-executes itself there when started with another Python.

How the validator is run and read:
- In-process, from the folder above its package: it opens focus_validator/rules/currency_codes.csv
  relative to the working directory. Its exit code says nothing about the rules; its results are
  read rule by rule.
- With the applicability criteria of a token-priced API sold with spend commitments, workspaces
  and tags (CRITERIA below), so that the rules of every column the export has are applied.
- A failed rule counts unless (a) a rule that names it inside an OR passed (InvoiceId-C-003-C is
  "C-004 must be null OR C-005 must not be null": one of the two always fails), (b) it is a known
  defect of the 1.2.0.1 rules (KNOWN_DEFECTS), (c) it asks for ASCII text, which FOCUS does not
  (STRICTER_THAN_FOCUS), or (d) it only combines failures that do not count.
  The failures that do not count are listed as expected.

What the validator does not check (its "dynamic" rules are skipped, and an OR of allowed values
passes when one row has one), checked here on every row:
- allowed values of ChargeCategory, ChargeClass, ChargeFrequency, PricingCategory,
  CommitmentDiscountStatus/Category, ServiceCategory and ServiceSubcategory;
- a Purchase is neither Usage-Based nor Committed-priced, and carries its CommitmentDiscountQuantity;
- nothing is consumed on an Unused row; CommitmentDiscountUnit is set exactly with its quantity;
- ListCost = ListUnitPrice x PricingQuantity and ContractedCost = ContractedUnitPrice x
  PricingQuantity (to 1e-9 relative), ContractedCost <= ListCost;
- date-times as YYYY-MM-DDTHH:mm:ssZ, charge periods inside their billing period;
- Tags and SkuPriceDetails are JSON objects, SkuPriceDetails' keys start with x_;
- BillingCurrency and PricingCurrency are USD, the PricingCurrency* columns equal their USD ones.
"""
import contextlib
import datetime
import io
import json
import math
import os
import re
import sys

VENV = os.path.expanduser(os.environ.get("GOVREVIEW_FOCUS12_VENV", "~/.cache/govreview-venvs/focus12"))

CRITERIA = ",".join([
    "ACCOUNT_NAMING_SUPPORTED",
    "COMMITMENT_DISCOUNT_SUPPORTED",
    "MULTIPLE_PRICING_CATEGORIES_SUPPORTED",
    "NEGOTIATED_PRICING_SUPPORTED",
    "PUBLIC_PRICE_LIST_SUPPORTED",
    "USAGE_MEASUREMENT_SUPPORTED",
    "UNIT_PRICING_SUPPORTED",
    "SUB_ACCOUNT_SUPPORTED",
    "TAGGING_SUPPORTED",
])

# Defects of the 1.2.0.1 requirements model itself. CommitmentDiscountStatus-C-004-C's condition
# reads "CommitmentDiscountId IS NULL" where the specification says "is not null and ChargeCategory
# is Usage", so it contradicts C-003-C on every row without a commitment (FOCUS_Spec issue #2393).
KNOWN_DEFECTS = {"CommitmentDiscountStatus-C-004-C"}
# The rules that a column "MUST conform to StringHandling requirements" are checked as "contains
# only ASCII characters" (CheckFunction FormatString), which FOCUS does not ask: its StringHandling
# attribute asks that values keep their original casing and spacing, and says nothing of ASCII.
# Names are exported as the data gives them (a workspace called "Zürich" stays "Zürich"), so these
# failures are expected, and named as such.
STRICTER_THAN_FOCUS = "FormatString"


def reexec_in_venv():
    py = os.path.join(VENV, "bin", "python")
    if os.path.realpath(sys.prefix) != os.path.realpath(VENV) and os.path.exists(py):
        os.execv(py, [py] + sys.argv)


def run_validator(path):
    """The validator's verdict: (rows, passed, skipped, expected failures, real failures)."""
    import focus_validator
    from focus_validator.validator import Validator

    here = os.getcwd()
    os.chdir(os.path.dirname(os.path.dirname(focus_validator.__file__)))
    try:
        v = Validator(data_filename=path, output_destination=None, output_type="console",
                      rules_version="1.2", rules_block_remote_download=True,
                      focus_dataset="CostAndUsage", applicability_criteria=CRITERIA)
        with contextlib.redirect_stdout(io.StringIO()):
            res = v.validate()
    finally:
        os.chdir(here)

    def status(e):
        d = e.get("details") or {}
        return "SKIP" if d.get("skipped") else ("PASS" if e.get("ok") else "FAIL")

    st = {rid: status(e) for rid, e in res.by_rule_id.items()}
    or_parents, children = {}, {}

    def walk(node, rid, in_or, out):
        if not isinstance(node, dict):
            return
        f = node.get("CheckFunction")
        if f == "CheckModelRule":
            out.append(node["ModelRuleId"])
            if in_or:
                or_parents.setdefault(node["ModelRuleId"], []).append(rid)
            return
        for it in node.get("Items", []) or []:
            walk(it, rid, in_or or f == "OR", out)

    for rid, rule in res.rules.items():
        children[rid] = []
        walk(rule.validation_criteria.requirement, rid, False, children[rid])
    ascii_only = {rid for rid, rule in res.rules.items()
                  if (rule.validation_criteria.requirement or {}).get("CheckFunction") == STRICTER_THAN_FOCUS}
    memo = {}

    def real(rid):
        if rid in memo:
            return memo[rid]
        memo[rid] = False
        if st.get(rid) != "FAIL" or rid in KNOWN_DEFECTS or rid in ascii_only or any(
                st.get(p) == "PASS" for p in or_parents.get(rid, [])):
            r = False
        elif children.get(rid):
            failed = [c for c in children[rid] if st.get(c) == "FAIL"]
            r = not failed or any(real(c) for c in failed)
        else:
            r = True
        memo[rid] = r
        return r

    failed = sorted(r for r in st if st[r] == "FAIL")
    reals = [r for r in failed if real(r)]
    expected = [r + (" (non-ASCII text)" if r in ascii_only else "") for r in failed if not real(r)]
    messages = {}
    for rid in reals:
        d = res.by_rule_id[rid].get("details") or {}
        messages[rid] = f"{res.rules[rid].validation_criteria.must_satisfy} ({d.get('message')})"
    count = lambda k: sum(1 for v in st.values() if v == k)  # noqa: E731
    return res.data_row_count, count("PASS"), count("SKIP"), expected, [(r, messages[r]) for r in reals]


def read_rows(path):
    """Every row as a dict of text (None for null), as a loader reads it."""
    import polars as pl

    if path.endswith(".parquet"):
        df = pl.read_parquet(path)
    else:
        df = pl.read_csv(path, infer_schema=False)  # an empty cell is null
    def cell(v):
        # A Parquet timestamp in UTC reads as FOCUS writes date-times in CSV; any other zone stays
        # as it is (and fails the format check).
        if isinstance(v, datetime.datetime) and v.utcoffset() == datetime.timedelta(0):
            return v.strftime("%Y-%m-%dT%H:%M:%SZ")
        return v

    for row in df.iter_rows(named=True):
        yield {k: cell(v) for k, v in row.items()}


ALLOWED = {
    "ChargeCategory": {"Usage", "Purchase", "Tax", "Credit", "Adjustment"},
    "ChargeClass": {None, "Correction"},
    "ChargeFrequency": {"One-Time", "Recurring", "Usage-Based"},
    "PricingCategory": {None, "Standard", "Dynamic", "Committed", "Other"},
    "CommitmentDiscountStatus": {None, "Used", "Unused"},
    "CommitmentDiscountCategory": {None, "Spend", "Usage"},
    "ServiceCategory": {"AI and Machine Learning"},
    "ServiceSubcategory": {"Generative AI"},
    "BillingCurrency": {"USD"},
    "PricingCurrency": {"USD"},
}
DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")


def num(v):
    return None if v is None else float(v)


def close(a, b):
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)


def own_checks(path):
    """What the rules leave out: a list of (row number, problem)."""
    bad = []
    for i, r in enumerate(read_rows(path), start=1):
        def fail(msg):
            if len(bad) < 20:
                bad.append((i, msg))
        for col, allowed in ALLOWED.items():
            if r.get(col) not in allowed:
                fail(f"{col} is {r.get(col)!r}")
        cat, status = r["ChargeCategory"], r["CommitmentDiscountStatus"]
        if cat == "Purchase":
            if r["ChargeFrequency"] == "Usage-Based":
                fail("a Purchase is Usage-Based")
            if r["PricingCategory"] == "Committed":
                fail("a Purchase is priced Committed")
            if r["CommitmentDiscountId"] is not None and r["CommitmentDiscountQuantity"] is None:
                fail("a commitment Purchase without CommitmentDiscountQuantity")
            if status is not None:
                fail("a Purchase has a CommitmentDiscountStatus")
        if status == "Unused" and (r["ConsumedQuantity"] is not None or r["ConsumedUnit"] is not None):
            fail("something is consumed on an Unused row")
        if (r["CommitmentDiscountQuantity"] is None) != (r["CommitmentDiscountUnit"] is None):
            fail("CommitmentDiscountUnit without its quantity, or the other way round")
        if (r["CommitmentDiscountId"] is None) != (r["CommitmentDiscountCategory"] is None):
            fail("CommitmentDiscountCategory set without an Id, or the other way round")
        if cat == "Usage" and r["CommitmentDiscountId"] is not None and status is None:
            fail("covered usage without a CommitmentDiscountStatus")
        q = num(r["PricingQuantity"])
        for unit, cost in (("ListUnitPrice", "ListCost"), ("ContractedUnitPrice", "ContractedCost")):
            p = num(r[unit])
            if p is not None and q is not None and not close(p * q, num(r[cost])):
                fail(f"{cost} {r[cost]} is not {unit} {r[unit]} x PricingQuantity {r['PricingQuantity']}")
        if num(r["ContractedCost"]) > num(r["ListCost"]) + 1e-9:
            fail("ContractedCost above ListCost")
        for a, b in (("PricingCurrencyListUnitPrice", "ListUnitPrice"),
                     ("PricingCurrencyContractedUnitPrice", "ContractedUnitPrice"),
                     ("PricingCurrencyEffectiveCost", "EffectiveCost")):
            if num(r[a]) != num(r[b]):
                fail(f"{a} differs from {b}")
        for col in ("BillingPeriodStart", "BillingPeriodEnd", "ChargePeriodStart", "ChargePeriodEnd"):
            if not DATETIME.match(str(r[col])):
                fail(f"{col} {r[col]!r} is not YYYY-MM-DDTHH:mm:ssZ")
        if not (r["BillingPeriodStart"] <= r["ChargePeriodStart"] < r["ChargePeriodEnd"] <= r["BillingPeriodEnd"]):
            fail("the charge period is not inside the billing period")
        for col in ("Tags", "SkuPriceDetails"):
            try:
                obj = json.loads(r[col]) if r[col] is not None else {}
            except ValueError:
                fail(f"{col} is not JSON")
                continue
            if not isinstance(obj, dict):
                fail(f"{col} is not a JSON object")
            elif col == "SkuPriceDetails" and any(not k.startswith("x_") for k in obj):
                fail("a SkuPriceDetails key without x_")
    return bad


# The columns the row checks read: a file without them is not a FOCUS 1.2 cost and usage file.
NEEDED = ["BilledCost", "ChargeCategory", "ChargeFrequency", "ChargePeriodStart", "CommitmentDiscountId",
          "CommitmentDiscountQuantity", "CommitmentDiscountUnit", "CommitmentDiscountStatus", "ConsumedQuantity",
          "ListCost", "PricingQuantity", "ServiceSubcategory", "SkuPriceDetails", "Tags"]


def columns(path):
    import polars as pl

    if path.endswith(".parquet"):
        return list(pl.read_parquet_schema(path))
    with open(path, newline="", encoding="utf-8", errors="replace") as f:
        import csv
        return next(csv.reader(f), [])


def wrong_kind(path):
    """Why the file is not one this script validates, or None."""
    try:
        have = set(columns(path))
    except Exception as e:  # noqa: BLE001 - any unreadable file gets the same answer
        return f"cannot be read as CSV or Parquet ({e})"
    if "ContractCommitmentId" in have:
        return ("a FOCUS 1.3 Contract Commitment file (export --commitments): no validator checks FOCUS 1.3 "
                "offline yet; its columns are tested against the specification's list")
    missing = [c for c in NEEDED if c not in have]
    if not missing:
        return None
    hint = ("; a FOCUS 1.0 export (export --focus-version 1.0)? run scripts/focus-validate --version 1.0 FILE"
            if "ChargeCategory" in have else "")
    return f"not a FOCUS 1.2 cost and usage file (no {', '.join(missing[:4])}{' ...' if len(missing) > 4 else ''}){hint}"


def validate(path):
    path = os.path.abspath(path)
    if not os.path.isfile(path):
        print(f"{path}: no such file")
        return 2
    why = wrong_kind(path)
    if why:
        print(f"{path}: {why}")
        return 2
    rows, passed, skipped, expected, reals = run_validator(path)
    if rows == 0:
        print(f"{path}: no rows to validate")
        return 1
    bad = own_checks(path)
    for rid, msg in reals:
        print(f"{path}: FAIL {rid}: {msg}")
    for i, msg in bad:
        print(f"{path}: row {i}: {msg}")
    if len(bad) == 20:
        print(f"{path}: (the first 20 problems)")
    print(f"{path}: FOCUS 1.2, {rows} rows: focus-validator 2.2.1 rules {passed} passed, "
          f"{len(reals)} failed, {skipped} skipped (not applicable or dynamic); "
          f"{len(expected)} expected ({', '.join(expected) or 'none'}); "
          f"row checks: {len(bad)} failed")
    return 1 if reals or bad else 0


def main(paths):
    if not paths:
        print(__doc__, file=sys.stderr)
        return 2
    reexec_in_venv()
    try:
        import focus_validator  # noqa: F401
    except ImportError:
        print(f"focus-validator is not installed: make the virtual environment {VENV} (see the top of this script)",
              file=sys.stderr)
        return 2
    return max(validate(p) for p in paths)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
