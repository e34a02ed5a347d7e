//! A researcher's own lender rules, swapped into the shipped worlds without touching
//! `crates/`: a lender that marks collateral to model less a haircut, and never sells a
//! repossessed lot below 70% of its model value, even when it must raise cash.
//!
//! ```sh
//! cargo run --release --example custom_rule -- run subprime_compute
//! cargo run --release -- compare output/subprime_compute/seed-42 output/subprime_compute-floor_at_model/seed-42
//! cargo run --release --example custom_rule -- rules     # the new rules are listed
//! ```
//!
//! Everything after `--` is the normal `firesale` command line. For `run`, `check`,
//! `ensemble` and `sweep` this example also chooses the new rules for every lender class
//! (`--set 'lenders[*].rules...'`) and, for `run`, writes to `output/<world>-floor_at_model/`
//! unless `--out` is given. A world file of your own can name them directly:
//! `rules: (mark: Rule("model_haircut", {"haircut": 0.3}), liquidation: Rule("floor_at_model", {"floor": 0.7}))`.
//! See `docs/rules.md`.

use firesale_core::Lot;
use firesale_core::rules::{ParamDoc, RuleInfo};
use firesale_lender::{
    LIQUIDATION_RULES, LiquidationRule, LiquidationView, MARK_RULES, MarkContext, MarkRule,
};
use firesale_markets::hold_value;
use std::sync::Arc;

/// `lender.mark`: the compute market's model value of a lot (the roadmap forecast at the
/// benchmark economics), less a haircut.
struct ModelHaircut {
    haircut: f64,
}

impl MarkRule for ModelHaircut {
    fn mark_per_unit(&self, view: &MarkContext, lot: &Lot) -> f64 {
        view.compute.model_value[lot.generation.0 as usize] * (1.0 - self.haircut)
    }
}

/// `lender.liquidation`: the built-in hold value, but never below `floor` of the model
/// value, even for the lots it must sell to pay what it owes.
struct FloorAtModel {
    floor: f64,
}

impl LiquidationRule for FloorAtModel {
    fn reserve_per_unit(&self, view: &LiquidationView, lot: &Lot) -> f64 {
        let model = view.mark.compute.model_value[lot.generation.0 as usize];
        let reference = view
            .market
            .reference_price
            .unwrap_or(view.own_mark_per_unit);
        let hold = if view.forced {
            0.0
        } else {
            hold_value(
                reference,
                view.sale_horizon_years,
                view.remaining_life_years,
                view.funding_rate,
            )
        };
        hold.max(self.floor * model)
    }
}

fn register_rules() {
    MARK_RULES.register(RuleInfo {
        name: "model_haircut",
        doc: "the benchmark model value less a haircut (example rule)",
        params: vec![ParamDoc {
            name: "haircut",
            doc: "share taken off the model value",
            default: 0.3,
        }],
        build: |p| {
            Ok(Arc::new(ModelHaircut {
                haircut: p.within("haircut", 0.0, 1.0)?,
            }))
        },
    });
    LIQUIDATION_RULES.register(RuleInfo {
        name: "floor_at_model",
        doc: "hold value, never below a floor share of the model value, even when forced (example rule)",
        params: vec![ParamDoc {
            name: "floor",
            doc: "lowest reserve as a share of the model value",
            default: 0.7,
        }],
        build: |p| {
            Ok(Arc::new(FloorAtModel {
                floor: p.within("floor", 0.0, 10.0)?,
            }))
        },
    });
}

/// The command line with the new rules chosen for every lender class.
fn with_rules(mut args: Vec<String>) -> Vec<String> {
    let command = args.get(1).cloned().unwrap_or_default();
    if !["run", "check", "ensemble", "sweep"].contains(&command.as_str()) {
        return args;
    }
    for set in [
        r#"lenders[*].rules.mark=Rule("model_haircut", {"haircut": 0.3})"#,
        r#"lenders[*].rules.liquidation=Rule("floor_at_model", {"floor": 0.7})"#,
    ] {
        args.push("--set".into());
        args.push(set.into());
    }
    if command == "run"
        && !args.iter().any(|a| a == "--out")
        && let Some(world) = args.get(2).cloned()
    {
        let name = std::path::Path::new(&world)
            .file_stem()
            .map_or(world.clone(), |s| s.to_string_lossy().to_string());
        let seed = args
            .iter()
            .position(|a| a == "--seed")
            .and_then(|i| args.get(i + 1).cloned())
            .or_else(|| {
                firesale_world::load(&world, None, None, &[])
                    .ok()
                    .map(|(_, w)| w.seed.to_string())
            })
            .unwrap_or_default();
        args.push("--out".into());
        args.push(format!("output/{name}-floor_at_model/seed-{seed}"));
    }
    args
}

fn main() -> std::process::ExitCode {
    register_rules();
    firesale_cli::main_from(with_rules(std::env::args().collect()))
}
