//! Exogenous processes: the AI demand index, BTC and mining economics, rates and power.
//!
//! Scheduled shocks are turned into per-tick paths once, at spawn; the stochastic parts
//! are drawn each tick from the `exogenous` stream. BTC and demand shocks are correlated,
//! more strongly in the stress regime (a scheduled stress window, or a demand drawdown
//! beyond the world's threshold): the "correlation convergence" of MODEL.md.

use firesale_core::Hardware;
use firesale_core::prelude::*;
use rand::RngExt;
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;

/// Parameters of the exogenous processes (yearly units).
#[derive(Debug, Clone)]
pub struct ExogenousParams {
    /// Demand index at the start, H100-equivalent GPUs at the reference price.
    pub demand_initial: f64,
    /// Yearly growth of AI services demand.
    pub demand_growth: f64,
    /// Yearly efficiency drift (less raw compute per service).
    pub efficiency_drift: f64,
    /// Yearly volatility of log demand.
    pub demand_volatility: f64,
    /// BTC price at the start.
    pub btc_initial: f64,
    /// Yearly drift of log BTC.
    pub btc_drift: f64,
    /// Yearly volatility of log BTC.
    pub btc_volatility: f64,
    /// Jumps per year.
    pub jump_intensity: f64,
    /// Mean log jump.
    pub jump_mean: f64,
    /// Std of log jump.
    pub jump_volatility: f64,
    /// Correlation in calm ticks.
    pub correlation_calm: f64,
    /// Correlation in stress ticks.
    pub correlation_stress: f64,
    /// Demand drawdown that turns stress on.
    pub stress_drawdown: f64,
    /// Network hashrate at the start, EH/s.
    pub hashrate_eh: f64,
    /// Yearly growth of network hashrate.
    pub hashrate_growth: f64,
    /// Fees per block, BTC.
    pub fees_per_block: f64,
}

/// Scheduled parts of the processes, one entry per tick.
#[derive(Debug, Clone, Default)]
pub struct ScheduledPaths {
    /// Log increment of demand from scheduled shocks.
    pub demand_shock: Vec<f64>,
    /// Log increment of BTC from scheduled shocks.
    pub btc_shock: Vec<f64>,
    /// Log increment of the power multiplier.
    pub power_shock: Vec<f64>,
    /// Risk-free rate.
    pub rate: Vec<f64>,
    /// Scheduled stress regime.
    pub stress: Vec<bool>,
    /// Block subsidy, BTC.
    pub subsidy: Vec<f64>,
    /// Replayed processes, one value per tick, where the world replays them.
    pub replay: ReplayedPaths,
}

/// Processes a world replays from data instead of drawing, one value per tick (with
/// its scheduled shocks already applied). The random draws are made all the same, so
/// every other process sees the same stream whether or not one is replayed.
#[derive(Debug, Clone, Default)]
pub struct ReplayedPaths {
    /// BTC price, $.
    pub btc_price: Option<Vec<f64>>,
    /// Network hashrate, EH/s.
    pub hashrate_eh: Option<Vec<f64>>,
    /// Demand index.
    pub demand: Option<Vec<f64>>,
    /// Power multiplier.
    pub power: Option<Vec<f64>>,
}

/// The replayed value of a path at tick `t`, if the path is replayed.
fn replayed(path: &Option<Vec<f64>>, t: usize) -> Option<f64> {
    path.as_ref().and_then(|p| p.get(t).copied())
}

/// State of the exogenous world this tick.
#[derive(Resource, Debug, Clone)]
pub struct Exogenous {
    /// Parameters.
    pub params: ExogenousParams,
    /// Scheduled paths.
    pub paths: ScheduledPaths,
    /// The processes' own random stream.
    pub rng: ChaCha8Rng,
    /// Demand index, H100-equivalent GPUs at the reference price.
    pub demand_index: f64,
    /// Highest demand index so far (for the drawdown).
    pub demand_peak: f64,
    /// BTC price, $.
    pub btc_price: f64,
    /// Risk-free rate.
    pub rate: f64,
    /// Multiplier on all power contracts.
    pub power_multiplier: f64,
    /// Whether the stress regime is on.
    pub stress: bool,
    /// Network hashrate, EH/s.
    pub hashrate_eh: f64,
    /// Revenue per PH/s per day, $.
    pub hashprice: f64,
    /// Log return of demand this tick.
    pub demand_return: f64,
    /// Log return of BTC this tick.
    pub btc_return: f64,
}

impl Exogenous {
    /// The processes at their starting values.
    pub fn new(mut params: ExogenousParams, paths: ScheduledPaths, rng: ChaCha8Rng) -> Self {
        let rate = paths.rate.first().copied().unwrap_or(0.0);
        let demand = replayed(&paths.replay.demand, 0).unwrap_or(params.demand_initial);
        // What demand is measured against (buyers' income) is where it starts.
        params.demand_initial = demand;
        let mut exo = Exogenous {
            demand_index: demand,
            demand_peak: demand,
            btc_price: replayed(&paths.replay.btc_price, 0).unwrap_or(params.btc_initial),
            hashrate_eh: replayed(&paths.replay.hashrate_eh, 0).unwrap_or(params.hashrate_eh),
            power_multiplier: replayed(&paths.replay.power, 0).unwrap_or(1.0),
            params,
            paths,
            rng,
            rate,
            stress: false,
            hashprice: 0.0,
            demand_return: 0.0,
            btc_return: 0.0,
        };
        exo.update_hashprice(0);
        exo
    }

    fn update_hashprice(&mut self, tick: u32) {
        let subsidy = self
            .paths
            .subsidy
            .get(tick as usize)
            .copied()
            .unwrap_or(0.0);
        let per_day_usd = 144.0 * (subsidy + self.params.fees_per_block) * self.btc_price;
        self.hashprice = per_day_usd / (self.hashrate_eh * 1000.0);
    }

    /// Advances every process by one tick of `dt` years.
    pub fn step(&mut self, tick: u32, dt: f64) {
        let t = tick as usize;
        let p = &self.params;
        let drawdown = 1.0 - self.demand_index / self.demand_peak;
        self.stress =
            self.paths.stress.get(t).copied().unwrap_or(false) || drawdown > p.stress_drawdown;
        let rho = if self.stress {
            p.correlation_stress
        } else {
            p.correlation_calm
        };
        let z1: f64 = self.rng.sample(StandardNormal);
        let z2: f64 = self.rng.sample(StandardNormal);
        let jump_draw: f64 = self.rng.random();
        let jump_size: f64 = self.rng.sample(StandardNormal);
        let e_btc = rho * z1 + (1.0 - rho * rho).max(0.0).sqrt() * z2;

        let demand_trend = (1.0 + p.demand_growth).ln() + (1.0 - p.efficiency_drift).ln();
        let demand_return = match replayed(&self.paths.replay.demand, t) {
            Some(level) => (level / self.demand_index).ln(),
            None => {
                (demand_trend - 0.5 * p.demand_volatility.powi(2)) * dt
                    + p.demand_volatility * dt.sqrt() * z1
                    + self.paths.demand_shock.get(t).copied().unwrap_or(0.0)
            }
        };
        let jump = if jump_draw < p.jump_intensity * dt {
            p.jump_mean + p.jump_volatility * jump_size
        } else {
            0.0
        };
        let btc_return = match replayed(&self.paths.replay.btc_price, t) {
            Some(price) => (price / self.btc_price).ln(),
            None => {
                (p.btc_drift - 0.5 * p.btc_volatility.powi(2)) * dt
                    + p.btc_volatility * dt.sqrt() * e_btc
                    + jump
                    + self.paths.btc_shock.get(t).copied().unwrap_or(0.0)
            }
        };

        self.demand_index *= demand_return.exp();
        self.demand_peak = self.demand_peak.max(self.demand_index);
        self.btc_price *= btc_return.exp();
        self.demand_return = demand_return;
        self.btc_return = btc_return;
        self.power_multiplier = match replayed(&self.paths.replay.power, t) {
            Some(multiplier) => multiplier,
            None => {
                self.power_multiplier * self.paths.power_shock.get(t).copied().unwrap_or(0.0).exp()
            }
        };
        self.rate = self.paths.rate.get(t).copied().unwrap_or(self.rate);
        self.hashrate_eh = match replayed(&self.paths.replay.hashrate_eh, t) {
            Some(hashrate) => hashrate,
            None => self.hashrate_eh * (1.0 + p.hashrate_growth).powf(dt),
        };
        self.update_hashprice(tick);
    }
}

/// Phase 1: advance the exogenous processes (tick 0 keeps the starting values).
pub fn advance_exogenous(
    clock: Res<Clock>,
    mut exo: ResMut<Exogenous>,
    mut metrics: ResMut<Metrics>,
    mut ledger: ResMut<Ledger>,
) {
    ledger.start_tick();
    metrics.start_tick();
    if clock.tick > 0 {
        exo.step(clock.tick, clock.years_per_tick());
    }
    metrics.demand_index = exo.demand_index;
    metrics.btc_price = exo.btc_price;
    metrics.hashprice = exo.hashprice;
    metrics.risk_free_rate = exo.rate;
    metrics.stress = exo.stress;
}

/// Phase 1: log generations the vendor starts selling this tick.
pub fn release_generations(clock: Res<Clock>, gens: Res<Generations>, mut log: ResMut<EventLog>) {
    for id in gens.ids() {
        let g = gens.get(id);
        if g.released_in_run && g.release_tick == clock.tick as i32 {
            log.push(
                &clock,
                EventKind::Release,
                vec!["vendor".into()],
                g.list_price,
                0,
                Some(g.name.clone()),
                match g.hardware {
                    Hardware::Gpu => format!(
                        "{} released at ${:.0}/GPU, perf {:.2}",
                        g.name, g.list_price, g.perf
                    ),
                    Hardware::Asic {
                        th_per_unit,
                        j_per_th,
                    } => format!(
                        "{} released at ${:.0}/rig, {th_per_unit} TH/s at {j_per_th} J/TH",
                        g.name, g.list_price
                    ),
                },
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn params() -> ExogenousParams {
        ExogenousParams {
            demand_initial: 100.0,
            demand_growth: 0.0,
            efficiency_drift: 0.0,
            demand_volatility: 0.0,
            btc_initial: 50_000.0,
            btc_drift: 0.0,
            btc_volatility: 0.0,
            jump_intensity: 0.0,
            jump_mean: 0.0,
            jump_volatility: 0.0,
            correlation_calm: 0.3,
            correlation_stress: 0.8,
            stress_drawdown: 0.2,
            hashrate_eh: 600.0,
            hashrate_growth: 0.0,
            fees_per_block: 0.0,
        }
    }

    #[test]
    fn scheduled_shock_moves_the_level_and_turns_stress_on() {
        let paths = ScheduledPaths {
            demand_shock: vec![0.0, (0.5f64).ln(), 0.0, 0.0],
            btc_shock: vec![0.0; 4],
            power_shock: vec![0.0; 4],
            rate: vec![0.05; 4],
            stress: vec![false; 4],
            subsidy: vec![3.125; 4],
            replay: ReplayedPaths::default(),
        };
        let mut exo = Exogenous::new(params(), paths, ChaCha8Rng::seed_from_u64(1));
        exo.step(1, 7.0 / 365.0);
        assert!((exo.demand_index - 50.0).abs() < 1e-9);
        assert!(
            !exo.stress,
            "stress is judged on the drawdown before the step"
        );
        exo.step(2, 7.0 / 365.0);
        assert!(exo.stress);
        // 144 blocks × 3.125 BTC × $50k / 600,000 PH/s
        assert!((exo.hashprice - 37.5).abs() < 1e-9);
    }

    #[test]
    fn a_replayed_process_takes_its_values_and_leaves_the_others_their_draws() {
        let paths = |replay| ScheduledPaths {
            demand_shock: vec![0.0; 4],
            btc_shock: vec![0.0; 4],
            power_shock: vec![0.0; 4],
            rate: vec![0.05; 4],
            stress: vec![false; 4],
            subsidy: vec![6.25; 4],
            replay,
        };
        let mut p = params();
        p.demand_volatility = 0.3;
        p.btc_volatility = 0.8;
        let replay = ReplayedPaths {
            btc_price: Some(vec![20_000.0, 19_000.0, 25_000.0, 30_000.0]),
            hashrate_eh: Some(vec![200.0; 4]),
            ..Default::default()
        };
        let seed = || ChaCha8Rng::seed_from_u64(7);
        let mut drawn = Exogenous::new(p.clone(), paths(ReplayedPaths::default()), seed());
        let mut replayed = Exogenous::new(p, paths(replay), seed());
        assert_eq!(
            replayed.btc_price, 20_000.0,
            "the replay starts at its first value"
        );
        for t in 1..4 {
            drawn.step(t, 7.0 / 365.0);
            replayed.step(t, 7.0 / 365.0);
            assert_eq!(
                drawn.demand_index, replayed.demand_index,
                "demand keeps its draws"
            );
        }
        assert_eq!(replayed.btc_price, 30_000.0);
        assert!((replayed.btc_return - (30_000f64 / 25_000.0).ln()).abs() < 1e-12);
        // 144 blocks × 6.25 BTC × $30k / 200,000 PH/s = $135 per PH/s per day.
        assert!((replayed.hashprice - 135.0).abs() < 1e-9);
    }
}
