//! Issue 10, first part: every ask carries its seller's motive, trades keep it, and the
//! fire-sale discount is a distressed price against the same generation's
//! non-distressed price. With the voluntary-sale rule turned on, calm markets trade in
//! most weeks, so that reference exists.

mod common;

use common::*;

/// The voluntary-sale rule turned on for every operator and buyer class of a world.
fn with_resale(name: &str) -> firesale_world::WorldFile {
    let mut w = world(name, None, &[]);
    for o in &mut w.operators {
        o.resale.share_per_week = 0.02;
    }
    for b in &mut w.buyers {
        b.resale.share_per_week = 0.02;
    }
    w
}

#[test]
fn a_calm_market_with_voluntary_sellers_trades_in_most_weeks() {
    let (summary, _dir) = run(&with_resale("baseline"));
    assert!(
        summary.voluntary_trade_weeks_share > 0.5,
        "voluntary trades in {:.0}% of weeks",
        summary.voluntary_trade_weeks_share * 100.0
    );
    assert_eq!(
        summary.distressed_lots_traded, 0,
        "nothing is forced in calm"
    );
    assert_eq!(summary.distressed_discount, None);
    let (shipped, _dir) = run(&world("baseline", None, &[]));
    assert_eq!(
        shipped.voluntary_lots_traded, 0,
        "the rule is off unless a world turns it on"
    );
}

#[test]
fn distressed_sales_are_measured_against_non_distressed_prices() {
    let (summary, dir) = run(&with_resale("subprime_compute"));
    assert!(summary.distressed_lots_traded > 0);
    assert!(summary.voluntary_lots_traded > 0);
    let d = summary.distressed_discount.expect("a reference exists");
    assert!(d > 0.0 && d < 1.0, "distressed discount {d}");
    // Every row with a distressed discount has a distressed price and a reference, and
    // the discount is what they say.
    let rows = csv_rows(&dir.path().join("generations.csv"));
    let mut checked = 0;
    for row in rows.iter().filter(|r| !r["distressed_discount"].is_empty()) {
        let price: f64 = row["distressed_price"].parse().unwrap();
        let reference: f64 = row["reference_price"].parse().unwrap();
        let discount: f64 = row["distressed_discount"].parse().unwrap();
        assert!((discount - (1.0 - price / reference)).abs() < 1e-9);
        assert!(row["distressed_volume"].parse::<u64>().unwrap() > 0);
        checked += 1;
    }
    assert!(checked > 0);
    let events = std::fs::read_to_string(dir.path().join("events.jsonl")).unwrap();
    assert!(events.contains("voluntary") && events.contains("lender_liquidation"));
}
