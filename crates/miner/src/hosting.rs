//! Hosting: part of a miner's fleet runs in another operator's site for a fee per kWh,
//! so the host's failure strands its tenants' rigs.

use crate::components::Operator;
use crate::growth::RackShortfall;
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
}

/// Phase 8: a tenant whose host has failed loses its hosted capacity. Rigs beyond its own
/// racks are switched off and stored (stranded) until it builds room or sells them; it
/// stops paying the host's fee and asks for the lost capacity to be rebuilt.
#[allow(clippy::type_complexity)]
pub fn strand_hosted_fleets(
    clock: Res<Clock>,
    gens: Res<Generations>,
    directory: Res<Directory>,
    mut fleet: ResMut<Fleet>,
    mut log: ResMut<EventLog>,
    operators: Query<&Operator>,
    mut tenants: Query<(
        &Agent,
        &mut Hosted,
        &mut Racks,
        &mut PowerContract,
        &mut RackShortfall,
    )>,
) {
    for (agent, mut hosted, mut racks, mut power, mut shortfall) in tenants
        .iter_mut()
        .sort_by_key::<&Agent, _>(|agent| agent.id)
    {
        if hosted.share <= 0.0 {
            continue;
        }
        let host_active = operators
            .get(directory.entity(hosted.host))
            .is_ok_and(|op| op.is_active());
        if host_active {
            continue;
        }
        let lost_air = racks.air_kw * hosted.share;
        let lost_liquid = racks.liquid_kw * hosted.share;
        racks.air_kw -= lost_air;
        racks.liquid_kw -= lost_liquid;
        let lost = lost_air + lost_liquid;
        hosted.share = 0.0;
        power.hosting_fee_per_kwh = 0.0;
        let stranded = racks.uninstall_excess(&mut fleet, &gens, agent.id);
        shortfall.0 += lost;
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
