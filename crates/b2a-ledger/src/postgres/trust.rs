//! The trust stamp of a PostgreSQL ledger: every committed revocation, suspension or
//! reactivation sends `NOTIFY b2a_trust` (delivered at commit, to every listening session of the
//! database); each [`super::PostgresLedger`] keeps a listening connection in a background task
//! and counts the notifications that concern its schema.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde_json::json;
use sqlx::postgres::{PgConnectOptions, PgListener, PgPoolOptions};
use tokio::task::JoinHandle;

/// The channel trust changes are announced on.
pub(super) const CHANNEL: &str = "b2a_trust";

/// The longest wait between two attempts to reconnect a lost listener.
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// The stamp of one ledger handle and the task that moves it.
///
/// The stamp moves by one for each trust change committed through another handle on the same
/// schema (this process or another), as its notification arrives; by one for each change
/// committed through this handle, right after its commit (this handle's own notifications are
/// recognized by their origin and not counted twice); and by one whenever the listening
/// connection was lost and made again, since notifications sent meanwhile are lost.
#[derive(Debug)]
pub(super) struct TrustWatch {
    stamp: Arc<AtomicU64>,
    payload: String,
    task: JoinHandle<()>,
}

impl Drop for TrustWatch {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Whose notification it is: the schema of the ledger that committed the change, and the handle.
#[derive(Debug, Clone)]
struct Origin {
    schema: String,
    handle: String,
}

impl Origin {
    fn payload(&self) -> String {
        json!({"schema": self.schema, "origin": self.handle}).to_string()
    }

    /// Whether a notification with `payload` should move this handle's stamp: it was sent for
    /// this schema by another handle. A payload of an unknown shape counts (erring on the side of
    /// a reload).
    fn counts(&self, payload: &str) -> bool {
        let Ok(sent) = serde_json::from_str::<serde_json::Value>(payload) else {
            return true;
        };
        match (sent["schema"].as_str(), sent["origin"].as_str()) {
            (Some(schema), Some(handle)) => schema == self.schema && handle != self.handle,
            _ => true,
        }
    }
}

impl TrustWatch {
    /// Starts listening (the `LISTEN` is in place when this returns, so no change committed
    /// afterwards is missed) for the ledger in `schema`, connecting with `options`.
    pub(super) async fn start(
        options: &PgConnectOptions,
        schema: &str,
    ) -> Result<Self, sqlx::Error> {
        let origin = Origin {
            schema: schema.to_owned(),
            handle: uuid::Uuid::new_v4().to_string(),
        };
        let options = options
            .clone()
            .application_name(&format!("b2a-trust {schema}"));
        let listener = listen(&options).await?;
        let stamp = Arc::new(AtomicU64::new(0));
        let payload = origin.payload();
        let task = tokio::spawn(watch(listener, options, origin, Arc::clone(&stamp)));
        Ok(Self {
            stamp,
            payload,
            task,
        })
    }

    /// The current stamp.
    pub(super) fn stamp(&self) -> u64 {
        self.stamp.load(Ordering::Acquire)
    }

    /// Moves the stamp for a change this handle committed.
    pub(super) fn bump(&self) {
        self.stamp.fetch_add(1, Ordering::AcqRel);
    }

    /// The payload of this handle's notifications.
    pub(super) fn payload(&self) -> &str {
        &self.payload
    }
}

/// A listening connection of its own (a pool of one, which the listener reconnects through).
async fn listen(options: &PgConnectOptions) -> Result<PgListener, sqlx::Error> {
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .min_connections(0)
        .max_lifetime(None)
        .idle_timeout(None)
        .acquire_timeout(Duration::from_secs(10))
        .connect_with(options.clone())
        .await?;
    let mut listener = PgListener::connect_with(&pool).await?;
    listener.listen(CHANNEL).await?;
    Ok(listener)
}

/// Counts the notifications that concern this handle, until the handle is dropped.
async fn watch(
    mut listener: PgListener,
    options: PgConnectOptions,
    origin: Origin,
    stamp: Arc<AtomicU64>,
) {
    loop {
        match listener.try_recv().await {
            Ok(Some(notification)) => {
                if origin.counts(notification.payload()) {
                    stamp.fetch_add(1, Ordering::AcqRel);
                }
            }
            // The connection was lost and made again: changes may have been missed.
            Ok(None) => {
                tracing::warn!("the trust listener reconnected; notifications may have been lost");
                stamp.fetch_add(1, Ordering::AcqRel);
            }
            Err(e) => {
                tracing::warn!(error = %e, "the trust listener failed; reconnecting");
                listener = reconnect(&options).await;
                stamp.fetch_add(1, Ordering::AcqRel);
            }
        }
    }
}

/// A new listener, retrying with a growing pause until one connects.
async fn reconnect(options: &PgConnectOptions) -> PgListener {
    let mut pause = Duration::from_millis(50);
    loop {
        tokio::time::sleep(pause).await;
        match listen(options).await {
            Ok(listener) => return listener,
            Err(e) => {
                tracing::warn!(error = %e, "the trust listener cannot reconnect yet");
                pause = (pause * 2).min(MAX_BACKOFF);
            }
        }
    }
}
