//! The tick: twelve phases, each made of ordered steps, every step owned by one crate.
//!
//! Every system that moves money or lots touches the same resources (the ledger, the
//! fleet), so any two of them would be ambiguous unless ordered. Rather than sprinkle
//! `.before()`/`.after()` across crates that must not know each other, the whole tick is
//! one explicit chain of [`Step`]s, and each step belongs to one [`Phase`] of MODEL.md.
//! Reading [`Step::ALL`] top to bottom is reading the tick.

use bevy_ecs::prelude::*;
use bevy_ecs::schedule::{LogLevel, ScheduleBuildSettings, SingleThreadedExecutor};

/// The twelve phases of a tick, in the order they run.
#[derive(SystemSet, Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Phase {
    /// 1. Exogenous processes (demand, BTC, rates, power) and generation releases.
    Exogenous,
    /// 2. Compute market: dispatch, rents, tenant payments and tenant defaults.
    ComputeMarket,
    /// 3. Mining revenue.
    Mining,
    /// 4. Operating costs.
    OperatingCosts,
    /// 5. Debt service and maturities (refinancing).
    DebtService,
    /// 6. Marking and covenant tests, margin calls.
    Marking,
    /// 7. Borrower liquidity response: sell BTC, post collateral, list lots, or default.
    LiquidityResponse,
    /// 8. Default resolution: repossession, liquidation decisions, repo financing.
    DefaultResolution,
    /// 9. The secondary auction clears; lots and cash change hands.
    Auction,
    /// 10. Credit: lenders update terms and originate loans.
    Credit,
    /// 11. Investment: primary purchases and rack building.
    Investment,
    /// 12. Accounting checks and recording.
    Accounting,
}

impl Phase {
    /// Human name used in error messages.
    pub fn name(self) -> &'static str {
        match self {
            Phase::Exogenous => "1 exogenous",
            Phase::ComputeMarket => "2 compute market",
            Phase::Mining => "3 mining",
            Phase::OperatingCosts => "4 operating costs",
            Phase::DebtService => "5 debt service",
            Phase::Marking => "6 marking",
            Phase::LiquidityResponse => "7 liquidity response",
            Phase::DefaultResolution => "8 default resolution",
            Phase::Auction => "9 auction",
            Phase::Credit => "10 credit",
            Phase::Investment => "11 investment",
            Phase::Accounting => "12 accounting",
        }
    }

    /// All phases in order.
    pub const ALL: [Phase; 12] = [
        Phase::Exogenous,
        Phase::ComputeMarket,
        Phase::Mining,
        Phase::OperatingCosts,
        Phase::DebtService,
        Phase::Marking,
        Phase::LiquidityResponse,
        Phase::DefaultResolution,
        Phase::Auction,
        Phase::Credit,
        Phase::Investment,
        Phase::Accounting,
    ];
}

/// One ordered step of the tick; the comment names the crate whose systems run in it.
#[derive(SystemSet, Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Step {
    /// markets: advance demand, BTC, rates and power; release generations.
    AdvanceExogenous,
    /// markets: dispatch installed lots in merit order, clear the compute price, pay spot rent.
    ClearComputeMarket,
    /// miner: term contracts pay their fixed rent; shaky tenants may default.
    ServeTermContracts,
    /// miner: mining revenue in BTC.
    MineBitcoin,
    /// miner: operators pay power and opex.
    PayOperatorCosts,
    /// buyer: buyers pay power, opex and credit-line interest.
    PayBuyerCosts,
    /// lender: lenders pay their outside funding; funders may withdraw.
    PayLenderFunding,
    /// miner: operators pay interest and amortisation, meet or refinance maturities.
    ServiceDebt,
    /// lender: lenders decide refinancing requests.
    DecideRefinancing,
    /// structured: issuers pay note coupons; maturing and put notes convert, are repaid
    /// or ask to be refinanced.
    ServiceNotes,
    /// structured: each GPU ABS runs its rent through the waterfall; triggers divert
    /// cash to the senior tranche; a deal at final maturity or accelerated is sold.
    PayWaterfalls,
    /// lender: mark collateral, test covenants, issue margin calls.
    MarkCollateral,
    /// lender: repo desks re-margin their loans, take out called loans or lend against a
    /// called borrower's unpledged lots.
    RepoForBorrowers,
    /// miner: answer calls and arrears: pay, sell BTC, post BTC, list lots, or file.
    RespondToCalls,
    /// lender: declare defaults, repossess, decide liquidation, repo financing.
    ResolveDefaults,
    /// miner: tenants of a failed host lose their hosted capacity; rigs beyond their own
    /// racks are switched off and stored (stranded).
    StrandHostedFleets,
    /// miner: operators list lots whose resale beats their value in place, or to free racks.
    ListOperatorResales,
    /// buyer: buyers list lots whose resale beats their value in place.
    ListBuyerResales,
    /// structured: a GPU ABS in liquidation lists its lots.
    ListSpvSales,
    /// miner: operators in good standing bid for used lots they can rack.
    PostOperatorBids,
    /// buyer: post bids for secondary lots.
    PostBids,
    /// markets: clear each generation's call auction; lots and cash change hands.
    ClearAuctions,
    /// miner: proceeds of sold pledged lots pay down their loans.
    ApplySaleProceeds,
    /// lender: proceeds of sold repossessed lots count as recoveries.
    BookRecoveries,
    /// structured: a bankrupt issuer's estate pays its noteholders once its secured
    /// lenders are settled, then its shareholders.
    DistributeEstates,
    /// lender: update spreads, max LTV and appetite.
    UpdateCreditTerms,
    /// miner: decide expansion and ask for financing.
    RequestCredit,
    /// lender: approve and fund loan requests (club deals when one lender is too small).
    OriginateLoans,
    /// structured: bond investors bid for new notes (rollovers, then growth issues).
    IssueNotes,
    /// miner: buy financed lots from the vendor; build racks.
    InvestOperators,
    /// buyer: buy new lots from the vendor; build racks.
    InvestBuyers,
    /// core: scrap lots at end of life, check the ledger and the fleet.
    CheckAccounts,
    /// sim: write this tick's rows.
    Record,
}

impl Step {
    /// Every step in execution order, with the phase it belongs to.
    pub const ALL: [(Step, Phase); 33] = [
        (Step::AdvanceExogenous, Phase::Exogenous),
        (Step::ClearComputeMarket, Phase::ComputeMarket),
        (Step::ServeTermContracts, Phase::ComputeMarket),
        (Step::MineBitcoin, Phase::Mining),
        (Step::PayOperatorCosts, Phase::OperatingCosts),
        (Step::PayBuyerCosts, Phase::OperatingCosts),
        (Step::PayLenderFunding, Phase::OperatingCosts),
        (Step::ServiceDebt, Phase::DebtService),
        (Step::DecideRefinancing, Phase::DebtService),
        (Step::ServiceNotes, Phase::DebtService),
        (Step::PayWaterfalls, Phase::DebtService),
        (Step::MarkCollateral, Phase::Marking),
        (Step::RepoForBorrowers, Phase::Marking),
        (Step::RespondToCalls, Phase::LiquidityResponse),
        (Step::ResolveDefaults, Phase::DefaultResolution),
        (Step::StrandHostedFleets, Phase::DefaultResolution),
        (Step::ListOperatorResales, Phase::Auction),
        (Step::ListBuyerResales, Phase::Auction),
        (Step::ListSpvSales, Phase::Auction),
        (Step::PostOperatorBids, Phase::Auction),
        (Step::PostBids, Phase::Auction),
        (Step::ClearAuctions, Phase::Auction),
        (Step::ApplySaleProceeds, Phase::Auction),
        (Step::BookRecoveries, Phase::Auction),
        (Step::DistributeEstates, Phase::Auction),
        (Step::UpdateCreditTerms, Phase::Credit),
        (Step::RequestCredit, Phase::Credit),
        (Step::OriginateLoans, Phase::Credit),
        (Step::IssueNotes, Phase::Credit),
        (Step::InvestOperators, Phase::Investment),
        (Step::InvestBuyers, Phase::Investment),
        (Step::CheckAccounts, Phase::Accounting),
        (Step::Record, Phase::Accounting),
    ];
}

/// A schedule with the tick's steps chained in order and ambiguity detection as an error,
/// so that two systems touching the same data without an order fail to build. It runs
/// on one thread: the order is the chain, whatever the machine.
pub fn tick_schedule() -> Schedule {
    let mut schedule = Schedule::default();
    schedule.set_executor(SingleThreadedExecutor::new());
    schedule.set_build_settings(ScheduleBuildSettings {
        ambiguity_detection: LogLevel::Error,
        ..Default::default()
    });
    for (step, phase) in Step::ALL {
        schedule.configure_sets(step.in_set(phase));
    }
    schedule.configure_sets(
        (
            Phase::Exogenous,
            Phase::ComputeMarket,
            Phase::Mining,
            Phase::OperatingCosts,
            Phase::DebtService,
            Phase::Marking,
            Phase::LiquidityResponse,
            Phase::DefaultResolution,
            Phase::Auction,
            Phase::Credit,
            Phase::Investment,
            Phase::Accounting,
        )
            .chain(),
    );
    let steps: Vec<Step> = Step::ALL.iter().map(|(s, _)| *s).collect();
    for pair in steps.windows(2) {
        schedule.configure_sets(pair[0].before(pair[1]));
    }
    schedule
}

/// The phase a step belongs to.
pub fn phase_of(step: Step) -> Phase {
    Step::ALL
        .iter()
        .find(|(s, _)| *s == step)
        .map(|(_, p)| *p)
        .expect("every step is listed in Step::ALL")
}
