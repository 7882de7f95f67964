//! The HTTP binding of b2a: axum routers per resource, extractors that verify capability tokens
//! and validate bodies against `schemas/`, and RFC 9457 problem responses.
//!
//! This is the only crate that knows HTTP. Handlers extract a verified grant and a validated
//! body, call one operation of [`b2a_app::Shop`], and map the result.

mod datadir;
mod error;
mod extract;
mod gate;
mod mcp;
mod ratelimit;
mod routes;
mod state;

pub use datadir::{DataDir, DataDirError, Identity, ShopSettings};
pub use error::ApiError;
pub use gate::AgentGate;
pub use ratelimit::{Rate, RateClass, RateLimits, RateState};
pub use routes::{Served, Unrouted, route_table, router};
pub use state::{AppState, GatewayConfig};

/// Serves `router` on `listener` until `shutdown` resolves.
pub async fn serve(
    listener: tokio::net::TcpListener,
    router: axum::Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let service = router.into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, service)
        .with_graceful_shutdown(shutdown)
        .await
}
