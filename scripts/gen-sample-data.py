#!/usr/bin/env python3
"""Generate the bundled sample usage data (deterministic; standard library only).

Northwind Robotics, January to October 2026: six teams, thirteen apps, Opus / Sonnet / Haiku,
standard and batch tiers, one CSV per month in the canonical schema. Planted for the October
review to catch:
  * a launch defaulting to Opus: growth's new `sales-assistant` (from 2026-09-22) runs on
    claude-opus-4-5;
  * a prompt change that broke caching: support's `helpdesk-bot` from 2026-10-06;
  * batch work creeping back to real time: data's `doc-extraction`, August to October;
  * a commitment heading for an unused balance ($1.2M for 2026, spend well below pace);
  * one stray API key that no allocation rule covers (unallocated spend).

Usage: python3 scripts/gen-sample-data.py [OUT_DIR]   (default: sample-data/usage)
"""

import csv
import datetime as dt
import os
import random
import sys

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join("sample-data", "usage")
START = dt.date(2026, 1, 1)
END = dt.date(2026, 10, 31)

# app: (team or None, workspace, api key, model, requests/day, input tokens/request,
#       cache-read share of input, output tokens/request, batch fraction)
APPS = {
    "helpdesk-bot": ("support", "wrkspc_support", "apikey_support_bot", "claude-sonnet-4-5-20250929", 9000, 6000, 0.74, 420, 0.0),
    "ticket-triage": ("support", "wrkspc_support", "apikey_support_triage", "claude-haiku-4-5-20251001", 30000, 1800, 0.30, 60, 0.65),
    "query-rewriter": ("search", "wrkspc_search", "apikey_search_rw", "claude-haiku-4-5-20251001", 80000, 700, 0.45, 40, 0.0),
    "answer-synth": ("search", "wrkspc_search", "apikey_search_synth", "claude-sonnet-4-5-20250929", 12000, 9000, 0.62, 650, 0.0),
    "email-drafts": ("growth", "wrkspc_growth", "apikey_growth_email", "claude-sonnet-4-5-20250929", 5000, 2500, 0.40, 900, 0.55),
    "ad-copy": ("growth", "wrkspc_growth", "apikey_growth_ads", "claude-haiku-4-5-20251001", 15000, 1200, 0.35, 150, 0.30),
    "sales-assistant": ("growth", "wrkspc_growth", "apikey_growth_sales", "claude-opus-4-5-20251101", 5000, 14000, 0.30, 1500, 0.0),
    "code-review": ("platform", "wrkspc_platform", "apikey_platform_cr", "claude-opus-4-5-20251101", 1800, 22000, 0.70, 1100, 0.0),
    "internal-agent": ("platform", "wrkspc_platform", "apikey_platform_agent", "claude-sonnet-4-5-20250929", 4000, 16000, 0.72, 700, 0.0),
    "doc-extraction": ("data", "wrkspc_data", "apikey_data_extract", "claude-sonnet-4-5-20250929", 20000, 5000, 0.20, 500, 0.85),
    "report-summaries": ("data", "wrkspc_data", "apikey_data_reports", "claude-haiku-4-5-20251001", 8000, 7000, 0.25, 300, 0.90),
    # No team/app columns: allocated by workspace in the config.
    "contract-review": (None, "wrkspc_legal", "apikey_legal_cr", "claude-opus-4-5-20251101", 700, 30000, 0.55, 1200, 0.20),
    "clause-search": (None, "wrkspc_legal", "apikey_legal_cs", "claude-haiku-4-5-20251001", 6000, 3000, 0.50, 120, 0.0),
    # A stray key in the default workspace that no rule covers.
    "stray": (None, "", "apikey_01Xq7unknownkey", "claude-sonnet-4-5-20250929", 400, 4000, 0.10, 500, 0.0),
}

FIELDS = [
    "date", "workspace_id", "api_key_id", "team", "app", "model", "service_tier",
    "uncached_input_tokens", "cache_creation_5m_input_tokens", "cache_creation_1h_input_tokens",
    "cache_read_input_tokens", "output_tokens", "requests",
]


def growth(day):
    """Organic growth: about 2% a month."""
    return 1.0 + 0.02 * ((day - START).days / 30.0)


def app_params(app, day):
    team, ws, key, model, req, inp, cache, out, batch = APPS[app]
    if app == "sales-assistant" and day < dt.date(2026, 9, 22):
        return None
    if app == "sales-assistant":
        # Launch ramp over two weeks.
        req = int(req * min(1.0, ((day - dt.date(2026, 9, 22)).days + 1) / 14.0))
    if app == "helpdesk-bot" and day >= dt.date(2026, 10, 6):
        cache = 0.18  # the new system prompt interleaves per-user data before the stable context
    if app == "doc-extraction":
        if day >= dt.date(2026, 10, 1):
            batch = 0.25
        elif day >= dt.date(2026, 9, 1):
            batch = 0.50
        elif day >= dt.date(2026, 8, 1):
            batch = 0.70
    if app == "internal-agent" and day >= dt.date(2026, 6, 1):
        req = int(req * 1.25)  # adopted by two more teams
    return team, ws, key, model, req, inp, cache, out, batch


def main():
    rng = random.Random(20261023)
    os.makedirs(OUT, exist_ok=True)
    by_month = {}
    day = START
    while day <= END:
        weekend = day.weekday() >= 5
        for app in APPS:
            p = app_params(app, day)
            if p is None:
                continue
            team, ws, key, model, req, inp, cache, out, batch = p
            scale = growth(day) * (0.55 if weekend else 1.0) * rng.uniform(0.9, 1.1)
            requests = max(1, int(req * scale))
            for tier, frac in (("batch", batch), ("standard", 1.0 - batch)):
                n = int(round(requests * frac))
                if n == 0:
                    continue
                total_in = n * inp * rng.uniform(0.95, 1.05)
                read = int(total_in * cache)
                w5 = int(total_in * 0.04)
                w1 = int(total_in * 0.01) if app in ("internal-agent", "code-review") else 0
                uncached = int(total_in) - read - w5 - w1
                output = int(n * out * rng.uniform(0.9, 1.1))
                by_month.setdefault(day.strftime("%Y-%m"), []).append({
                    "date": day.isoformat(),
                    "workspace_id": ws,
                    "api_key_id": key,
                    "team": team or "",
                    "app": (app if team else ""),
                    "model": model,
                    "service_tier": tier,
                    "uncached_input_tokens": uncached,
                    "cache_creation_5m_input_tokens": w5,
                    "cache_creation_1h_input_tokens": w1,
                    "cache_read_input_tokens": read,
                    "output_tokens": output,
                    "requests": n,
                })
        day += dt.timedelta(days=1)
    for month, rows in sorted(by_month.items()):
        path = os.path.join(OUT, f"{month}.csv")
        with open(path, "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=FIELDS, lineterminator="\n")
            w.writeheader()
            w.writerows(rows)
        print(f"wrote {path} ({len(rows)} rows)")


# October 2026's launches on today's models, in files of their own (usage/current/) with the
# columns that price usage beyond its model and tier: inference_geo, speed, prompt_band.
#   platform/agent-runtime: Opus 5.5, US-only inference, a third of its requests in fast mode;
#   support/kb-summaries: Haiku 5.5, 3% of its requests with prompts over 100K tokens (its upper
#     band), half of the work through the Batch API;
#   search/research-assistant: Sonnet 5.5, caching well (its cache reads cost half from 2026-10-07).
CURRENT = {
    # app: (team, workspace, api key, model, requests/day, input tokens/request, cache-read
    #       share, output tokens/request, batch fraction)
    "agent-runtime": ("platform", "wrkspc_platform", "apikey_platform_runtime", "claude-opus-5-5", 600, 18000, 0.60, 900, 0.0),
    "kb-summaries": ("support", "wrkspc_support", "apikey_support_kb", "claude-haiku-5-5", 20000, 9000, 0.20, 250, 0.5),
    "research-assistant": ("search", "wrkspc_search", "apikey_search_research", "claude-sonnet-5-5", 3000, 12000, 0.65, 800, 0.0),
}
CURRENT_FIELDS = FIELDS + ["inference_geo", "speed", "prompt_band"]


def current():
    rng = random.Random(20261007)
    out = os.path.join(OUT, "current")
    os.makedirs(out, exist_ok=True)
    rows = []
    day = dt.date(2026, 10, 1)
    while day <= END:
        weekend = day.weekday() >= 5
        for app, (team, ws, key, model, req, inp, cache, outp, batch) in CURRENT.items():
            scale = (0.55 if weekend else 1.0) * rng.uniform(0.9, 1.1)
            requests = max(1, int(req * scale))
            # (tier, speed, prompt band, share of requests, input per request)
            if app == "agent-runtime":
                parts = [("standard", "fast", "", 1 / 3, inp), ("standard", "standard", "", 2 / 3, inp)]
                geo = "us"
            elif app == "kb-summaries":
                parts = [("batch", "standard", "base", 0.485, inp), ("standard", "standard", "base", 0.485, inp),
                         ("standard", "standard", "long", 0.03, 140000)]
                geo = "global"
            else:
                parts = [("standard", "standard", "", 1.0, inp)]
                geo = "global"
            for tier, speed, band, frac, per in parts:
                n = int(round(requests * frac))
                if n == 0:
                    continue
                total_in = n * per * rng.uniform(0.95, 1.05)
                read = int(total_in * cache)
                w5 = int(total_in * 0.04)
                uncached = int(total_in) - read - w5
                rows.append({
                    "date": day.isoformat(), "workspace_id": ws, "api_key_id": key, "team": team,
                    "app": app, "model": model, "service_tier": tier,
                    "uncached_input_tokens": uncached, "cache_creation_5m_input_tokens": w5,
                    "cache_creation_1h_input_tokens": 0, "cache_read_input_tokens": read,
                    "output_tokens": int(n * outp * rng.uniform(0.9, 1.1)), "requests": n,
                    "inference_geo": geo, "speed": speed, "prompt_band": band,
                })
        day += dt.timedelta(days=1)
    path = os.path.join(out, "2026-10.csv")
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=CURRENT_FIELDS, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    print(f"wrote {path} ({len(rows)} rows)")


if __name__ == "__main__":
    main()
    current()
