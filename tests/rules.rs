//! Rules (issue 11): every decision is a named rule a world file chooses per class; an
//! unknown name is refused with its position and the list of rules; a rule registered
//! from outside `crates/` is used; a plugin adds a new kind of agent, reproducibly and
//! conserved, and an unordered plugin system is refused.

mod common;

use bevy_ecs::prelude::*;
use common::*;
use firesale_core::prelude::*;
use firesale_core::rules::RuleInfo;
use firesale_lender::{LIQUIDATION_RULES, LiquidationRule, LiquidationView};
use firesale_markets::{Bid, SecondaryMarket};
use firesale_sim::{SimPlugin, Simulation};
use std::sync::Arc;

/// Every rule family, each set explicitly to its built-in (subprime_compute's first
/// lender marks at book, the others at the last trade).
const BUILT_INS: [&str; 14] = [
    r#"lenders[0].rules.mark=Rule("book", {})"#,
    r#"lenders[1].rules.mark=Rule("last_trade", {})"#,
    r#"lenders[2].rules.mark=Rule("last_trade", {})"#,
    r#"lenders[*].rules.covenant=Rule("ltv_or_dscr_sweep", {"sweep_share": 0.25, "min_call_share": 0.01})"#,
    r#"lenders[*].rules.liquidation=Rule("hold_or_sell", {})"#,
    r#"lenders[*].rules.credit=Rule("procyclical", {})"#,
    r#"buyers[*].rules.valuation=Rule("discounted_margin", {})"#,
    r#"buyers[*].rules.bidding=Rule("shaded_ladder", {})"#,
    r#"buyers[*].rules.resale=Rule("margin_over_value", {})"#,
    r#"operators[*].rules.distress=Rule("reserve_share", {})"#,
    r#"operators[*].rules.expansion=Rule("hurdle", {"share_per_quarter": 0.25})"#,
    r#"operators[*].rules.resale=Rule("margin_over_value", {})"#,
    r#"operators[*].rules.outlook=Rule("roadmap", {})"#,
    r#"operators[*].rules.used_bids=Rule("natural_buyer", {"cash_share": 0.5, "price_fall": 0.2, "runway_weeks": 52, "top": 0.95, "bottom": 0.7, "tranches": 3, "fleet_share_per_week": 0.02})"#,
];

#[test]
fn naming_the_built_in_rules_changes_nothing_but_the_world_file() {
    let (_, default) = run(&world("subprime_compute", None, &[]));
    let (_, named) = run(&world("subprime_compute", None, &BUILT_INS));
    for file in [
        "timeseries.csv",
        "generations.csv",
        "events.jsonl",
        "summary.json",
    ] {
        let a = std::fs::read(default.path().join(file)).unwrap();
        let b = std::fs::read(named.path().join(file)).unwrap();
        assert!(a == b, "{file} differs");
    }
    let world_ron = std::fs::read_to_string(named.path().join("world.ron")).unwrap();
    assert!(
        world_ron.contains(r#"liquidation: Rule("hold_or_sell", {})"#),
        "the choices are recorded in world.ron"
    );
}

#[test]
fn an_unknown_rule_is_refused_with_its_position_and_the_rules_there_are() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string("worlds/subprime_compute.ron").unwrap();
    let marker = "initial_book_weight: 2.0,";
    assert!(text.contains(marker));
    let bad = text.replacen(
        marker,
        "initial_book_weight: 2.0,\n            rules: (liquidation: Rule(\"dump_everything\", {})),",
        1,
    );
    let file = dir.path().join("bad.ron");
    std::fs::write(&file, &bad).unwrap();
    let out = firesale_cmd(&["check", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    let line = bad
        .lines()
        .position(|l| l.contains("dump_everything"))
        .unwrap()
        + 1;
    assert!(
        err.contains(&format!("bad.ron:{line}:")),
        "file and line: {err}"
    );
    assert!(
        err.contains(r#"unknown lender.liquidation rule "dump_everything""#)
            && err.contains(r#"["hold_or_sell"]"#),
        "what exists: {err}"
    );
    // A parameter the rule does not take, and one out of its range.
    let out = firesale_cmd(&[
        "check",
        "subprime_compute",
        "--set",
        r#"lenders[0].rules.covenant=Rule("ltv_or_dscr_sweep", {"sweep": 0.5})"#,
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains(
        r#"takes no parameter `sweep`: expected one of ["sweep_share", "min_call_share"]"#
    ));
    let out = firesale_cmd(&[
        "check",
        "subprime_compute",
        "--set",
        r#"lenders[0].rules.credit=Rule("procyclical", {"min_ltv": 5.0})"#,
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("lenders[0].rules.credit: lender.credit rule \"procyclical\": parameter `min_ltv`: expected a value in [0, 1], found 5"));
}

#[test]
fn firesale_rules_lists_every_family_with_its_built_ins() {
    let out = firesale_cmd(&["rules"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for (family, rule) in [
        ("lender.mark", "last_trade"),
        ("lender.covenant", "ltv_or_dscr_sweep"),
        ("lender.liquidation", "hold_or_sell"),
        ("lender.credit", "procyclical"),
        ("repo.haircut", "observed"),
        ("buyer.valuation", "discounted_margin"),
        ("buyer.bidding", "shaded_ladder"),
        ("operator.distress", "reserve_share"),
        ("operator.expansion", "hurdle"),
        ("operator.used_bids", "natural_buyer"),
        ("owner.resale", "margin_over_value"),
    ] {
        assert!(text.contains(&format!("{family}:")), "{family}");
        assert!(text.contains(&format!("  {rule}: ")), "{rule}");
    }
    assert!(
        text.contains("sweep_share = 0.25"),
        "parameters and defaults"
    );
}

/// A lender that never sells what it repossessed (a test rule, registered from here).
struct NeverSell;

impl LiquidationRule for NeverSell {
    fn reserve_per_unit(&self, _: &LiquidationView, _: &firesale_core::Lot) -> f64 {
        1e18
    }
}

#[test]
fn a_rule_registered_from_outside_is_chosen_by_name_and_used() {
    LIQUIDATION_RULES.register(RuleInfo {
        name: "never_sell_test",
        doc: "keeps every repossessed lot (test)",
        params: Vec::new(),
        build: |_| Ok(Arc::new(NeverSell)),
    });
    let sets = [r#"lenders[*].rules.liquidation=Rule("never_sell_test", {})"#];
    let (default, _) = run(&world("subprime_compute", None, &[]));
    let (kept, _) = run(&world("subprime_compute", None, &sets));
    assert!(default.repossessed_lots_total > 0);
    assert!(
        kept.unsold_inventory_end > default.unsold_inventory_end,
        "lenders kept their inventory: {} lots against {}",
        kept.unsold_inventory_end,
        default.unsold_inventory_end
    );
}

/// A test fund: bids for 5 lots a week of every released generation at 60% of the
/// reference price, within its cash; holds what it buys.
#[derive(Component)]
struct TestFund;

fn fund_bids(
    clock: Res<Clock>,
    gens: Res<Generations>,
    ledger: Res<Ledger>,
    mut secondary: ResMut<SecondaryMarket>,
    funds: Query<&Agent, With<TestFund>>,
) {
    for agent in funds.iter().sort_by_key::<&Agent, _>(|a| a.id) {
        let mut budget = ledger.balance(agent.account).max(0.0);
        for g in gens.released(clock.tick) {
            let Some(reference) = secondary.generations[g.0 as usize].reference_price else {
                continue;
            };
            let limit = 0.6 * reference;
            let per_lot = limit * f64::from(gens.gpus_per_lot);
            let lots = 5.min((budget / per_lot).floor() as u32);
            if lots > 0 {
                budget -= per_lot * f64::from(lots);
                secondary.bid(
                    g,
                    Bid {
                        buyer: agent.id,
                        lots,
                        limit,
                    },
                );
            }
        }
    }
}

struct FundPlugin {
    ordered: bool,
}

impl SimPlugin for FundPlugin {
    fn name(&self) -> &str {
        "test_fund"
    }

    fn spawn(&self, world: &mut World, _: &firesale_world::WorldFile) -> Result<(), String> {
        let (_, entity) = firesale_world::register_agent(world, "test_fund", AgentKind::Buyer, 1e9);
        world.entity_mut(entity).insert(TestFund);
        Ok(())
    }

    fn systems(&self, schedule: &mut Schedule) {
        if self.ordered {
            schedule.add_systems(
                fund_bids
                    .in_set(Step::PostBids)
                    .after(firesale_buyer::post_bids),
            );
        } else {
            schedule.add_systems(fund_bids.in_set(Step::PostBids));
        }
    }
}

fn run_with(plugins: &[Arc<dyn SimPlugin>]) -> (firesale_sim::Summary, u64) {
    let world = world("subprime_compute", None, &[]);
    let mut sim = Simulation::with_plugins(&world, plugins).unwrap();
    for tick in 0..world.ticks {
        sim.step(tick).unwrap();
    }
    let directory = sim.world().resource::<Directory>();
    let fund = directory.iter().find(|a| a.name == "test_fund");
    let held = fund.map_or(0, |f| {
        sim.world().resource::<Fleet>().count_owned(f.id) as u64
    });
    (sim.summary(), held)
}

#[test]
fn a_plugin_agent_trades_reproducibly_and_the_ledger_still_balances() {
    let plugin: Arc<dyn SimPlugin> = Arc::new(FundPlugin { ordered: true });
    let (a, held_a) = run_with(std::slice::from_ref(&plugin));
    let (b, held_b) = run_with(&[plugin]);
    let (without, _) = run_with(&[]);
    assert!(held_a > 0, "the fund bought lots");
    assert_eq!(held_a, held_b);
    assert_eq!(
        serde_json::to_string(&a).unwrap(),
        serde_json::to_string(&b).unwrap(),
        "the same run twice"
    );
    assert_ne!(
        a.trades_total, without.trades_total,
        "the fund changed the market"
    );
    assert!(
        a.ledger_max_imbalance_usd < 1.0,
        "every tick's ledger balanced"
    );
}

#[test]
fn an_unordered_plugin_system_is_refused() {
    let world = world("subprime_compute", None, &[]);
    let plugin: Arc<dyn SimPlugin> = Arc::new(FundPlugin { ordered: false });
    let err = Simulation::with_plugins(&world, &[plugin])
        .err()
        .expect("two systems writing the auction book without an order");
    assert!(err.to_string().contains("schedule is invalid"), "{err}");
}
