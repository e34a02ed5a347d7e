//! What an owner that can buy new lots (a buyer, or an expanding operator) gives up by
//! racking a used one: the surplus the same racks would earn filled with the best new
//! lot the vendor delivers.
//!
//! A buyer with free racks and access to the vendor fills each kW with whichever lot
//! earns most over its price: a new lot of a generation nets its value less the
//! vendor's price. So a kW of its racks is worth, at the margin, the best such surplus
//! per kW (its shadow price), and a used lot is worth to it its value less the shadow
//! price of the racks it takes. A used lot of the best new generation is then worth no
//! more than the vendor's price, and an older lot, which needs more power per unit of
//! compute and has less life left, less than that per unit of performance: used GPUs
//! cannot trade above replacement cost while the vendor delivers and racks are free.
//! When the vendor is sold out, or the buyer has no racks that fit the new lot, the
//! shadow price is zero and the used lot is worth its full value (the 2023 H100
//! shortage, when used cards sold above list).

use firesale_core::prelude::*;

/// The best surplus per kW of rack among new lots: `(value - vendor price) / lot kW`
/// over `(generation, value per lot)` pairs that `available` accepts (the vendor can
/// deliver one, and the buyer has room for one), or None when no new lot is worth more
/// than its price. Returns the surplus per kW and the generation.
pub fn best_new_surplus_per_kw(
    gens: &Generations,
    tick: u32,
    years_per_tick: f64,
    values: impl IntoIterator<Item = (GenId, f64)>,
    available: impl Fn(GenId) -> bool,
) -> Option<(f64, GenId)> {
    values
        .into_iter()
        .filter(|&(g, _)| gens.deliverable(g, tick) && available(g))
        .map(|(g, value)| {
            let surplus = value - gens.vendor_lot_price(g, tick, years_per_tick);
            (surplus / gens.lot_kw(g), g)
        })
        .filter(|&(per_kw, _)| per_kw > 0.0)
        .max_by(|a, b| a.0.total_cmp(&b.0).then(b.1.cmp(&a.1)))
}

/// Whether a buyer's free room for new lots of a generation is scarce: less than it
/// would fill buying new at its weekly pace (`max_lots` a week) before racks it starts
/// building now would be ready (`build_weeks`). Room beyond that would stand empty
/// whatever it buys, so a used lot racked in it displaces no new one.
pub fn room_is_scarce(free_kw: f64, lot_kw: f64, max_lots: u32, build_weeks: u32) -> bool {
    free_kw < lot_kw * f64::from(max_lots) * f64::from(build_weeks.max(1))
}

/// A used lot's value to a buyer whose racks have `shadow_per_kw` of shadow price:
/// its value less what the racks it takes would earn filled new, never below zero.
pub fn net_of_racks(gens: &Generations, generation: GenId, value: f64, shadow_per_kw: f64) -> f64 {
    (value - shadow_per_kw.max(0.0) * gens.lot_kw(generation)).max(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use firesale_core::{Generation, Hardware};

    fn generation(name: &str, release: i32, perf: f64, kw: f64, price: f64) -> Generation {
        Generation {
            name: name.into(),
            hardware: Hardware::Gpu,
            release_tick: release,
            released_in_run: false,
            perf,
            kw_per_gpu: kw,
            list_price: price,
            list_price_decline: 0.0,
            liquid_cooled: true,
            useful_life_years: 6.0,
            max_age_years: 9.0,
            vendor_lots_per_tick: Some(10),
        }
    }

    fn gens() -> Generations {
        Generations {
            list: vec![
                generation("H100", -100, 1.0, 1.2, 30_000.0),
                generation("B200", 0, 2.5, 1.4, 40_000.0),
            ],
            gpus_per_lot: 8,
        }
    }

    #[test]
    fn a_used_lot_of_the_best_new_generation_is_worth_no_more_than_the_vendor_price() {
        let gens = gens();
        let b200 = GenId(1);
        let value_new = 600_000.0;
        let price = gens.vendor_lot_price(b200, 5, 1.0 / 52.0);
        let (shadow, best) = best_new_surplus_per_kw(
            &gens,
            5,
            1.0 / 52.0,
            [(GenId(0), 250_000.0), (b200, value_new)],
            |_| true,
        )
        .unwrap();
        assert_eq!(best, b200);
        let used_b200 = net_of_racks(&gens, b200, value_new, shadow);
        assert!((used_b200 - price).abs() < 1e-6, "{used_b200} vs {price}");
        // An H100 lot takes 9.6 kW, each worth the B200's surplus per kW.
        let used_h100 = net_of_racks(&gens, GenId(0), 250_000.0, shadow);
        assert!(
            used_h100 / 1.0 < price / 2.5,
            "cheaper per unit of performance"
        );
    }

    #[test]
    fn no_room_or_a_sold_out_vendor_leaves_the_full_value() {
        let gens = gens();
        let none =
            best_new_surplus_per_kw(&gens, 5, 1.0 / 52.0, [(GenId(1), 600_000.0)], |_| false);
        assert_eq!(none, None);
        let before_release =
            best_new_surplus_per_kw(&gens, 0, 1.0 / 52.0, [(GenId(1), 600_000.0)], |_| true);
        assert!(before_release.is_some(), "released at tick 0");
        let unreleased = {
            let mut g = gens.clone();
            g.list[1].release_tick = 10;
            best_new_surplus_per_kw(&g, 5, 1.0 / 52.0, [(GenId(1), 600_000.0)], |_| true)
        };
        assert_eq!(unreleased, None);
        assert_eq!(net_of_racks(&gens, GenId(0), 1000.0, 0.0), 1000.0);
    }
}
