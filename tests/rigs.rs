//! ASIC rigs (issue 15, part 2): rigs earn the hashprice through the same dispatch,
//! loans, marks and auctions as GPUs; they switch off when the hashprice no longer covers
//! power and on again when it does; a defaulted rig loan's lots are repossessed,
//! auctioned and bought by a new owner.

mod common;

use common::*;
use firesale_core::{AgentKind, Directory, EventKind, Fleet, Generations};
use firesale_sim::Simulation;

/// The row of a CSV whose `date` is `date` (and, for generations.csv, `generation`).
fn row_on(
    rows: &[std::collections::BTreeMap<String, String>],
    date: &str,
    generation: Option<&str>,
) -> std::collections::BTreeMap<String, String> {
    rows.iter()
        .find(|r| r["date"] == date && generation.is_none_or(|g| r["generation"] == g))
        .unwrap_or_else(|| panic!("no row for {date}"))
        .clone()
}

#[test]
fn the_hashprice_and_a_rigs_revenue_match_a_hand_computed_week() {
    let (_, dir) = run(&world("miners_2022", None, &[]));
    // Week of 2022-11-28 (tick 99). Month-end inputs from data/: BTC $20,500 on 2022-10-31
    // and $17,150 on 2022-11-30; hashrate 255 and 245 EH/s. 28 of 30 days along:
    //   BTC      = 20,500 - 3,350 x 28/30 = 17,373.33
    //   hashrate = 255 - 10 x 28/30       = 245.667 EH/s = 245,667 PH/s
    //   hashprice = 144 blocks x (6.25 subsidy + 0.15 fees) x 17,373.33 / 245,667
    //             = $65.17 per PH/s per day
    // An S19j Pro (100 TH/s = 0.1 PH/s) earns $6.517 a day, $0.27155 an hour.
    let hashprice: f64 =
        144.0 * 6.4 * (20_500.0 - 3_350.0 * 28.0 / 30.0) / ((255.0 - 10.0 * 28.0 / 30.0) * 1000.0);
    assert!(
        (hashprice - 65.17).abs() < 0.01,
        "hand arithmetic: {hashprice}"
    );
    let rigs = row_on(&csv_rows(&dir.path().join("rigs.csv")), "2022-11-28", None);
    let written: f64 = rigs["hashprice"].parse().unwrap();
    assert!(
        (written - hashprice).abs() < 1e-9 * hashprice,
        "rigs.csv {written} vs hand {hashprice}"
    );
    let gens = csv_rows(&dir.path().join("generations.csv"));
    let rent: f64 = row_on(&gens, "2022-11-28", Some("S19j Pro"))["rent"]
        .parse()
        .unwrap();
    assert!(
        (rent - hashprice * 0.1 / 24.0).abs() < 1e-12,
        "an S19j Pro earns the hashprice on 0.1 PH/s: {rent}/hour"
    );
}

#[test]
fn rigs_switch_off_below_their_power_cost_and_on_again_above_it() {
    // Every owner at $0.03/kWh and no hosting fees: an S9 (13.5 TH/s at 98 J/TH draws
    // 1.323 kW) earns hashprice x 13.5/1000/24 an hour against 1.323 x 0.03 of power, so
    // it runs exactly when the hashprice is above 1.323 x 0.03 x 24 x 1000 / 13.5
    // = $70.56 per PH/s per day. The replayed hashprice crosses that level late in 2022.
    let sets = [
        "operators[*].power_price=Fixed(0.03)",
        "buyers[*].power_price=Fixed(0.03)",
        "operators[*].hosting=null",
    ];
    let (_, dir) = run(&world("miners_2022", None, &sets));
    let threshold = 1.323 * 0.03 * 24.0 * 1000.0 / 13.5;
    let rigs = csv_rows(&dir.path().join("rigs.csv"));
    let gens = csv_rows(&dir.path().join("generations.csv"));
    let mut states = Vec::new();
    for week in &rigs {
        let s9 = row_on(&gens, &week["date"], Some("S9"));
        if s9["installed_lots"] == "0" {
            continue;
        }
        let hashprice: f64 = week["hashprice"].parse().unwrap();
        let running: f64 = s9["utilisation"].parse().unwrap();
        let on = hashprice > threshold;
        assert_eq!(
            running,
            if on { 1.0 } else { 0.0 },
            "{}: hashprice {hashprice:.2} vs break-even {threshold:.2}",
            week["date"]
        );
        if states.last() != Some(&on) {
            states.push(on);
        }
    }
    assert!(
        states.windows(3).any(|w| w == [true, false, true]),
        "the S9s ran, were switched off, and were switched on again: {states:?}"
    );
}

#[test]
fn a_defaulted_rig_loan_goes_to_repossession_auction_and_a_new_owner() {
    let world = world("miners_2022", None, &FRAGILE_HOST);
    let mut sim = Simulation::new(&world).unwrap();
    let owners = |sim: &Simulation| -> Vec<firesale_core::AgentId> {
        let fleet = sim.world().resource::<Fleet>();
        fleet.iter().map(|(_, lot)| lot.owner()).collect()
    };
    let kind = |sim: &Simulation, id| sim.world().resource::<Directory>().agent(id).kind;
    // Per lot: the owners it has had, in order.
    let mut history: Vec<Vec<firesale_core::AgentId>> =
        owners(&sim).into_iter().map(|o| vec![o]).collect();
    let mut events = Vec::new();
    for tick in 0..world.ticks {
        events.extend(sim.step(tick).unwrap());
        for (lot, owner) in owners(&sim).into_iter().enumerate() {
            if lot >= history.len() {
                history.push(vec![owner]);
            } else if history[lot].last() != Some(&owner) {
                history[lot].push(owner);
            }
        }
    }
    let directory = sim.world().resource::<Directory>();
    let gens = sim.world().resource::<Generations>();
    let fleet = sim.world().resource::<Fleet>();
    let name = |id| directory.name(id).to_string();
    // A rig lot that went miner -> lender -> someone else.
    let chain = history.iter().enumerate().find(|(lot, owners)| {
        gens.get(fleet.get(firesale_core::LotId(*lot as u32)).generation)
            .is_asic()
            && owners.len() >= 3
            && kind(&sim, owners[0]) == AgentKind::Miner
            && kind(&sim, owners[1]) == AgentKind::Lender
            && kind(&sim, owners[2]) != AgentKind::Lender
    });
    let (lot, owners) = chain.expect("some rig lot was repossessed and sold on");
    let (miner, lender, buyer) = (name(owners[0]), name(owners[1]), name(owners[2]));
    let first = |kind: EventKind, agents: &[&String]| {
        events
            .iter()
            .position(|e| e.kind == kind && agents.iter().all(|a| e.agents.contains(a)))
            .unwrap_or_else(|| panic!("no {kind:?} event naming {agents:?} (lot {lot})"))
    };
    let default = first(EventKind::Default, &[&miner, &lender]);
    let repossession = first(EventKind::Repossession, &[&lender, &miner]);
    let sale = first(EventKind::Trade, &[&lender, &buyer]);
    assert!(
        default <= repossession && repossession < sale,
        "default, then repossession, then the auction: {default} {repossession} {sale}"
    );
}

/// A fragile host: core_scientific buys its fleet of S19j Pro in March 2022 with a 90%
/// loan to be repaid in 18 months and little cash, just before the hashprice falls.
const FRAGILE_HOST: [&str; 8] = [
    "start=\"2022-03-07\"",
    "ticks=80",
    "operators[0].fleet_generation=\"S19j Pro\"",
    "operators[0].fleet_bought=\"2022-03-01\"",
    "operators[0].leverage=Fixed(0.9)",
    "operators[0].cash=Fixed(2e6)",
    "operators[0].btc=Fixed(0.0)",
    "operators[0].tenor_years=Fixed(1.5)",
];

#[test]
fn a_failed_host_strands_its_tenants_rigs() {
    let (_, dir) = run(&world("miners_2022", None, &FRAGILE_HOST));
    let events: Vec<serde_json::Value> = std::fs::read_to_string(dir.path().join("events.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let default_tick = events
        .iter()
        .find(|e| e["kind"] == "default" && e["agents"][0] == "core_scientific-1")
        .expect("the host defaults")["tick"]
        .clone();
    let lost: Vec<_> = events
        .iter()
        .filter(|e| e["kind"] == "hosting_lost")
        .collect();
    assert_eq!(lost.len(), 10, "each of its 10 tenants loses its hosting");
    for e in &lost {
        assert_eq!(e["agents"][1], "core_scientific-1");
        assert_eq!(e["tick"], default_tick, "in the tick the host fails");
    }
    let stranded: u64 = lost.iter().map(|e| e["lots"].as_u64().unwrap()).sum();
    assert!(
        stranded > 0,
        "tenants' rigs beyond their own racks are stranded"
    );
}

#[test]
fn every_seed_replays_the_same_hashprice_and_draws_its_own_agents() {
    let (a_summary, a) = run(&world("miners_2022", Some(1), &[]));
    let (b_summary, b) = run(&world("miners_2022", Some(2), &[]));
    let column = |dir: &std::path::Path, name: &str| -> Vec<String> {
        csv_rows(&dir.join("rigs.csv"))
            .iter()
            .map(|r| r[name].clone())
            .collect()
    };
    assert_eq!(column(a.path(), "hashprice"), column(b.path(), "hashprice"));
    assert_ne!(
        (a_summary.trades_total, column(a.path(), "usd_per_th_25_38")),
        (b_summary.trades_total, column(b.path(), "usd_per_th_25_38")),
        "agents' parameters and choices are drawn per seed"
    );
}

#[test]
fn observed_rig_prices_are_overlaid_and_fitted() {
    let (_, dir) = run(&world("miners_2022", None, &[]));
    let observed = dir.path().join("observed.csv");
    // Made-up points for the test (the repository ships no observed rig prices).
    std::fs::write(
        &observed,
        "date,series,value\n2022-09-01,usd_per_th_25_38,30\n2022-12-01,usd_per_th_25_38,18\n\
         2023-03-01,usd_per_th_25_38,20\n2023-06-01,usd_per_th_25_38,17\n",
    )
    .unwrap();
    let out = firesale_cmd(&[
        "plot",
        dir.path().to_str().unwrap(),
        "--observed",
        observed.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let plots = dir.path().join("plots");
    assert!(plots.join("rigs.png").exists(), "the rig chart is drawn");
    assert!(plots.join("observed_usd_per_th_25_38.png").exists());
    let fit = csv_rows(&plots.join("fit.csv"));
    assert_eq!(fit.len(), 1);
    assert_eq!(fit[0]["series"], "usd_per_th_25_38");
    assert_eq!(fit[0]["points"], "4");
    let rmse: f64 = fit[0]["log_rmse"].parse().unwrap();
    assert!(rmse.is_finite() && rmse >= 0.0);
}
