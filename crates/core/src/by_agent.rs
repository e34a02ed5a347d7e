//! Ids listed by agent: a borrower's or lender's loans, an issuer's notes. Each agent's
//! list sits at its id in one vector, so finding it is an index, not a scan of every
//! loan or note ever made (which, done for every agent every week, would grow with the
//! square of the world).

use crate::agents::AgentId;

/// The ids listed for `agent` (none if it has none).
pub(crate) fn listed<T>(index: &[Vec<T>], agent: AgentId) -> &[T] {
    index.get(agent.0 as usize).map_or(&[], |v| v.as_slice())
}

/// Lists `id` for `agent`, once. Ids are added in increasing order, so each list is
/// sorted.
pub(crate) fn list<T: PartialEq>(index: &mut Vec<Vec<T>>, agent: AgentId, id: T) {
    let i = agent.0 as usize;
    if index.len() <= i {
        index.resize_with(i + 1, Vec::new);
    }
    if index[i].last() != Some(&id) {
        index[i].push(id);
    }
}
