//! Phase 2: the compute market's forecast of every generation's rent from the announced
//! roadmap, read by every owner's `roadmap` outlook (`firesale_core::RoadmapOutlook`).
//!
//! Everything the forecast reads is public in the world: the fleet alive today and when
//! each cohort reaches the end of its physical life, the generations the vendor has
//! announced (release date, performance, power, price path, weekly supply), the trend of
//! the demand index (its growth less the efficiency drift; scheduled shocks are not
//! foreseen), the benchmark power price and discount rate, and the halving schedule and
//! hashrate growth for rigs. It runs the merit order of [`clear_merit_order`] forward,
//! one tick at a time:
//!
//! - a rationed generation (a weekly vendor supply) adds its supply each week from its
//!   release while the forecast price pays a new lot back at list price over its
//!   accounting life (its entry price, at the benchmark rate and power price);
//! - a generation the vendor sells without limit caps the price at its entry price:
//!   nobody pays more for compute than new capacity costs;
//! - each cohort leaves the stack when it reaches its physical life.
//!
//! The forecast is relative: `rent_ratio` is each generation's forecast rent over the
//! forecast's rent today, and `gap` how far today's clearing price stands from the
//! forecast's own, which an owner expects to close at its outlook's pace. Owners anchor
//! both on what they observe, so a forecast that misses today's level by a little does
//! not move values by a lot.

use crate::compute::{ComputeMarket, ComputeParams, SupplyStep, clear_merit_order};
use crate::exogenous::Exogenous;
use firesale_core::prelude::*;
use firesale_core::{Generation, Roadmap};

/// Longest forecast, years (every shipped generation's physical life is shorter).
const MOST_YEARS: f64 = 12.0;

/// What the forecast reads besides the fleet and the roadmap.
#[derive(Debug, Clone, Copy)]
pub struct ForecastInputs<'a> {
    /// Compute market parameters (demand curve, availability, benchmark economics).
    pub params: &'a ComputeParams,
    /// Today's tick.
    pub tick: u32,
    /// Years per tick.
    pub years_per_tick: f64,
    /// Hours per tick.
    pub hours_per_tick: f64,
    /// Today's demand index, H100-equivalent GPUs at the reference price.
    pub demand_index: f64,
    /// Expected log growth of the demand index per year.
    pub demand_trend: f64,
    /// Today's multiplier on power prices.
    pub power_multiplier: f64,
    /// Today's clearing price, $/H100-hour.
    pub observed_price: f64,
    /// Yearly growth of the network hashrate.
    pub hashrate_growth: f64,
    /// Block subsidy per tick of the run, BTC (the last holds after the run).
    pub subsidy: &'a [f64],
    /// Fees per block, BTC.
    pub fees_per_block: f64,
}

/// Forecasts every generation's rent from the roadmap (see the module's doc).
pub fn forecast(gens: &Generations, fleet: &Fleet, inputs: &ForecastInputs) -> Roadmap {
    let p = inputs.params;
    let dt = inputs.years_per_tick;
    let hours = inputs.hours_per_tick * p.availability;
    let gpus = f64::from(gens.gpus_per_lot);
    let n = gens.list.len();
    let horizon = gens
        .list
        .iter()
        .map(|g| (g.max_age_years.min(MOST_YEARS) / dt).ceil() as usize)
        .max()
        .unwrap_or(0);
    let now = inputs.tick as i32;
    let power = p.benchmark_power_price * inputs.power_multiplier;
    let per_tick_rate = firesale_core::per_tick_rate(p.benchmark_rate, dt);
    let unit_cost = |g: &Generation| p.unit_hour_cost(g, power);
    // Cost per H100-hour of each GPU generation; rigs are outside the merit order.
    let cost: Vec<f64> = gens
        .list
        .iter()
        .map(|g| {
            if g.is_asic() || g.perf <= 0.0 {
                f64::INFINITY
            } else {
                unit_cost(g) / g.perf
            }
        })
        .collect();
    // The price per H100-hour at which a new unit bought at list price on tick `t` pays
    // back over its accounting life at the benchmark rate: its list price, falling by
    // its yearly decline from release, over the annuity of its life, plus its running
    // cost (the annuity and the weekly decline worked out once).
    let annuity: Vec<f64> = gens
        .list
        .iter()
        .map(|g| {
            let ticks = g.useful_life_years / dt;
            let annuity = if per_tick_rate > 0.0 {
                (1.0 - (1.0 + per_tick_rate).powf(-ticks)) / per_tick_rate
            } else {
                ticks
            };
            (annuity * hours).max(f64::MIN_POSITIVE)
        })
        .collect();
    let weekly_decline: Vec<f64> = gens
        .list
        .iter()
        .map(|g| (1.0 - g.list_price_decline).powf(dt))
        .collect();
    let entry = |id: GenId, t: u32| {
        let i = id.0 as usize;
        let g = gens.get(id);
        let since_release = (t as i32 - g.release_tick).max(0);
        let price = g.list_price * weekly_decline[i].powi(since_release);
        (price / annuity[i] + unit_cost(g)) / g.perf
    };
    // Lots alive today, and the lots scrapped each tick ahead (cohorts come oldest
    // first, so each generation's list is in order of the tick they leave).
    let mut lots = vec![0.0; n];
    let mut retiring_by_gen: Vec<Vec<(usize, f64)>> = vec![Vec::new(); n];
    for id in gens.ids() {
        let g = id.0 as usize;
        let life_ticks = (gens.get(id).max_age_years / dt).ceil() as i32;
        for (built, count) in fleet.alive_by_built(id) {
            lots[g] += count as f64;
            let ahead = (built + life_ticks - now).max(1) as usize;
            if ahead <= horizon {
                retiring_by_gen[g].push((ahead, count as f64));
            }
        }
    }
    let mut next_retiring = vec![0usize; n];
    // GPU generations cheapest first, ties by id: the stack's order, the same each tick.
    let mut order: Vec<usize> = (0..n).filter(|&g| cost[g].is_finite()).collect();
    order.sort_by(|&a, &b| cost[a].total_cmp(&cost[b]).then(a.cmp(&b)));

    let mut price = vec![0.0; horizon + 1];
    let mut share = vec![vec![0.0; horizon + 1]; n];
    let mut steps = Vec::with_capacity(order.len());
    let mut stepped = Vec::with_capacity(order.len());
    for s in 0..=horizon {
        let t = inputs.tick + s as u32;
        if s > 0 {
            for g in 0..n {
                let cohorts = &retiring_by_gen[g];
                while let Some(&(ahead, count)) = cohorts.get(next_retiring[g])
                    && ahead <= s
                {
                    lots[g] = (lots[g] - count).max(0.0);
                    next_retiring[g] += 1;
                }
            }
            for id in gens.ids() {
                let g = id.0 as usize;
                let generation = gens.get(id);
                if let Some(limit) = generation.vendor_lots_per_tick
                    && cost[g].is_finite()
                    && generation.release_tick <= t as i32
                    && price[s - 1] > entry(id, t)
                {
                    lots[g] += f64::from(limit);
                }
            }
        }
        steps.clear();
        stepped.clear();
        for &g in &order {
            if lots[g] > 0.0 {
                let generation = &gens.list[g];
                steps.push(SupplyStep {
                    cost: cost[g],
                    capacity: lots[g] * gpus * generation.perf * hours,
                });
                stepped.push(g);
            }
        }
        let demand = inputs.demand_index * (inputs.demand_trend * s as f64 * dt).exp() * hours;
        let (mut clearing, shares) = clear_merit_order(&steps, demand, 0.0, p);
        let ceiling = gens
            .ids()
            .filter(|&id| {
                let generation = gens.get(id);
                generation.vendor_lots_per_tick.is_none()
                    && cost[id.0 as usize].is_finite()
                    && generation.release_tick <= t as i32
            })
            .map(|id| entry(id, t))
            .fold(f64::INFINITY, f64::min);
        let capped = clearing > ceiling;
        if capped {
            clearing = ceiling;
        }
        price[s] = clearing;
        for g in 0..n {
            share[g][s] = match stepped.iter().position(|&x| x == g) {
                Some(i) if !capped => shares[i],
                _ if cost[g] < clearing => 1.0,
                _ => 0.0,
            };
        }
    }

    // Rigs: the hashprice moves with the subsidy schedule and the network's growth.
    let subsidy_at = |t: usize| {
        inputs
            .subsidy
            .get(t)
            .or(inputs.subsidy.last())
            .copied()
            .unwrap_or(0.0)
    };
    let reward_now = subsidy_at(inputs.tick as usize) + inputs.fees_per_block;
    let mut rent_ratio = vec![Vec::with_capacity(horizon); n];
    let mut dispatch_shift = vec![Vec::with_capacity(horizon); n];
    for id in gens.ids() {
        let g = id.0 as usize;
        let generation = gens.get(id);
        for s in 1..=horizon {
            if generation.is_asic() {
                let reward = subsidy_at(inputs.tick as usize + s) + inputs.fees_per_block;
                let hashrate = (1.0 + inputs.hashrate_growth).powf(s as f64 * dt);
                let ratio = if reward_now > 0.0 {
                    reward / reward_now / hashrate
                } else {
                    1.0
                };
                rent_ratio[g].push(ratio);
                dispatch_shift[g].push(0.0);
            } else {
                rent_ratio[g].push(if price[0] > 0.0 {
                    price[s] / price[0]
                } else {
                    1.0
                });
                dispatch_shift[g].push((share[g][s] - share[g][0]) * p.availability);
            }
        }
    }
    let gap = if price[0] > 0.0 && inputs.observed_price > 0.0 {
        (inputs.observed_price / price[0]).ln()
    } else {
        0.0
    };
    let mut roadmap = Roadmap {
        rent_ratio,
        dispatch_shift,
        gap: gens
            .list
            .iter()
            .map(|g| if g.is_asic() { 0.0 } else { gap })
            .collect(),
        convergence: firesale_core::convergence_per_tick(p.forecast_gap_half_life_years, dt),
        availability: p.availability,
        forecast_price: price,
        expected_ratio: Vec::new(),
    };
    roadmap.close_gaps();
    roadmap
}

/// Phase 2, after the compute market clears: the roadmap forecast for this tick, and
/// the model value of each generation (the benchmark owner's value under it, what a
/// lender's `model` mark reads).
pub fn forecast_rents(
    clock: Res<Clock>,
    gens: Res<Generations>,
    fleet: Res<Fleet>,
    exo: Res<Exogenous>,
    mut market: ResMut<ComputeMarket>,
    mut metrics: ResMut<Metrics>,
) {
    let params = market.params.clone();
    let e = &exo.params;
    let inputs = ForecastInputs {
        params: &params,
        tick: clock.tick,
        years_per_tick: clock.years_per_tick(),
        hours_per_tick: clock.hours_per_tick(),
        demand_index: exo.demand_index,
        demand_trend: (1.0 + e.demand_growth).ln() + (1.0 - e.efficiency_drift).ln(),
        power_multiplier: exo.power_multiplier,
        observed_price: market.price,
        hashrate_growth: e.hashrate_growth,
        subsidy: &exo.paths.subsidy,
        fees_per_block: e.fees_per_block,
    };
    market.roadmap = forecast(&gens, &fleet, &inputs);
    // The benchmark owner's value of each generation under the roadmap, at today's rent
    // and dispatch, over the mean remaining life of its live lots.
    for id in gens.ids() {
        let g = id.0 as usize;
        let generation = gens.get(id);
        let (alive, age_sum) = fleet.alive_and_age_sum(id, clock.tick);
        let mean_age = if alive > 0 {
            age_sum as f64 / alive as f64 * clock.years_per_tick()
        } else {
            0.0
        };
        let economics = market.economics(
            &gens,
            id,
            params.benchmark_power_price,
            params.benchmark_rate,
            &clock,
        );
        let years = (generation.max_age_years - mean_age).max(0.0);
        let rate = firesale_core::per_tick_rate(params.benchmark_rate, clock.years_per_tick());
        market.model_value[g] = market.roadmap.present_value(
            g,
            market.rent[g],
            &economics,
            rate,
            years / clock.years_per_tick(),
        );
        let m = &mut metrics.generations[g];
        m.model_value = market.model_value[g];
        m.vendor_price = gens.deliverable(id, clock.tick).then(|| {
            gens.vendor_lot_price(id, clock.tick, clock.years_per_tick())
                / f64::from(gens.gpus_per_lot)
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use firesale_core::Hardware;

    fn generation(name: &str, release: i32, perf: f64, kw: f64, supply: Option<u32>) -> Generation {
        Generation {
            name: name.into(),
            hardware: Hardware::Gpu,
            release_tick: release,
            released_in_run: release > 0,
            perf,
            kw_per_gpu: kw,
            list_price: 30_000.0 * perf.sqrt(),
            list_price_decline: 0.1,
            liquid_cooled: true,
            useful_life_years: 5.0,
            max_age_years: 6.0,
            vendor_lots_per_tick: supply,
        }
    }

    fn params() -> ComputeParams {
        ComputeParams {
            reference_price: 2.0,
            elasticity: 1.2,
            price_cap: 20.0,
            availability: 0.95,
            opex_per_gpu_hour: 0.1,
            benchmark_rate: 0.1,
            benchmark_rent_growth: 0.0,
            benchmark_power_price: 0.07,
            forecast_gap_half_life_years: 0.5,
        }
    }

    /// 200 H100 lots built at tick 0; a generation 3× as fast arrives at `release`.
    fn forecast_with(release: i32, supply: Option<u32>, observed: f64) -> Roadmap {
        let gens = Generations {
            list: vec![
                generation("H100", -10, 1.0, 1.2, Some(0)),
                generation("B200", release, 3.0, 1.5, supply),
            ],
            gpus_per_lot: 8,
        };
        let mut fleet = Fleet::default();
        for _ in 0..200 {
            fleet.create(GenId(0), AgentId(1), 0);
        }
        let p = params();
        let inputs = ForecastInputs {
            params: &p,
            tick: 0,
            years_per_tick: 7.0 / 365.0,
            hours_per_tick: 168.0,
            demand_index: 2_000.0,
            demand_trend: 0.0,
            power_multiplier: 1.0,
            observed_price: observed,
            hashrate_growth: 0.0,
            subsidy: &[],
            fees_per_block: 0.0,
        };
        forecast(&gens, &fleet, &inputs)
    }

    #[test]
    fn an_announced_generation_lowers_the_older_ones_rent_once_it_ships() {
        let roadmap = forecast_with(26, Some(20), 0.0);
        let h100 = &roadmap.rent_ratio[0];
        assert!(
            (h100[10] - 1.0).abs() < 1e-9,
            "before the release: {}",
            h100[10]
        );
        assert!(h100[60] < 0.8, "once B200s ship: {}", h100[60]);
        // Supply arrives while it pays: the rent falls, never rising, until the H100s
        // built at tick 0 are scrapped after six years (313 weeks) and it rises.
        assert!(h100[..300].windows(2).all(|w| w[1] <= w[0] + 1e-12));
        assert!(h100[312] > h100[300], "{} then {}", h100[300], h100[312]);
    }

    #[test]
    fn an_unlimited_vendor_caps_the_price_at_its_entry_price() {
        let rationed = forecast_with(5, Some(1), 0.0);
        let unlimited = forecast_with(5, None, 0.0);
        let at = |r: &Roadmap| r.forecast_price[30];
        assert!(
            at(&unlimited) < at(&rationed),
            "{} vs {}",
            at(&unlimited),
            at(&rationed)
        );
    }

    #[test]
    fn a_gap_to_todays_price_closes_at_the_half_life() {
        let roadmap = forecast_with(1000, Some(0), 0.0);
        let today = roadmap.forecast_price[0];
        let gapped = forecast_with(1000, Some(0), today * 2.0);
        assert!((gapped.gap[0] - 2.0_f64.ln()).abs() < 1e-9);
        // Half a year on, half the gap is left: the rent expected is 2^-0.5 of today's.
        let half_year = (0.5_f64 / (7.0 / 365.0)).round() as usize;
        let expected = gapped.expected_ratio[0][half_year - 1];
        assert!((expected - 0.5_f64.sqrt()).abs() < 0.02, "{expected}");
    }
}
