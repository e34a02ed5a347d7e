//! What each tick reports: filled by the crates that know each figure, written by the recorder.

use bevy_ecs::prelude::*;

/// Per-generation figures of one tick.
#[derive(Debug, Clone, Default)]
pub struct GenerationMetrics {
    /// $/GPU-hour earned by a dispatched GPU.
    pub rent: f64,
    /// Dispatched / installed capacity.
    pub utilisation: Option<f64>,
    /// Lots installed in racks.
    pub installed_lots: u64,
    /// Uniform clearing price this tick, $/GPU.
    pub secondary_price: Option<f64>,
    /// Most recent clearing price, $/GPU.
    pub last_trade_price: Option<f64>,
    /// Ticks since the last trade.
    pub weeks_since_trade: Option<u32>,
    /// Lots traded this tick.
    pub volume: u64,
    /// Lots offered this tick.
    pub listed: u64,
    /// Lots offered and not sold.
    pub unsold: u64,
    /// Lots bid at or above 90% of fundamental.
    pub bid_depth_10: u64,
    /// Lots bid at or above 75% of fundamental.
    pub bid_depth_25: u64,
    /// Lots bid at or above 50% of fundamental.
    pub bid_depth_50: u64,
    /// Fundamental value, $/GPU.
    pub fundamental: f64,
    /// Straight-line book value of a GPU bought new at release, $/GPU.
    pub book_value: f64,
    /// Haircut the market repo desks would apply.
    pub repo_haircut: Option<f64>,
    /// Lots sold this tick by a distressed seller (a borrower under a call or in
    /// bankruptcy, a lender liquidating collateral, a failed lender).
    pub distressed_volume: u64,
    /// Of those, lots of repossessed collateral sold by lenders (live or failed).
    pub lender_sale_volume: u64,
    /// Clearing price of a tick in which distressed lots traded, $/GPU.
    pub distressed_price: Option<f64>,
    /// Clearing price of a tick in which only voluntary sellers' lots traded, $/GPU.
    pub voluntary_price: Option<f64>,
    /// Where this tick's book would clear without the distressed asks, $/GPU: the
    /// voluntary asks' clearing price, or the best bid when no voluntary ask would trade;
    /// with no distressed ask, the tick's own clearing price (None with no trade).
    pub counterfactual_price: Option<f64>,
    /// The non-distressed price of the generation this tick: its latest voluntary prices
    /// carried to today by the move of the best bid, else the counterfactual price, $/GPU.
    pub reference_price: Option<f64>,
    /// 1 - distressed price / reference price, when both exist.
    pub distressed_discount: Option<f64>,
    /// The compute market's model value under the roadmap forecast, $/GPU.
    pub model_value: f64,
    /// The vendor's price of one new unit today, $/GPU (None before release or when
    /// the vendor delivers none).
    pub vendor_price: Option<f64>,
    /// Whether the vendor delivered its whole weekly allocation this tick.
    pub vendor_rationed: bool,
    /// Whether a buyer or operator wanting new lots of it this tick had no racks for all
    /// it wanted.
    pub racks_short: bool,
}

/// The figures of one tick (per-tick counts are reset at the start of each tick).
#[derive(Resource, Debug, Clone, Default)]
pub struct Metrics {
    /// $/H100-equivalent hour.
    pub compute_price: f64,
    /// $.
    pub btc_price: f64,
    /// $/(PH/s·day).
    pub hashprice: f64,
    /// Demand index, H100-equivalent GPUs at the reference price.
    pub demand_index: f64,
    /// Risk-free rate.
    pub risk_free_rate: f64,
    /// Stress regime on.
    pub stress: bool,
    /// Borrowers defaulted this tick.
    pub defaults: u32,
    /// Borrowers defaulted so far.
    pub defaults_cum: u32,
    /// Miners (operators with BTC) defaulted so far.
    pub miner_defaults_cum: u32,
    /// Defaults of borrowers with a loan called at maturity (the refinancing wall).
    pub maturity_defaults_cum: u32,
    /// Principal outstanding at default, summed.
    pub defaulted_debt_cum: f64,
    /// Tenant defaults so far.
    pub tenant_defaults_cum: u32,
    /// Lots repossessed so far.
    pub repossessed_lots_cum: u64,
    /// Repossessed lots still held by lenders.
    pub inventory_lots: u64,
    /// Lots offered and not sold this tick.
    pub listed_unsold_lots: u64,
    /// Sum of lenders' equity.
    pub lender_equity: f64,
    /// Lenders failed so far.
    pub lender_failures_cum: u32,
    /// Average quoted spread of open lenders.
    pub new_loan_spread: Option<f64>,
    /// Average quoted max LTV of open lenders.
    pub new_loan_max_ltv: Option<f64>,
    /// GPU debt / collateral at lenders' marks.
    pub ltv_paper: Option<f64>,
    /// GPU debt / collateral at market marks.
    pub ltv_market: Option<f64>,
    /// Aggregate operator DSCR.
    pub dscr: Option<f64>,
    /// Repo lending outstanding, $.
    pub repo_volume: f64,
    /// Operators not in default.
    pub operators_active: u32,
    /// Repossessed lots sold so far.
    pub repossessed_sold_cum: u64,
    /// Ticks from repossession to sale, summed over those lots.
    pub repossessed_ticks_to_sale_cum: u64,
    /// Repo funding extended to lenders so far, $.
    pub repo_funded_cum: f64,
    /// Repo funding extended to borrowers so far (take-outs and advances on unpledged
    /// lots), $.
    pub repo_borrower_funded_cum: f64,
    /// Called loans taken out by repo desks so far.
    pub repo_takeouts_cum: u32,
    /// Lots traded in the auctions so far.
    pub trades_cum: u64,
    /// Of those, lots operators bought (the industry as its own buyer).
    pub operator_purchases_cum: u64,
    /// Of those, lots a forced seller sold.
    pub operator_distressed_purchases_cum: u64,
    /// ASIC rigs installed (units, not lots).
    pub rig_units_installed: u64,
    /// Of those, rigs switched off this tick because the hashprice did not cover power.
    pub rig_units_off: u64,
    /// Per generation, indexed by generation id.
    pub generations: Vec<GenerationMetrics>,
}

impl Metrics {
    /// Clears the per-tick figures.
    pub fn start_tick(&mut self) {
        self.defaults = 0;
        self.listed_unsold_lots = 0;
        for g in &mut self.generations {
            g.secondary_price = None;
            g.distressed_volume = 0;
            g.lender_sale_volume = 0;
            g.distressed_price = None;
            g.voluntary_price = None;
            g.counterfactual_price = None;
            g.reference_price = None;
            g.distressed_discount = None;
            g.vendor_rationed = false;
            g.racks_short = false;
            g.volume = 0;
            g.listed = 0;
            g.unsold = 0;
        }
    }
}
