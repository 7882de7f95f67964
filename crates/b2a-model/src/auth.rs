use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::ModelError;

/// Who holds a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// A third-party shopping agent acting for a person.
    Agent,
    /// The brand's operator.
    Operator,
    /// A read-only auditor.
    Auditor,
}

impl Role {
    /// Every role, in declaration order.
    pub const ALL: [Role; 3] = [Role::Agent, Role::Operator, Role::Auditor];

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Agent => "agent",
            Role::Operator => "operator",
            Role::Auditor => "auditor",
        }
    }

    /// The capabilities a token of this role may carry. Issuance refuses any other, and
    /// verification refuses a token that claims one.
    pub fn allowed(self) -> &'static [Capability] {
        use Capability::*;
        match self {
            Role::Agent => &[
                CatalogRead,
                CatalogSparql,
                QuotesWrite,
                OrdersWrite,
                OrdersRead,
                OrdersCancel,
                ReturnsWrite,
                PrivacySelf,
            ],
            Role::Operator => &[CatalogRead, CatalogSparql, OrdersRead, AuditRead, Admin],
            Role::Auditor => &[AuditRead],
        }
    }

    /// What a token of this role carries when the issuer names no capability: everything it
    /// may carry but `privacy:self`, which an issuer grants on purpose.
    pub fn default_capabilities(self) -> Vec<Capability> {
        self.allowed()
            .iter()
            .copied()
            .filter(|c| *c != Capability::PrivacySelf)
            .collect()
    }
}

impl FromStr for Role {
    type Err = ModelError;
    fn from_str(s: &str) -> Result<Self, ModelError> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| {
                ModelError::invalid(
                    "role",
                    format!("`{s}` is not one of agent, operator, auditor"),
                )
            })
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One thing a token allows its holder to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Capability {
    /// Search and read the published catalog.
    CatalogRead,
    /// Run read-only SPARQL over the published catalog.
    CatalogSparql,
    /// Ask for quotes and read one's own quotes.
    QuotesWrite,
    /// Place orders from one's own quotes.
    OrdersWrite,
    /// Read one's own orders.
    OrdersRead,
    /// Cancel one's own orders before shipment.
    OrdersCancel,
    /// Ask to return one's own delivered orders.
    ReturnsWrite,
    /// Read everything held about the principal the token acts for (an access request).
    PrivacySelf,
    /// Read the audit log.
    AuditRead,
    /// Operate the gateway: catalog, agents, tokens, approvals.
    Admin,
}

impl Capability {
    /// Every capability, in declaration order.
    pub const ALL: [Capability; 10] = [
        Capability::CatalogRead,
        Capability::CatalogSparql,
        Capability::QuotesWrite,
        Capability::OrdersWrite,
        Capability::OrdersRead,
        Capability::OrdersCancel,
        Capability::ReturnsWrite,
        Capability::PrivacySelf,
        Capability::AuditRead,
        Capability::Admin,
    ];

    /// The wire name, e.g. `orders:write`.
    pub fn as_str(self) -> &'static str {
        match self {
            Capability::CatalogRead => "catalog:read",
            Capability::CatalogSparql => "catalog:sparql",
            Capability::QuotesWrite => "quotes:write",
            Capability::OrdersWrite => "orders:write",
            Capability::OrdersRead => "orders:read",
            Capability::OrdersCancel => "orders:cancel",
            Capability::ReturnsWrite => "returns:write",
            Capability::PrivacySelf => "privacy:self",
            Capability::AuditRead => "audit:read",
            Capability::Admin => "admin",
        }
    }
}

impl FromStr for Capability {
    type Err = ModelError;
    fn from_str(s: &str) -> Result<Self, ModelError> {
        Capability::ALL
            .into_iter()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| {
                let known: Vec<_> = Capability::ALL.iter().map(|c| c.as_str()).collect();
                ModelError::invalid(
                    "capability",
                    format!("`{s}` is not a capability; known: {}", known.join(", ")),
                )
            })
    }
}

impl TryFrom<String> for Capability {
    type Error = ModelError;
    fn try_from(s: String) -> Result<Self, ModelError> {
        s.parse()
    }
}

impl From<Capability> for String {
    fn from(c: Capability) -> String {
        c.as_str().to_owned()
    }
}

impl fmt::Display for Capability {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for c in Capability::ALL {
            assert_eq!(c.as_str().parse::<Capability>(), Ok(c));
        }
        for r in Role::ALL {
            assert_eq!(r.as_str().parse::<Role>(), Ok(r));
        }
        assert!("orders:delete".parse::<Capability>().is_err());
    }

    #[test]
    fn privacy_self_is_granted_on_purpose_only() {
        assert!(Role::Agent.allowed().contains(&Capability::PrivacySelf));
        assert!(
            !Role::Agent
                .default_capabilities()
                .contains(&Capability::PrivacySelf)
        );
        assert_eq!(
            Role::Agent.default_capabilities().len(),
            Role::Agent.allowed().len() - 1
        );
        assert!(!Role::Operator.allowed().contains(&Capability::PrivacySelf));
    }

    #[test]
    fn auditors_only_read_the_audit_log() {
        assert_eq!(Role::Auditor.allowed(), &[Capability::AuditRead]);
        assert!(!Role::Agent.allowed().contains(&Capability::AuditRead));
        assert!(!Role::Agent.allowed().contains(&Capability::Admin));
    }
}
