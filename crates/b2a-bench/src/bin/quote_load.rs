//! `quote-load BASE_URL TOKEN [CONCURRENCY] [SECONDS] [LINES]`: quote and counter latency under
//! concurrency, against a running gateway.
//!
//! Picks LINES (10) distinct in-stock SKUs from the catalog, then runs CONCURRENCY (8) clients
//! for SECONDS (10), each in a loop: `POST /v1/quotes` for one unit of every SKU, then
//! `POST /v1/quotes/{id}/counter` at 95 % of its total. Every answer must be a success. Prints
//! one line per operation (and one for the pair of both): count, rate, p50, p90, p99 and max
//! latency in milliseconds.

#![allow(clippy::print_stdout)] // a benchmark prints its figures

use std::process::ExitCode;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

fn main() -> ExitCode {
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("quote-load: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("quote-load: {e}");
            ExitCode::FAILURE
        }
    }
}

type Error = Box<dyn std::error::Error + Send + Sync>;

struct Client {
    http: reqwest::Client,
    base: String,
    token: String,
}

impl Client {
    async fn post(&self, path: &str, body: &Value) -> Result<Value, Error> {
        let resp = self
            .http
            .post(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .json(body)
            .send()
            .await?;
        let status = resp.status();
        let body: Value = resp.json().await?;
        if !status.is_success() {
            return Err(format!("POST {path}: {status} {body}").into());
        }
        Ok(body)
    }
}

/// Latencies of one kind of request.
#[derive(Default)]
struct Samples(Vec<Duration>);

impl Samples {
    fn report(&mut self, name: &str, elapsed: Duration) {
        self.0.sort_unstable();
        let n = self.0.len();
        let at = |q: f64| {
            let i = ((n as f64 * q).ceil() as usize).clamp(1, n.max(1)) - 1;
            self.0.get(i).map_or(0.0, |d| d.as_secs_f64() * 1e3)
        };
        println!(
            "{name:<8} {n:>7} requests  {:>8.1}/s  p50 {:>7.2} ms  p90 {:>7.2} ms  p99 {:>7.2} ms  max {:>7.2} ms",
            n as f64 / elapsed.as_secs_f64(),
            at(0.50),
            at(0.90),
            at(0.99),
            at(1.0)
        );
    }
}

async fn run() -> Result<(), Error> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [base, token, rest @ ..] = &args[..] else {
        return Err("usage: quote-load BASE_URL TOKEN [CONCURRENCY] [SECONDS] [LINES]".into());
    };
    let number = |i: usize, default: u64| -> Result<u64, Error> {
        rest.get(i).map_or(Ok(default), |t| Ok(t.parse()?))
    };
    let concurrency = number(0, 8)?;
    let seconds = number(1, 10)?;
    let lines = number(2, 10)?;
    let client = std::sync::Arc::new(Client {
        http: reqwest::Client::new(),
        base: base.clone(),
        token: token.clone(),
    });

    let page: Value = client
        .http
        .get(format!("{base}/v1/products?in_stock=true&limit=100"))
        .bearer_auth(token)
        .send()
        .await?
        .json()
        .await?;
    let skus: Vec<Value> = page["items"]
        .as_array()
        .ok_or("no items in the catalog")?
        .iter()
        .filter(|i| i["availability"] == "InStock")
        .map(|i| i["sku"].clone())
        .take(usize::try_from(lines)?)
        .collect();
    if skus.len() < usize::try_from(lines)? {
        return Err(format!("only {} in-stock SKUs", skus.len()).into());
    }
    let request = json!({
        "lines": skus.iter().map(|s| json!({"sku": s, "quantity": 1})).collect::<Vec<_>>(),
        "ship_to": {"country": "FR"},
    });

    let deadline = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..concurrency {
        let client = std::sync::Arc::clone(&client);
        let request = request.clone();
        workers.push(tokio::spawn(async move {
            let (mut quotes, mut counters) = (Samples::default(), Samples::default());
            let mut pairs = Samples::default();
            while Instant::now() < deadline {
                let t = Instant::now();
                let quote = client.post("/v1/quotes", &request).await?;
                quotes.0.push(t.elapsed());
                let pair = t;
                let id = quote["id"].as_str().ok_or("quote without id")?;
                let total = quote["total"]["amount"].as_i64().ok_or("quote without total")?;
                let counter = json!({"target_total": {"amount": total * 95 / 100, "currency": quote["total"]["currency"]}});
                let t = Instant::now();
                client.post(&format!("/v1/quotes/{id}/counter"), &counter).await?;
                counters.0.push(t.elapsed());
                pairs.0.push(pair.elapsed());
            }
            Ok::<_, Error>((quotes, counters, pairs))
        }));
    }
    let (mut quotes, mut counters) = (Samples::default(), Samples::default());
    let mut pairs = Samples::default();
    for w in workers {
        let (q, c, p) = w.await??;
        quotes.0.extend(q.0);
        counters.0.extend(c.0);
        pairs.0.extend(p.0);
    }
    let elapsed = started.elapsed();
    println!("{lines}-line quotes, {concurrency} clients, {seconds} s");
    quotes.report("quote", elapsed);
    counters.report("counter", elapsed);
    pairs.report("pair", elapsed);
    Ok(())
}
