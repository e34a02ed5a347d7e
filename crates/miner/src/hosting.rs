//! Hosting: part of a miner's fleet runs in another operator's site for a fee per kWh,
//! so the host's failure strands its tenants' rigs.

use crate::components::Operator;
use firesale_core::prelude::*;

/// Capacity an operator rents in a host's site.
#[derive(Component, Debug, Clone)]
pub struct Hosted {
    /// The host.
    pub host: AgentId,
    /// Fee per kWh run in the host's site, $.
    pub fee_per_kwh: f64,
    /// Share of the tenant's rack capacity in the host's sites (capacity it adds while
    /// hosted is added there too); 0 once the host has failed.
    pub share: f64,
    /// Fees owed to the host and not yet paid, $ (paid before the next week's fee;
    /// written off if the host fails).
    pub arrears: f64,
    /// Capacity lost with a failed host that the tenant means to rebuild, kW.
    pub to_rebuild: f64,
}

/// Phase 8: a tenant whose host has failed loses its hosted capacity. Rigs beyond its own
/// racks are switched off and stored (stranded) until it rebuilds room or sells them; it
/// stops paying the host's fee (what it owed is written off with the host) and rebuilds
/// the lost capacity as soon as its spare cash pays for it.
#[allow(clippy::type_complexity)]
pub fn strand_hosted_fleets(
    clock: Res<Clock>,
    gens: Res<Generations>,
    directory: Res<Directory>,
    mut ledger: ResMut<Ledger>,
    mut fleet: ResMut<Fleet>,
    mut log: ResMut<EventLog>,
    mut operators: Query<(
        &Agent,
        &Operator,
        Option<&mut Hosted>,
        &mut Racks,
        &mut PowerContract,
    )>,
) {
    let active: Vec<bool> = {
        let mut active = Vec::new();
        for (agent, op, ..) in operators.iter() {
            let i = agent.id.0 as usize;
            if active.len() <= i {
                active.resize(i + 1, true);
            }
            active[i] = op.is_active();
        }
        active
    };
    for (agent, op, hosted, mut racks, mut power) in operators
        .iter_mut()
        .sort_by_key::<&Agent, _>(|agent| agent.id)
    {
        let Some(mut hosted) = hosted else {
            continue;
        };
        if hosted.to_rebuild > 0.0 && op.is_active() {
            rebuild(agent, op, &mut hosted, &mut racks, &mut ledger, &clock);
        }
        if hosted.share <= 0.0 || active.get(hosted.host.0 as usize).copied().unwrap_or(true) {
            continue;
        }
        let lost_air = racks.air_kw * hosted.share;
        let lost_liquid = racks.liquid_kw * hosted.share;
        racks.air_kw -= lost_air;
        racks.liquid_kw -= lost_liquid;
        let lost = lost_air + lost_liquid;
        hosted.share = 0.0;
        hosted.arrears = 0.0;
        hosted.to_rebuild = lost;
        power.hosting_fee_per_kwh = 0.0;
        let stranded = racks.uninstall_excess(&mut fleet, &gens, agent.id);
        log.push(
            &clock,
            EventKind::HostingLost,
            vec![agent.name.clone(), directory.name(hosted.host).to_string()],
            0.0,
            stranded,
            None,
            format!(
                "host failed: {:.1} MW of hosted capacity lost, {stranded} lots stranded",
                lost / 1000.0
            ),
        );
    }
}

/// Builds the capacity a tenant lost with its host when its cash beyond its buffer pays
/// for it, at its class's cost and build time.
fn rebuild(
    agent: &Agent,
    op: &Operator,
    hosted: &mut Hosted,
    racks: &mut Racks,
    ledger: &mut Ledger,
    clock: &Clock,
) {
    if crate::growth::build_racks(agent, op, racks, ledger, clock, hosted.to_rebuild) {
        hosted.to_rebuild = 0.0;
    }
}
