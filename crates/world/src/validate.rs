//! Semantic checks of a parsed world: every value in its range, every name resolvable.
//!
//! Syntax and types are checked by the parser; here each field is held to the range in
//! which the model means something, and the message names the field's path.

use crate::error::Invalid;
use crate::schema::*;
use chrono::NaiveDate;

/// The date of `(year, month, day)`; the limits above are valid dates.
fn date_of((y, m, d): (i32, u32, u32)) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
}

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

/// Plausible bounds on counts and sizes: far beyond any real market, but small enough
/// that no arithmetic on them overflows and no run is started that cannot finish.
pub mod limit {
    /// Ticks in a run.
    pub const TICKS: u32 = 5_000;
    /// GPUs in one lot.
    pub const GPUS_PER_LOT: u32 = 100_000;
    /// GPU generations in a world.
    pub const GENERATIONS: usize = 100;
    /// Agents in one class.
    pub const AGENTS_PER_CLASS: u32 = 1_000_000;
    /// Classes of one kind of agent.
    pub const CLASSES: usize = 1_000;
    /// Scheduled shocks or moves of one process.
    pub const SHOCKS: usize = 1_000;
    /// Lots per tick (vendor deliveries, a buyer's bids).
    pub const LOTS_PER_TICK: u32 = 1_000_000;
    /// Weeks of any delay (cure periods, rack builds, shocks).
    pub const WEEKS: u32 = 5_200;
    /// GPUs one agent owns at the start (the world's whole fleet is a few million).
    pub const GPUS: f64 = 1e7;
    /// Rack power of one agent, kW (100 GW).
    pub const KW: f64 = 1e8;
    /// Tranches of a bid ladder.
    pub const LADDER: usize = 100;
    /// The earliest date a world may name.
    pub const FIRST_DATE: (i32, u32, u32) = (1900, 1, 1);
    /// The latest date a world may name.
    pub const LAST_DATE: (i32, u32, u32) = (2200, 12, 31);
}

/// A name that is safe in a path and an agent name: ASCII letters, digits, `_` and `-`.
fn plain_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
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

    /// A value above zero and at most `hi`.
    fn positive(&mut self, path: impl Into<String>, value: f64, hi: f64) {
        if !(value.is_finite() && value > 0.0 && value <= hi) {
            self.fail(
                path,
                format!("expected a value above 0 and at most {hi}, found {value}"),
            );
        }
    }

    fn dist(&mut self, path: impl Into<String>, dist: &Dist, (lo, hi): (f64, f64)) {
        if let Some(problem) = dist.problem(lo, hi) {
            self.fail(path, problem);
        }
    }

    fn shocks(&mut self, path: &str, shocks: &[Shock]) {
        self.length(path, shocks.len(), limit::SHOCKS);
        for (i, s) in shocks.iter().enumerate() {
            let p = format!("{path}[{i}]");
            self.range(format!("{p}.change"), s.change, (-0.999, 100.0));
            self.whole(format!("{p}.weeks"), s.weeks, 1, limit::WEEKS);
        }
    }

    /// A class's voluntary-sale rule.
    fn resale(&mut self, class: &str, r: &ResaleSpec) {
        self.range(format!("{class}.resale.margin"), r.margin, (0.0, 10.0));
        self.range(
            format!("{class}.resale.share_per_week"),
            r.share_per_week,
            range::SHARE,
        );
    }

    /// A whole number in `[lo, hi]`.
    fn whole(&mut self, path: impl Into<String>, value: u32, lo: u32, hi: u32) {
        if value < lo || value > hi {
            self.fail(path, format!("expected {lo} to {hi}, found {value}"));
        }
    }

    /// A list of at most `most` entries.
    fn length(&mut self, path: &str, len: usize, most: usize) {
        if len > most {
            self.fail(
                path,
                format!("expected at most {most} entries, found {len}"),
            );
        }
    }

    /// A date inside the calendar firesale works in.
    fn date(&mut self, path: impl Into<String>, date: NaiveDate) {
        let (first, last) = (date_of(limit::FIRST_DATE), date_of(limit::LAST_DATE));
        if date < first || date > last {
            self.fail(
                path,
                format!("expected a date from {first} to {last}, found {date}"),
            );
        }
    }

    /// Every date of the world besides `start`.
    fn dates(&mut self, world: &WorldFile) {
        for (i, g) in world.generations.iter().enumerate() {
            self.date(format!("generations[{i}].release"), g.release);
        }
        for (path, shocks) in [
            ("demand.shocks", &world.demand.shocks),
            ("btc.shocks", &world.btc.shocks),
            ("power.shocks", &world.power.shocks),
        ] {
            for (i, s) in shocks.iter().enumerate() {
                self.date(format!("{path}[{i}].date"), s.date);
            }
        }
        self.length("btc.halvings", world.btc.halvings.len(), limit::SHOCKS);
        for (i, h) in world.btc.halvings.iter().enumerate() {
            self.date(format!("btc.halvings[{i}]"), *h);
        }
        self.length("rates.moves", world.rates.moves.len(), limit::SHOCKS);
        for (i, m) in world.rates.moves.iter().enumerate() {
            self.date(format!("rates.moves[{i}].date"), m.date);
            self.range(format!("rates.moves[{i}].change"), m.change, (-1.0, 1.0));
        }
        for (i, o) in world.operators.iter().enumerate() {
            self.date(format!("operators[{i}].fleet_bought"), o.fleet_bought);
        }
        for (i, b) in world.buyers.iter().enumerate() {
            self.date(format!("buyers[{i}].fleet_bought"), b.fleet_bought);
        }
    }

    /// Operators' notes, the bond investors who buy them, and GPU ABS deals.
    fn capital(&mut self, world: &WorldFile) {
        self.deals(world);
        use crate::capital::{NewNoteKind, StartingNoteKind};
        for (i, b) in world.bond_investors.iter().enumerate() {
            let p = format!("bond_investors[{i}]");
            self.dist(format!("{p}.capital"), &b.capital, range::AMOUNT);
            self.range(
                format!("{p}.max_issuer_share"),
                b.max_issuer_share,
                range::SHARE,
            );
            self.range(
                format!("{p}.starting_book_weight"),
                b.starting_book_weight,
                (0.0, 1e6),
            );
        }
        for (i, o) in world.operators.iter().enumerate() {
            let Some(n) = &o.notes else { continue };
            let p = format!("operators[{i}].notes");
            if world.bond_investors.iter().all(|b| b.count == 0) {
                self.fail(
                    p.clone(),
                    "expected bond_investors to hold and buy the notes, found none",
                );
            }
            self.positive(
                format!("{p}.initial_share_price"),
                n.initial_share_price,
                1e6,
            );
            for (k, note) in n.outstanding.iter().enumerate() {
                let q = format!("{p}.outstanding[{k}]");
                self.range(
                    format!("{q}.share_of_fleet_cost"),
                    note.share_of_fleet_cost,
                    range::SHARE,
                );
                self.range(format!("{q}.coupon"), note.coupon, range::RATE);
                self.date(format!("{q}.issued"), note.issued);
                self.date(format!("{q}.maturity"), note.maturity);
                if note.maturity <= world.start || note.maturity <= note.issued {
                    self.fail(
                        format!("{q}.maturity"),
                        format!(
                            "expected a date after the start ({}) and the issue date ({}), found {}",
                            world.start, note.issued, note.maturity
                        ),
                    );
                }
                if let StartingNoteKind::Convertible { premium, put } = &note.kind {
                    self.range(format!("{q}.kind.premium"), *premium, (0.0, 10.0));
                    if let Some(put) = put {
                        self.date(format!("{q}.kind.put"), *put);
                    }
                }
            }
            let new = &n.new_issues;
            let q = format!("{p}.new_issues");
            self.range(format!("{q}.tenor_years"), new.tenor_years, range::TENOR);
            self.whole(
                format!("{q}.coupon_weeks"),
                new.coupon_weeks,
                1,
                limit::WEEKS,
            );
            self.whole(format!("{q}.grace_weeks"), new.grace_weeks, 0, limit::WEEKS);
            self.range(format!("{q}.max_yield"), new.max_yield, range::RATE);
            self.range(format!("{q}.min_issue"), new.min_issue, range::AMOUNT);
            if let NewNoteKind::Convertible {
                premium,
                put_years,
                coupon_cut,
            } = new.kind
            {
                self.range(format!("{q}.kind.premium"), premium, (0.0, 10.0));
                self.range(format!("{q}.kind.coupon_cut"), coupon_cut, range::RATE);
                if let Some(put) = put_years {
                    self.range(format!("{q}.kind.put_years"), put, range::TENOR);
                }
            }
        }
    }

    /// GPU ABS deals: a GPU generation, a stack ending in the equity, holders that exist.
    fn deals(&mut self, world: &WorldFile) {
        use crate::capital::AbsPool;
        self.length("abs", world.abs.len(), limit::CLASSES);
        let classes: Vec<&str> = world
            .bond_investors
            .iter()
            .filter(|b| b.count > 0)
            .map(|b| b.name.as_str())
            .collect();
        let mut pooled: Vec<&str> = Vec::new();
        for (i, d) in world.abs.iter().enumerate() {
            let p = format!("abs[{i}]");
            if let Some(first) = world.abs[..i].iter().position(|o| o.name == d.name) {
                self.fail(
                    format!("{p}.name"),
                    format!("deal name {:?} is already used by abs[{first}]: their SPVs would share a name", d.name),
                );
            }
            if !plain_name(&d.name) {
                self.fail(
                    format!("{p}.name"),
                    format!("expected letters, digits, `_` or `-`, found {:?}", d.name),
                );
            }
            match &d.pool {
                AbsPool::Lots {
                    generation,
                    gpus,
                    bought,
                    power_price,
                } => {
                    let q = format!("{p}.pool");
                    match world.generations.iter().find(|g| &g.name == generation) {
                        Some(g) if matches!(g.hardware, firesale_core::Hardware::Asic { .. }) => {
                            self.fail(
                                format!("{q}.generation"),
                                format!(
                                    "expected a GPU generation, found the ASIC rig {generation:?}"
                                ),
                            )
                        }
                        Some(_) => {}
                        None => {
                            let names: Vec<&str> =
                                world.generations.iter().map(|g| g.name.as_str()).collect();
                            self.fail(
                                format!("{q}.generation"),
                                format!("expected one of {names:?}, found {generation:?}"),
                            );
                        }
                    }
                    self.positive(format!("{q}.gpus"), *gpus, limit::GPUS);
                    self.date(format!("{q}.bought"), *bought);
                    if *bought > world.start {
                        self.fail(
                            format!("{q}.bought"),
                            format!("expected the pool bought on or before the start ({}), found {bought}", world.start),
                        );
                    }
                    self.range(format!("{q}.power_price"), *power_price, range::POWER);
                }
                AbsPool::Loans { operators } => {
                    for (k, class) in operators.iter().enumerate() {
                        let q = format!("{p}.pool.operators[{k}]");
                        if !world.operators.iter().any(|o| &o.name == class) {
                            let names: Vec<&str> =
                                world.operators.iter().map(|o| o.name.as_str()).collect();
                            self.fail(
                                q,
                                format!(
                                    "expected an operator class, one of {names:?}, found {class:?}"
                                ),
                            );
                        } else if pooled.contains(&class.as_str()) {
                            self.fail(
                                q,
                                format!("{class:?}'s loans are already in another deal's pool"),
                            );
                        } else {
                            pooled.push(class.as_str());
                        }
                    }
                }
            }
            self.range(
                format!("{p}.servicing_share"),
                d.servicing_share,
                range::SHARE,
            );
            self.range(format!("{p}.reserve_share"), d.reserve_share, range::SHARE);
            self.range(format!("{p}.tenor_years"), d.tenor_years, range::TENOR);
            self.range(
                format!("{p}.amortising_share"),
                d.amortising_share,
                range::SHARE,
            );
            self.range(format!("{p}.min_oc"), d.min_oc, (0.0, 10.0));
            self.range(format!("{p}.min_dscr"), d.min_dscr, (0.0, 10.0));
            self.whole(
                format!("{p}.accelerate_after_weeks"),
                d.accelerate_after_weeks,
                1,
                limit::WEEKS,
            );
            self.range(
                format!("{p}.liquidation_reserve"),
                d.liquidation_reserve,
                (0.0, 2.0),
            );
            self.whole(
                format!("{p}.liquidation_weeks"),
                d.liquidation_weeks,
                0,
                limit::WEEKS,
            );
            if d.tranches.len() < 2 {
                self.fail(
                    format!("{p}.tranches"),
                    format!(
                        "expected at least a debt tranche and the equity, found {}",
                        d.tranches.len()
                    ),
                );
            }
            let total: f64 = d.tranches.iter().map(|t| t.share).sum();
            if (total - 1.0).abs() > 1e-6 {
                self.fail(
                    format!("{p}.tranches"),
                    format!("expected shares summing to 1, found {total}"),
                );
            }
            for (k, t) in d.tranches.iter().enumerate() {
                let q = format!("{p}.tranches[{k}]");
                self.range(format!("{q}.share"), t.share, range::SHARE);
                self.range(format!("{q}.coupon"), t.coupon, range::RATE);
                if k + 1 == d.tranches.len() && t.coupon != 0.0 {
                    self.fail(
                        format!("{q}.coupon"),
                        format!(
                            "expected 0 for the equity (the last tranche), found {}",
                            t.coupon
                        ),
                    );
                }
                if !classes.contains(&t.holder.as_str()) {
                    self.fail(
                        format!("{q}.holder"),
                        format!("expected a bond investor class with agents, one of {classes:?}, found {:?}", t.holder),
                    );
                }
            }
        }
    }

    /// Class and generation names: present, and each used once (agents are named
    /// `<class>-<n>` and draw from streams keyed by that name, so two classes with one
    /// name would share random streams).
    fn names(&mut self, world: &WorldFile) {
        let classes = world
            .operators
            .iter()
            .enumerate()
            .map(|(i, o)| (format!("operators[{i}]"), o.name.as_str(), o.count))
            .chain(
                world
                    .lenders
                    .iter()
                    .enumerate()
                    .map(|(i, l)| (format!("lenders[{i}]"), l.name.as_str(), l.count)),
            )
            .chain(
                world
                    .buyers
                    .iter()
                    .enumerate()
                    .map(|(i, b)| (format!("buyers[{i}]"), b.name.as_str(), b.count)),
            )
            .chain(
                world
                    .bond_investors
                    .iter()
                    .enumerate()
                    .map(|(i, b)| (format!("bond_investors[{i}]"), b.name.as_str(), b.count)),
            )
            .collect::<Vec<_>>();
        self.length("operators", world.operators.len(), limit::CLASSES);
        self.length("lenders", world.lenders.len(), limit::CLASSES);
        self.length("buyers", world.buyers.len(), limit::CLASSES);
        self.length("bond_investors", world.bond_investors.len(), limit::CLASSES);
        for (k, (path, name, count)) in classes.iter().enumerate() {
            if name.is_empty() || name.chars().any(|ch| ch.is_control() || ch == '/') {
                self.fail(
                    format!("{path}.name"),
                    format!("expected a name without `/` or control characters, found {name:?}"),
                );
            }
            if let Some((first, _, _)) = classes[..k].iter().find(|(_, n, _)| n == name) {
                self.fail(
                    format!("{path}.name"),
                    format!("class name {name:?} is already used by {first}: agents of both would share names and random streams"),
                );
            }
            self.whole(format!("{path}.count"), *count, 0, limit::AGENTS_PER_CLASS);
        }
    }
}

/// Checks a world; every problem found is returned, not just the first.
pub fn validate(world: &WorldFile, file: &str) -> Result<(), Vec<Invalid>> {
    let mut c = Checker {
        file,
        errors: Vec::new(),
    };
    if !plain_name(&world.name) {
        c.fail(
            "name",
            format!(
                "expected letters, digits, `_` or `-` (it names the output directory), found {:?}",
                world.name
            ),
        );
    }
    if world.ticks == 0 || world.ticks > limit::TICKS {
        c.fail(
            "ticks",
            format!(
                "expected 1 to {} ticks, found {}",
                limit::TICKS,
                world.ticks
            ),
        );
    }
    c.range("scale", world.scale, crate::SCALE_RANGE);
    if world.tick_days == 0 || world.tick_days > 31 {
        c.fail(
            "tick_days",
            format!("expected 1 to 31 days, found {}", world.tick_days),
        );
    }
    if world.gpus_per_lot == 0 || world.gpus_per_lot > limit::GPUS_PER_LOT {
        c.fail(
            "gpus_per_lot",
            format!(
                "expected 1 to {} GPUs per lot, found {}",
                limit::GPUS_PER_LOT,
                world.gpus_per_lot
            ),
        );
    }
    c.date("start", world.start);
    c.dates(world);
    c.names(world);
    c.capital(world);
    if world.generations.is_empty() || world.generations.len() > limit::GENERATIONS {
        c.fail(
            "generations",
            format!(
                "expected 1 to {} generations, found {}",
                limit::GENERATIONS,
                world.generations.len()
            ),
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
        match g.hardware {
            Hardware::Gpu => {
                for (field, value, hi) in [("perf", g.perf, 1e4), ("kw_per_gpu", g.kw_per_gpu, 1e3)]
                {
                    if value == 0.0 {
                        c.fail(
                            format!("{p}.{field}"),
                            format!(
                                "a GPU generation needs `{field}` above 0 (for an ASIC rig set `hardware: Asic(th_per_unit: .., j_per_th: ..)` instead)"
                            ),
                        );
                    } else {
                        c.positive(format!("{p}.{field}"), value, hi);
                    }
                }
            }
            Hardware::Asic {
                th_per_unit,
                j_per_th,
            } => {
                c.positive(format!("{p}.hardware.th_per_unit"), th_per_unit, 1e5);
                c.positive(format!("{p}.hardware.j_per_th"), j_per_th, 1e4);
                for (field, value) in [("perf", g.perf), ("kw_per_gpu", g.kw_per_gpu)] {
                    if value != 0.0 {
                        c.fail(
                            format!("{p}.{field}"),
                            format!(
                                "an ASIC rig earns the hashprice and draws th_per_unit × j_per_th W: leave `{field}` out (found {value})"
                            ),
                        );
                    }
                }
            }
        }
        c.positive(format!("{p}.list_price"), g.list_price, 1e9);
        c.range(
            format!("{p}.list_price_decline"),
            g.list_price_decline,
            (0.0, 0.95),
        );
        c.positive(format!("{p}.rack_kw"), g.rack_kw, 1e5);
        c.range(
            format!("{p}.useful_life_years"),
            g.useful_life_years,
            (0.01, 100.0),
        );
        c.range(format!("{p}.max_age_years"), g.max_age_years, (0.01, 100.0));
        if let Some(lots) = g.vendor_lots_per_tick {
            c.whole(
                format!("{p}.vendor_lots_per_tick"),
                lots,
                0,
                limit::LOTS_PER_TICK,
            );
        }
    }
    let m = &world.compute;
    c.positive("compute.reference_price", m.reference_price, 1e4);
    c.positive("compute.elasticity", m.elasticity, 100.0);
    if !(m.price_cap.is_finite() && m.price_cap > m.reference_price && m.price_cap <= 1e6) {
        c.fail(
            "compute.price_cap",
            format!(
                "expected a cap above the reference price {} and at most 1e6, found {}",
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
    c.range(
        "compute.forecast_gap_half_life_years",
        m.forecast_gap_half_life_years,
        (0.0, 20.0),
    );
    let d = &world.demand;
    c.positive("demand.initial", d.initial, 1e12);
    c.range("demand.growth", d.growth, (-0.95, 20.0));
    c.range("demand.efficiency_drift", d.efficiency_drift, (0.0, 0.95));
    c.range("demand.volatility", d.volatility, (0.0, 5.0));
    c.shocks("demand.shocks", &d.shocks);
    let b = &world.btc;
    c.positive("btc.initial_price", b.initial_price, 1e9);
    c.range("btc.drift", b.drift, (-5.0, 5.0));
    c.range("btc.volatility", b.volatility, (0.0, 5.0));
    c.range("btc.jump_intensity", b.jump_intensity, (0.0, 52.0));
    c.range("btc.jump_volatility", b.jump_volatility, (0.0, 5.0));
    c.range("btc.jump_mean", b.jump_mean, (-5.0, 5.0));
    c.range("btc.correlation_calm", b.correlation_calm, (-1.0, 1.0));
    c.range("btc.correlation_stress", b.correlation_stress, (-1.0, 1.0));
    c.range("btc.stress_drawdown", b.stress_drawdown, (0.001, 1.0));
    c.shocks("btc.shocks", &b.shocks);
    c.positive("btc.network_hashrate_eh", b.network_hashrate_eh, 1e9);
    c.range("btc.hashrate_growth", b.hashrate_growth, (-0.95, 10.0));
    c.range("btc.block_subsidy", b.block_subsidy, (0.0, 50.0));
    c.range("btc.fees_per_block", b.fees_per_block, (0.0, 50.0));
    c.range("rates.initial", world.rates.initial, (-0.05, 1.0));
    c.shocks("power.shocks", &world.power.shocks);
    let gen_names: Vec<&str> = world.generations.iter().map(|g| g.name.as_str()).collect();
    if world.operators.iter().all(|o| o.count == 0) {
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
        if let Some(h) = &o.hosting {
            if h.host == o.name || !world.operators.iter().any(|other| other.name == h.host) {
                let others: Vec<&str> = world
                    .operators
                    .iter()
                    .filter(|other| other.name != o.name)
                    .map(|other| other.name.as_str())
                    .collect();
                c.fail(
                    format!("{p}.hosting.host"),
                    format!(
                        "expected another operator class, one of {others:?}, found {:?}",
                        h.host
                    ),
                );
            }
            c.range(format!("{p}.hosting.share"), h.share, range::SHARE);
            c.range(
                format!("{p}.hosting.fee_per_kwh"),
                h.fee_per_kwh,
                range::POWER,
            );
        }
        c.dist(format!("{p}.cash"), &o.cash, range::AMOUNT);
        c.dist(format!("{p}.gpus"), &o.gpus, (0.0, limit::GPUS));
        c.whole(format!("{p}.cure_weeks"), o.cure_weeks, 0, limit::WEEKS);
        c.whole(
            format!("{p}.rack_build_weeks"),
            o.rack_build_weeks,
            0,
            limit::WEEKS,
        );
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
        c.positive(format!("{p}.term_years"), o.term_years, 100.0);
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
        c.range(
            format!("{p}.repayment_buffer_weeks"),
            o.repayment_buffer_weeks,
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
        c.resale(&p, &o.resale);
        let d = &o.distress;
        c.whole(
            format!("{p}.distress.bill_grace_weeks"),
            d.bill_grace_weeks,
            0,
            limit::WEEKS,
        );
        c.range(
            format!("{p}.distress.urgent_reserve"),
            d.urgent_reserve,
            range::SHARE,
        );
        c.range(
            format!("{p}.distress.calm_reserve"),
            d.calm_reserve,
            range::SHARE,
        );
        c.range(
            format!("{p}.distress.expected_price_floor"),
            d.expected_price_floor,
            range::SHARE,
        );
        c.positive(
            format!("{p}.distress.valuation_years"),
            d.valuation_years,
            100.0,
        );
        c.whole(
            format!("{p}.distress.trustee_sale_weeks"),
            d.trustee_sale_weeks,
            1,
            limit::WEEKS,
        );
        if o.kind == OperatorKind::NeoCloud
            && (o.btc != Dist::Fixed(0.0) || o.hashrate_ph != Dist::Fixed(0.0))
        {
            c.fail(
                format!("{p}.kind"),
                "a NeoCloud holds no BTC and mines nothing: set btc and hashrate_ph to Fixed(0.0)",
            );
        }
    }
    if world
        .lenders
        .iter()
        .filter(|l| !matches!(l.kind, LenderKind::RepoDesk(_)))
        .all(|l| l.count == 0)
    {
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
                    c.positive(
                        format!("{p}.kind.max_position_to_depth"),
                        max_position_to_depth,
                        1e6,
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
        c.positive(format!("{p}.tenor_years"), l.tenor_years, 100.0);
        c.whole(format!("{p}.cure_weeks"), l.cure_weeks, 0, limit::WEEKS);
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
        let q = &l.liquidity;
        c.range(
            format!("{p}.liquidity.cash_buffer"),
            q.cash_buffer,
            range::SHARE,
        );
        c.range(
            format!("{p}.liquidity.deleveraging_pace"),
            q.deleveraging_pace,
            range::SHARE,
        );
        c.whole(
            format!("{p}.liquidity.illiquidity_grace_weeks"),
            q.illiquidity_grace_weeks,
            0,
            limit::WEEKS,
        );
        c.whole(
            format!("{p}.liquidity.sale_horizon_weeks"),
            q.sale_horizon_weeks,
            1,
            limit::WEEKS,
        );
        c.range(
            format!("{p}.liquidity.max_risk_premium"),
            q.max_risk_premium,
            range::RATE,
        );
        c.range(
            format!("{p}.initial_book_weight"),
            l.initial_book_weight,
            (0.0, 1e6),
        );
    }
    let ms = &world.measures;
    c.whole(
        "measures.reference_window_weeks",
        ms.reference_window_weeks,
        1,
        limit::WEEKS,
    );
    c.whole(
        "measures.reference_min_lots",
        ms.reference_min_lots,
        1,
        limit::LOTS_PER_TICK,
    );
    c.whole("measures.mark_weeks", ms.mark_weeks, 1, limit::WEEKS);
    c.whole(
        "measures.peak_window_weeks",
        ms.peak_window_weeks,
        1,
        limit::WEEKS,
    );
    c.whole(
        "measures.peak_min_lots",
        ms.peak_min_lots,
        0,
        limit::LOTS_PER_TICK,
    );
    if world.buyers.iter().all(|b| b.count == 0) {
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
        c.positive(format!("{p}.horizon_years"), b.horizon_years, 100.0);
        c.dist(format!("{p}.power_price"), &b.power_price, range::POWER);
        c.dist(format!("{p}.air_kw"), &b.air_kw, (0.0, limit::KW));
        c.dist(format!("{p}.liquid_kw"), &b.liquid_kw, (0.0, limit::KW));
        c.dist(format!("{p}.gpus"), &b.gpus, (0.0, limit::GPUS));
        c.whole(
            format!("{p}.rack_build_weeks"),
            b.rack_build_weeks,
            0,
            limit::WEEKS,
        );
        c.whole(
            format!("{p}.max_lots_per_tick"),
            b.max_lots_per_tick,
            0,
            limit::LOTS_PER_TICK,
        );
        c.length(
            &format!("{p}.bid_ladder"),
            b.bid_ladder.len(),
            limit::LADDER,
        );
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
        if let Some(k) = (1..b.bid_ladder.len()).find(|&k| b.bid_ladder[k] > b.bid_ladder[k - 1]) {
            c.fail(
                format!("{p}.bid_ladder[{k}]"),
                format!(
                    "expected tranches from the highest bid down, found {} after {}",
                    b.bid_ladder[k],
                    b.bid_ladder[k - 1]
                ),
            );
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
        c.resale(&p, &b.resale);
        c.range(
            format!("{p}.credit_line_spread"),
            b.credit_line_spread,
            range::RATE,
        );
        c.range(
            format!("{p}.cash_buffer_weeks"),
            b.cash_buffer_weeks,
            (0.0, 520.0),
        );
    }
    if c.errors.is_empty() {
        Ok(())
    } else {
        Err(c.errors)
    }
}
