//! Issue 13, item 1: `scale` makes a world larger or smaller with the same economics.

mod common;

use common::*;

/// At scale 2 a world has twice the operators and twice the demand; it runs, balances
/// and conserves lots like the world itself.
#[test]
fn scale_doubles_agents_and_demand_and_the_run_stays_sound() {
    let one = world("subprime_compute", None, &["ticks=30"]);
    let two = world("subprime_compute", None, &["ticks=30", "scale=2"]);
    let (s1, d1) = run(&one);
    let (s2, d2) = run(&two);
    assert_eq!(s2.operators, 2 * s1.operators);
    let demand = |dir: &std::path::Path| -> f64 {
        csv_rows(&dir.join("timeseries.csv"))[0]["demand_index"]
            .parse()
            .unwrap()
    };
    assert_eq!(demand(d2.path()), 2.0 * demand(d1.path()));
    assert!(s2.lots_created > s1.lots_created);
    assert!(s2.ledger_max_imbalance_usd <= s2.ledger_max_balance_sheet_usd * 1e-8);
    // The output's world is the scaled one, at scale 1: rerunning it gives the same run.
    let written = std::fs::read_to_string(d2.path().join("world.ron")).unwrap();
    assert!(!written.contains("scale:"), "scale is applied once");
    assert!(
        written.contains("at scale 2"),
        "and the description says so"
    );
}

/// A scale outside its range is refused with the field named.
#[test]
fn a_scale_out_of_range_is_refused() {
    let out = firesale_cmd(&["check", "baseline", "--set", "scale=0"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("scale"), "{}", stderr(&out));
}

/// Operators order once a quarter, staggered. An order the vendor's weekly allocation
/// cannot fill keeps its place in the vendor's queue: the operator orders again the next
/// week, and waiting orders are served first, oldest first. (Before, the rest of a lumpy
/// order was lost for a quarter, so a small world built less per unit of scale.)
#[test]
fn an_order_the_vendor_cannot_fill_waits_in_its_queue() {
    let w = world(
        "subprime_compute",
        None,
        &["ticks=30", "generations[*].vendor_lots_per_tick=3"],
    );
    let operators: Vec<String> = w.operators.iter().map(|o| format!("{}-", o.name)).collect();
    let (_, dir) = run(&w);
    let events = std::fs::read_to_string(dir.path().join("events.jsonl")).unwrap();
    let mut weeks: std::collections::BTreeMap<String, Vec<u64>> = Default::default();
    for line in events.lines() {
        let e: serde_json::Value = serde_json::from_str(line).unwrap();
        let buyer = e["agents"][0].as_str().unwrap();
        if e["kind"] == "primary_purchase" && operators.iter().any(|p| buyer.starts_with(p)) {
            assert!(
                e["lots"].as_u64().unwrap() <= 3,
                "the allocation holds: {line}"
            );
            weeks
                .entry(buyer.to_string())
                .or_default()
                .push(e["tick"].as_u64().unwrap());
        }
    }
    // The first operator to order is served every week until its order is filled (its
    // quarterly reviews alone would give it ticks 0 and 13 of the first 30).
    let first = &weeks["neocloud-1"];
    assert!(
        first.len() >= 10 && first.windows(2).all(|w| w[1] == w[0] + 1),
        "neocloud-1 bought in weeks {first:?}"
    );
    // While its older order waits, nobody else is served.
    assert_eq!(weeks.len(), 1, "{weeks:?}");
}
