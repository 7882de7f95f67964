//! `token-verify [N]`: what verifying a capability token costs, cold and cached.
//!
//! Issues N distinct agent tokens (with limits, as an operator would) and verifies each once on
//! a fresh service (cold: header, EdDSA signature, claims), then verifies one token N times
//! (cached: the SHA-256 of the text looked up, the validity window checked again). Prints the
//! mean cost of each and their ratio. Single-threaded; N defaults to 20000.

#![allow(clippy::print_stdout)] // a benchmark prints its figures

use std::process::ExitCode;
use std::time::{Duration, Instant};

use std::sync::Arc;

use b2a_app::Governance;
use b2a_ledger::SqliteLedger;
use b2a_model::{AgentId, Currency, Limits, Role};
use b2a_trust::{IssueRequest, KeyRing, TokenService};

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("token-verify: {e}");
            ExitCode::FAILURE
        }
    }
}

fn per_op(total: Duration, n: u32) -> f64 {
    total.as_secs_f64() * 1e9 / f64::from(n)
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let n: u32 = match std::env::args().nth(1) {
        Some(text) => text.parse()?,
        None => 20_000,
    };
    let dir = tempfile::tempdir()?;
    let url = "https://brand.example";
    let issuer = TokenService::new(KeyRing::open_or_create(dir.path())?, url, url);
    let agent = AgentId::parse("bench-agent")?;
    let mut req = IssueRequest::new(Role::Agent, agent, vec![], Duration::from_secs(3600));
    req.limits = Limits {
        currency: Some(Currency::EUR),
        per_order: Some(20_000),
        total: Some(30_000),
        max_orders_per_day: Some(10),
        ..Limits::default()
    };
    let tokens = (0..n)
        .map(|_| issuer.issue(&req).map(|t| t.token))
        .collect::<Result<Vec<_>, _>>()?;

    let verifier = TokenService::new(KeyRing::open_or_create(dir.path())?, url, url);
    let started = Instant::now();
    for t in &tokens {
        verifier.verify(t)?;
    }
    let cold = per_op(started.elapsed(), n);

    let one = &tokens[0];
    let started = Instant::now();
    for _ in 0..n {
        verifier.verify(one)?;
    }
    let cached = per_op(started.elapsed(), n);

    // The per-request check of a gateway: verification (cached) and standing (revoked?
    // suspended?) against a real embedded ledger.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let admitted = runtime.block_on(async {
        let ledger = SqliteLedger::open(&dir.path().join("ledger.sqlite")).await?;
        let gov = Governance::new(Arc::new(ledger), Arc::new(verifier));
        gov.admit(one).await?;
        let started = Instant::now();
        for _ in 0..n {
            gov.admit(one).await?;
        }
        Ok::<_, Box<dyn std::error::Error>>(per_op(started.elapsed(), n))
    })?;

    println!("token verification, {n} tokens (one thread)");
    println!("  cold   (signature checked): {:>9.0} ns/token", cold);
    println!("  cached (hash lookup)      : {:>9.0} ns/token", cached);
    println!("  cold / cached             : {:>9.1}x", cold / cached);
    println!("  cached + standing check   : {:>9.0} ns/request", admitted);
    Ok(())
}
