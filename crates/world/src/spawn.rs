//! Turning a validated world file into a bevy `World`: resources, paths and agents.
//!
//! Every agent draws its parameters from its own stream (`agent/<name>`), in a fixed
//! order, so adding a class or an agent never changes what another agent drew.

use crate::error::WorldError;
use crate::load::invalid;
use crate::schema::*;
use crate::validate::{limit, range};
use bevy_ecs::prelude::*;
use chrono::NaiveDate;
use firesale_buyer::{Buyer, BuyerParams};
use firesale_core::prelude::*;
use firesale_core::*;
use firesale_lender::{Lender, LenderParams, RepoDesk};
use firesale_markets::*;
use firesale_miner::{Bitcoin, Operator, OperatorParams, QueuedOrder, RackShortfall, TermLeases};
use rand::RngExt;
use rand_chacha::ChaCha8Rng;

/// The tick of `date` in world `w`: the first tick on or after it, negative before the start.
pub fn tick_of_date(w: &WorldFile, date: NaiveDate) -> i32 {
    tick_of(w.start, w.tick_days, date)
}

/// Tick of a date: the first tick on or after it, negative before the start.
pub(crate) fn tick_of(start: NaiveDate, tick_days: u32, date: NaiveDate) -> i32 {
    let days = (date - start).num_days();
    let step = i64::from(tick_days);
    (if days >= 0 {
        (days + step - 1) / step
    } else {
        days.div_euclid(step)
    }) as i32
}

/// Ticks in `weeks` weeks, rounded.
pub fn weeks_to_ticks(weeks: u32, tick_days: u32) -> u32 {
    (f64::from(weeks) * 7.0 / f64::from(tick_days.max(1))).round() as u32
}

/// Builds the world: every resource and agent, ready for the schedule.
pub fn build_world(w: &WorldFile) -> Result<World, WorldError> {
    check_replays_read(w)?;
    let mut world = World::new();
    let clock = Clock {
        start: w.start,
        tick_days: w.tick_days,
        ticks: w.ticks,
        tick: 0,
    };
    let seed = MasterSeed(w.seed);
    let generations = Generations {
        list: w
            .generations
            .iter()
            .map(|g| Generation {
                name: g.name.clone(),
                hardware: g.hardware,
                release_tick: tick_of(w.start, w.tick_days, g.release),
                released_in_run: g.release >= w.start,
                perf: g.perf,
                kw_per_gpu: g.kw_per_unit(),
                list_price: g.list_price,
                list_price_decline: g.list_price_decline,
                liquid_cooled: g.liquid_cooled,
                useful_life_years: g.useful_life_years,
                max_age_years: g.max_age_years,
                vendor_lots_per_tick: g.vendor_lots_per_tick,
            })
            .collect(),
        gpus_per_lot: w.gpus_per_lot,
    };
    let n_gens = generations.list.len();
    let exogenous = Exogenous::new(
        exogenous_params(w),
        scheduled_paths(w, &clock),
        seed.stream("exogenous"),
    );
    let compute = ComputeMarket::new(compute_params(&w.compute), n_gens);
    world.insert_resource(Metrics {
        generations: vec![GenerationMetrics::default(); n_gens],
        ..Default::default()
    });
    let mut secondary = SecondaryMarket::new(n_gens);
    secondary.mark_ticks = weeks_to_ticks(w.measures.mark_weeks, w.tick_days).max(1);
    world.insert_resource(secondary);
    world.insert_resource(DiscountMeasure {
        reference_window: weeks_to_ticks(w.measures.reference_window_weeks, w.tick_days).max(1),
        reference_min_lots: w.measures.reference_min_lots,
    });
    world.insert_resource(Vendor {
        sold_this_tick: vec![0; n_gens],
    });
    world.insert_resource(exogenous);
    world.insert_resource(compute);
    world.insert_resource(LoanBook::default());
    world.insert_resource(firesale_core::NoteBook::default());
    world.insert_resource(firesale_core::NoteRequests::default());
    world.insert_resource(firesale_structured::BondMarket::default());
    world.insert_resource(firesale_structured::CapitalMetrics::default());
    world.insert_resource(Repossessions::default());
    world.insert_resource(CreditOffers::default());
    world.insert_resource(LoanRequests::default());
    world.insert_resource(EventLog::default());
    world.insert_resource(Halt::default());
    world.insert_resource(Fleet::default());
    world.insert_resource(Ledger::new());
    world.insert_resource(Directory::default());
    world.insert_resource(seed);
    world.insert_resource(clock.clone());
    world.insert_resource(generations);

    let mut lender_weights = Vec::new();
    for (ci, class) in w.lenders.iter().enumerate() {
        for k in 1..=class.count {
            let id = spawn_lender(&mut world, class, ci, &format!("{}-{k}", class.name))?;
            if !matches!(class.kind, LenderKind::RepoDesk(_)) {
                lender_weights.push((id, class.initial_book_weight, class.lends_to_miners, ci));
            }
        }
    }
    let mut note_holders = Vec::new();
    let mut investors: std::collections::BTreeMap<String, Vec<(AgentId, f64)>> =
        std::collections::BTreeMap::new();
    for (index, class) in w.bond_investors.iter().enumerate() {
        for k in 1..=class.count {
            let (id, capital) = crate::capital_spawn::spawn_investor(
                &mut world,
                class,
                index,
                &format!("{}-{k}", class.name),
            )?;
            if class.starting_book_weight > 0.0 {
                note_holders.push((id, class.starting_book_weight * capital));
            }
            investors
                .entry(class.name.clone())
                .or_default()
                .push((id, capital));
        }
    }
    // GPU ABS SPVs; a pool of loans is the only lender of its operator classes.
    let mut deals = Vec::new();
    let mut pool_lender: std::collections::BTreeMap<&str, AgentId> =
        std::collections::BTreeMap::new();
    for deal in &w.abs {
        let id = crate::capital_spawn::register_deal(&mut world, deal);
        if let crate::capital::AbsPool::Loans { operators } = &deal.pool {
            for class in operators {
                pool_lender.insert(class.as_str(), id);
            }
        }
        deals.push(id);
    }
    let mut loan_rng = seed.stream("spawn/loans");
    for (index, class) in w.operators.iter().enumerate() {
        for k in 1..=class.count {
            spawn_operator(
                &mut world,
                w,
                (index, class),
                &format!("{}-{k}", class.name),
                (
                    &lender_weights,
                    pool_lender.get(class.name.as_str()).copied(),
                ),
                &note_holders,
                &mut loan_rng,
            )?;
        }
    }
    for class in &w.operators {
        if let Some(hosting) = &class.hosting {
            host_tenants(&mut world, w, class, hosting);
        }
    }
    for (index, class) in w.buyers.iter().enumerate() {
        // One ladder for the class, shared by its buyers.
        let ladder: std::sync::Arc<[f64]> = class.bid_ladder.as_slice().into();
        for k in 1..=class.count {
            let name = format!("{}-{k}", class.name);
            spawn_buyer(&mut world, w, class, &ladder, index, &name)?;
        }
    }
    for (deal, id) in w.abs.iter().zip(deals) {
        crate::capital_spawn::fund_deal(&mut world, w, deal, id, &investors)?;
    }
    let ledger = world.resource::<Ledger>();
    let directory = world.resource::<Directory>();
    for agent in directory
        .iter()
        .filter(|a| a.kind == AgentKind::BondInvestor)
    {
        let cash = ledger.balance(agent.account);
        // A lender that drew exactly what it lent may be a rounding error below zero.
        if cash < -CENT {
            return Err(invalid(
                "bond_investors",
                format!(
                    "{} cannot pay for its share of the operators' starting notes and the ABS tranches it holds (short ${:.0}): raise its capital, or lower the notes or the deals",
                    agent.name, -cash
                ),
            ));
        }
    }
    for agent in directory.iter().filter(|a| a.kind == AgentKind::Lender) {
        let cash = ledger.balance(agent.account);
        // A lender that drew exactly what it lent may be a rounding error below zero.
        if cash < -CENT {
            return Err(invalid(
                "lenders",
                format!(
                    "{} cannot fund its share of the operators' starting loans (short ${:.0}): raise its equity or leverage, or lower the operators' leverage",
                    agent.name, -cash
                ),
            ));
        }
    }
    Ok(world)
}

/// Adds an agent to the world: an id, a ledger account holding `equity` of cash, and its
/// own random stream (`agent/<name>`). Plugins adding a new kind of agent use it too.
pub fn register_agent(
    world: &mut World,
    name: &str,
    kind: AgentKind,
    equity: f64,
) -> (Agent, Entity) {
    register(world, name, kind, equity)
}

fn register(world: &mut World, name: &str, kind: AgentKind, equity: f64) -> (Agent, Entity) {
    let id = world.resource::<Directory>().next_id();
    let account = world.resource_mut::<Ledger>().open(name, equity);
    let agent = Agent {
        id,
        name: name.to_string(),
        kind,
        account,
    };
    let entity = world
        .spawn((
            agent.clone(),
            id,
            AgentRng(
                world
                    .resource::<MasterSeed>()
                    .stream(&format!("agent/{name}")),
            ),
        ))
        .id();
    world
        .resource_mut::<Directory>()
        .register(agent.clone(), entity);
    (agent, entity)
}

fn spawn_lender(
    world: &mut World,
    class: &LenderClass,
    index: usize,
    name: &str,
) -> Result<AgentId, WorldError> {
    let rule_error = |e: String| invalid(&format!("lenders[{index}].rules"), e);
    let mut rng = world
        .resource::<MasterSeed>()
        .stream(&format!("params/{name}"));
    let equity = class
        .equity
        .sample(&mut rng, range::AMOUNT.0, range::AMOUNT.1);
    let leverage = class
        .leverage
        .sample(&mut rng, range::LEVERAGE.0, range::LEVERAGE.1);
    let n_gens = world.resource::<Generations>().list.len();
    let seed = *world.resource::<MasterSeed>();
    if let Some(rule) = crate::rule_choice::haircut_rule(class, seed, name).map_err(rule_error)? {
        let (agent, entity) = register(world, name, AgentKind::RepoDesk, equity);
        let clock = world.resource::<Clock>();
        let tenor_ticks = clock.ticks_in_years(class.tenor_years).max(1);
        world.entity_mut(entity).insert(RepoDesk {
            rule,
            spread: class.base_spread,
            positions: Vec::new(),
            haircuts: vec![1.0; n_gens],
            tenor_ticks,
        });
        return Ok(agent.id);
    }
    let (agent, entity) = register(world, name, AgentKind::Lender, equity);
    let funding = equity * leverage;
    world.resource_mut::<Ledger>().transfer(
        External::BondHolders.account(),
        agent.account,
        funding,
        "outside funding",
    );
    let ticks_per_week = 7.0 / f64::from(world.resource::<Clock>().tick_days);
    let params = LenderParams {
        rules: crate::rule_choice::lender_rules(class, seed, name).map_err(rule_error)?,
        funding_spread: class.funding_spread,
        run_threshold: class.run_threshold,
        withdrawal_rate: class.withdrawal_rate,
        base_spread: class.base_spread,
        base_max_ltv: class.base_max_ltv,
        covenant_ltv: class.covenant_ltv,
        covenant_dscr: class.covenant_dscr,
        cure_ticks: (f64::from(class.cure_weeks) * ticks_per_week).round() as u32,
        tenor_years: class.tenor_years,
        amortising_share: class.amortising_share,
        loss_sensitivity: class.loss_sensitivity,
        volatility_sensitivity: class.volatility_sensitivity,
        target_capital_ratio: class.target_capital_ratio,
        lends_to_miners: class.lends_to_miners,
        sale_horizon_ticks: ((f64::from(class.liquidity.sale_horizon_weeks) * ticks_per_week)
            .round() as u32)
            .max(1),
        cash_buffer: class.liquidity.cash_buffer,
        deleveraging_pace: class.liquidity.deleveraging_pace,
        illiquidity_grace_ticks: (f64::from(class.liquidity.illiquidity_grace_weeks)
            * ticks_per_week)
            .round() as u32,
        max_risk_premium: class.liquidity.max_risk_premium,
    };
    let mut lender = Lender::new(params, funding);
    lender.equity = equity;
    lender.capital_ratio = equity / (equity + funding).max(1.0);
    world.entity_mut(entity).insert(lender);
    Ok(agent.id)
}

pub(crate) fn gen_id(w: &WorldFile, name: &str) -> GenId {
    GenId(
        w.generations
            .iter()
            .position(|g| g.name == name)
            .unwrap_or(0) as u16,
    )
}

/// Price per GPU a lot of `g` cost when bought on `date`.
pub(crate) fn price_on(w: &WorldFile, g: GenId, date: NaiveDate) -> f64 {
    let spec = &w.generations[g.0 as usize];
    let years = ((date - spec.release).num_days().max(0)) as f64 / 365.0;
    spec.list_price * (1.0 - spec.list_price_decline).powf(years)
}

fn spawn_operator(
    world: &mut World,
    w: &WorldFile,
    (index, class): (usize, &OperatorClass),
    name: &str,
    (lenders, pool_lender): (&[(AgentId, f64, bool, usize)], Option<AgentId>),
    note_holders: &[(AgentId, f64)],
    loan_rng: &mut ChaCha8Rng,
) -> Result<(), WorldError> {
    let mut rng = world
        .resource::<MasterSeed>()
        .stream(&format!("params/{name}"));
    let (a0, a1) = range::AMOUNT;
    let cash = class.cash.sample(&mut rng, a0, a1);
    let gpus = class.gpus.sample(&mut rng, 0.0, limit::GPUS);
    let leverage = class.leverage.sample(&mut rng, range::LTV.0, range::LTV.1);
    let spread = class.spread.sample(&mut rng, range::RATE.0, range::RATE.1);
    let power = class
        .power_price
        .sample(&mut rng, range::POWER.0, range::POWER.1);
    let spare = class.spare_racks.sample(&mut rng, 0.0, 10.0);
    let term_share = class.term_share.sample(&mut rng, 0.0, 1.0);
    let btc = class.btc.sample(&mut rng, a0, a1);
    let hashrate = class.hashrate_ph.sample(&mut rng, a0, a1);
    let j_per_th = class
        .mining_j_per_th
        .sample(&mut rng, range::J_PER_TH.0, range::J_PER_TH.1);
    let hurdle = class
        .hurdle_rate
        .sample(&mut rng, range::RATE.0, range::RATE.1);
    let tenor_years = class
        .tenor_years
        .sample(&mut rng, range::TENOR.0, range::TENOR.1);

    let g = gen_id(w, &class.fleet_generation);
    let lots = (gpus / f64::from(w.gpus_per_lot)).round() as u32;
    let cost = price_on(w, g, class.fleet_bought) * f64::from(w.gpus_per_lot) * f64::from(lots);
    let original_principal = leverage * cost;
    // A fleet bought before the start has paid down its loan since: what is outstanding
    // at tick 0 is the original principal less the scheduled amortisation to date.
    let bought_tick = tick_of(w.start, w.tick_days, class.fleet_bought);
    let tenor_ticks = world.resource::<Clock>().ticks_in_years(tenor_years);
    let amortisation = original_principal * class.amortising_share / f64::from(tenor_ticks.max(1));
    let elapsed = f64::from((-bought_tick).max(0)).min(f64::from(tenor_ticks));
    let principal = (original_principal - amortisation * elapsed).max(0.0);
    let kind = match class.kind {
        OperatorKind::Miner => AgentKind::Miner,
        OperatorKind::NeoCloud => AgentKind::NeoCloud,
    };
    let notes_principal: f64 = class
        .notes
        .iter()
        .flat_map(|n| &n.outstanding)
        .map(|n| n.share_of_fleet_cost * cost)
        .sum();
    if cost - principal - notes_principal < 0.0 {
        return Err(invalid(
            &format!("operators[{index}].notes.outstanding"),
            format!(
                "{name}'s starting loan (${principal:.0}) and notes (${notes_principal:.0}) exceed its fleet's cost (${cost:.0}): lower the notes' share_of_fleet_cost or the leverage"
            ),
        ));
    }
    let (agent, entity) = register(world, name, kind, cash + cost - principal - notes_principal);
    let n_gens = w.generations.len();
    if let Some(notes) = &class.notes {
        crate::capital_spawn::starting_notes(world, w, (index, notes), &agent, cost, note_holders)?;
    }

    if principal > 0.0 {
        let shares: Vec<(AgentId, f64)> = match pool_lender {
            Some(spv) => vec![(spv, 1.0)],
            None => draw_club(lenders, kind, name, principal, loan_rng)?,
        };
        let maturity = (bought_tick + tenor_ticks as i32).max(1) as u32;
        let cure = (f64::from(class.cure_weeks) * 7.0 / f64::from(w.tick_days)).round() as u32;
        let covenants = Covenants {
            max_ltv: class.covenant_ltv,
            min_dscr: class.covenant_dscr,
            cure_ticks: cure,
        };
        let loan = Loan::new(
            agent.id,
            shares.clone(),
            principal,
            spread,
            amortisation,
            0,
            maturity,
            covenants,
        );
        let loan_id = world.resource_mut::<LoanBook>().add(loan);
        for (lender, share) in &shares {
            // Lenders draw on their funders for what their cash does not cover.
            let entity = world.resource::<Directory>().entity(*lender);
            let account = world.resource::<Directory>().account(*lender);
            world.resource_scope(|world, mut ledger: Mut<Ledger>| {
                if let Some(mut l) = world.get_mut::<Lender>(entity) {
                    firesale_lender::draw_funding(&mut ledger, &mut l, account, principal * share);
                }
                ledger.transfer(account, agent.account, principal * share, "starting loan");
            });
        }
        buy_starting_fleet(world, &agent, g, lots, bought_tick, cost, Some(loan_id));
    } else {
        buy_starting_fleet(world, &agent, g, lots, bought_tick, cost, None);
    }
    let used_kw =
        f64::from(lots) * w.generations[g.0 as usize].kw_per_unit() * f64::from(w.gpus_per_lot);
    let liquid = w.generations[g.0 as usize].liquid_cooled;
    let racks = Racks::new(
        if liquid { 0.0 } else { used_kw },
        if liquid {
            used_kw * (1.0 + spare)
        } else {
            used_kw * spare
        },
    );
    let params = OperatorParams {
        rules: crate::rule_choice::operator_rules(class, *world.resource::<MasterSeed>(), name)
            .map_err(|e| invalid(&format!("operators[{index}].rules"), e))?,
        rack_cost_per_kw: class.rack_cost_per_kw,
        rack_build_weeks: (f64::from(class.rack_build_weeks) * 7.0 / f64::from(w.tick_days)).round()
            as u32,
        term_share,
        term_premium: class.term_premium,
        term_years: class.term_years,
        tenant_hazard: class.tenant_hazard,
        tenant_sensitivity: class.tenant_sensitivity,
        btc_sell_share: class.btc_sell_share,
        hurdle_rate: hurdle,
        cash_buffer_weeks: class.cash_buffer_weeks,
        repayment_buffer_weeks: class.repayment_buffer_weeks,
        max_growth: class.max_growth,
        overhead_per_gpu_year: class.overhead_per_gpu_year,
        resale: resale_params(&class.resale, w.tick_days),
        bill_grace_ticks: weeks_to_ticks(class.distress.bill_grace_weeks, w.tick_days),
        urgent_reserve: class.distress.urgent_reserve,
        calm_reserve: class.distress.calm_reserve,
        expected_price_floor: class.distress.expected_price_floor,
        distress_valuation_years: class.distress.valuation_years,
        trustee_sale_ticks: weeks_to_ticks(class.distress.trustee_sale_weeks, w.tick_days).max(1),
    };
    let expectations = RentExpectation::new(n_gens, class.expectation_weight, class.trend_weight);
    let issuer = class
        .notes
        .as_ref()
        .map(|n| crate::capital_spawn::issuer(n, world.resource::<Clock>()));
    let mut entity_mut = world.entity_mut(entity);
    entity_mut.insert((
        Operator::new(params, expectations),
        racks,
        PowerContract::own(power),
        Dispatch::default(),
        LeasedShare(0.0),
        TermLeases::default(),
        BorrowerBooks::default(),
        RackShortfall::default(),
        QueuedOrder::default(),
    ));
    if let Some(issuer) = issuer {
        entity_mut.insert((issuer, firesale_core::FundingGap::default()));
    }
    if kind == AgentKind::Miner {
        entity_mut.insert(Bitcoin {
            treasury: btc,
            hashrate_ph: hashrate,
            j_per_th,
            mining: false,
            kwh: 0.0,
        });
    }
    Ok(())
}

/// Below this a negative balance is floating-point rounding, not a shortfall, $.
const CENT: f64 = 0.01;

/// The club of a starting loan: up to three lenders that lend to the borrower's kind,
/// drawn by their initial book weight without replacement.
fn draw_club(
    lenders: &[(AgentId, f64, bool, usize)],
    kind: AgentKind,
    name: &str,
    principal: f64,
    loan_rng: &mut ChaCha8Rng,
) -> Result<Vec<(AgentId, f64)>, WorldError> {
    let eligible: Vec<_> = lenders
        .iter()
        .filter(|l| l.1 > 0.0 && (kind != AgentKind::Miner || l.2))
        .collect();
    if eligible.is_empty() {
        return Err(invalid(
            "lenders",
            format!(
                "{name} starts with debt but no lender with initial_book_weight > 0 lends to its kind"
            ),
        ));
    }
    // A club of up to three lenders, drawn by weight without replacement.
    let mut pool = eligible.clone();
    let mut club = Vec::new();
    let members = if principal > 2.0e8 { 3 } else { 1 };
    while club.len() < members && !pool.is_empty() {
        let total: f64 = pool.iter().map(|l| l.1).sum();
        let mut pick = loan_rng.random::<f64>() * total;
        let mut index = pool.len() - 1;
        for (i, l) in pool.iter().enumerate() {
            if pick < l.1 {
                index = i;
                break;
            }
            pick -= l.1;
        }
        club.push(pool.remove(index));
    }
    let weight: f64 = club.iter().map(|l| l.1).sum();
    Ok(club.iter().map(|l| (l.0, l.1 / weight)).collect())
}

/// Places each tenant of an operator class in its host's site: tenant n of the class
/// with agent n of the host class (wrapping round), for `share` of its rack capacity.
fn host_tenants(world: &mut World, w: &WorldFile, class: &OperatorClass, hosting: &HostingSpec) {
    let hosts = w
        .operators
        .iter()
        .find(|o| o.name == hosting.host)
        .map_or(0, |o| o.count);
    if hosts == 0 {
        return;
    }
    let ids: std::collections::BTreeMap<String, AgentId> = world
        .resource::<Directory>()
        .iter()
        .map(|a| (a.name.clone(), a.id))
        .collect();
    for k in 1..=class.count {
        let tenant = ids[&format!("{}-{k}", class.name)];
        let host = ids[&format!("{}-{}", hosting.host, (k - 1) % hosts + 1)];
        let entity = world.resource::<Directory>().entity(tenant);
        let mut tenant = world.entity_mut(entity);
        let share = hosting.share;
        if let Some(mut power) = tenant.get_mut::<PowerContract>() {
            power.hosting_fee_per_kwh = hosting.fee_per_kwh * share;
        }
        tenant.insert(firesale_miner::Hosted {
            host,
            fee_per_kwh: hosting.fee_per_kwh,
            share,
            arrears: 0.0,
            to_rebuild: 0.0,
        });
    }
}

fn spawn_buyer(
    world: &mut World,
    w: &WorldFile,
    class: &BuyerClass,
    ladder: &std::sync::Arc<[f64]>,
    index: usize,
    name: &str,
) -> Result<(), WorldError> {
    let rules = crate::rule_choice::buyer_rules(class, *world.resource::<MasterSeed>(), name)
        .map_err(|e| invalid(&format!("buyers[{index}].rules"), e))?;
    let mut rng = world
        .resource::<MasterSeed>()
        .stream(&format!("params/{name}"));
    let (a0, a1) = range::AMOUNT;
    let cash = class.cash.sample(&mut rng, a0, a1);
    let credit_line = class.credit_line.sample(&mut rng, a0, a1);
    let cost_of_capital = class
        .cost_of_capital
        .sample(&mut rng, range::RATE.0, range::RATE.1);
    let power = class
        .power_price
        .sample(&mut rng, range::POWER.0, range::POWER.1);
    let air_kw = class.air_kw.sample(&mut rng, 0.0, limit::KW);
    let liquid_kw = class.liquid_kw.sample(&mut rng, 0.0, limit::KW);
    let gpus = class.gpus.sample(&mut rng, 0.0, limit::GPUS);
    let income = class.outside_income_per_week.sample(&mut rng, a0, a1);

    let g = gen_id(w, &class.fleet_generation);
    let lots = (gpus / f64::from(w.gpus_per_lot)).round() as u32;
    let cost = price_on(w, g, class.fleet_bought) * f64::from(w.gpus_per_lot) * f64::from(lots);
    let (agent, entity) = register(world, name, AgentKind::Buyer, cash + cost);
    let bought_tick = tick_of(w.start, w.tick_days, class.fleet_bought);
    buy_starting_fleet(world, &agent, g, lots, bought_tick, cost, None);
    let spec = &w.generations[g.0 as usize];
    let used_kw = f64::from(lots) * spec.kw_per_unit() * f64::from(w.gpus_per_lot);
    // The starting fleet always fits: its racks are added to the drawn free capacity.
    let racks = Racks::new(
        air_kw + if spec.liquid_cooled { 0.0 } else { used_kw },
        liquid_kw + if spec.liquid_cooled { used_kw } else { 0.0 },
    );
    let params = BuyerParams {
        rules,
        credit_line,
        stress_credit_cut: class.stress_credit_cut,
        cost_of_capital,
        horizon_years: class.horizon_years,
        rack_cost_per_kw: class.rack_cost_per_kw,
        rack_build_weeks: (f64::from(class.rack_build_weeks) * 7.0 / f64::from(w.tick_days)).round()
            as u32,
        rack_budget_share: class.rack_budget_share,
        bid_ladder: std::sync::Arc::clone(ladder),
        max_lots_per_tick: class.max_lots_per_tick,
        buys_primary: class.buys_primary,
        outside_income_per_week: income,
        resale: resale_params(&class.resale, w.tick_days),
        credit_line_spread: class.credit_line_spread,
        cash_buffer_weeks: class.cash_buffer_weeks,
    };
    let expectations = RentExpectation::new(
        w.generations.len(),
        class.expectation_weight,
        class.trend_weight,
    );
    world.entity_mut(entity).insert((
        Buyer::new(params, expectations),
        racks,
        PowerContract::own(power),
        Dispatch::default(),
    ));
    Ok(())
}

/// A class's resale rule in ticks.
fn resale_params(spec: &ResaleSpec, tick_days: u32) -> ResaleParams {
    ResaleParams {
        margin: spec.margin,
        share_per_tick: (spec.share_per_week * f64::from(tick_days) / 7.0).min(1.0),
    }
}

/// The agent pays the vendor for its starting fleet, installed, and pledged to its loan if any.
pub(crate) fn buy_starting_fleet(
    world: &mut World,
    agent: &Agent,
    generation: GenId,
    lots: u32,
    bought_tick: i32,
    cost: f64,
    loan: Option<LoanId>,
) {
    world.resource_mut::<Ledger>().transfer(
        agent.account,
        External::Vendor.account(),
        cost,
        "starting fleet",
    );
    let mut fleet = world.resource_mut::<Fleet>();
    for _ in 0..lots {
        let lot = fleet.create(generation, agent.id, bought_tick);
        fleet.set_state(lot, LotState::Installed);
        fleet.pledge(lot, loan);
    }
}

fn exogenous_params(w: &WorldFile) -> ExogenousParams {
    let (d, b) = (&w.demand, &w.btc);
    ExogenousParams {
        demand_initial: d.initial,
        demand_growth: d.growth,
        efficiency_drift: d.efficiency_drift,
        demand_volatility: d.volatility,
        btc_initial: b.initial_price,
        btc_drift: b.drift,
        btc_volatility: b.volatility,
        jump_intensity: b.jump_intensity,
        jump_mean: b.jump_mean,
        jump_volatility: b.jump_volatility,
        correlation_calm: b.correlation_calm,
        correlation_stress: b.correlation_stress,
        stress_drawdown: b.stress_drawdown,
        hashrate_eh: b.network_hashrate_eh,
        hashrate_growth: b.hashrate_growth,
        fees_per_block: b.fees_per_block,
    }
}

fn compute_params(c: &ComputeSpec) -> ComputeParams {
    ComputeParams {
        reference_price: c.reference_price,
        elasticity: c.elasticity,
        price_cap: c.price_cap,
        availability: c.availability,
        opex_per_gpu_hour: c.opex_per_gpu_hour,
        benchmark_rate: c.benchmark_rate,
        benchmark_rent_growth: c.benchmark_rent_growth,
        benchmark_power_price: c.benchmark_power_price,
        forecast_gap_half_life_years: c.forecast_gap_half_life_years,
    }
}

/// A world that names a series must have had it read (by [`crate::load`] or
/// [`crate::read_replays`]): a run never silently falls back to the process.
fn check_replays_read(w: &WorldFile) -> Result<(), WorldError> {
    let r = &w.replays;
    let named = [
        (
            "btc.price_series",
            w.btc.price_series.is_some(),
            r.btc_price.is_some(),
        ),
        (
            "btc.hashrate_series",
            w.btc.hashrate_series.is_some(),
            r.hashrate_eh.is_some(),
        ),
        (
            "demand.series",
            w.demand.series.is_some(),
            r.demand.is_some(),
        ),
        ("rates.series", w.rates.series.is_some(), r.rate.is_some()),
        ("power.series", w.power.series.is_some(), r.power.is_some()),
    ];
    if let Some((field, ..)) = named.iter().find(|(_, named, read)| named != read) {
        return Err(crate::load::invalid(
            field,
            "names a series that was not read: load the world with firesale_world::load, or \
             call firesale_world::read_replays after changing it",
        ));
    }
    // The run may have changed since the series were read (start, ticks): a replay
    // never extrapolates.
    for (field, series) in r.fields() {
        if let Some(series) = series {
            series.check_covers(field, w.start, w.end_date())?;
        }
    }
    Ok(())
}

/// Spreads each scheduled shock evenly over its ticks; the rate path and halvings too.
pub fn scheduled_paths(w: &WorldFile, clock: &Clock) -> ScheduledPaths {
    let n = w.ticks as usize + 1;
    let mut paths = ScheduledPaths {
        demand_shock: vec![0.0; n],
        btc_shock: vec![0.0; n],
        power_shock: vec![0.0; n],
        rate: vec![w.rates.initial; n],
        stress: vec![false; n],
        subsidy: vec![w.btc.block_subsidy; n],
        replay: Default::default(),
    };
    let spread = |shocks: &[Shock], path: &mut Vec<f64>, stress: &mut Vec<bool>| {
        for s in shocks {
            let first = tick_of(w.start, w.tick_days, s.date).max(0) as usize;
            let ticks =
                ((f64::from(s.weeks) * 7.0 / f64::from(w.tick_days)).ceil() as usize).max(1);
            let per_tick = (1.0 + s.change).ln() / ticks as f64;
            for t in first..(first + ticks).min(n) {
                path[t] += per_tick;
                stress[t] |= s.stress;
            }
        }
    };
    spread(&w.demand.shocks, &mut paths.demand_shock, &mut paths.stress);
    spread(&w.btc.shocks, &mut paths.btc_shock, &mut paths.stress);
    spread(&w.power.shocks, &mut paths.power_shock, &mut paths.stress);
    for (t, rate) in paths.rate.iter_mut().enumerate() {
        let date = clock.date_of(t as u32);
        *rate += w
            .rates
            .moves
            .iter()
            .filter(|m| m.date <= date)
            .map(|m| m.change)
            .sum::<f64>();
    }
    // Replayed processes: the series on each tick's date, scheduled shocks on top (from
    // tick 1, as a drawn process takes them: tick 0 keeps the starting values).
    let dates: Vec<_> = (0..n).map(|t| clock.date_of(t as u32)).collect();
    let replay = |series: &Option<crate::Series>, shocks: &[f64]| -> Option<Vec<f64>> {
        let series = series.as_ref()?;
        let mut cumulative = 0.0;
        Some(
            dates
                .iter()
                .zip(shocks)
                .enumerate()
                .map(|(t, (date, shock))| {
                    if t > 0 {
                        cumulative += shock;
                    }
                    series.at(*date) * cumulative.exp()
                })
                .collect(),
        )
    };
    let r = &w.replays;
    paths.replay.btc_price = replay(&r.btc_price, &paths.btc_shock);
    paths.replay.demand = replay(&r.demand, &paths.demand_shock);
    paths.replay.power = replay(&r.power, &paths.power_shock);
    paths.replay.hashrate_eh = replay(&r.hashrate_eh, &vec![0.0; n]);
    if let Some(series) = &r.rate {
        for (t, rate) in paths.rate.iter_mut().enumerate() {
            *rate += series.at(dates[t]) - w.rates.initial;
        }
    }
    for (t, subsidy) in paths.subsidy.iter_mut().enumerate() {
        let date = clock.date_of(t as u32);
        let halvings = w.btc.halvings.iter().filter(|h| **h <= date).count();
        *subsidy /= 2f64.powi(halvings as i32);
    }
    paths
}
