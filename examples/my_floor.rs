//! The rule of the tutorial in `docs/rules.md` ("change a rule in 30 lines"): a lender that
//! never offers a repossessed lot below a share of its model value.

use firesale_core::{
    Lot,
    rules::{ParamDoc, RuleInfo},
};
use firesale_lender::{LIQUIDATION_RULES, LiquidationRule, LiquidationView};
use std::sync::Arc;

/// Offers a repossessed lot at no less than `floor` times its model value.
struct Floor {
    floor: f64,
}

impl LiquidationRule for Floor {
    fn reserve_per_unit(&self, view: &LiquidationView, lot: &Lot) -> f64 {
        let model = view.mark.compute.model_value[lot.generation.0 as usize];
        self.floor * model
    }
}

fn main() -> std::process::ExitCode {
    LIQUIDATION_RULES.register(RuleInfo {
        name: "my_floor",
        doc: "never sells below a share of the model value",
        params: vec![ParamDoc {
            name: "floor",
            doc: "share of model value",
            default: 0.7,
        }],
        build: |p| {
            Ok(Arc::new(Floor {
                floor: p.within("floor", 0.0, 10.0)?,
            }))
        },
    });
    firesale_cli::main() // the whole firesale command line, with the rule registered
}
