//! Semantic checks of a parsed world: every value in its range, every name resolvable.
//!
//! Syntax and types are checked by the parser; here each field is held to the range in
//! which the model means something, and the message names the field's path.

use crate::error::Invalid;
use crate::schema::*;

/// Valid ranges shared by validation and sampling (a drawn value is clamped to them).
pub mod range {
    /// A share or probability.
    pub const SHARE: (f64, f64) = (0.0, 1.0);
    /// An amount of money or a count that may be zero.
    pub const AMOUNT: (f64, f64) = (0.0, 1e13);
    /// A loan-to-value at origination (below 1: some equity).
    pub const LTV: (f64, f64) = (0.0, 0.99);
    /// A power price, $/kWh.
    pub const POWER: (f64, f64) = (0.0, 1.0);
    /// A yearly rate or spread.
    pub const RATE: (f64, f64) = (0.0, 1.0);
    /// Mining efficiency, J/TH.
    pub const J_PER_TH: (f64, f64) = (1.0, 200.0);
    /// A loan tenor, years.
    pub const TENOR: (f64, f64) = (0.1, 30.0);
    /// A leverage multiple.
    pub const LEVERAGE: (f64, f64) = (0.0, 50.0);
}

struct Checker<'a> {
    file: &'a str,
    errors: Vec<Invalid>,
}

impl Checker<'_> {
    fn fail(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.errors.push(Invalid {
            file: self.file.to_string(),
            path: path.into(),
            message: message.into(),
        });
    }

    fn range(&mut self, path: impl Into<String>, value: f64, (lo, hi): (f64, f64)) {
        if !(value.is_finite() && value >= lo && value <= hi) {
            self.fail(
                path,
                format!("expected a value in [{lo}, {hi}], found {value}"),
            );
        }
    }

    fn above(&mut self, path: impl Into<String>, value: f64, lo: f64) {
        if !(value.is_finite() && value > lo) {
            self.fail(path, format!("expected a value above {lo}, found {value}"));
        }
    }

    fn dist(&mut self, path: impl Into<String>, dist: &Dist, (lo, hi): (f64, f64)) {
        if let Some(problem) = dist.problem(lo, hi) {
            self.fail(path, problem);
        }
    }

    fn shocks(&mut self, path: &str, shocks: &[Shock]) {
        for (i, s) in shocks.iter().enumerate() {
            let p = format!("{path}[{i}]");
            self.above(format!("{p}.change"), s.change, -1.0);
            if s.weeks == 0 {
                self.fail(format!("{p}.weeks"), "expected at least 1 week, found 0");
            }
        }
    }
}

/// Checks a world; every problem found is returned, not just the first.
pub fn validate(world: &WorldFile, file: &str) -> Result<(), Vec<Invalid>> {
    let mut c = Checker {
        file,
        errors: Vec::new(),
    };
    if world.name.is_empty()
        || !world
            .name
            .chars()
            .all(|ch| ch.is_ascii_alphanumeric() || ch == '_' || ch == '-')
    {
        c.fail(
            "name",
            format!(
                "expected letters, digits, `_` or `-` (it names the output directory), found {:?}",
                world.name
            ),
        );
    }
    if world.ticks == 0 || world.ticks > 5_000 {
        c.fail(
            "ticks",
            format!("expected 1 to 5000 ticks, found {}", world.ticks),
        );
    }
    if world.tick_days == 0 || world.tick_days > 31 {
        c.fail(
            "tick_days",
            format!("expected 1 to 31 days, found {}", world.tick_days),
        );
    }
    if world.gpus_per_lot == 0 {
        c.fail("gpus_per_lot", "expected at least 1 GPU per lot, found 0");
    }
    let end =
        world.start + chrono::Duration::days(i64::from(world.ticks) * i64::from(world.tick_days));
    if world.generations.is_empty() {
        c.fail(
            "generations",
            "expected at least one GPU generation, found none",
        );
    }
    for (i, g) in world.generations.iter().enumerate() {
        let p = format!("generations[{i}]");
        if world.generations[..i].iter().any(|o| o.name == g.name) {
            c.fail(
                format!("{p}.name"),
                format!("generation name {:?} is used twice", g.name),
            );
        }
        if g.release >= end {
            c.fail(
                format!("{p}.release"),
                format!(
                    "release date {} is after the end of the run ({end})",
                    g.release
                ),
            );
        }
        c.above(format!("{p}.perf"), g.perf, 0.0);
        c.above(format!("{p}.kw_per_gpu"), g.kw_per_gpu, 0.0);
        c.above(format!("{p}.list_price"), g.list_price, 0.0);
        c.range(
            format!("{p}.list_price_decline"),
            g.list_price_decline,
            (0.0, 0.95),
        );
        c.above(format!("{p}.rack_kw"), g.rack_kw, 0.0);
        c.above(format!("{p}.useful_life_years"), g.useful_life_years, 0.0);
        c.above(format!("{p}.max_age_years"), g.max_age_years, 0.0);
    }
    let m = &world.compute;
    c.above("compute.reference_price", m.reference_price, 0.0);
    c.above("compute.elasticity", m.elasticity, 0.0);
    if !(m.price_cap.is_finite() && m.price_cap > m.reference_price) {
        c.fail(
            "compute.price_cap",
            format!(
                "expected a cap above the reference price {}, found {}",
                m.reference_price, m.price_cap
            ),
        );
    }
    c.range("compute.availability", m.availability, (0.01, 1.0));
    c.range(
        "compute.opex_per_gpu_hour",
        m.opex_per_gpu_hour,
        (0.0, 100.0),
    );
    c.range("compute.benchmark_rate", m.benchmark_rate, range::RATE);
    c.range(
        "compute.benchmark_rent_growth",
        m.benchmark_rent_growth,
        (-0.95, 5.0),
    );
    c.range(
        "compute.benchmark_power_price",
        m.benchmark_power_price,
        range::POWER,
    );
    let d = &world.demand;
    c.above("demand.initial", d.initial, 0.0);
    c.range("demand.growth", d.growth, (-0.95, 20.0));
    c.range("demand.efficiency_drift", d.efficiency_drift, (0.0, 0.95));
    c.range("demand.volatility", d.volatility, (0.0, 5.0));
    c.shocks("demand.shocks", &d.shocks);
    let b = &world.btc;
    c.above("btc.initial_price", b.initial_price, 0.0);
    c.range("btc.drift", b.drift, (-5.0, 5.0));
    c.range("btc.volatility", b.volatility, (0.0, 5.0));
    c.range("btc.jump_intensity", b.jump_intensity, (0.0, 52.0));
    c.range("btc.jump_volatility", b.jump_volatility, (0.0, 5.0));
    c.range("btc.jump_mean", b.jump_mean, (-5.0, 5.0));
    c.range("btc.correlation_calm", b.correlation_calm, (-1.0, 1.0));
    c.range("btc.correlation_stress", b.correlation_stress, (-1.0, 1.0));
    c.range("btc.stress_drawdown", b.stress_drawdown, (0.001, 1.0));
    c.shocks("btc.shocks", &b.shocks);
    c.above("btc.network_hashrate_eh", b.network_hashrate_eh, 0.0);
    c.range("btc.hashrate_growth", b.hashrate_growth, (-0.95, 10.0));
    c.range("btc.block_subsidy", b.block_subsidy, (0.0, 50.0));
    c.range("btc.fees_per_block", b.fees_per_block, (0.0, 50.0));
    c.range("rates.initial", world.rates.initial, (-0.05, 1.0));
    c.shocks("power.shocks", &world.power.shocks);
    let gen_names: Vec<&str> = world.generations.iter().map(|g| g.name.as_str()).collect();
    if world.operators.iter().map(|o| o.count).sum::<u32>() == 0 {
        c.fail(
            "operators",
            "expected at least one operator (some class with count > 0), found none",
        );
    }
    for (i, o) in world.operators.iter().enumerate() {
        let p = format!("operators[{i}]");
        if !gen_names.contains(&o.fleet_generation.as_str()) {
            c.fail(
                format!("{p}.fleet_generation"),
                format!(
                    "expected one of {gen_names:?}, found {:?}",
                    o.fleet_generation
                ),
            );
        }
        c.dist(format!("{p}.cash"), &o.cash, range::AMOUNT);
        c.dist(format!("{p}.gpus"), &o.gpus, range::AMOUNT);
        c.dist(format!("{p}.leverage"), &o.leverage, range::LTV);
        c.dist(format!("{p}.spread"), &o.spread, range::RATE);
        c.dist(format!("{p}.tenor_years"), &o.tenor_years, range::TENOR);
        c.range(
            format!("{p}.amortising_share"),
            o.amortising_share,
            range::SHARE,
        );
        c.range(format!("{p}.covenant_ltv"), o.covenant_ltv, (0.01, 1.0));
        c.range(format!("{p}.covenant_dscr"), o.covenant_dscr, (0.0, 10.0));
        c.dist(format!("{p}.power_price"), &o.power_price, range::POWER);
        c.dist(format!("{p}.spare_racks"), &o.spare_racks, (0.0, 10.0));
        c.range(
            format!("{p}.rack_cost_per_kw"),
            o.rack_cost_per_kw,
            range::AMOUNT,
        );
        c.dist(format!("{p}.term_share"), &o.term_share, range::SHARE);
        c.range(format!("{p}.term_premium"), o.term_premium, (0.0, 10.0));
        c.above(format!("{p}.term_years"), o.term_years, 0.0);
        c.range(format!("{p}.tenant_hazard"), o.tenant_hazard, (0.0, 52.0));
        c.range(
            format!("{p}.tenant_sensitivity"),
            o.tenant_sensitivity,
            (0.0, 1000.0),
        );
        c.dist(format!("{p}.btc"), &o.btc, range::AMOUNT);
        c.dist(format!("{p}.hashrate_ph"), &o.hashrate_ph, range::AMOUNT);
        c.dist(
            format!("{p}.mining_j_per_th"),
            &o.mining_j_per_th,
            range::J_PER_TH,
        );
        c.range(
            format!("{p}.btc_sell_share"),
            o.btc_sell_share,
            range::SHARE,
        );
        c.dist(format!("{p}.hurdle_rate"), &o.hurdle_rate, range::RATE);
        c.range(
            format!("{p}.cash_buffer_weeks"),
            o.cash_buffer_weeks,
            (0.0, 520.0),
        );
        c.range(format!("{p}.max_growth"), o.max_growth, (0.0, 10.0));
        c.range(
            format!("{p}.overhead_per_gpu_year"),
            o.overhead_per_gpu_year,
            range::AMOUNT,
        );
        c.range(
            format!("{p}.expectation_weight"),
            o.expectation_weight,
            range::SHARE,
        );
        c.range(format!("{p}.trend_weight"), o.trend_weight, range::SHARE);
        if o.kind == OperatorKind::NeoCloud
            && (o.btc != Dist::Fixed(0.0) || o.hashrate_ph != Dist::Fixed(0.0))
        {
            c.fail(
                format!("{p}.kind"),
                "a NeoCloud holds no BTC and mines nothing: set btc and hashrate_ph to Fixed(0.0)",
            );
        }
    }
    let credit_lenders: u32 = world
        .lenders
        .iter()
        .filter(|l| !matches!(l.kind, LenderKind::RepoDesk(_)))
        .map(|l| l.count)
        .sum();
    if credit_lenders == 0 {
        c.fail("lenders", "expected at least one bank, private credit fund or crypto lender with count > 0, found none");
    }
    for (i, l) in world.lenders.iter().enumerate() {
        let p = format!("lenders[{i}]");
        if let LenderKind::RepoDesk(rule) = l.kind {
            match rule {
                HaircutRule::Fixed(h) => c.range(format!("{p}.kind.haircut"), h, range::SHARE),
                HaircutRule::Observed {
                    base,
                    per_volatility,
                    max_stale_weeks,
                    max_position_to_depth,
                } => {
                    c.range(format!("{p}.kind.base"), base, range::SHARE);
                    c.range(
                        format!("{p}.kind.per_volatility"),
                        per_volatility,
                        (0.0, 10.0),
                    );
                    if max_stale_weeks == 0 {
                        c.fail(
                            format!("{p}.kind.max_stale_weeks"),
                            "expected at least 1 week, found 0",
                        );
                    }
                    c.above(
                        format!("{p}.kind.max_position_to_depth"),
                        max_position_to_depth,
                        0.0,
                    );
                }
            }
        }
        c.dist(format!("{p}.equity"), &l.equity, range::AMOUNT);
        c.dist(format!("{p}.leverage"), &l.leverage, range::LEVERAGE);
        c.range(format!("{p}.funding_spread"), l.funding_spread, range::RATE);
        c.range(format!("{p}.run_threshold"), l.run_threshold, range::SHARE);
        c.range(
            format!("{p}.withdrawal_rate"),
            l.withdrawal_rate,
            range::SHARE,
        );
        c.range(format!("{p}.base_spread"), l.base_spread, range::RATE);
        c.range(format!("{p}.base_max_ltv"), l.base_max_ltv, range::LTV);
        c.range(format!("{p}.covenant_ltv"), l.covenant_ltv, (0.01, 1.0));
        c.range(format!("{p}.covenant_dscr"), l.covenant_dscr, (0.0, 10.0));
        c.above(format!("{p}.tenor_years"), l.tenor_years, 0.0);
        c.range(
            format!("{p}.amortising_share"),
            l.amortising_share,
            range::SHARE,
        );
        c.range(
            format!("{p}.loss_sensitivity"),
            l.loss_sensitivity,
            (0.0, 100.0),
        );
        c.range(
            format!("{p}.volatility_sensitivity"),
            l.volatility_sensitivity,
            (0.0, 10.0),
        );
        c.range(
            format!("{p}.target_capital_ratio"),
            l.target_capital_ratio,
            (0.001, 1.0),
        );
        c.range(
            format!("{p}.base_liquidation_pace"),
            l.base_liquidation_pace,
            range::SHARE,
        );
        c.range(
            format!("{p}.max_fire_sale_discount"),
            l.max_fire_sale_discount,
            range::SHARE,
        );
        c.range(
            format!("{p}.initial_book_weight"),
            l.initial_book_weight,
            (0.0, 1e6),
        );
    }
    if world.buyers.iter().map(|b| b.count).sum::<u32>() == 0 {
        c.fail(
            "buyers",
            "expected at least one GPU buyer (some class with count > 0), found none",
        );
    }
    for (i, b) in world.buyers.iter().enumerate() {
        let p = format!("buyers[{i}]");
        if !gen_names.contains(&b.fleet_generation.as_str()) {
            c.fail(
                format!("{p}.fleet_generation"),
                format!(
                    "expected one of {gen_names:?}, found {:?}",
                    b.fleet_generation
                ),
            );
        }
        c.dist(format!("{p}.cash"), &b.cash, range::AMOUNT);
        c.dist(format!("{p}.credit_line"), &b.credit_line, range::AMOUNT);
        c.range(
            format!("{p}.stress_credit_cut"),
            b.stress_credit_cut,
            range::SHARE,
        );
        c.dist(
            format!("{p}.cost_of_capital"),
            &b.cost_of_capital,
            range::RATE,
        );
        c.above(format!("{p}.horizon_years"), b.horizon_years, 0.0);
        c.dist(format!("{p}.power_price"), &b.power_price, range::POWER);
        c.dist(format!("{p}.air_kw"), &b.air_kw, range::AMOUNT);
        c.dist(format!("{p}.liquid_kw"), &b.liquid_kw, range::AMOUNT);
        c.dist(format!("{p}.gpus"), &b.gpus, range::AMOUNT);
        c.range(
            format!("{p}.rack_cost_per_kw"),
            b.rack_cost_per_kw,
            (1.0, 1e6),
        );
        c.range(
            format!("{p}.rack_budget_share"),
            b.rack_budget_share,
            range::SHARE,
        );
        if b.bid_ladder.is_empty() {
            c.fail(
                format!("{p}.bid_ladder"),
                "expected at least one tranche, found none",
            );
        }
        for (k, share) in b.bid_ladder.iter().enumerate() {
            c.range(format!("{p}.bid_ladder[{k}]"), *share, (0.01, 2.0));
        }
        c.dist(
            format!("{p}.outside_income_per_week"),
            &b.outside_income_per_week,
            range::AMOUNT,
        );
        c.range(
            format!("{p}.expectation_weight"),
            b.expectation_weight,
            range::SHARE,
        );
        c.range(format!("{p}.trend_weight"), b.trend_weight, range::SHARE);
    }
    if c.errors.is_empty() {
        Ok(())
    } else {
        Err(c.errors)
    }
}
