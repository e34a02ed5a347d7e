//! Issue 10: fire sales measured as researchers measure them. Every ask carries its
//! seller's motive and trades keep it; the fire-sale discount is a distressed price
//! against the same generation's non-distressed price; voluntary sellers make calm
//! markets trade; lenders hold or sell repossessed lots by their funding. The claims
//! about what moves the discount are tested over many seeds, never one.

mod common;

use common::*;

/// Seeds 1..=n.
fn seeds(n: u64) -> std::ops::RangeInclusive<u64> {
    1..=n
}

#[test]
fn a_calm_market_with_voluntary_sellers_trades_in_most_weeks() {
    let (summary, _dir) = run(&world("baseline", None, &[]));
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
    let (off, _dir) = run(&world(
        "baseline",
        None,
        &[
            "operators[*].resale.share_per_week=0",
            "buyers[*].resale.share_per_week=0",
        ],
    ));
    assert_eq!(
        off.voluntary_lots_traded, 0,
        "with the voluntary-sale rule off, a calm market does not trade"
    );
}

#[test]
fn distressed_sales_are_measured_against_non_distressed_prices() {
    let (summary, dir) = run(&world("subprime_compute", None, &[]));
    assert!(summary.distressed_lots_traded > 0);
    assert!(summary.voluntary_lots_traded > 0);
    let d = summary.distressed_discount.expect("a reference exists");
    assert!(d > 0.0 && d < 1.0, "distressed discount {d}");
    // Every row with a distressed discount has a distressed price and a reference, and
    // the discount is what they say; lenders' sales are part of the distressed volume.
    let rows = csv_rows(&dir.path().join("generations.csv"));
    let mut checked = 0;
    for row in rows.iter().filter(|r| !r["distressed_discount"].is_empty()) {
        let price: f64 = row["distressed_price"].parse().unwrap();
        let reference: f64 = row["reference_price"].parse().unwrap();
        let discount: f64 = row["distressed_discount"].parse().unwrap();
        assert!((discount - (1.0 - price / reference)).abs() < 1e-9);
        let distressed: u64 = row["distressed_volume"].parse().unwrap();
        let by_lenders: u64 = row["lender_sale_volume"].parse().unwrap();
        assert!(distressed > 0 && by_lenders <= distressed);
        checked += 1;
    }
    assert!(checked > 0);
    let events = std::fs::read_to_string(dir.path().join("events.jsonl")).unwrap();
    assert!(events.contains("voluntary") && events.contains("lender_liquidation"));
}

/// Shleifer and Vishny (1992), Pulvino (1998): when the natural buyers have room and
/// money, distressed assets sell closer to their non-distressed price. Every buyer class
/// gets 200 MW of spare air and liquid racks, $20B of cash, no credit cut in stress and
/// 200 lots a week. Over 30 seeds.
///
/// Until issue 37 this claimed almost no discount (below 5%) and at most half the
/// shipped one (3.8% against 10.9%). With owners valuing on the roadmap, ample buyers
/// leave 8.6% against 13.2% for the shipped buyers (the `adaptive` outlook: 7.5%): the
/// discount that is left is not the buyers' racks or cash but how far lenders' and
/// borrowers' distressed reserves fall below what voluntary sellers ask. Open in issue 37.
#[test]
fn ample_natural_buyers_lower_the_discount() {
    let ample = [
        "buyers[*].air_kw=200000",
        "buyers[*].liquid_kw=200000",
        "buyers[*].cash=2e10",
        "buyers[*].stress_credit_cut=0",
        "buyers[*].max_lots_per_tick=200",
    ];
    let runs = summaries("subprime_compute", seeds(30), &ample);
    let with_fire_sales = runs.iter().filter(|s| s.distressed_lots_traded > 0).count();
    assert!(
        with_fire_sales >= 25,
        "fire sales happen in {with_fire_sales} of 30 seeds"
    );
    let ample_discount = mean_of(runs.iter().map(|s| s.distressed_discount));
    let shipped = summaries("subprime_compute", seeds(30), &[]);
    let shipped_discount = mean_of(shipped.iter().map(|s| s.distressed_discount));
    assert!(
        ample_discount < shipped_discount - 0.02,
        "shipped {shipped_discount:.3} vs ample {ample_discount:.3}"
    );
}

/// Issue 37, item 2 (Shleifer and Vishny 1992; Pulvino 1998): the industry is its own
/// natural buyer, so the same shock sells at a deeper discount when the operators'
/// balance sheets are weak (less cash, more debt) than when they are strong, and the
/// difference is the operators' bids: with operators that bid for no used lot
/// (`operator.used_bids: none`) the two discounts are alike. Paired seeds, 30 each.
///
/// Measured when written: strong 13.0%, weak 29.9% (operators bought 1,369 used lots a
/// run when strong, 624 when weak); without their bids 13.4% and 13.4%.
#[test]
fn weak_operator_balance_sheets_deepen_the_discount() {
    let strong = [
        "operators[*].cash=Uniform(150e6, 300e6)",
        "operators[*].leverage=Uniform(0.4, 0.5)",
    ];
    let weak = [
        "operators[*].cash=Uniform(20e6, 40e6)",
        "operators[*].leverage=Uniform(0.75, 0.85)",
    ];
    let none = "operators[*].rules.used_bids=Rule(\"none\", {})";
    let discount = |sets: &[&str]| {
        let runs = summaries("subprime_compute", seeds(30), sets);
        let bought = runs.iter().map(|s| s.operator_purchases).sum::<u64>();
        (mean_of(runs.iter().map(|s| s.distressed_discount)), bought)
    };
    let (strong_bidding, strong_bought) = discount(&strong);
    let (weak_bidding, weak_bought) = discount(&weak);
    assert!(
        weak_bidding > strong_bidding + 0.08,
        "operators bidding: weak {weak_bidding:.3} vs strong {strong_bidding:.3}"
    );
    assert!(
        strong_bought > weak_bought,
        "strong operators bought {strong_bought} lots, weak {weak_bought}"
    );
    let (strong_idle, idle_bought) = discount(&[strong[0], strong[1], none]);
    let (weak_idle, _) = discount(&[weak[0], weak[1], none]);
    assert_eq!(idle_bought, 0, "operators with `none` buy no used lot");
    assert!(
        weak_bidding - strong_bidding > weak_idle - strong_idle + 0.08,
        "the gap is the operators' bids: {:.3} with them, {:.3} without",
        weak_bidding - strong_bidding,
        weak_idle - strong_idle
    );
}

/// The article's mechanism: with a repo desk to fund repossessed lots, a lender facing
/// withdrawals borrows instead of dumping, so its sales of repossessed collateral fetch
/// more. Paired seeds: the same draws with and without the desk, compared where the
/// desk lent (where it did not, the two runs are the same run).
///
/// Operators bid for no used lot: with their bids the desk lent, and lenders sold
/// collateral, in only 15 of 30 pairs (the desk lends only to lenders, and fewer of
/// them are short of cash). Issue 37, item 3.
#[test]
fn the_repo_backstop_lowers_the_discount_on_lenders_sales() {
    let without = summaries("subprime_compute", seeds(30), &[NO_OPERATOR_BIDS]);
    let with = summaries("repo_backstop", seeds(30), &[NO_OPERATOR_BIDS]);
    let pairs: Vec<(f64, f64)> = without
        .iter()
        .zip(&with)
        .filter(|(_, b)| b.repo_volume_total > 0.0)
        .filter_map(|(a, b)| a.lender_sale_discount.zip(b.lender_sale_discount))
        .collect();
    assert!(
        pairs.len() >= 20,
        "the desk lent and lenders sold collateral in {} of 30 pairs",
        pairs.len()
    );
    let lower = pairs.iter().filter(|(a, b)| b < a).count();
    assert!(
        lower * 10 >= pairs.len() * 9,
        "the backstop lowers the lenders' sale discount in {lower} of {} pairs",
        pairs.len()
    );
    let mean = |runs: &[firesale_sim::Summary]| mean_of(runs.iter().map(|s| s.distressed_discount));
    assert!(
        mean(&with) < mean(&without),
        "mean distressed discount {:.3} with the desk vs {:.3} without",
        mean(&with),
        mean(&without)
    );
}

/// Issue 37, item 3: repo for every holder. In `repo_backstop` a desk marking at model
/// value with a fixed haircut takes out loans its lenders call (it pays them off and
/// holds the lots as repo) or lends against a called borrower's unpledged lots, so the
/// borrower need not sell into the fire sale. Paired seeds of `subprime_compute` (whose
/// market desk lends on last trades with observed haircuts) and `repo_backstop`, 30.
///
/// Measured when written (ensemble seeds from base 42): the backstop lowered the
/// all-motive distressed discount in 15 of 29 pairs (raised it in 13; mean 16.9% ->
/// 13.8%), the default rate in 14 of 30 (raised it in 1, the same in 15; 18.6% -> 13.8%)
/// and lender losses in 14 of 30 (raised them in 1; $395M -> $326M), with 54 take-outs
/// a run against 7 by the market desk. What stops it in the pairs it leaves alone: a
/// desk lending 70% of model value takes out a loan written at up to 85% of its
/// lender's mark only if the borrower pays the difference, and in repo_backstop's seeds
/// 1-6 that difference was more than the call in 5,214 of 5,718 called-loan weeks
/// (the borrower meets the call itself, or cannot and defaults).
#[test]
fn the_repo_backstop_takes_out_called_loans() {
    let without = summaries("subprime_compute", seeds(30), &[]);
    let with = summaries("repo_backstop", seeds(30), &[]);
    let count = |f: fn(&firesale_sim::Summary) -> Option<f64>| {
        let (mut lower, mut higher) = (0, 0);
        for (a, b) in without.iter().zip(&with) {
            if let (Some(a), Some(b)) = (f(a), f(b)) {
                lower += usize::from(b < a);
                higher += usize::from(b > a);
            }
        }
        (lower, higher)
    };
    let takeouts: u32 = with.iter().map(|s| s.repo_takeouts).sum();
    let market_takeouts: u32 = without.iter().map(|s| s.repo_takeouts).sum();
    assert!(
        takeouts > 3 * market_takeouts.max(1),
        "the backstop took out {takeouts} loans, the market desk {market_takeouts}"
    );
    assert!(with.iter().all(|s| s.repo_to_borrowers_usd >= 0.0));
    let (lower, higher) = count(|s| Some(s.default_rate));
    assert!(
        lower > 2 * higher,
        "default rate: lower in {lower}, higher in {higher}"
    );
    let (lower, higher) = count(|s| Some(s.lender_losses_usd));
    assert!(
        lower > 2 * higher,
        "lender losses: lower in {lower}, higher in {higher}"
    );
    let (lower, higher) = count(|s| s.distressed_discount);
    assert!(
        lower > higher,
        "distressed discount: lower in {lower}, higher in {higher}"
    );
    let mean = |runs: &[firesale_sim::Summary]| mean_of(runs.iter().map(|s| s.distressed_discount));
    assert!(
        mean(&with) < mean(&without) - 0.01,
        "mean distressed discount {:.3} with the backstop vs {:.3}",
        mean(&with),
        mean(&without)
    );
}

/// Fewer spare racks among the buyers (and none built during the run), a deeper
/// discount: the natural buyers cannot host what is dumped. Pooled over 12 seeds.
#[test]
fn scarce_racks_deepen_the_discount() {
    let discount = |air: &str, liquid: &str| {
        let sets = [
            format!("buyers[*].air_kw={air}"),
            format!("buyers[*].liquid_kw={liquid}"),
            "buyers[*].rack_budget_share=0".to_string(),
        ];
        let sets: Vec<&str> = sets.iter().map(String::as_str).collect();
        pooled_discount(&summaries("subprime_compute", seeds(12), &sets))
    };
    let scarce = discount("2000", "1000");
    let ample = discount("40000", "20000");
    assert!(
        scarce > ample + 0.03,
        "discount with 2 MW of spare racks {scarce:.3}, with 40 MW {ample:.3}"
    );
}

/// More borrowed against the starting fleets: more defaults, more lots sold in distress,
/// and worse weeks (Shleifer and Vishny 1992). Paired seeds (the same draws at both
/// leverages), over 30 seeds.
///
/// What leverage does not move much is the volume-weighted discount over the whole run:
/// over 100 paired seeds it is 0.8 points higher at 80% than at 40% (standard error
/// 0.9), against 10 points for the peak. Before issue 13's lending tie-break and vendor
/// queue it was 2.1 (0.8), which this test used to check; with new loans among equal
/// offers going to the lowest lender id again it is 1.6 (0.9), at random 1.2 (0.9). None
/// is clear of the noise now, so the claim tested is on the peak discount, the
/// distressed volume and lender failures.
///
/// Under the `roadmap` outlook only 17 of the 30 pairs have a distressed sale at both
/// leverages (at 40% most seeds have none): checked with the `adaptive` outlook, and
/// open in issue 37.
#[test]
fn more_leverage_deepens_the_peak_discount() {
    let at = |leverage: &str| {
        let set = format!("operators[*].leverage={leverage}");
        summaries(
            "subprime_compute",
            seeds(30),
            &[set.as_str(), ADAPTIVE[0], ADAPTIVE[1]],
        )
    };
    let (low, high) = (at("0.4"), at("0.8"));
    let gaps: Vec<f64> = low
        .iter()
        .zip(&high)
        .filter_map(|(a, b)| Some(b.peak_discount? - a.peak_discount?))
        .collect();
    assert!(gaps.len() >= 25, "{} paired seeds with a peak", gaps.len());
    let mean_gap = gaps.iter().sum::<f64>() / gaps.len() as f64;
    assert!(
        mean_gap > 0.03,
        "peak discount {mean_gap:.3} deeper at 80% leverage than at 40%, paired"
    );
    let total = |runs: &[firesale_sim::Summary], f: fn(&firesale_sim::Summary) -> f64| {
        runs.iter().map(f).sum::<f64>()
    };
    let distressed = |s: &firesale_sim::Summary| s.distressed_lots_traded as f64;
    assert!(
        total(&high, distressed) > 1.1 * total(&low, distressed),
        "distressed lots {} at 80% vs {} at 40%",
        total(&high, distressed),
        total(&low, distressed)
    );
    let failures = |s: &firesale_sim::Summary| s.lender_failures as f64;
    assert!(total(&high, failures) > total(&low, failures));
}
