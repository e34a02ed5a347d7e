//! What an operator owns and the parameters of its rules.

use firesale_core::RentExpectation;
use firesale_core::prelude::*;

/// Parameters of one operator (drawn from its class in the world file).
#[derive(Debug, Clone)]
pub struct OperatorParams {
    /// Its decision rules: distress reserve, expansion, voluntary sales.
    pub rules: crate::rules::OperatorRules,
    /// Cost of building liquid-cooled racks, $/kW.
    pub rack_cost_per_kw: f64,
    /// Weeks to build racks.
    pub rack_build_weeks: u32,
    /// Share of capacity it wants leased on term contracts.
    pub term_share: f64,
    /// Term price as a multiple of spot at signing.
    pub term_premium: f64,
    /// Term length, years.
    pub term_years: f64,
    /// Yearly tenant default hazard in calm markets.
    pub tenant_hazard: f64,
    /// Rise of tenant hazard with the demand drawdown since signing.
    pub tenant_sensitivity: f64,
    /// Share of mined BTC sold at once.
    pub btc_sell_share: f64,
    /// Hurdle rate for expansion, per year.
    pub hurdle_rate: f64,
    /// Cash buffer in weeks of costs and debt service.
    pub cash_buffer_weeks: f64,
    /// Cash kept back, in weeks of outgoings, when repaying maturing debt from cash.
    pub repayment_buffer_weeks: f64,
    /// Most fleet growth per year.
    pub max_growth: f64,
    /// Corporate overhead per GPU per year, $.
    pub overhead_per_gpu_year: f64,
    /// When it sells lots voluntarily.
    pub resale: firesale_markets::ResaleParams,
    /// Ticks it may leave power bills unpaid before it must file.
    pub bill_grace_ticks: u32,
    /// Reserve of lots sold to meet a deadline nearly passed, as a share of its value.
    pub urgent_reserve: f64,
    /// Reserve of lots sold to raise cash with time to spare, as a share of its value.
    pub calm_reserve: f64,
    /// Least share of its value it counts on a lot fetching when it sizes a sale.
    pub expected_price_floor: f64,
    /// Years of margin its value of a lot counts when it sells under pressure.
    pub distress_valuation_years: f64,
    /// Ticks its bankruptcy trustee expects an orderly sale of its lots to take.
    pub trustee_sale_ticks: u32,
}

/// Whether an operator is still in business.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OperatorStatus {
    /// Operating.
    Active,
    /// Filed for bankruptcy at this tick.
    Defaulted(u32),
}

/// An operator: a crypto miner or a neo-cloud.
#[derive(Component, Debug, Clone)]
pub struct Operator {
    /// Its parameters.
    pub params: OperatorParams,
    /// Active or defaulted.
    pub status: OperatorStatus,
    /// Power and opex bills not yet paid, $.
    pub unpaid_bills: f64,
    /// First tick of the unpaid bills.
    pub unpaid_since: Option<u32>,
    /// Rent expectations per generation.
    pub expectations: std::sync::Arc<RentExpectation>,
    /// This tick's revenue, $.
    pub revenue: f64,
    /// This tick's operating costs, $.
    pub costs: f64,
    /// Recent weekly costs plus debt service, for the cash buffer.
    pub weekly_outgoings: f64,
}

impl Operator {
    /// What one unit of `generation` is worth to it over `years`, by its outlook rule.
    pub fn value_per_gpu(
        &self,
        generation: firesale_core::GenId,
        economics: &firesale_core::GpuEconomics,
        years: f64,
        roadmap: &firesale_core::Roadmap,
    ) -> f64 {
        self.params
            .rules
            .outlook
            .value_per_gpu(&firesale_core::OutlookView {
                expectation: &self.expectations,
                roadmap,
                generation: generation.0 as usize,
                economics,
                years,
            })
    }

    /// A new, active operator.
    pub fn new(params: OperatorParams, expectations: RentExpectation) -> Self {
        Operator {
            params,
            status: OperatorStatus::Active,
            unpaid_bills: 0.0,
            unpaid_since: None,
            expectations: std::sync::Arc::new(expectations),
            revenue: 0.0,
            costs: 0.0,
            weekly_outgoings: 0.0,
        }
    }

    /// Whether it still operates.
    pub fn is_active(&self) -> bool {
        self.status == OperatorStatus::Active
    }
}

/// A miner's bitcoin: its free treasury and its mining fleet.
#[derive(Component, Debug, Clone)]
pub struct Bitcoin {
    /// BTC held and not posted as collateral.
    pub treasury: f64,
    /// Mining hashrate, PH/s.
    pub hashrate_ph: f64,
    /// Efficiency, J/TH.
    pub j_per_th: f64,
    /// Whether the rigs ran this tick.
    pub mining: bool,
    /// Power the rigs drew this tick, kWh.
    pub kwh: f64,
}

/// A fixed-price term lease of part of an operator's capacity.
#[derive(Debug, Clone, PartialEq)]
pub struct Lease {
    /// Share of the operator's installed capacity leased.
    pub share: f64,
    /// Fixed price, $/H100-hour.
    pub price: f64,
    /// Last tick of the lease.
    pub end_tick: u32,
    /// Demand index when signed (the tenant's fortunes follow it).
    pub demand_at_signing: f64,
}

/// An operator's term leases with shaky tenants.
#[derive(Component, Debug, Clone, Default)]
pub struct TermLeases {
    /// Active leases.
    pub leases: Vec<Lease>,
}
