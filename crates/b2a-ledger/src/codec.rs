//! How both backends turn stored values into the ledger's types and back: JSON bodies, Unix
//! times, and the error a value that does not decode is (the store is corrupt, not the caller).

use time::OffsetDateTime;

use crate::LedgerError;

pub(crate) fn corrupt(e: impl std::fmt::Display) -> LedgerError {
    LedgerError::Corrupt(e.to_string())
}

pub(crate) fn instant(unix: i64) -> Result<OffsetDateTime, LedgerError> {
    OffsetDateTime::from_unix_timestamp(unix).map_err(corrupt)
}

pub(crate) fn decode<T: serde::de::DeserializeOwned>(body: &str) -> Result<T, LedgerError> {
    serde_json::from_str(body).map_err(corrupt)
}

pub(crate) fn encode<T: serde::Serialize>(value: &T) -> Result<String, LedgerError> {
    serde_json::to_string(value).map_err(corrupt)
}
