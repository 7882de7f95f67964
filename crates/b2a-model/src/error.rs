/// A value that does not satisfy the rules of its domain type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ModelError {
    /// The text is not a well-formed value of the named kind.
    #[error("invalid {kind}: {reason}")]
    Invalid {
        /// The kind of value, e.g. `sku` or `currency`.
        kind: &'static str,
        /// What is wrong, in words a person can act on.
        reason: String,
    },
    /// Two amounts in different currencies were combined.
    #[error("currency mismatch: {left} and {right}")]
    CurrencyMismatch {
        /// Currency of the left operand.
        left: &'static str,
        /// Currency of the right operand.
        right: &'static str,
    },
    /// An amount left the range of a 64-bit count of minor units.
    #[error("amount overflow")]
    Overflow,
}

impl ModelError {
    pub(crate) fn invalid(kind: &'static str, reason: impl Into<String>) -> Self {
        Self::Invalid {
            kind,
            reason: reason.into(),
        }
    }
}
