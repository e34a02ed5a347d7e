//! The compute rental market: installed lots offered in merit order against demand.
//!
//! Each owner's installed lots of one generation form one supply step, offered at its
//! marginal cost per H100-equivalent hour (power at the owner's contract price plus
//! opex, over performance). Steps are stacked cheapest first and the price is where the
//! demand curve `A · (p / p_ref)^(-elasticity)` meets the stack. A newer generation has a
//! lower cost per unit of compute, so it pushes older ones up the stack and, when supply
//! outgrows demand, out of dispatch: their rent falls because they are undercut, not
//! because a depreciation schedule says so.
//!
//! ASIC rigs are dispatched here too, outside the merit order: each owner runs its rigs
//! while the hashprice on their hashrate beats its cost of power, and switches them off
//! otherwise. A rig's "rent" is that hashprice revenue per rig-hour, so every valuation,
//! mark and bid downstream treats rigs and GPUs with the same code.

use crate::exogenous::Exogenous;
use firesale_core::prelude::*;
use firesale_core::{Generation, pv_margin};

/// Parameters of the compute market.
#[derive(Debug, Clone)]
pub struct ComputeParams {
    /// Price at which demand equals the demand index, $/H100-hour.
    pub reference_price: f64,
    /// Price elasticity of demand.
    pub elasticity: f64,
    /// Highest price tenants pay, $/H100-hour.
    pub price_cap: f64,
    /// Share of hours a GPU is available.
    pub availability: f64,
    /// Opex per dispatched GPU-hour besides power, $.
    pub opex_per_gpu_hour: f64,
    /// Benchmark discount rate, per year.
    pub benchmark_rate: f64,
    /// Benchmark rent growth, per year.
    pub benchmark_rent_growth: f64,
    /// Benchmark power price, $/kWh.
    pub benchmark_power_price: f64,
    /// Half-life of the gap between today's price and the roadmap forecast's, years.
    pub forecast_gap_half_life_years: f64,
}

impl ComputeParams {
    /// Marginal cost of running one unit of a generation for an hour at a price per
    /// kWh: its power, plus the market's opex for a GPU (a rig's site costs are in its
    /// owner's power price).
    pub fn unit_hour_cost(&self, generation: &Generation, usd_per_kwh: f64) -> f64 {
        generation.kw_per_gpu * usd_per_kwh + self.unit_opex(generation)
    }

    /// Opex per unit-hour run besides power: the market's for a GPU, none for a rig.
    pub fn unit_opex(&self, generation: &Generation) -> f64 {
        if generation.is_asic() {
            0.0
        } else {
            self.opex_per_gpu_hour
        }
    }
}

/// Result of this tick's compute market, read by every agent.
#[derive(Resource, Debug, Clone)]
pub struct ComputeMarket {
    /// Parameters.
    pub params: ComputeParams,
    /// Clearing price, $/H100-hour.
    pub price: f64,
    /// Rent of one dispatched GPU per generation, $/GPU-hour.
    pub rent: Vec<f64>,
    /// Dispatched share of installed capacity per generation.
    pub utilisation: Vec<Option<f64>>,
    /// Fundamental value per GPU per generation, $ (the benchmark at a constant rent
    /// growth: a reference no agent holds).
    pub fundamental: Vec<f64>,
    /// This tick's forecast of every generation's rent from the announced roadmap
    /// (`crate::forecast_rents`), which owners' `roadmap` outlooks read.
    pub roadmap: firesale_core::Roadmap,
    /// Model value per GPU per generation, $: the benchmark owner's value under the
    /// roadmap forecast over its live lots' mean remaining life (a `model` mark).
    pub model_value: Vec<f64>,
}

impl ComputeMarket {
    /// A market that has not cleared yet.
    pub fn new(params: ComputeParams, generations: usize) -> Self {
        ComputeMarket {
            price: params.reference_price,
            params,
            rent: vec![0.0; generations],
            utilisation: vec![None; generations],
            fundamental: vec![0.0; generations],
            roadmap: firesale_core::Roadmap::default(),
            model_value: vec![0.0; generations],
        }
    }

    /// Marginal cost of running one unit for an hour ([`ComputeParams::unit_hour_cost`]).
    pub fn unit_hour_cost(&self, generation: &Generation, usd_per_kwh: f64) -> f64 {
        self.params.unit_hour_cost(generation, usd_per_kwh)
    }

    /// Opex per unit-hour run besides power ([`ComputeParams::unit_opex`]).
    pub fn unit_opex(&self, generation: &Generation) -> f64 {
        self.params.unit_opex(generation)
    }

    /// Share of hours an owner expects a unit of `generation` to earn: a GPU the
    /// generation's observed dispatch (`default` before it has any), a rig every
    /// available hour (its owner switches it off when the hashprice no longer covers
    /// power, which the valuation's floor at zero margin already counts).
    pub fn expected_utilisation(&self, gens: &Generations, generation: GenId, default: f64) -> f64 {
        let share = if gens.get(generation).is_asic() {
            1.0
        } else {
            self.utilisation[generation.0 as usize].unwrap_or(default)
        };
        share * self.params.availability
    }

    /// What an owner with power at `usd_per_kwh` and a discount `rate` expects of one
    /// GPU of `generation`: its running cost and the generation's observed utilisation.
    pub fn economics(
        &self,
        gens: &Generations,
        generation: GenId,
        usd_per_kwh: f64,
        rate: f64,
        clock: &Clock,
    ) -> firesale_core::GpuEconomics {
        firesale_core::GpuEconomics {
            cost_per_gpu_hour: self.unit_hour_cost(gens.get(generation), usd_per_kwh),
            utilisation: self.expected_utilisation(gens, generation, 1.0),
            rate,
            hours_per_tick: clock.hours_per_tick(),
            years_per_tick: clock.years_per_tick(),
        }
    }
}

/// What one owner's fleet did in the compute market this tick.
#[derive(Component, Debug, Clone, Default)]
pub struct Dispatch {
    /// Unit-hours run per generation (GPUs spot and leased, rigs switched on).
    pub gpu_hours: Vec<f64>,
    /// Spot rent received this tick, $.
    pub spot_revenue: f64,
    /// Mining revenue of its rigs this tick, $ (the hashprice on the hashrate run).
    pub mining_revenue: f64,
    /// Installed lots per generation.
    pub installed: Vec<u32>,
}

/// Share of an owner's installed capacity leased to term tenants (run whatever the spot price).
#[derive(Component, Debug, Clone, Copy, Default)]
pub struct LeasedShare(pub f64);

/// One step of the supply stack.
#[derive(Debug, Clone, PartialEq)]
pub struct SupplyStep {
    /// Cost per H100-equivalent hour.
    pub cost: f64,
    /// Capacity offered, H100-equivalent hours.
    pub capacity: f64,
}

/// Clears a supply stack (sorted cheapest first) against demand
/// `demand(p) = max(0, scale · (p / p_ref)^(-e) − leased)`; returns the price and the
/// dispatched share of each step.
pub fn clear_merit_order(
    steps: &[SupplyStep],
    scale: f64,
    leased: f64,
    params: &ComputeParams,
) -> (f64, Vec<f64>) {
    let demand =
        |p: f64| (scale * (p / params.reference_price).powf(-params.elasticity) - leased).max(0.0);
    // Price at which demand equals `quantity` (inverse demand), capped.
    let inverse = |quantity: f64| {
        let total = quantity + leased;
        if total <= 0.0 || scale <= 0.0 {
            return params.price_cap;
        }
        (params.reference_price * (total / scale).powf(-1.0 / params.elasticity))
            .min(params.price_cap)
    };
    let mut shares = vec![0.0; steps.len()];
    let mut cumulative = 0.0;
    let mut previous_cost = 0.0_f64;
    for (i, step) in steps.iter().enumerate() {
        let wanted = demand(step.cost);
        if wanted <= cumulative {
            let price = inverse(cumulative).clamp(previous_cost, step.cost.max(previous_cost));
            return (price, shares);
        }
        if wanted <= cumulative + step.capacity {
            shares[i] = if step.capacity > 0.0 {
                (wanted - cumulative) / step.capacity
            } else {
                0.0
            };
            return (step.cost, shares);
        }
        shares[i] = 1.0;
        cumulative += step.capacity;
        previous_cost = step.cost;
    }
    (inverse(cumulative).max(previous_cost), shares)
}

/// Installed lots of each of `owners` (by `id_of`) and generation, `n_gens` a row in
/// the owners' order, zero where an owner holds none of a generation. Read on all cores
/// in chunks, each chunk's rows in order, so the table is the same whatever the threads.
fn installed_table<T: Sync>(
    fleet: &Fleet,
    owners: &[T],
    n_gens: usize,
    id_of: impl Fn(&T) -> AgentId + Sync,
) -> Vec<u32> {
    use rayon::prelude::*;
    const CHUNK: usize = 512;
    let chunks: Vec<Vec<u32>> = owners
        .par_chunks(CHUNK)
        .map(|chunk| {
            let mut rows = vec![0u32; chunk.len() * n_gens];
            for (owner, row) in chunk.iter().zip(rows.chunks_mut(n_gens.max(1))) {
                for (cell, held) in row.iter_mut().zip(fleet.held(id_of(owner))) {
                    *cell = held.installed;
                }
            }
            rows
        })
        .collect();
    chunks.concat()
}

/// Phase 2: dispatch every installed lot, clear the compute price and pay spot rent.
#[allow(clippy::too_many_arguments)]
pub fn clear_compute_market(
    clock: Res<Clock>,
    gens: Res<Generations>,
    fleet: Res<Fleet>,
    exo: Res<Exogenous>,
    mut market: ResMut<ComputeMarket>,
    mut ledger: ResMut<Ledger>,
    mut metrics: ResMut<Metrics>,
    mut owners: Query<(&Agent, &PowerContract, &mut Dispatch, Option<&LeasedShare>)>,
) {
    let n_gens = gens.list.len();
    let hours = clock.hours_per_tick() * market.params.availability;
    let gpus = f64::from(gens.gpus_per_lot);
    let mut sorted: Vec<_> = owners.iter_mut().collect();
    sorted.sort_unstable_by_key(|(agent, ..)| agent.id);
    // Installed lots per owner and generation, from the fleet's counts (kept as lots
    // move; no scan of the fleet), copied once into one table, `n_gens` a row in owner
    // order. The owners' counts lie apart in memory and reading them is nearly all this
    // step's time (the walk waits on memory, not on arithmetic), so they are read on
    // all cores, once; both passes below then read the table in order.
    let installed = installed_table(&fleet, &sorted, n_gens, |(agent, ..)| agent.id);
    let mut steps = Vec::new();
    let mut keys = Vec::new();
    let mut leased_total = 0.0;
    for ((agent, power, _, leased), row) in sorted.iter().zip(installed.chunks(n_gens.max(1))) {
        let leased = leased.map_or(0.0, |l| l.0);
        for (g, &count) in row.iter().enumerate() {
            let generation = gens.get(GenId(g as u16));
            if count == 0 || generation.is_asic() {
                continue;
            }
            let compute = f64::from(count) * gpus * generation.perf * hours;
            leased_total += compute * leased;
            let usd_per_kwh = power.per_kwh(exo.power_multiplier);
            steps.push(SupplyStep {
                cost: market.unit_hour_cost(generation, usd_per_kwh) / generation.perf,
                capacity: compute * (1.0 - leased),
            });
            keys.push((agent.id, g));
        }
    }
    // Cheapest first, ties by owner and generation: a total order packed into one
    // integer per step (an owner's generations are its steps, so each key is unique).
    let mut packed: Vec<(u128, u32)> = steps
        .iter()
        .zip(&keys)
        .enumerate()
        .map(|(i, (step, &(owner, g)))| {
            let key = u128::from(crate::book::ordered_bits(step.cost)) << 64
                | u128::from(owner.0) << 16
                | g as u128;
            (key, i as u32)
        })
        .collect();
    crate::keysort::sort_by_unique_key(&mut packed, |&(key, _)| key);
    let order: Vec<usize> = packed.iter().map(|&(_, i)| i as usize).collect();
    let stack: Vec<SupplyStep> = order.iter().map(|&i| steps[i].clone()).collect();
    // The demand index counts H100-equivalent GPUs; demand is in H100-hours.
    let scale = exo.demand_index * hours;
    let (price, shares) = clear_merit_order(&stack, scale, leased_total, &market.params);

    // Pay rent and record each owner's dispatch.
    let mut dispatched = vec![0.0; n_gens];
    let mut capacity = vec![0.0; n_gens];
    // Each supply step's dispatched share, by step (steps run in owner order, then
    // generation order, as the loop below walks them).
    let mut share_of_step = vec![0.0; steps.len()];
    for (rank, &i) in order.iter().enumerate() {
        share_of_step[i] = shares[rank];
    }
    let mut next_step = 0;
    let mut rigs_off = 0u64;
    for ((agent, power, dispatch, leased), row) in
        sorted.iter_mut().zip(installed.chunks(n_gens.max(1)))
    {
        let leased = leased.map_or(0.0, |l| l.0);
        dispatch.gpu_hours.clear();
        dispatch.gpu_hours.resize(n_gens, 0.0);
        dispatch.installed.clear();
        dispatch.installed.extend_from_slice(row);
        dispatch.spot_revenue = 0.0;
        dispatch.mining_revenue = 0.0;
        for g in 0..n_gens {
            let count = dispatch.installed[g];
            if count == 0 {
                continue;
            }
            let generation = gens.get(GenId(g as u16));
            let gpu_hours = f64::from(count) * gpus * hours;
            capacity[g] += gpu_hours;
            // What runs and what it earns: a rig runs while the hashprice beats its
            // owner's cost of power and is paid for the BTC it mines; a GPU runs its
            // leased share and its dispatched spot share and is paid rent.
            let (run, revenue, payer, memo) = if generation.is_asic() {
                let rent = rig_rent(exo.hashprice, generation);
                let cost = market.unit_hour_cost(generation, power.per_kwh(exo.power_multiplier));
                if rent <= cost {
                    rigs_off += u64::from(count) * u64::from(gens.gpus_per_lot);
                    continue;
                }
                dispatch.mining_revenue += rent * gpu_hours;
                (
                    gpu_hours,
                    rent * gpu_hours,
                    External::BtcMarket,
                    "mined BTC sold",
                )
            } else {
                debug_assert_eq!(keys[next_step], (agent.id, g));
                let spot_share = share_of_step[next_step];
                next_step += 1;
                let run = gpu_hours * (leased + (1.0 - leased) * spot_share);
                let revenue = price * generation.perf * gpu_hours * (1.0 - leased) * spot_share;
                dispatch.spot_revenue += revenue;
                (run, revenue, External::Tenants, "spot rent")
            };
            dispatch.gpu_hours[g] = run;
            dispatched[g] += run;
            ledger.transfer(payer.account(), agent.account, revenue, memo);
        }
    }

    market.price = price;
    let params = market.params.clone();
    for id in gens.ids() {
        let g = id.0 as usize;
        let generation = gens.get(id);
        market.rent[g] = if generation.is_asic() {
            rig_rent(exo.hashprice, generation)
        } else {
            price * generation.perf
        };
        market.utilisation[g] = (capacity[g] > 0.0).then(|| dispatched[g] / capacity[g]);
        let (alive, age_sum) = fleet.alive_and_age_sum(id, clock.tick);
        let mean_age_ticks = if alive > 0 {
            age_sum as f64 / alive as f64
        } else {
            0.0
        };
        let age_years = mean_age_ticks * clock.years_per_tick();
        market.fundamental[g] = fundamental_per_gpu(
            &params,
            market.rent[g],
            market.unit_hour_cost(generation, params.benchmark_power_price),
            (generation.max_age_years - age_years).max(0.0),
            clock.years_per_tick(),
            clock.hours_per_tick(),
        );
        let m = &mut metrics.generations[g];
        m.rent = market.rent[g];
        m.utilisation = market.utilisation[g];
        m.installed_lots = fleet.installed_lots(GenId(g as u16));
        m.fundamental = market.fundamental[g];
        m.book_value = gens.book_value_per_gpu(id, age_years);
    }
    metrics.compute_price = price;
    metrics.rig_units_off = rigs_off;
    metrics.rig_units_installed = gens
        .ids()
        .filter(|&id| gens.get(id).is_asic())
        .map(|id| metrics.generations[id.0 as usize].installed_lots)
        .sum::<u64>()
        * u64::from(gens.gpus_per_lot);
}

/// What one rig of `generation` earns per hour at a hashprice in $ per PH/s per day: its
/// TH/s as PH/s times the hashprice, over 24 hours.
pub fn rig_rent(hashprice: f64, generation: &Generation) -> f64 {
    hashprice * generation.th_per_unit() / 1000.0 / 24.0
}

/// Fundamental value of one unit: its benchmark margin at today's rent less `cost` per
/// unit-hour at the benchmark power price, growing at the benchmark rent growth,
/// discounted at the benchmark rate over its remaining physical life.
pub fn fundamental_per_gpu(
    params: &ComputeParams,
    rent: f64,
    cost: f64,
    remaining_years: f64,
    years_per_tick: f64,
    hours_per_tick: f64,
) -> f64 {
    let margin = (rent - cost) * hours_per_tick * params.availability;
    let growth = (1.0 + params.benchmark_rent_growth).powf(years_per_tick) - 1.0;
    let rate = (1.0 + params.benchmark_rate).powf(years_per_tick) - 1.0;
    pv_margin(margin, growth, rate, remaining_years / years_per_tick)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_installed_table_holds_each_owners_counts_in_order_whatever_the_threads() {
        // 1,100 owners (three chunks), each with `i % 4` lots installed of generation
        // `i % 3`, and one more stored; owner 7 holds nothing, and no one holds the
        // third generation's neighbour, generation 3.
        let mut fleet = Fleet::default();
        let owners: Vec<AgentId> = (0..1_100).map(AgentId).collect();
        for (i, &owner) in owners.iter().enumerate().filter(|&(i, _)| i != 7) {
            let g = GenId((i % 3) as u16);
            for _ in 0..i % 4 {
                let lot = fleet.create(g, owner, 0);
                fleet.set_state(lot, firesale_core::LotState::Installed);
            }
            fleet.create(g, owner, 0);
        }
        let expected: Vec<u32> = (0..owners.len())
            .flat_map(|i| {
                let mut row = [0u32; 4];
                if i != 7 {
                    row[i % 3] = (i % 4) as u32;
                }
                row
            })
            .collect();
        for threads in [1, 3] {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            let table = pool.install(|| installed_table(&fleet, &owners, 4, |&id| id));
            assert_eq!(table, expected, "{threads} threads");
        }
    }

    fn params() -> ComputeParams {
        ComputeParams {
            reference_price: 2.0,
            elasticity: 1.0,
            price_cap: 20.0,
            availability: 1.0,
            opex_per_gpu_hour: 0.1,
            benchmark_rate: 0.1,
            benchmark_rent_growth: 0.0,
            benchmark_power_price: 0.05,
            forecast_gap_half_life_years: 0.5,
        }
    }

    #[test]
    fn scarce_supply_clears_on_the_demand_curve() {
        // Demand 100 at $2; supply 50 → price where 200/p = 50 → $4, all dispatched.
        let steps = vec![SupplyStep {
            cost: 0.2,
            capacity: 50.0,
        }];
        let (price, shares) = clear_merit_order(&steps, 100.0, 0.0, &params());
        assert!((price - 4.0).abs() < 1e-9);
        assert_eq!(shares, vec![1.0]);
    }

    #[test]
    fn a_cheaper_generation_pushes_the_older_one_out_of_dispatch() {
        let old = SupplyStep {
            cost: 0.5,
            capacity: 60.0,
        };
        let (price, shares) = clear_merit_order(std::slice::from_ref(&old), 100.0, 0.0, &params());
        assert!(price > 2.0 && shares[0] == 1.0);
        let new = SupplyStep {
            cost: 0.1,
            capacity: 500.0,
        };
        let (price2, shares2) = clear_merit_order(&[new, old], 100.0, 0.0, &params());
        assert!(
            (price2 - 0.4).abs() < 1e-9,
            "new supply clears below the old cost: {price2}"
        );
        assert_eq!(shares2[1], 0.0, "the older generation goes dark");
    }

    #[test]
    fn marginal_step_is_partly_dispatched_at_its_cost() {
        let steps = vec![
            SupplyStep {
                cost: 1.0,
                capacity: 100.0,
            },
            SupplyStep {
                cost: 1.6,
                capacity: 100.0,
            },
        ];
        // demand(1.6) = 200/1.6 = 125 → step 2 runs 25%.
        let (price, shares) = clear_merit_order(&steps, 100.0, 0.0, &params());
        assert_eq!(price, 1.6);
        assert!((shares[1] - 0.25).abs() < 1e-9);
    }
}
