//! The run's headline figures, for `summary.json` and the end of `firesale run`.

use crate::answers::{AnswerTracker, LargestLiquidation, correlation};
use crate::guards::AccountChecks;
use firesale_core::{
    AgentKind, Clock, Directory, Fleet, Generations, LoanBook, LoanStatus, Metrics,
};
use firesale_markets::SecondaryMarket;
use firesale_world::WorldFile;
use serde::Serialize;

/// Headline figures of a run. Money in $, rates as fractions per year.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Summary {
    /// World name.
    pub world: String,
    /// Master seed.
    pub seed: u64,
    /// Ticks simulated.
    pub ticks: u32,
    /// First day.
    pub start_date: String,
    /// First day of the last tick.
    pub end_date: String,
    /// Operators at the start.
    pub operators: u32,
    /// Operators that defaulted.
    pub defaults_total: u32,
    /// Share of operators that defaulted.
    pub default_rate: f64,
    /// The fire-sale discount of the run: `1 - distressed price / non-distressed
    /// reference` of the same generation, volume-weighted over every distressed lot sold
    /// against a reference (None when none was).
    pub distressed_discount: Option<f64>,
    /// The same, over repossessed collateral sold by lenders (live or failed) only:
    /// the sales a repo market would let a lender put off.
    pub lender_sale_discount: Option<f64>,
    /// Largest distressed discount of one generation volume-weighted over the peak
    /// window (`measures.peak_window_weeks`), counted only where at least
    /// `measures.peak_min_lots` distressed lots traded in that window.
    pub peak_discount: Option<f64>,
    /// Generation of that peak.
    pub peak_discount_generation: Option<String>,
    /// Date of that peak.
    pub peak_discount_date: Option<String>,
    /// Largest gap of the clearing price below the benchmark fundamental value,
    /// volume-weighted over the trades of one generation in a 4-tick window (the
    /// pre-issue-10 measure: no agent holds that valuation, so part of this gap is a
    /// valuation gap, not a fire sale).
    pub peak_gap_to_fundamental: Option<f64>,
    /// Generation of that peak.
    pub peak_gap_to_fundamental_generation: Option<String>,
    /// Date of that peak.
    pub peak_gap_to_fundamental_date: Option<String>,
    /// Lots sold by distressed sellers (borrowers under calls, lenders, failed lenders).
    pub distressed_lots_traded: u64,
    /// Lots sold by voluntary sellers.
    pub voluntary_lots_traded: u64,
    /// Share of weeks in which some voluntary lot traded.
    pub voluntary_trade_weeks_share: f64,
    /// Recovered / principal at default, over defaulted loans.
    pub recovery_rate: Option<f64>,
    /// Principal at default not yet recovered in cash (unsold repossessed lots count as
    /// nothing here; their value at the last trade price is `unsold_inventory_value_usd`).
    pub lender_losses_usd: f64,
    /// Unsold repossessed lots valued at their generation's last trade price, $.
    pub unsold_inventory_value_usd: f64,
    /// Lenders that failed.
    pub lender_failures: u32,
    /// Mean weeks from repossession to sale of repossessed lots that sold.
    pub weeks_to_clear_repossessed: Option<f64>,
    /// Lots repossessed.
    pub repossessed_lots_total: u64,
    /// Repossessed lots still unsold at the end.
    pub unsold_inventory_end: u64,
    /// Repo funding extended over the run, $.
    pub repo_volume_total: f64,
    /// Repo funding extended to borrowers (take-outs of called loans, advances on
    /// unpledged lots), $.
    pub repo_to_borrowers_usd: f64,
    /// Called loans taken out by repo desks.
    pub repo_takeouts: u32,
    /// Largest |sum of all ledger balances| at a tick end, $.
    pub ledger_max_imbalance_usd: f64,
    /// Largest balance-sheet scale (sum of |agent balances|), $.
    pub ledger_max_balance_sheet_usd: f64,
    /// Lots built by the vendor (starting fleets included).
    pub lots_created: u64,
    /// Lots scrapped.
    pub lots_scrapped: u64,
    /// Lots traded in the secondary auctions.
    pub trades_total: u64,
    /// Of those, lots operators bought.
    pub operator_purchases: u64,
    /// Of those, lots a forced seller sold.
    pub operator_distressed_purchases: u64,
    /// Principal-weighted spread over risk-free of all loans made.
    pub mean_spread_charged: Option<f64>,
    /// Spread that would have covered the realised losses: yearly default rate × loss given default.
    pub break_even_spread: Option<f64>,
    /// Miners (operators with BTC) at the start.
    pub miners: u32,
    /// Miners that defaulted.
    pub miner_defaults: u32,
    /// Neo-clouds that defaulted.
    pub neocloud_defaults: u32,
    /// Defaults of borrowers whose loan was called at maturity (the refinancing wall).
    pub maturity_defaults: u32,
    /// Term-contract tenants that defaulted.
    pub tenant_defaults: u32,
    /// Date of the first operator default.
    pub first_default_date: Option<String>,
    /// Date of the first tenant default.
    pub first_tenant_default_date: Option<String>,
    /// "Liquidating 10,000 H100s": how the largest repossession sold.
    pub largest_liquidation: Option<LargestLiquidation>,
    /// The collateral illusion: the largest gap of market LTV over paper LTV.
    pub collateral_illusion_peak_gap: Option<f64>,
    /// When that gap peaked.
    pub collateral_illusion_peak_date: Option<String>,
    /// Correlation of weekly BTC and demand-index log returns in calm ticks.
    pub btc_demand_correlation_calm: Option<f64>,
    /// The same in stress ticks.
    pub btc_demand_correlation_stress: Option<f64>,
    /// Ticks in the stress regime.
    pub stress_ticks: u32,
    /// In a world with rigs: each efficiency tier's peak and the trough after it, of the
    /// rig price index (absent otherwise).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rig_index: Vec<crate::rigs::TierMove>,
    /// In a world with notes or GPU ABS: defaults, conversions, recoveries and tranche
    /// losses (absent otherwise).
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub capital: Option<CapitalSummary>,
}

/// The notes' story of a run.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CapitalSummary {
    /// Notes that defaulted (their issuer filed).
    pub bond_defaults: u32,
    /// Issuers that defaulted on their notes.
    pub bond_issuer_defaults: u32,
    /// Convertibles converted into shares.
    pub convert_conversions: u32,
    /// Rollovers that found no buyer at a yield the issuer accepts.
    pub failed_rollovers: u32,
    /// What the defaulted notes recovered from their estates so far, as a share of
    /// their claims (None: no default).
    pub bond_recovery_rate: Option<f64>,
    /// Highest straight yield of a new issue in the run.
    pub peak_new_issue_yield: Option<f64>,
    /// GPU ABS: share of the senior tranches' principal lost (written off when the deals
    /// are wound up; a deal still running at the end counts its loss were its pool sold
    /// at its appraisal). None: no deal.
    pub tranche_loss_senior: Option<f64>,
    /// The same for the mezzanine tranches.
    pub tranche_loss_mezz: Option<f64>,
    /// The same for the equity (principal less the cash it was paid over the deal).
    pub tranche_loss_equity: Option<f64>,
    /// GPU ABS deals still running (not wound up) at the end.
    pub abs_deals_running: Option<u32>,
}

/// What the summary is computed from.
pub struct SummaryInputs<'a> {
    /// World file.
    pub file: &'a WorldFile,
    /// Clock at the end.
    pub clock: &'a Clock,
    /// Last tick's metrics (cumulative counters).
    pub metrics: &'a Metrics,
    /// Every loan.
    pub book: &'a LoanBook,
    /// Every lot.
    pub fleet: &'a Fleet,
    /// Generations.
    pub gens: &'a Generations,
    /// Secondary market (for marks of unsold inventory).
    pub secondary: &'a SecondaryMarket,
    /// Directory.
    pub directory: &'a Directory,
    /// Ledger checks.
    pub checks: AccountChecks,
    /// Peak discount and where.
    pub fire_sales: &'a crate::firesales::FireSaleTracker,
    /// Running tallies for the analysts' answers.
    pub answers: &'a AnswerTracker,
    /// Every repossession.
    pub repossessions: &'a [firesale_core::Repossession],
    /// The rig price index (empty in a world without rigs).
    pub rigs: &'a crate::rigs::RigIndex,
    /// The capital markets' tallies, in a world with notes.
    pub capital: Option<(&'a firesale_structured::CapitalMetrics, Option<f64>)>,
}

impl Summary {
    /// Computes the summary.
    pub fn from_inputs(i: SummaryInputs) -> Summary {
        let m = i.metrics;
        let operators =
            (i.directory.count(AgentKind::Miner) + i.directory.count(AgentKind::NeoCloud)) as u32;
        let defaulted: Vec<_> = i
            .book
            .all()
            .iter()
            .filter(|l| {
                matches!(
                    l.status,
                    LoanStatus::Defaulted { .. } | LoanStatus::Resolved
                )
            })
            .collect();
        let principal: f64 = defaulted.iter().map(|l| l.defaulted_principal).sum();
        // A loan recovers at most what it owed; any surplus is not a negative loss.
        let recovered: f64 = defaulted
            .iter()
            .map(|l| l.recovered.min(l.defaulted_principal))
            .sum();
        let lenders: Vec<_> = i
            .directory
            .iter()
            .filter(|a| a.kind == AgentKind::Lender)
            .map(|a| a.id)
            .collect();
        let mut unsold = 0u64;
        let mut unsold_value = 0.0;
        for id in lenders {
            for lot in i.fleet.owned_by(id) {
                let lot = i.fleet.get(lot);
                if lot.repossessed_tick().is_some() {
                    unsold += 1;
                    let g = lot.generation.0 as usize;
                    unsold_value += i.secondary.generations[g].last_price.unwrap_or(0.0)
                        * f64::from(i.gens.gpus_per_lot);
                }
            }
        }
        let lent: f64 = i.book.all().iter().map(|l| l.original_principal).sum();
        let spread = (lent > 0.0).then(|| {
            i.book
                .all()
                .iter()
                .map(|l| l.spread * l.original_principal)
                .sum::<f64>()
                / lent
        });
        let years = f64::from(i.file.ticks) * i.clock.years_per_tick();
        let default_rate = if operators > 0 {
            f64::from(m.defaults_cum) / f64::from(operators)
        } else {
            0.0
        };
        // Proceeds beyond the principal owed are not a recovery rate above 100%.
        let recovery_rate = (principal > 0.0).then(|| recovered / principal);
        let fire_sales = i.fire_sales;
        let peak = fire_sales.distressed_peak.peak.as_ref();
        let gap_peak = fire_sales.fundamental_peak.peak.as_ref();
        Summary {
            world: i.file.name.clone(),
            seed: i.file.seed,
            ticks: i.file.ticks,
            start_date: i.clock.date_of(0).to_string(),
            end_date: i.clock.date_of(i.file.ticks.saturating_sub(1)).to_string(),
            operators,
            defaults_total: m.defaults_cum,
            default_rate,
            distressed_discount: fire_sales.distressed_discount(),
            lender_sale_discount: fire_sales.lender_sale_discount(),
            peak_discount: peak.map(|p| p.0),
            peak_discount_generation: peak.map(|p| p.1.clone()),
            peak_discount_date: peak.map(|p| p.2.clone()),
            peak_gap_to_fundamental: gap_peak.map(|p| p.0),
            peak_gap_to_fundamental_generation: gap_peak.map(|p| p.1.clone()),
            peak_gap_to_fundamental_date: gap_peak.map(|p| p.2.clone()),
            distressed_lots_traded: fire_sales.distressed_lots,
            voluntary_lots_traded: fire_sales.voluntary_lots,
            voluntary_trade_weeks_share: fire_sales.voluntary_trade_share(),
            recovery_rate,
            lender_losses_usd: principal - recovered,
            unsold_inventory_value_usd: unsold_value,
            lender_failures: m.lender_failures_cum,
            weeks_to_clear_repossessed: (m.repossessed_sold_cum > 0).then(|| {
                m.repossessed_ticks_to_sale_cum as f64 / m.repossessed_sold_cum as f64
                    * f64::from(i.clock.tick_days)
                    / 7.0
            }),
            repossessed_lots_total: m.repossessed_lots_cum,
            unsold_inventory_end: unsold,
            repo_volume_total: m.repo_funded_cum,
            repo_to_borrowers_usd: m.repo_borrower_funded_cum,
            repo_takeouts: m.repo_takeouts_cum,
            ledger_max_imbalance_usd: i.checks.max_imbalance,
            ledger_max_balance_sheet_usd: i.checks.max_scale,
            lots_created: i.fleet.created,
            lots_scrapped: i.fleet.scrapped,
            trades_total: m.trades_cum,
            operator_purchases: m.operator_purchases_cum,
            operator_distressed_purchases: m.operator_distressed_purchases_cum,
            mean_spread_charged: spread,
            break_even_spread: (years > 0.0)
                .then(|| default_rate / years * (1.0 - recovery_rate.unwrap_or(1.0))),
            miners: i.directory.count(AgentKind::Miner) as u32,
            miner_defaults: m.miner_defaults_cum,
            neocloud_defaults: m.defaults_cum - m.miner_defaults_cum,
            maturity_defaults: m.maturity_defaults_cum,
            tenant_defaults: m.tenant_defaults_cum,
            first_default_date: i.answers.first_default.clone(),
            first_tenant_default_date: i.answers.first_tenant_default.clone(),
            largest_liquidation: LargestLiquidation::of(i.repossessions, i.clock, i.gens),
            collateral_illusion_peak_gap: i.answers.illusion.as_ref().map(|(g, _)| *g),
            collateral_illusion_peak_date: i.answers.illusion.as_ref().map(|(_, d)| d.clone()),
            btc_demand_correlation_calm: correlation(&i.answers.calm),
            btc_demand_correlation_stress: correlation(&i.answers.stress),
            stress_ticks: i.answers.stress.len() as u32,
            rig_index: i.rigs.moves(),
            capital: i.capital.map(|(c, peak_yield)| CapitalSummary {
                bond_defaults: c.bond_defaults_cum,
                bond_issuer_defaults: c.bond_issuer_defaults_cum,
                convert_conversions: c.conversions_cum,
                failed_rollovers: c.failed_rollovers_cum,
                // Rounding in the estate's pro-rata payments is not a recovery above 100%.
                bond_recovery_rate: (c.bond_claims_cum > 0.0)
                    .then(|| (c.bond_recovered_cum / c.bond_claims_cum).min(1.0)),
                peak_new_issue_yield: peak_yield,
                tranche_loss_senior: c.abs.as_ref().map(|a| a.loss_shares_at_marks()[0]),
                tranche_loss_mezz: c.abs.as_ref().map(|a| a.loss_shares_at_marks()[1]),
                tranche_loss_equity: c.abs.as_ref().map(|a| a.loss_shares_at_marks()[2]),
                abs_deals_running: c.abs.as_ref().map(|a| a.running),
            }),
        }
    }
}
