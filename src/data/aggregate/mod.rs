//! Aggregation into the cube: the slots both engines sum, and the one function that turns a
//! group's sums into a cube row. [`query`] is the general polars query, [`parquet`] the
//! dictionary-code fast path for plain Parquet.

use chrono::NaiveDate;

use crate::cube::CubeRow;
use crate::month::Month;
use crate::pricing::{Tokens, Variant};

pub(crate) mod query;

pub(crate) fn epoch_days(d: NaiveDate) -> i32 {
    (d - NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch")).num_days() as i32
}

pub(crate) fn from_epoch_days(d: i32) -> NaiveDate {
    NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch") + chrono::Duration::days(d as i64)
}

/// A group's text keys as the cube holds them; the one rule both loading paths follow: an empty
/// dimension is no dimension, a missing model is the empty model (a bad row), a missing tier is
/// standard.
pub(crate) struct TextKeys {
    pub(crate) team: Option<String>,
    pub(crate) app: Option<String>,
    pub(crate) workspace_id: Option<String>,
    pub(crate) api_key_id: Option<String>,
    pub(crate) model: String,
    pub(crate) tier: String,
}

impl TextKeys {
    /// From team, app, workspace ID, API key ID, model and tier as read.
    fn new([team, app, ws, key, model, tier]: [Option<String>; 6]) -> TextKeys {
        let some = |t: Option<String>| t.filter(|s| !s.is_empty());
        TextKeys {
            team: some(team),
            app: some(app),
            workspace_id: some(ws),
            api_key_id: some(key),
            model: model.unwrap_or_default(),
            tier: tier.unwrap_or_else(|| "standard".into()),
        }
    }
}

/// A group's text keys as [`TextKeys`] reads them, as keys again: texts that make the same cube
/// row (a null and an empty team, a null and a `standard` tier) become the same key, for an
/// engine that keys its groups on the text as read.
pub(crate) fn same_keys(texts: [Option<String>; 6]) -> [Option<String>; 6] {
    let k = TextKeys::new(texts);
    [
        k.team,
        k.app,
        k.workspace_id,
        k.api_key_id,
        Some(k.model),
        Some(k.tier),
    ]
}

/// The counts both engines sum per group, in this order: the general query names its sum columns
/// by [`Slot::column`], the fast path indexes its accumulators by [`Slot`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Slot {
    /// Uncached input tokens.
    U,
    /// 5-minute cache writes.
    W5,
    /// 1-hour cache writes.
    W1,
    /// Cache reads.
    R,
    /// Output tokens.
    O,
    /// Requests, over rows that carry a count.
    Req,
    /// Rows that carry a request count.
    ReqRows,
    /// Output tokens of rows that carry a request count.
    OReq,
    /// Web search requests.
    Web,
    /// Billed cost in 1e-8 USD (exact, order-independent sums).
    CostE8,
}

/// Number of slots.
pub(crate) const SLOTS: usize = 10;

impl Slot {
    /// Every slot, in order.
    pub(crate) const ALL: [Slot; SLOTS] = [
        Slot::U,
        Slot::W5,
        Slot::W1,
        Slot::R,
        Slot::O,
        Slot::Req,
        Slot::ReqRows,
        Slot::OReq,
        Slot::Web,
        Slot::CostE8,
    ];

    /// The general query's column for the slot.
    pub(crate) const fn column(self) -> &'static str {
        match self {
            Slot::U => "u",
            Slot::W5 => "w5",
            Slot::W1 => "w1",
            Slot::R => "r",
            Slot::O => "o",
            Slot::Req => "req",
            Slot::ReqRows => "req_rows",
            Slot::OReq => "o_req",
            Slot::Web => "web",
            Slot::CostE8 => "cost_e8",
        }
    }
}

/// A group's sums, row count and day span, as both engines produce them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Sums {
    /// Sums by [`Slot`].
    pub(crate) slots: [i64; SLOTS],
    /// Raw rows.
    pub(crate) rows: i64,
    /// First day (days since 1970-01-01).
    pub(crate) first: i32,
    /// Last day.
    pub(crate) last: i32,
}

impl Sums {
    /// No rows yet.
    pub(crate) const EMPTY: Sums = Sums {
        slots: [0; SLOTS],
        rows: 0,
        first: i32::MAX,
        last: i32::MIN,
    };

    /// Adds another group's sums; false when a sum would not fit 64 bits.
    #[must_use]
    pub(crate) fn merge(&mut self, o: &Sums) -> bool {
        let mut fits = true;
        for (a, b) in self.slots.iter_mut().zip(o.slots) {
            match a.checked_add(b) {
                Some(v) => *a = v,
                None => fits = false,
            }
        }
        self.rows += o.rows;
        self.first = self.first.min(o.first);
        self.last = self.last.max(o.last);
        fits
    }

    /// The sum of a slot.
    pub(crate) fn get(&self, s: Slot) -> i64 {
        self.slots[s as usize]
    }
}

/// Parts a month can be summed in (between the days its prices change).
pub(crate) const PARTS: i32 = 8;

/// How a month's rows are split: at the commitment term's edges (when the term starts or ends
/// inside a month) and at the days prices change, so that no cube row holds usage billed at two
/// prices.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Split {
    /// The term as days since 1970-01-01, when it starts or ends inside a month.
    pub(crate) term: Option<(i32, i32)>,
    /// Days prices change (days since 1970-01-01, sorted), first days of months left out.
    pub(crate) cuts: Vec<i32>,
}

impl Split {
    /// A split at the term (when it does not align with months) and at the price changes.
    pub(crate) fn new(term: Option<(i32, i32)>, changes: &[NaiveDate]) -> Split {
        let mut cuts: Vec<i32> = changes
            .iter()
            .filter(|d| Month::of(**d).first_day() != **d)
            .map(|d| epoch_days(*d))
            .collect();
        cuts.sort_unstable();
        cuts.dedup();
        Split { term, cuts }
    }

    /// Whether a day lies in the term (only meaningful when the term splits months).
    pub(crate) fn in_term(&self, d: i32) -> bool {
        self.term.is_some_and(|(s, e)| d >= s && d <= e)
    }

    /// The part of its month a day falls in: the price changes of that month on or before it.
    pub(crate) fn segment(&self, d: i32) -> i32 {
        if self.cuts.is_empty() {
            return 0;
        }
        let m = Month::of(from_epoch_days(d));
        self.cuts
            .iter()
            .filter(|&&c| c <= d && Month::of(from_epoch_days(c)) == m)
            .count()
            .min(PARTS as usize - 1) as i32
    }

    /// The month and its part as one ordered number: month index x [`PARTS`] + part.
    pub(crate) fn period(&self, d: i32) -> i32 {
        Month::of(from_epoch_days(d)).index() * PARTS + self.segment(d)
    }
}

/// A period (see [`Split::period`]) as its month and part.
pub(crate) fn month_part(period: i32) -> (Month, u8) {
    (
        Month::from_index(period.div_euclid(PARTS)),
        period.rem_euclid(PARTS) as u8,
    )
}

/// Where a group stands: file, month and the flags the cube keys on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Group {
    /// Index of the input file.
    pub(crate) file: usize,
    /// Month.
    pub(crate) month: Month,
    /// The part of the month between price changes.
    pub(crate) segment: u8,
    /// Inside the commitment term.
    pub(crate) in_term: bool,
    /// The rows carry a billed cost.
    pub(crate) billed: bool,
}

pub(crate) use crate::cube::VARIANT_KEYS;

/// A variant as read: an empty value is no value.
pub(crate) fn variant([geo, speed, context_window, prompt_band]: [Option<String>; 4]) -> Variant {
    let some = |t: Option<String>| t.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
    Variant {
        geo: some(geo),
        speed: some(speed),
        context_window: some(context_window),
        prompt_band: some(prompt_band),
    }
}

/// The one function that turns a group's text keys and sums into a cube row, for both engines.
pub(crate) fn cube_row(g: Group, texts: [Option<String>; 6], v: Variant, s: &Sums) -> CubeRow {
    let k = TextKeys::new(texts);
    let count = |slot: Slot| s.get(slot) as u64;
    CubeRow {
        month: g.month,
        segment: g.segment,
        variant: v,
        file: g.file,
        team: k.team,
        app: k.app,
        workspace_id: k.workspace_id,
        api_key_id: k.api_key_id,
        model: k.model,
        tier: k.tier,
        in_term: g.in_term,
        billed: g.billed,
        tokens: Tokens {
            uncached_input: count(Slot::U),
            cache_write_5m: count(Slot::W5),
            cache_write_1h: count(Slot::W1),
            cache_read: count(Slot::R),
            output: count(Slot::O),
        },
        requests: count(Slot::Req),
        output_with_requests: count(Slot::OReq),
        web_search_requests: count(Slot::Web),
        billed_cost: s.get(Slot::CostE8) as f64 / 1e8,
        rows: s.rows as u64,
        first_day: from_epoch_days(s.first),
        last_day: from_epoch_days(s.last),
    }
}

/// The slots the daily series sums, in order: U, W5, W1, R, O and the billed cost in 1e-8 USD.
pub(crate) const DAY_SLOTS: [Slot; 6] =
    [Slot::U, Slot::W5, Slot::W1, Slot::R, Slot::O, Slot::CostE8];

/// A day's sums of one model and tier as a row of the daily series, by the cube's key rule.
pub(crate) fn day_row(
    day: i32,
    model: Option<String>,
    tier: Option<String>,
    variant: Variant,
    billed: bool,
    s: &[i64; 6],
) -> crate::cube::DayRow {
    let k = TextKeys::new([None, None, None, None, model, tier]);
    crate::cube::DayRow {
        day: from_epoch_days(day),
        model: k.model,
        tier: k.tier,
        variant,
        billed,
        tokens: Tokens {
            uncached_input: s[0] as u64,
            cache_write_5m: s[1] as u64,
            cache_write_1h: s[2] as u64,
            cache_read: s[3] as u64,
            output: s[4] as u64,
        },
        billed_cost: s[5] as f64 / 1e8,
    }
}

/// Whether a month lies in the commitment term (for terms of whole months).
pub(crate) fn in_term_by_month(month: Month, term: Option<(NaiveDate, NaiveDate)>) -> bool {
    term.is_some_and(|(s, e)| month >= Month::of(s) && month <= Month::of(e))
}
