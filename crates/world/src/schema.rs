//! The world file schema. Every field is documented in `worlds/baseline.ron`.
//!
//! Rates and shares are fractions (0.05 = 5%), money is US dollars, dates are
//! `"YYYY-MM-DD"`. Agent parameters are [`Dist`]ributions drawn per agent from the run's
//! seeded streams, which is where heterogeneity comes from.

use chrono::NaiveDate;
pub use firesale_core::Hardware;
pub use firesale_core::rules::RuleChoice;
use serde::{Deserialize, Serialize};

/// A parameter drawn once per agent.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum Dist {
    /// Always this value.
    Fixed(f64),
    /// Uniform between the two bounds.
    Uniform(f64, f64),
    /// Normal with mean and standard deviation (clamped to the field's valid range).
    Normal(f64, f64),
    /// Log-normal with median and sigma of the log.
    LogNormal(f64, f64),
}

/// A scheduled exogenous move of a process's level, spread evenly over `weeks`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Shock {
    /// When it starts.
    pub date: NaiveDate,
    /// Total relative change of the level (-0.5 halves it).
    pub change: f64,
    /// Over how many weeks it unfolds (at least 1).
    pub weeks: u32,
    /// Whether the stress regime (high BTC–demand correlation) is on while it unfolds.
    #[serde(default)]
    pub stress: bool,
}

/// A whole world: the scenario a run simulates.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename = "World")]
pub struct WorldFile {
    /// Short name (used for the output directory).
    pub name: String,
    /// One line saying what question the world answers.
    pub description: String,
    /// Master seed of the run.
    pub seed: u64,
    /// First day of tick 0.
    pub start: NaiveDate,
    /// Number of ticks.
    pub ticks: u32,
    /// Days per tick.
    pub tick_days: u32,
    /// GPUs per lot.
    pub gpus_per_lot: u32,
    /// Size of the market relative to the file's (1 if absent): multiplies agent counts,
    /// demand and vendor supply, so the economics are the same at any scale (see
    /// `scale.rs`; `--set scale=4`).
    #[serde(default = "unit_scale", skip_serializing_if = "is_unit_scale")]
    pub scale: f64,
    /// GPU generations (technology).
    pub generations: Vec<GenerationSpec>,
    /// The compute rental market.
    pub compute: ComputeSpec,
    /// AI compute demand index.
    pub demand: DemandSpec,
    /// Bitcoin price and mining economics.
    pub btc: BtcSpec,
    /// Risk-free rate path.
    pub rates: RatesSpec,
    /// Power price path (a multiplier on every agent's contract price).
    pub power: PowerSpec,
    /// Operators: crypto miners and neo-clouds.
    pub operators: Vec<OperatorClass>,
    /// Lenders: banks, private credit, crypto lenders, repo desks.
    pub lenders: Vec<LenderClass>,
    /// GPU buyers: hyperscalers, tier-2 clouds, start-ups, brokers.
    pub buyers: Vec<BuyerClass>,
    /// Bond investors buying operators' notes (none: no notes are sold).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub bond_investors: Vec<crate::capital::BondInvestorClass>,
    /// GPU ABS deals (none: no securitisation).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub abs: Vec<crate::capital::AbsSpec>,
    /// How the run measures fire sales (the analyst's conventions; defaults if absent).
    #[serde(default)]
    pub measures: MeasuresSpec,
    /// The replayed inputs named by the `*series` fields, read when the world is loaded
    /// (not part of the file).
    #[serde(skip)]
    pub replays: crate::series::Replays,
}

fn unit_scale() -> f64 {
    1.0
}

fn is_unit_scale(scale: &f64) -> bool {
    *scale == 1.0
}

/// How fire-sale discounts are measured: distressed sale prices against the
/// non-distressed price of the same generation (Pulvino 1998).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MeasuresSpec {
    /// Weeks back the reference price may look for voluntary (non-distressed) trades.
    pub reference_window_weeks: u32,
    /// Fewest voluntary lots, most recent first, that form the reference price.
    pub reference_min_lots: u32,
    /// Weeks over which a holding is marked to the market: what it would fetch sold in
    /// equal parts into that many weekly books like the standing one (lenders' market
    /// equity, market LTV, the collateral illusion).
    pub mark_weeks: u32,
    /// Weeks over which the peak discount is volume-weighted.
    pub peak_window_weeks: u32,
    /// Fewest distressed lots in that window for a peak to count (a guard against one
    /// odd lot on a quiet week making the headline).
    pub peak_min_lots: u32,
}

impl Default for MeasuresSpec {
    fn default() -> Self {
        MeasuresSpec {
            reference_window_weeks: 13,
            reference_min_lots: 10,
            mark_weeks: 13,
            peak_window_weeks: 4,
            peak_min_lots: 10,
        }
    }
}

fn is_zero(value: &f64) -> bool {
    *value == 0.0
}

/// One hardware generation: a GPU (by default) or an ASIC rig. In field names, a "GPU"
/// is one unit of the generation: one rig for an ASIC generation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenerationSpec {
    /// Name, e.g. "H100".
    pub name: String,
    /// Date the vendor starts selling it.
    pub release: NaiveDate,
    /// Performance per GPU, H100 = 1.0 (GPUs only).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub perf: f64,
    /// Power per GPU including server overhead, kW (GPUs only).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub kw_per_gpu: f64,
    /// List price per GPU at release, $.
    pub list_price: f64,
    /// Yearly decline of the list price after release.
    pub list_price_decline: f64,
    /// Rack density it needs, kW per rack (documentation and the cooling rule).
    pub rack_kw: f64,
    /// Whether it needs liquid cooling.
    pub liquid_cooled: bool,
    /// Straight-line accounting life, years.
    pub useful_life_years: f64,
    /// Physical life before scrapping, years.
    pub max_age_years: f64,
    /// Vendor delivery limit, lots per tick (None: unlimited).
    #[serde(default)]
    pub vendor_lots_per_tick: Option<u32>,
    /// GPU (default) or ASIC rig.
    #[serde(default, skip_serializing_if = "Hardware::is_gpu")]
    pub hardware: Hardware,
}

impl GenerationSpec {
    /// Power per unit, kW: a GPU's `kw_per_gpu`, a rig's TH/s × J/TH.
    pub fn kw_per_unit(&self) -> f64 {
        match self.hardware {
            Hardware::Gpu => self.kw_per_gpu,
            Hardware::Asic {
                th_per_unit,
                j_per_th,
            } => th_per_unit * j_per_th / 1000.0,
        }
    }
}

/// The compute rental market.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ComputeSpec {
    /// Price at which demand equals the demand index, $/H100-hour.
    pub reference_price: f64,
    /// Price elasticity of demand (> 0).
    pub elasticity: f64,
    /// Highest price tenants ever pay, $/H100-hour.
    pub price_cap: f64,
    /// Share of installed hours a GPU is available.
    pub availability: f64,
    /// Opex per dispatched GPU-hour besides power, $.
    pub opex_per_gpu_hour: f64,
    /// Discount rate of the benchmark (fundamental) valuation, per year.
    pub benchmark_rate: f64,
    /// Rent growth the benchmark valuation assumes, per year (negative: deflation).
    pub benchmark_rent_growth: f64,
    /// Power price of the benchmark valuation, $/kWh.
    pub benchmark_power_price: f64,
    /// How fast the market expects today's compute price to return to the path its
    /// roadmap forecast gives (the half-life of the gap, years; 0 closes it at once).
    /// The gap is what the announced roadmap does not explain: capacity that is still
    /// being built and delivered. Default 0.5: new racks take 26-40 weeks to build.
    #[serde(default = "default_gap_half_life")]
    pub forecast_gap_half_life_years: f64,
}

fn default_gap_half_life() -> f64 {
    0.5
}

impl WorldFile {
    /// The day after the last tick: `start` + ticks × tick_days.
    pub fn end_date(&self) -> NaiveDate {
        self.start + chrono::Duration::days(i64::from(self.ticks) * i64::from(self.tick_days))
    }
}

/// The AI compute demand index `A_t`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DemandSpec {
    /// Demand at the reference price at the start, in H100-equivalent GPUs.
    pub initial: f64,
    /// Yearly growth of AI services demand.
    pub growth: f64,
    /// Yearly efficiency drift: less raw compute per service (0.3 = 30% less a year).
    pub efficiency_drift: f64,
    /// Yearly volatility of log demand.
    pub volatility: f64,
    /// Scheduled shocks.
    #[serde(default)]
    pub shocks: Vec<Shock>,
    /// Replays demand from this CSV of `date,value` (H100-equivalent GPUs) instead of
    /// the process; scheduled shocks still apply on top. Relative to the world file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub series: Option<String>,
}

/// Bitcoin: price process, correlation with demand, and mining economics.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BtcSpec {
    /// Price at the start, $.
    pub initial_price: f64,
    /// Yearly drift of log price.
    pub drift: f64,
    /// Yearly volatility of log price.
    pub volatility: f64,
    /// Jumps per year.
    pub jump_intensity: f64,
    /// Mean log jump size.
    pub jump_mean: f64,
    /// Standard deviation of log jump size.
    pub jump_volatility: f64,
    /// Correlation of BTC and demand shocks in calm ticks.
    pub correlation_calm: f64,
    /// Correlation in stress ticks.
    pub correlation_stress: f64,
    /// Demand drawdown from its running peak that turns the stress regime on.
    pub stress_drawdown: f64,
    /// Scheduled crashes (and rallies).
    #[serde(default)]
    pub shocks: Vec<Shock>,
    /// Network hashrate at the start, EH/s.
    pub network_hashrate_eh: f64,
    /// Yearly growth of network hashrate.
    pub hashrate_growth: f64,
    /// Block subsidy at the start, BTC.
    pub block_subsidy: f64,
    /// Dates the subsidy halves.
    #[serde(default)]
    pub halvings: Vec<NaiveDate>,
    /// Transaction fees per block, BTC.
    pub fees_per_block: f64,
    /// Replays the BTC price from this CSV of `date,value` ($) instead of the process;
    /// scheduled shocks still apply on top. Relative to the world file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price_series: Option<String>,
    /// Replays the network hashrate from this CSV of `date,value` (EH/s) instead of
    /// its growth rate. Relative to the world file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hashrate_series: Option<String>,
}

/// A scheduled change of the risk-free rate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateMove {
    /// When.
    pub date: NaiveDate,
    /// Change, fraction (0.01 = +100 bp).
    pub change: f64,
}

/// The risk-free rate path.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RatesSpec {
    /// Rate at the start, per year.
    pub initial: f64,
    /// Scheduled moves.
    #[serde(default)]
    pub moves: Vec<RateMove>,
    /// Replays the rate from this CSV of `date,value` (per year) instead of `initial`;
    /// scheduled moves still add to it. Relative to the world file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub series: Option<String>,
}

/// The power price path: a multiplier on every agent's contract price.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PowerSpec {
    /// Scheduled moves of the multiplier (which starts at 1).
    #[serde(default)]
    pub shocks: Vec<Shock>,
    /// Replays the multiplier from this CSV of `date,value` instead of starting at 1;
    /// scheduled shocks still apply on top. Relative to the world file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub series: Option<String>,
}

/// Kind of operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum OperatorKind {
    /// A bitcoin miner hosting GPUs: BTC treasury, hashrate.
    Miner,
    /// A GPU cloud without BTC.
    NeoCloud,
}

/// A class of operators with parameter distributions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OperatorClass {
    /// Class name; agents are named `<name>-<n>`.
    pub name: String,
    /// Miner or neo-cloud.
    pub kind: OperatorKind,
    /// Number of agents.
    pub count: u32,
    /// Cash at the start, $.
    pub cash: Dist,
    /// GPUs owned at the start.
    pub gpus: Dist,
    /// Generation of the starting fleet.
    pub fleet_generation: String,
    /// Date the starting fleet was bought (new, at list price).
    pub fleet_bought: NaiveDate,
    /// Loan-to-cost of the debt that financed the starting fleet.
    pub leverage: Dist,
    /// Spread of that debt, per year.
    pub spread: Dist,
    /// Tenor of that debt from the purchase date, years (drawn: maturities spread out).
    pub tenor_years: Dist,
    /// Share of it amortised over the tenor (rest is a balloon).
    pub amortising_share: f64,
    /// Max LTV covenant.
    pub covenant_ltv: f64,
    /// Min DSCR covenant.
    pub covenant_dscr: f64,
    /// Cure period, weeks.
    pub cure_weeks: u32,
    /// Power price, $/kWh.
    pub power_price: Dist,
    /// Spare liquid-cooled rack capacity beyond the starting fleet, as a share of it.
    pub spare_racks: Dist,
    /// Cost of building liquid-cooled rack capacity, $ per kW.
    pub rack_cost_per_kw: f64,
    /// Weeks to build rack capacity.
    pub rack_build_weeks: u32,
    /// Share of capacity leased on fixed-price term contracts.
    pub term_share: Dist,
    /// Term contract price as a multiple of the spot price when signed.
    pub term_premium: f64,
    /// Term contract length, years.
    pub term_years: f64,
    /// Yearly default hazard of a term tenant in calm markets.
    pub tenant_hazard: f64,
    /// How fast tenant hazard rises with the demand drawdown since signing
    /// (hazard × (1 + sensitivity × drawdown)).
    pub tenant_sensitivity: f64,
    /// BTC held at the start.
    pub btc: Dist,
    /// Mining hashrate, PH/s.
    pub hashrate_ph: Dist,
    /// Mining efficiency, J/TH.
    pub mining_j_per_th: Dist,
    /// Share of mined BTC sold at once (the rest is held).
    pub btc_sell_share: f64,
    /// Hurdle rate for expansion, per year.
    pub hurdle_rate: Dist,
    /// Cash kept as a buffer, in weeks of operating costs and debt service.
    pub cash_buffer_weeks: f64,
    /// Cash it keeps back, in weeks of outgoings, when it repays a maturing loan or
    /// note out of its own cash (what it pays beyond that is principal).
    #[serde(default = "default_repayment_buffer_weeks")]
    pub repayment_buffer_weeks: f64,
    /// Most new GPUs bought per year, as a share of the fleet.
    pub max_growth: f64,
    /// Corporate overhead per GPU per year, $.
    pub overhead_per_gpu_year: f64,
    /// Weight on the latest observation in rent expectations (0..1).
    pub expectation_weight: f64,
    /// Weight on the observed rent trend when extrapolating (0..1).
    pub trend_weight: f64,
    /// When it sells lots it no longer wants.
    #[serde(default)]
    pub resale: ResaleSpec,
    /// How it raises cash when a deadline nears.
    #[serde(default)]
    pub distress: DistressSpec,
    /// Part of its starting fleet runs in another operator's site (None: all its own).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hosting: Option<HostingSpec>,
    /// Its unsecured notes: owed at the start and sold later (None: it has none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<crate::capital::NotesSpec>,
    /// Its decision rules by name (left out: the built-ins; `firesale rules`).
    #[serde(default, skip_serializing_if = "OperatorRuleChoices::is_empty")]
    pub rules: OperatorRuleChoices,
}

/// The rules an operator class chooses (None: the family's built-in).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OperatorRuleChoices {
    /// `operator.distress`: the reserve of lots sold to raise cash it owes.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::rule_choice::operator_distress",
        serialize_with = "crate::rule_choice::some"
    )]
    pub distress: Option<RuleChoice>,
    /// `operator.expansion`: how many new lots it wants.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::rule_choice::operator_expansion",
        serialize_with = "crate::rule_choice::some"
    )]
    pub expansion: Option<RuleChoice>,
    /// `owner.resale`: what it sells voluntarily.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::rule_choice::owner_resale",
        serialize_with = "crate::rule_choice::some"
    )]
    pub resale: Option<RuleChoice>,
    /// `owner.outlook`: how it expects rents to move (its values start from it).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::rule_choice::owner_outlook",
        serialize_with = "crate::rule_choice::some"
    )]
    pub outlook: Option<RuleChoice>,
    /// `operator.used_bids`: whether and how it bids for used lots.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::rule_choice::operator_used_bids",
        serialize_with = "crate::rule_choice::some"
    )]
    pub used_bids: Option<RuleChoice>,
}

impl OperatorRuleChoices {
    /// Whether every rule is the built-in.
    pub fn is_empty(&self) -> bool {
        *self == OperatorRuleChoices::default()
    }
}

/// A hosting contract: the tenant's rigs run in a host operator's site and pay its fee on
/// every kWh they run, on top of power; if the host fails, the capacity is lost and rigs
/// that do not fit the tenant's own racks are stranded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HostingSpec {
    /// Operator class of the host; tenant n is hosted by agent n of that class (wrapping
    /// round when the class has fewer agents).
    pub host: String,
    /// Share of the tenant's rack capacity (its starting fleet's, its spare and what it
    /// builds while hosted) in the host's sites.
    pub share: f64,
    /// Hosting fee per kWh run, $ (on top of the tenant's power price).
    pub fee_per_kwh: f64,
}

/// How an operator raises cash under a call, arrears or unpaid bills.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DistressSpec {
    /// Weeks it may leave power bills unpaid before it must file.
    pub bill_grace_weeks: u32,
    /// Reserve of lots it sells to meet a deadline that has nearly passed, as a share of
    /// its own value of them (below it, handing the lots to the lender costs it less).
    pub urgent_reserve: f64,
    /// Reserve of lots it sells to raise cash with time to spare, as that share.
    pub calm_reserve: f64,
    /// When it sizes how many lots to offer, it counts on each fetching the last trade
    /// price, but no less than this share of its own value of the lot.
    pub expected_price_floor: f64,
    /// Years of margin its own value of a lot counts when it sells under pressure.
    pub valuation_years: f64,
    /// Weeks its bankruptcy trustee expects an orderly sale of its unpledged lots to
    /// take: the trustee sells whatever bids beat holding them that long (their wear and
    /// the estate's carry at the risk-free rate), never at any price.
    pub trustee_sale_weeks: u32,
}

impl Default for DistressSpec {
    fn default() -> Self {
        DistressSpec {
            bill_grace_weeks: 4,
            urgent_reserve: 0.5,
            calm_reserve: 0.8,
            expected_price_floor: 0.3,
            valuation_years: 3.0,
            trustee_sale_weeks: 13,
        }
    }
}

/// How a lender manages its cash and funding.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LiquiditySpec {
    /// Cash it keeps against its loan book, as a share of the book.
    pub cash_buffer: f64,
    /// Share of idle cash beyond that buffer it hands back to its funders each week.
    pub deleveraging_pace: f64,
    /// Weeks it may leave its funders' withdrawals unpaid before it fails.
    pub illiquidity_grace_weeks: u32,
    /// Weeks it expects an orderly sale of repossessed lots at the non-distressed price
    /// to take: the horizon over which it weighs holding them (their wasting value and
    /// the carry of funding them) against selling into this week's bids.
    pub sale_horizon_weeks: u32,
    /// Highest risk premium it adds over its calm spread, per year.
    pub max_risk_premium: f64,
}

impl Default for LiquiditySpec {
    fn default() -> Self {
        LiquiditySpec {
            cash_buffer: 0.05,
            deleveraging_pace: 0.5,
            illiquidity_grace_weeks: 8,
            sale_horizon_weeks: 13,
            max_risk_premium: 0.25,
        }
    }
}

/// The voluntary-sale rule of an owner of lots: it sells when last week's best bid
/// beats its value of the lot in place by more than the costs of selling.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ResaleSpec {
    /// Premium over value in place a sale must clear: de-installing, shipping, testing
    /// and a broker's fee (used-server brokers quote 5-15% of the price).
    pub margin: f64,
    /// Most of its lots of one generation it offers in a week (de-installing takes time);
    /// 0 (the default until the shipped worlds are recalibrated with it) sells nothing.
    pub share_per_week: f64,
}

impl Default for ResaleSpec {
    fn default() -> Self {
        ResaleSpec {
            margin: 0.15,
            share_per_week: 0.02,
        }
    }
}

/// How a lender marks collateral.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Marking {
    /// Straight-line book value.
    Book,
    /// Last secondary trade (book before any trade).
    LastTrade,
    /// Discounted-margin model value from observed rents.
    Model,
}

/// How a repo desk sets its haircut.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum HaircutRule {
    /// From observed liquidity: the haircut reaches 100% in a thin market.
    Observed {
        /// Haircut in a deep, calm market.
        base: f64,
        /// Added per unit of yearly price volatility.
        per_volatility: f64,
        /// Weeks without a trade after which it will not lend.
        max_stale_weeks: u32,
        /// Position / bid depth above which it will not lend.
        max_position_to_depth: f64,
    },
    /// A fixed haircut whatever the market does: a lender of last resort.
    Fixed(f64),
}

/// Kind of lender.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum LenderKind {
    /// Regulated bank.
    Bank,
    /// Private credit fund.
    PrivateCredit,
    /// Crypto lender.
    CryptoLender,
    /// Repo desk lending to lenders against GPU inventory.
    RepoDesk(HaircutRule),
}

/// A class of lenders.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LenderClass {
    /// Class name.
    pub name: String,
    /// Kind.
    pub kind: LenderKind,
    /// Number of agents.
    pub count: u32,
    /// Equity at the start, $.
    pub equity: Dist,
    /// Outside funding as a multiple of equity.
    pub leverage: Dist,
    /// Cost of outside funding over the risk-free rate, per year.
    pub funding_spread: f64,
    /// Capital ratio (equity / assets) below which funders start withdrawing.
    pub run_threshold: f64,
    /// Share of funding withdrawn per week while below the threshold.
    pub withdrawal_rate: f64,
    /// How it marks collateral.
    pub marking: Marking,
    /// Spread on new loans in calm markets, per year.
    pub base_spread: f64,
    /// Max LTV at origination in calm markets.
    pub base_max_ltv: f64,
    /// Covenant max LTV written into loans.
    pub covenant_ltv: f64,
    /// Covenant min DSCR.
    pub covenant_dscr: f64,
    /// Cure period, weeks.
    pub cure_weeks: u32,
    /// Tenor of new loans, years.
    pub tenor_years: f64,
    /// Share amortised over the tenor.
    pub amortising_share: f64,
    /// Spread added per unit of realised yearly loss rate on its book.
    pub loss_sensitivity: f64,
    /// Spread added per unit of observed yearly price volatility.
    pub volatility_sensitivity: f64,
    /// Capital ratio it targets; below it, it lends less and dearer.
    pub target_capital_ratio: f64,
    /// Whether it lends to BTC miners.
    pub lends_to_miners: bool,
    /// Relative weight in the starting loans (who financed the starting fleets).
    pub initial_book_weight: f64,
    /// How it manages cash and funding.
    #[serde(default)]
    pub liquidity: LiquiditySpec,
    /// Its decision rules by name, each `Rule("name", {"param": value})`; a rule left out
    /// is the built-in one (`firesale rules` lists them all).
    #[serde(default, skip_serializing_if = "LenderRuleChoices::is_empty")]
    pub rules: LenderRuleChoices,
}

/// The rules a lender class chooses (None: the family's built-in; `mark` defaults to
/// the class's `marking`, `haircut` to a desk's `RepoDesk(...)`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LenderRuleChoices {
    /// `lender.mark`: its own mark of collateral.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::rule_choice::lender_mark",
        serialize_with = "crate::rule_choice::some"
    )]
    pub mark: Option<RuleChoice>,
    /// `lender.covenant`: its covenant test and call.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::rule_choice::lender_covenant",
        serialize_with = "crate::rule_choice::some"
    )]
    pub covenant: Option<RuleChoice>,
    /// `lender.liquidation`: the reserve of repossessed lots it offers.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::rule_choice::lender_liquidation",
        serialize_with = "crate::rule_choice::some"
    )]
    pub liquidation: Option<RuleChoice>,
    /// `lender.credit`: the terms of its new loans.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::rule_choice::lender_credit",
        serialize_with = "crate::rule_choice::some"
    )]
    pub credit: Option<RuleChoice>,
    /// `repo.haircut`: a repo desk's haircut.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::rule_choice::repo_haircut",
        serialize_with = "crate::rule_choice::some"
    )]
    pub haircut: Option<RuleChoice>,
}

impl LenderRuleChoices {
    /// Whether every rule is the built-in (left out of a written world).
    pub fn is_empty(&self) -> bool {
        *self == LenderRuleChoices::default()
    }
}

/// A class of GPU buyers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BuyerClass {
    /// Class name.
    pub name: String,
    /// Number of agents.
    pub count: u32,
    /// Cash at the start, $.
    pub cash: Dist,
    /// Committed credit line, $.
    pub credit_line: Dist,
    /// Share of the credit line withdrawn in the stress regime.
    pub stress_credit_cut: f64,
    /// Cost of capital, per year.
    pub cost_of_capital: Dist,
    /// Longest horizon it values lots over, years.
    pub horizon_years: f64,
    /// Power price, $/kWh.
    pub power_price: Dist,
    /// Air-cooled rack capacity, kW.
    pub air_kw: Dist,
    /// Liquid-cooled rack capacity, kW.
    pub liquid_kw: Dist,
    /// GPUs already installed at the start.
    pub gpus: Dist,
    /// Their generation.
    pub fleet_generation: String,
    /// When they were bought.
    pub fleet_bought: NaiveDate,
    /// Cost of building liquid-cooled capacity, $ per kW.
    pub rack_cost_per_kw: f64,
    /// Weeks to build it.
    pub rack_build_weeks: u32,
    /// Share of free cash it spends on new racks per year when its racks are full.
    pub rack_budget_share: f64,
    /// Bid ladder: fractions of its valuation, one tranche each, highest first.
    pub bid_ladder: Vec<f64>,
    /// Most lots it bids for per generation per tick.
    pub max_lots_per_tick: u32,
    /// Whether it buys new lots from the vendor.
    pub buys_primary: bool,
    /// Corporate revenue (outside the GPU business) per week, $, indexed to demand.
    pub outside_income_per_week: Dist,
    /// Weight on the latest observation in rent expectations.
    pub expectation_weight: f64,
    /// Weight on the observed rent trend.
    pub trend_weight: f64,
    /// When it sells lots it no longer wants.
    #[serde(default)]
    pub resale: ResaleSpec,
    /// Spread over risk-free it pays on its drawn credit line, per year.
    #[serde(default = "default_credit_line_spread")]
    pub credit_line_spread: f64,
    /// Cash it keeps back from buying and bidding, in weeks of its costs.
    #[serde(default = "default_buyer_cash_buffer_weeks")]
    pub cash_buffer_weeks: f64,
    /// Its decision rules by name (left out: the built-ins; `firesale rules`).
    #[serde(default, skip_serializing_if = "BuyerRuleChoices::is_empty")]
    pub rules: BuyerRuleChoices,
}

/// The rules a buyer class chooses (None: the family's built-in).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BuyerRuleChoices {
    /// `buyer.valuation`: what a lot is worth to it.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::rule_choice::buyer_valuation",
        serialize_with = "crate::rule_choice::some"
    )]
    pub valuation: Option<RuleChoice>,
    /// `buyer.bidding`: the ladder of limits it bids.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::rule_choice::buyer_bidding",
        serialize_with = "crate::rule_choice::some"
    )]
    pub bidding: Option<RuleChoice>,
    /// `owner.resale`: what it sells voluntarily.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::rule_choice::owner_resale",
        serialize_with = "crate::rule_choice::some"
    )]
    pub resale: Option<RuleChoice>,
    /// `owner.outlook`: how it expects rents to move (its values start from it).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::rule_choice::owner_outlook",
        serialize_with = "crate::rule_choice::some"
    )]
    pub outlook: Option<RuleChoice>,
}

impl BuyerRuleChoices {
    /// Whether every rule is the built-in.
    pub fn is_empty(&self) -> bool {
        *self == BuyerRuleChoices::default()
    }
}

fn default_credit_line_spread() -> f64 {
    0.02
}

fn default_buyer_cash_buffer_weeks() -> f64 {
    8.0
}

fn default_repayment_buffer_weeks() -> f64 {
    4.0
}
