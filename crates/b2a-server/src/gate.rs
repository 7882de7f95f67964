//! A per-agent budget of concurrent operations (e.g. SPARQL queries): a permit is held for the
//! duration of one operation; an agent that already holds all of its permits is told to retry.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

/// Counts operations in flight per agent.
#[derive(Debug)]
pub struct AgentGate {
    per_agent: usize,
    in_flight: Mutex<HashMap<String, usize>>,
}

/// One operation in flight; dropping it frees the permit.
#[derive(Debug)]
pub struct Permit {
    gate: Arc<AgentGate>,
    agent: String,
}

impl AgentGate {
    /// A gate that lets each agent run `per_agent` operations at once.
    pub fn new(per_agent: usize) -> Arc<Self> {
        Arc::new(Self {
            per_agent,
            in_flight: Mutex::new(HashMap::new()),
        })
    }

    /// A permit, or `None` when `agent` already runs its share.
    pub fn enter(self: &Arc<Self>, agent: &str) -> Option<Permit> {
        let mut map = self
            .in_flight
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let n = map.entry(agent.to_owned()).or_insert(0);
        if *n >= self.per_agent {
            return None;
        }
        *n += 1;
        Some(Permit {
            gate: Arc::clone(self),
            agent: agent.to_owned(),
        })
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        let mut map = self
            .gate
            .in_flight
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(n) = map.get_mut(&self.agent) {
            *n -= 1;
            if *n == 0 {
                map.remove(&self.agent);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_agent_has_its_own_share() {
        let gate = AgentGate::new(2);
        let a1 = gate.enter("a");
        let a2 = gate.enter("a");
        assert!(a1.is_some() && a2.is_some());
        assert!(gate.enter("a").is_none(), "a third query of agent a waits");
        assert!(
            gate.enter("b").is_some(),
            "agent b is not slowed by agent a"
        );
        drop(a1);
        assert!(
            gate.enter("a").is_some(),
            "a finished query frees its permit"
        );
    }
}
