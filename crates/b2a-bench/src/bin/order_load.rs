//! Orders at full speed against a running gateway, and the check that what it acknowledged is
//! there exactly once.
//!
//! ```text
//! order-load run   BASE_URL TOKEN CONCURRENCY COUNT ACKS_FILE [SKU...]
//! order-load check BASE_URL TOKEN ACKS_FILE
//! ```
//!
//! `run` first prepares COUNT accepted one-unit quotes (untimed; the SKUs are taken in turn,
//! default a few demo SKUs), then places them with CONCURRENCY clients, each `POST /v1/orders`
//! with its own `Idempotency-Key`, and appends one line per order acknowledged with 201 to
//! ACKS_FILE (`key order_id quote_id sku amount`, flushed at once) — so the file holds what an
//! agent was told, even if the gateway dies mid-run. It prints the orders per second of the
//! placing phase; a refused connection ends its client quietly (the gateway was killed).
//!
//! With `ORDER_LOAD_GATEWAY_PID` set to the gateway's process id (on the same Linux machine),
//! `run` also prints what the placing phase cost the gateway per order: its CPU time (user and
//! system) and the bytes it wrote to storage (`/proc/PID/stat`, `/proc/PID/io`), counted from
//! when the gateway is idle after the quotes were prepared (2 s later) until it is idle again
//! after the last order (3 s later: background work such as the audit indexer's included).
//!
//! With `ORDER_LOAD_CALLGRIND=1` as well, the gateway running under
//! `valgrind --tool=callgrind --instr-atstart=no`, `run` switches callgrind's instrumentation on
//! for that same window (`callgrind_control -i on`) and dumps the counts at its end
//! (`callgrind_control -d`): the instructions the gateway executed for the placing phase, a
//! figure that repeats from run to run whatever else the machine is doing.
//!
//! `check` reads ACKS_FILE and asks the gateway: every acknowledged order exists, with its total;
//! replaying each key with its body returns that same order (`Idempotent-Replayed`), never a
//! second one; the token's spend equals the sum of its orders' totals. It prints what it found
//! and exits non-zero on any difference.

#![allow(clippy::print_stdout)] // a benchmark prints its figures

use std::collections::HashSet;
use std::io::Write;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use serde_json::{Value, json};

type Error = Box<dyn std::error::Error + Send + Sync>;

const DEFAULT_SKUS: [&str; 4] = [
    "VC-CHMCOAT-BLK-L",
    "VC-CHMCOAT-NVY-XL",
    "VC-CHMCOAT-GRN-S",
    "VC-ALPJKT-BLK-M",
];

fn main() -> ExitCode {
    let Ok(runtime) = tokio::runtime::Runtime::new() else {
        return ExitCode::FAILURE;
    };
    match runtime.block_on(run()) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("order-load: {e}");
            ExitCode::from(2)
        }
    }
}

struct Client {
    http: reqwest::Client,
    base: String,
    token: String,
}

impl Client {
    async fn send(
        &self,
        req: reqwest::RequestBuilder,
    ) -> Result<(reqwest::StatusCode, reqwest::header::HeaderMap, Value), Error> {
        let resp = req.bearer_auth(&self.token).send().await?;
        let status = resp.status();
        let headers = resp.headers().clone();
        let body = resp.json().await.unwrap_or(Value::Null);
        Ok((status, headers, body))
    }

    async fn post(&self, path: &str, body: &Value) -> Result<Value, Error> {
        let (status, _, body) = self
            .send(self.http.post(format!("{}{path}", self.base)).json(body))
            .await?;
        if !status.is_success() {
            return Err(format!("POST {path}: {status} {body}").into());
        }
        Ok(body)
    }

    async fn order(
        &self,
        key: &str,
        quote: &str,
    ) -> Result<(reqwest::StatusCode, bool, Value), Error> {
        let (status, headers, body) = self
            .send(
                self.http
                    .post(format!("{}/v1/orders", self.base))
                    .header("Idempotency-Key", key)
                    .json(&json!({"quote_id": quote})),
            )
            .await?;
        let replayed = headers.get("idempotent-replayed").is_some();
        Ok((status, replayed, body))
    }
}

async fn run() -> Result<bool, Error> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("run") if args.len() >= 6 => {
            let client = client(&args[1], &args[2]);
            let skus: Vec<String> = if args.len() > 6 {
                args[6..].to_vec()
            } else {
                DEFAULT_SKUS.iter().map(|s| (*s).to_owned()).collect()
            };
            place(client, args[3].parse()?, args[4].parse()?, &args[5], &skus).await?;
            Ok(true)
        }
        Some("check") if args.len() == 4 => check(client(&args[1], &args[2]), &args[3]).await,
        _ => Err("usage: order-load run BASE TOKEN CONCURRENCY COUNT ACKS [SKU...] | order-load check BASE TOKEN ACKS".into()),
    }
}

fn client(base: &str, token: &str) -> Arc<Client> {
    Arc::new(Client {
        http: reqwest::Client::new(),
        base: base.trim_end_matches('/').to_owned(),
        token: token.to_owned(),
    })
}

async fn place(
    client: Arc<Client>,
    concurrency: usize,
    count: usize,
    acks: &str,
    skus: &[String],
) -> Result<(), Error> {
    // Untimed: accepted quotes to order.
    let mut quotes = Vec::with_capacity(count);
    for i in 0..count {
        let sku = &skus[i % skus.len()];
        let q = client
            .post(
                "/v1/quotes",
                &json!({"lines": [{"sku": sku, "quantity": 1}], "ship_to": {"country": "FR"}}),
            )
            .await?;
        let id = q["id"].as_str().ok_or("quote without id")?.to_owned();
        client
            .post(&format!("/v1/quotes/{id}/accept"), &json!({}))
            .await?;
        quotes.push((id, sku.clone()));
    }
    let queue = Arc::new(Mutex::new(quotes));
    let file = Arc::new(Mutex::new(
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(acks)?,
    ));
    let gateway = std::env::var("ORDER_LOAD_GATEWAY_PID").ok();
    let before = match &gateway {
        Some(pid) => {
            tokio::time::sleep(std::time::Duration::from_secs(2)).await;
            callgrind(pid, &["-i", "on"])?;
            Some(ProcessCost::of(pid)?)
        }
        None => None,
    };
    let run = format!("{:x}", std::process::id());
    let started = Instant::now();
    let mut workers = Vec::new();
    for w in 0..concurrency {
        let (client, queue, file, run) = (
            Arc::clone(&client),
            Arc::clone(&queue),
            Arc::clone(&file),
            run.clone(),
        );
        workers.push(tokio::spawn(async move {
            let mut placed = 0_u64;
            let mut n = 0_u64;
            loop {
                let Some((quote, sku)) = queue.lock().map_err(|_| "poisoned")?.pop() else {
                    break;
                };
                n += 1;
                let key = format!("load-{run}-{w}-{n}");
                let (status, _, body) = match client.order(&key, &quote).await {
                    Ok(r) => r,
                    // The gateway is gone (killed): what was acknowledged is in the file.
                    Err(_) => break,
                };
                if status == reqwest::StatusCode::CREATED {
                    let line = format!(
                        "{key} {} {quote} {sku} {}\n",
                        body["id"].as_str().unwrap_or("?"),
                        body["total"]["amount"]
                    );
                    let mut f = file.lock().map_err(|_| "poisoned")?;
                    f.write_all(line.as_bytes())?;
                    f.flush()?;
                    placed += 1;
                } else if status != reqwest::StatusCode::CONFLICT {
                    return Err::<u64, Error>(format!("order: {status} {body}").into());
                }
            }
            Ok(placed)
        }));
    }
    let mut placed = 0;
    for w in workers {
        placed += w.await??;
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "placed {placed} orders in {secs:.2} s with {concurrency} clients: {:.0} orders/s",
        placed as f64 / secs
    );
    if let (Some(pid), Some(before)) = (&gateway, before) {
        tokio::time::sleep(std::time::Duration::from_secs(3)).await;
        let after = ProcessCost::of(pid)?;
        callgrind(pid, &["-d"])?;
        callgrind(pid, &["-i", "off"])?;
        let per_order = |a: u64, b: u64| a.saturating_sub(b) as f64 / placed.max(1) as f64;
        println!(
            "gateway per order: {:.0} us CPU, {:.0} bytes written",
            per_order(after.cpu_us, before.cpu_us),
            per_order(after.written, before.written)
        );
    }
    Ok(())
}

/// Sends `command` to the callgrind running process `pid`, when `ORDER_LOAD_CALLGRIND=1`.
fn callgrind(pid: &str, command: &[&str]) -> Result<(), Error> {
    if std::env::var("ORDER_LOAD_CALLGRIND").as_deref() != Ok("1") {
        return Ok(());
    }
    let status = std::process::Command::new("callgrind_control")
        .args(command)
        .arg(pid)
        .stdout(std::process::Stdio::null())
        .status()?;
    if !status.success() {
        return Err(format!("callgrind_control {command:?} {pid}: {status}").into());
    }
    Ok(())
}

/// What a process has cost so far: CPU time (user and system, µs) and bytes written to storage.
#[derive(Clone, Copy)]
struct ProcessCost {
    cpu_us: u64,
    written: u64,
}

impl ProcessCost {
    /// Read from `/proc/PID/stat` (fields 14 and 15, in clock ticks of 1/100 s on Linux) and
    /// `/proc/PID/io` (`write_bytes`).
    fn of(pid: &str) -> Result<Self, Error> {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
        // The fields after the command name, which is in parentheses: state is field 3.
        let after_name = stat.rsplit_once(')').ok_or("unreadable stat")?.1;
        let fields: Vec<&str> = after_name.split_whitespace().collect();
        let ticks = |i: usize| -> Result<u64, Error> {
            Ok(fields.get(i).ok_or("short stat")?.parse::<u64>()?)
        };
        let cpu_us = (ticks(11)? + ticks(12)?) * 10_000;
        let io = std::fs::read_to_string(format!("/proc/{pid}/io"))?;
        let written = io
            .lines()
            .find_map(|l| l.strip_prefix("write_bytes:"))
            .ok_or("no write_bytes")?
            .trim()
            .parse()?;
        Ok(Self { cpu_us, written })
    }
}

async fn check(client: Arc<Client>, acks: &str) -> Result<bool, Error> {
    let text = std::fs::read_to_string(acks)?;
    let mut ok = true;
    let mut seen = HashSet::new();
    let mut checked = 0;
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let f: Vec<&str> = line.split(' ').collect();
        let [key, order, quote, _sku, amount] = f[..] else {
            return Err(format!("bad line in {acks}: {line}").into());
        };
        if !seen.insert(order.to_owned()) {
            println!("order {order} acknowledged twice");
            ok = false;
        }
        let (status, _, body) = client
            .send(
                client
                    .http
                    .get(format!("{}/v1/orders/{order}", client.base)),
            )
            .await?;
        if status != reqwest::StatusCode::OK
            || body["total"]["amount"]
                .as_i64()
                .map(|a| a.to_string())
                .as_deref()
                != Some(amount)
        {
            println!("order {order}: {status} {body}");
            ok = false;
        }
        let (status, replayed, body) = client.order(key, quote).await?;
        if !(status == reqwest::StatusCode::CREATED && replayed && body["id"] == order) {
            println!("key {key}: {status} replayed={replayed} {}", body["id"]);
            ok = false;
        }
        checked += 1;
    }
    // Every order of the agent, and the token's spend.
    let mut all = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut url = format!("{}/v1/orders?limit=100", client.base);
        if let Some(c) = &cursor {
            url.push_str(&format!("&cursor={c}"));
        }
        let (_, _, page) = client.send(client.http.get(url)).await?;
        all.extend(page["items"].as_array().cloned().unwrap_or_default());
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    let live: i64 = all
        .iter()
        .filter(|o| {
            !["cancelled", "rejected", "refunded"].contains(&o["status"].as_str().unwrap_or(""))
        })
        .filter_map(|o| o["total"]["amount"].as_i64())
        .sum();
    let (_, _, status) = client
        .send(client.http.get(format!("{}/v1/tokens/self", client.base)))
        .await?;
    let spent = status["spent"]["amount"].as_i64().unwrap_or(-1);
    println!(
        "{checked} acknowledged orders: each there once, each key replays it; {} orders in all; spend {spent} = Σ totals {live}: {}",
        all.len(),
        if spent == live { "yes" } else { "NO" }
    );
    Ok(ok && spent == live)
}
