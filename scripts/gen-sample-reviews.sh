#!/usr/bin/env bash
# Replays the sample organisation's review history: the August, September and October 2026
# reviews, with what owners did in between (closing, dropping and rescheduling actions, and a
# hand-written comment and note in the register). Writes OUT/2026-08, OUT/2026-09, OUT/2026-10,
# OUT/actions.toml and OUT/exports/ (OUT defaults to reviews/, the committed example).
#
# Usage: scripts/gen-sample-reviews.sh [OUT]      GOVREVIEW_BIN=path/to/govreview to skip cargo
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-reviews}"
read -r -a bin <<< "${GOVREVIEW_BIN:-cargo run -q --locked --}"
reg="$out/actions.toml"
gr() { "${bin[@]}" --config sample-data/govreview.toml --color never "$@"; }
# Spend budgets were introduced at the October review: the August and September reviews ran on
# the configuration without them.
before="sample-data/.govreview-before-budgets-$$.toml"
trap 'rm -f "$before"' EXIT
sed '/max_monthly_spend/d' sample-data/govreview.toml > "$before"
gr_before() { "${bin[@]}" --config "$before" --color never "$@"; }

rm -rf "$out/2026-08" "$out/2026-09" "$out/2026-10" "$out/exports" "$reg"

# The August review, held 2026-09-10: every finding gets an owned, dated action; the backlog's
# wave 1 gets one per item, due on its ship date (A-0002 downshift for search/answer-synth,
# A-0003 output for growth/email-drafts, A-0004 batch for data/doc-extraction).
gr_before review --month 2026-08 --as-of 2026-09-10 --out "$out" --quiet

# Between the August and September reviews: A-0001 is promised for the quarter end (and then
# slips); A-0002's cheaper model passes its quality check; A-0004 is closed as done.
gr actions assign A-0001 --owner "Dana Whitfield" --due 2026-09-30 --as-of 2026-09-12 --register "$reg" > /dev/null
gr actions validate A-0002 --on 2026-09-25 --note "Haiku 4.5 matched Sonnet on 95% of the 300 lookup questions of the eval set." --as-of 2026-09-25 --register "$reg" > /dev/null
gr actions assign A-0002 --owner "Marcus Chen" --due 2026-11-27 --as-of 2026-09-25 --register "$reg" > /dev/null
gr actions close A-0004 --as-of 2026-10-02 --note "Moved the nightly extraction back to the Batch API." --register "$reg" > /dev/null

# The September review, held 2026-10-10: A-0001 overdue; new actions A-0005..A-0007 (A-0006 holds
# the new sales assistant to the defaults; A-0007 is doc-extraction's batch item again).
gr_before review --month 2026-09 --as-of 2026-10-10 --out "$out" --quiet

# Between the September and October reviews: a rescheduled action with a hand-written comment,
# a hand-written note and link, a validation, and a lever dropped with its reason.
gr actions assign A-0007 --owner "Aisha Okafor" --due 2026-11-30 --as-of 2026-10-12 --register "$reg" > /dev/null
sed -i '/^id = "A-0007"$/i # Agreed at the 2026-10-10 review: the nightly extraction moves back to batch after the\n# schema migration, so the due date moved to the end of November.' "$reg"
sed -i '/^id = "A-0006"$/,/^opened = /{/^opened = /a notes = "Sales assistant launched on Opus by default; evaluating Sonnet 4.6 on the eval set first."\nlinks = ["https://tracker.example.com/GROWTH-412"]
}' "$reg"
gr actions validate A-0006 --on 2026-10-30 --note "Sonnet 4.6 matched Opus on 97% of the 400-case sales eval set; the switch ships behind a flag." --as-of 2026-10-30 --register "$reg" > /dev/null
gr actions assign A-0006 --owner "Elena Petrova" --due 2026-11-20 --as-of 2026-10-30 --register "$reg" > /dev/null
gr actions close A-0003 --dropped --as-of 2026-10-28 --note "Marketing keeps the long drafts: shorter emails converted worse in the September A/B test." --register "$reg" > /dev/null

# The October review, held 2026-11-10: A-0001 overdue and carried through two reviews; A-0003
# dropped (the output lever stays off growth/email-drafts, listed under Dropped); A-0004 done
# without effect (the batch share it was to raise fell: a follow-up for its owner, carried by
# A-0007); A-0002 and A-0006 validated, so their items count in the optimized floor.
gr review --month 2026-10 --as-of 2026-11-10 --out "$out" --quiet

# What finance loads: October as FOCUS 1.2 rows, the commitment as FOCUS 1.3's Contract Commitment
# dataset, the chargeback and budgets files.
mkdir -p "$out/exports"
gr export --month 2026-10 --as-of 2026-11-10 --focus "$out/exports/2026-10-focus.csv" \
  --commitments "$out/exports/2026-10-commitments.csv" \
  --chargeback "$out/exports/2026-10-chargeback.csv" --budgets "$out/exports/2026-10-budgets.csv" > /dev/null
