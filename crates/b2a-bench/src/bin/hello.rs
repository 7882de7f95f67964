//! `hello [HOST:PORT]`: an axum hello-world, the ceiling `scripts/bench` compares the gateway's
//! product detail throughput with.
//!
//! It runs on the same runtime as the `b2a` binary (tokio multi-threaded, one worker per core,
//! built the same way in `main`) and answers `GET /` (and `GET /healthz`) with a short JSON
//! document serialized by serde_json, so that the difference with the gateway is the gateway's
//! own work: middleware, token verification, the catalog lookup and JSON-LD rendering.
//! Listens on 127.0.0.1:8799 by default; stops on Ctrl-C.

use std::net::SocketAddr;
use std::process::ExitCode;

use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};

async fn hello() -> Json<Value> {
    Json(json!({"hello": "world", "status": "ok"}))
}

fn main() -> ExitCode {
    let arg = std::env::args().nth(1);
    let addr: SocketAddr = match arg.as_deref().unwrap_or("127.0.0.1:8799").parse() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("usage: hello [HOST:PORT]: {e}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let served = runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let app = Router::new()
            .route("/", get(hello))
            .route("/healthz", get(hello));
        axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = tokio::signal::ctrl_c().await;
            })
            .await
    });
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {addr}: {e}");
            ExitCode::FAILURE
        }
    }
}
