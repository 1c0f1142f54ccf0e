//! The plan: items ranked by dollars a year per week of effort, put into waves of at most
//! `backlog.wave_items` items and `backlog.wave_weeks` weeks, and dated (domain contract, part 3,
//! "Waves and dates"): a wave's items run in parallel, wave 1 starts on the review date and each
//! later wave on the day the one before ships; an item ships ceil(7 × effort) days after its wave
//! starts, and its saving counts from the day after.

use chrono::{Duration, NaiveDate};

use crate::config::Backlog as Settings;
use crate::report::Item;

/// Ranks items (ties: larger saving, then team, app and lever order), sets the waits aside, and
/// puts the rest into dated waves. Items already marked dropped are not ranked.
pub fn plan(mut items: Vec<Item>, s: &Settings, review_date: NaiveDate) -> Vec<Item> {
    items.sort_by(|a, b| {
        b.per_week
            .total_cmp(&a.per_week)
            .then_with(|| b.annual.total_cmp(&a.annual))
            .then_with(|| a.team.cmp(&b.team))
            .then_with(|| a.app.cmp(&b.app))
            .then_with(|| a.lever.cmp(&b.lever))
    });
    let (mut fund, mut waits): (Vec<Item>, Vec<Item>) = items
        .into_iter()
        .partition(|i| i.annual >= s.min_annual_saving);
    let mut wave = 0usize;
    let (mut count, mut weeks) = (0usize, 0.0f64);
    let mut start = review_date;
    let mut wave_ship = review_date;
    for (n, item) in fund.iter_mut().enumerate() {
        let fits =
            wave > 0 && count < s.wave_items && weeks + item.effort_weeks <= s.wave_weeks + 1e-9;
        if !fits {
            // The next wave starts the day the last one ships.
            if wave > 0 {
                start = wave_ship;
            }
            wave += 1;
            count = 0;
            weeks = 0.0;
        }
        count += 1;
        weeks += item.effort_weeks;
        let ship = start + Duration::days(ship_days(item.effort_weeks));
        wave_ship = wave_ship.max(ship);
        item.rank = Some(n + 1);
        item.wave = Some(wave);
        item.wave_start = Some(start);
        item.ship = Some(ship);
        item.saving_from = ship.succ_opt();
    }
    for w in &mut waits {
        w.waits = true;
    }
    fund.append(&mut waits);
    fund
}

/// Days from a wave's start to an item's ship date: ceil(7 × effort in weeks).
pub fn ship_days(effort_weeks: f64) -> i64 {
    (7.0 * effort_weeks - 1e-9).ceil().max(0.0) as i64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Lever;

    fn item(app: &str, monthly: f64, effort: f64) -> Item {
        Item {
            team: "t".into(),
            app: app.into(),
            owner: "Ann Lee".into(),
            lever: Lever::Caching,
            monthly,
            annual: 12.0 * monthly,
            effort_weeks: effort,
            per_week: 12.0 * monthly / effort,
            ..Item::default()
        }
    }

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn waves_cut_at_their_items_and_their_weeks_and_are_dated() {
        let s = Settings::default(); // 3 items, 8 weeks, $1,000 a year to fund
        let items = vec![
            item("a", 1000.0, 1.0),   // 12,000 / week
            item("b", 900.0, 1.0),    // 10,800
            item("c", 800.0, 1.0),    // 9,600: a, b, c fill wave 2 (3 items)
            item("d", 700.0, 1.0),    // 8,400: opens wave 3
            item("e", 3000.0, 6.0),   // 6,000: 1 + 6 = 7 weeks, joins wave 3
            item("f", 1000.0, 2.0),   // 6,000 (smaller saving than e): 9 weeks, opens wave 4
            item("g", 20.0, 1.0),     // $240 a year: waits
            item("h", 10_000.0, 9.0), // 13,333: first, alone in wave 1 (more than 8 weeks)
        ];
        let out = plan(items, &s, day("2026-11-10"));
        let got: Vec<(&str, Option<usize>, Option<usize>, bool)> = out
            .iter()
            .map(|i| (i.app.as_str(), i.rank, i.wave, i.waits))
            .collect();
        assert_eq!(
            got,
            [
                ("h", Some(1), Some(1), false),
                ("a", Some(2), Some(2), false),
                ("b", Some(3), Some(2), false),
                ("c", Some(4), Some(2), false),
                ("d", Some(5), Some(3), false),
                ("e", Some(6), Some(3), false),
                ("f", Some(7), Some(4), false),
                ("g", None, None, true),
            ]
        );
        // Wave 1 starts on the review date; h (9 weeks) ships 63 days later.
        let h = &out[0];
        assert_eq!(h.wave_start, Some(day("2026-11-10")));
        assert_eq!(h.ship, Some(day("2027-01-12")));
        assert_eq!(h.saving_from, Some(day("2027-01-13")));
        // Wave 2 starts the day wave 1 ships; its 1-week items ship 7 days later.
        assert_eq!(out[1].wave_start, Some(day("2027-01-12")));
        assert_eq!(out[1].ship, Some(day("2027-01-19")));
        // Wave 3 starts when wave 2's last item ships; e (6 weeks) ships 42 days after that.
        assert_eq!(out[4].wave_start, Some(day("2027-01-19")));
        assert_eq!(out[5].ship, Some(day("2027-03-02")));
        // Wave 4 starts when e ships (its wave's last item), not when d does.
        assert_eq!(out[6].wave_start, Some(day("2027-03-02")));
        assert_eq!(out[6].ship, Some(day("2027-03-16")));
        assert_eq!(out[7].ship, None);
    }

    #[test]
    fn half_a_week_ships_in_four_days() {
        assert_eq!(ship_days(0.5), 4);
        assert_eq!(ship_days(1.0), 7);
        assert_eq!(ship_days(3.0), 21);
    }
}
