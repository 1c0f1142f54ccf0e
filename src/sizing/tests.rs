use super::*;

fn bands() -> Vec<Band> {
    [(100_000.0, 0.05), (300_000.0, 0.10), (600_000.0, 0.15)]
        .map(|(min, discount)| Band { min, discount })
        .to_vec()
}

fn close(a: f64, b: f64) {
    assert!((a - b).abs() < 0.01, "{a} != {b}");
}

fn scenarios() -> Scenarios {
    Scenarios {
        optimized: [250_000.0, 300_000.0, 360_000.0],
        not_shipped: [300_000.0, 360_000.0, 432_000.0],
    }
}

#[test]
fn cost_and_unused_under_both_overage_rules() {
    // $237,500 at 5% covers $250,000 of list; $300,000 of list runs $50,000 over at list, or
    // $285,000 - $237,500 = $47,500 over at the committed rate.
    let b = bands();
    close(cost(237_500.0, 300_000.0, &b, Overage::List), 287_500.0);
    close(
        cost(237_500.0, 300_000.0, &b, Overage::Committed),
        285_000.0,
    );
    // Under it: the commitment is the cost, the rest unused: $237,500 - $200,000 x 0.95.
    close(cost(237_500.0, 200_000.0, &b, Overage::List), 237_500.0);
    close(unused(237_500.0, 200_000.0, &b), 47_500.0);
    // No commitment: list.
    close(cost(0.0, 300_000.0, &b, Overage::List), 300_000.0);
    // Band edges: a band's min earns it, a dollar less the band below.
    close(discount_of(300_000.0, &b), 0.10);
    close(discount_of(299_999.0, &b), 0.05);
    close(discount_of(99_999.0, &b), 0.0);
}

#[test]
fn the_pick_by_hand() {
    let s = size(scenarios(), &bands(), Overage::List, Some(400_000.0));
    let amounts: Vec<f64> = s.candidates.iter().map(|c| c.amount).collect();
    // 0; band mins; optimized usage that falls in a band of its discount: P10 250k x 0.95,
    // P50 300k x 0.95, P90 360k x 0.90; the current $400k; the run-rate commit $324k (360k x 0.9).
    assert_eq!(
        amounts,
        [
            0.0, 100_000.0, 237_500.0, 285_000.0, 300_000.0, 324_000.0, 400_000.0, 600_000.0
        ]
    );
    let e: Vec<f64> = s.candidates.iter().map(|c| c.expected).collect();
    // E(0) = 0.3 x 250k + 0.4 x 300k + 0.3 x 360k = 303,000; $100k at 5% takes 5,263.16 off;
    // $237.5k costs 237.5k, 287.5k, 347.5k: 290,500; $285k: 285k, 285k, 345k: 303,000;
    // $300k: 300k, 300k, 326,666.67: 308,000; the rest cost their amount.
    for (got, want) in e.iter().zip([
        303_000.0, 297_736.84, 290_500.0, 303_000.0, 308_000.0, 324_000.0, 400_000.0, 600_000.0,
    ]) {
        close(*got, want);
    }
    let rec = s.pick();
    close(rec.amount, 237_500.0);
    assert_eq!(rec.why, [Why::OptimizedP10]);
    assert!(s.p10_rule);
    close(rec.cost[1], 287_500.0);
    close(rec.unused[0], 0.0);
    // Effective discount 1 - 290,500 / 303,000.
    close(
        rec.effective_discount * 1e6,
        (1.0 - 290_500.0 / 303_000.0) * 1e6,
    );
    // Expected |L φ (1 - d) - C|: 0, 47,500, 104,500 weighted: 50,350.
    close(rec.gap, 50_350.0);
    // The run-rate commit: $324k costs 324,000 against $360k of list, less than $300k's
    // 326,666.67 and $100k's 354,736.84.
    let rr = s.run_rate_commit();
    close(rr.amount, 324_000.0);
    assert!(rr.why.contains(&Why::RunRate) && rr.why.contains(&Why::OptimizedP90));
    close(s.saving, 324_000.0 - 290_500.0);
    // If the backlog does not ship: 351,100 for the pick against 345,600 for the run-rate
    // commit: the pick costs $5,500 more.
    close(rec.expected_not_shipped, 351_100.0);
    close(rr.expected_not_shipped, 345_600.0);
    close(s.saving_not_shipped, -5_500.0);
    close(rec.cost_not_shipped, 347_500.0);
    // The band above: $300k at 10% costs no more from $312,500 of optimized list spend.
    let be = s.break_even.unwrap();
    close(be.amount, 300_000.0);
    close(be.list.unwrap(), 312_500.0);
    // Overage at the committed rate is worth 290,500 - 287,850.
    close(s.overage_value, 2_650.0);
    // The current commitment is a candidate of its own.
    let cur = s
        .candidates
        .iter()
        .find(|c| c.why.contains(&Why::Current))
        .unwrap();
    close(cur.amount, 400_000.0);
    close(cur.unused[1], 400_000.0 - 270_000.0);
}

#[test]
fn near_ties_go_to_the_least_committed_dollars_unused_or_over() {
    // One band, $100k at 10%, overage at the committed rate, $200k of list in every scenario:
    // every commitment from $100k to $180k costs $180k. $180k leaves nothing unused or over.
    let b = vec![Band {
        min: 100_000.0,
        discount: 0.10,
    }];
    let flat = Scenarios {
        optimized: [200_000.0; 3],
        not_shipped: [200_000.0; 3],
    };
    let s = size(flat, &b, Overage::Committed, None);
    close(s.pick().amount, 180_000.0);
    close(s.pick().expected, 180_000.0);
    let min = s.candidates.iter().find(|c| c.amount == 100_000.0).unwrap();
    close(min.expected, 180_000.0);
    close(min.gap, 80_000.0);
    assert!(!s.p10_rule, "overage at the committed rate");
    // Nothing above it: no break-even.
    assert!(s.break_even.is_none());
    // Overage at the committed rate is already the rule: worth nothing more.
    close(s.overage_value, 0.0);
}

#[test]
fn a_deep_band_above_is_weighed_on_expected_cost() {
    // With 40% at $300k, every dollar of list above the commitment costs more than committing:
    // the 40% band's usage at P90 (360k x 0.6 = 216k) is under its min, so the min wins.
    let b = vec![
        Band {
            min: 100_000.0,
            discount: 0.05,
        },
        Band {
            min: 300_000.0,
            discount: 0.40,
        },
    ];
    let s = size(scenarios(), &b, Overage::List, None);
    let rec = s.pick();
    // $300k at 40% covers $500k of list: it costs $300k in every scenario, E = 300,000 against
    // 290,500 for $237.5k at 5%: the smaller still wins on E.
    close(rec.amount, 237_500.0);
    let big = s.candidates.iter().find(|c| c.amount == 300_000.0).unwrap();
    close(big.expected, 300_000.0);
    // The break-even against it: 300k = 237.5k + (L - 250k) at L = $312,500.
    close(s.break_even.unwrap().list.unwrap(), 312_500.0);
}

#[test]
fn without_bands_nothing_is_committed() {
    let s = size(scenarios(), &[], Overage::List, None);
    assert_eq!(s.candidates.len(), 1);
    assert_eq!(s.pick().why, [Why::NoCommitment, Why::RunRate]);
    close(s.pick().expected, 303_000.0);
    close(s.saving, 0.0);
    assert!(s.break_even.is_none());
}

#[test]
fn a_break_even_beyond_three_times_p90_is_none() {
    // The band above costs $10M: it never pays within 3 x $360k.
    let b = vec![
        Band {
            min: 100_000.0,
            discount: 0.05,
        },
        Band {
            min: 10_000_000.0,
            discount: 0.10,
        },
    ];
    let s = size(scenarios(), &b, Overage::List, None);
    let be = s.break_even.unwrap();
    close(be.amount, 10_000_000.0);
    assert!(be.list.is_none());
}
