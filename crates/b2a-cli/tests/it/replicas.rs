//! Two gateway processes on one PostgreSQL ledger, raced through both: stock is never oversold,
//! one idempotency key places one order, a budget is never exceeded, a revocation through one
//! replica is refused by the other, and both sign one audit log with one key. Runs when `B2A_TEST_POSTGRES_URL` names a server (CI sets
//! it); each run uses a schema of its own.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::{b2a, free_port, start, text, token_from};

/// Minimal HTTP/1.1 request with a JSON body; returns (status, body as JSON or null).
fn call(
    port: u16,
    method: &str,
    path: &str,
    token: &str,
    headers: &[(&str, &str)],
    body: &Value,
) -> (u16, Value) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    let body = body.to_string();
    let extra: String = headers
        .iter()
        .map(|(k, v)| format!("{k}: {v}\r\n"))
        .collect();
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n{extra}Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .expect("send");
    let mut resp = String::new();
    s.read_to_string(&mut resp).expect("read");
    let status = resp
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .expect("status line");
    let body = resp
        .split_once("\r\n\r\n")
        .and_then(|(_, b)| serde_json::from_str(b).ok())
        .unwrap_or(Value::Null);
    (status, body)
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

/// Runs `f(i)` on `n` threads at once; returns their results in order.
fn race<T: Send + 'static>(n: usize, f: impl Fn(usize) -> T + Send + Sync + 'static) -> Vec<T> {
    let f = Arc::new(f);
    let barrier = Arc::new(std::sync::Barrier::new(n));
    let handles: Vec<_> = (0..n)
        .map(|i| {
            let (f, barrier) = (Arc::clone(&f), Arc::clone(&barrier));
            std::thread::spawn(move || {
                barrier.wait();
                f(i)
            })
        })
        .collect();
    handles
        .into_iter()
        .map(|h| h.join().expect("thread"))
        .collect()
}

/// An accepted quote of one unit of `sku`, asked through `port`.
fn accepted_quote(port: u16, token: &str, sku: &str) -> String {
    let (status, q) = call(
        port,
        "POST",
        "/v1/quotes",
        token,
        &[],
        &json!({"lines": [{"sku": sku, "quantity": 1}], "ship_to": {"country": "FR"}}),
    );
    assert_eq!(status, 201, "{q}");
    let id = q["id"].as_str().expect("id").to_owned();
    let (status, _) = call(
        port,
        "POST",
        &format!("/v1/quotes/{id}/accept"),
        token,
        &[],
        &json!({}),
    );
    assert_eq!(status, 200);
    id
}

#[test]
fn two_replicas_on_one_postgres_ledger_keep_every_invariant() {
    let Ok(url) = std::env::var("B2A_TEST_POSTGRES_URL") else {
        eprintln!("skipped: B2A_TEST_POSTGRES_URL is not set");
        return;
    };
    let schema = format!(
        "replicas_{}_{}",
        std::process::id(),
        Instant::now().elapsed().as_nanos()
    );
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let pool = sqlx::PgPool::connect(&url).await.expect("postgres");
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
            .execute(&pool)
            .await
            .expect("schema");
    });
    let sep = if url.contains('?') { '&' } else { '?' };
    let ledger = format!("{url}{sep}options=-c%20search_path%3D{schema}");

    let dir = tempfile::tempdir().expect("tempdir");
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    let flags = [
        "--ledger",
        ledger.as_str(),
        "--max-orders-per-hour",
        "0",
        "--rate",
        "orders=100000,quotes=100000,admin=100000",
    ];
    // The first replica's directory, made by `demo` (catalog, keys, identity; stock and agents go
    // to PostgreSQL), copied while no gateway runs: both replicas sign and verify alike.
    drop(start("demo", &a, free_port(), &flags));
    copy_dir(&a, &b);
    let (p1, p2) = (free_port(), free_port());
    let _g1 = start("serve", &a, p1, &flags);
    let _g2 = start("serve", &b, p2, &flags);
    let ports = [p1, p2];
    let agent = token_from(&a.join("demo-tokens.json"), "agent_token");
    let ops = token_from(&a.join("demo-tokens.json"), "operator_token");
    let sku = "VC-CHMCOAT-GRN-M";

    // 50 orders for 10 units, through both replicas at once: exactly 10 succeed, stock ends at 0.
    let (status, _) = call(
        p1,
        "PUT",
        &format!("/v1/admin/stock/{sku}"),
        &ops,
        &[],
        &json!({"quantity": 10}),
    );
    assert_eq!(status, 200);
    let quotes: Vec<String> = (0..50)
        .map(|i| accepted_quote(ports[i % 2], &agent, sku))
        .collect();
    let quotes = Arc::new(quotes);
    let results = {
        let (agent, quotes) = (agent.clone(), Arc::clone(&quotes));
        race(50, move |i| {
            let key = format!("race-{i}");
            call(
                ports[i % 2],
                "POST",
                "/v1/orders",
                &agent,
                &[("Idempotency-Key", &key)],
                &json!({"quote_id": quotes[i]}),
            )
        })
    };
    let placed = results.iter().filter(|(s, _)| *s == 201).count();
    let short = results
        .iter()
        .filter(|(s, b)| *s == 409 && b["code"] == "insufficient_stock")
        .count();
    assert_eq!((placed, short), (10, 40), "{results:?}");
    let (_, level) = call(
        p2,
        "GET",
        &format!("/v1/admin/stock/{sku}"),
        &ops,
        &[],
        &Value::Null,
    );
    assert_eq!(level["quantity"], 0);

    // One idempotency key sent 20 times through both replicas: one order.
    call(
        p1,
        "PUT",
        &format!("/v1/admin/stock/{sku}"),
        &ops,
        &[],
        &json!({"quantity": 10}),
    );
    let quote = accepted_quote(p1, &agent, sku);
    let results = {
        let agent = agent.clone();
        race(20, move |i| {
            call(
                ports[i % 2],
                "POST",
                "/v1/orders",
                &agent,
                &[("Idempotency-Key", "one-key")],
                &json!({"quote_id": quote}),
            )
        })
    };
    let ids: std::collections::HashSet<String> = results
        .iter()
        .filter(|(s, _)| *s == 201)
        .map(|(_, b)| b["id"].as_str().expect("id").to_owned())
        .collect();
    assert_eq!(ids.len(), 1, "{results:?}");
    assert!(
        results
            .iter()
            .all(|(s, b)| *s == 201 || (*s == 409 && b["code"] == "idempotency_key_in_flight")),
        "{results:?}"
    );
    let (_, level) = call(
        p1,
        "GET",
        &format!("/v1/admin/stock/{sku}"),
        &ops,
        &[],
        &Value::Null,
    );
    assert_eq!(level["quantity"], 9, "stock moved once");

    // A budget of three orders and a half, raced through both replicas: at most three.
    call(
        p1,
        "PUT",
        &format!("/v1/admin/stock/{sku}"),
        &ops,
        &[],
        &json!({"quantity": 50}),
    );
    let price = {
        let (_, q) = call(
            p1,
            "POST",
            "/v1/quotes",
            &agent,
            &[],
            &json!({"lines": [{"sku": sku, "quantity": 1}], "ship_to": {"country": "FR"}}),
        );
        q["total"]["amount"].as_i64().expect("total")
    };
    let (status, issued) = call(
        p1,
        "POST",
        "/v1/admin/tokens",
        &ops,
        &[],
        &json!({"role": "agent", "agent": "demo-shopper", "limits": {"currency": "EUR", "total": price * 7 / 2}, "ttl_seconds": 3600}),
    );
    assert_eq!(status, 201, "{issued}");
    let budgeted = issued["token"].as_str().expect("token").to_owned();
    let quotes: Arc<Vec<String>> = Arc::new(
        (0..12)
            .map(|i| accepted_quote(ports[i % 2], &budgeted, sku))
            .collect(),
    );
    let results = {
        let (budgeted, quotes) = (budgeted.clone(), Arc::clone(&quotes));
        race(12, move |i| {
            call(
                ports[i % 2],
                "POST",
                "/v1/orders",
                &budgeted,
                &[("Idempotency-Key", &format!("b-{i}"))],
                &json!({"quote_id": quotes[i]}),
            )
        })
    };
    let placed = results.iter().filter(|(s, _)| *s == 201).count();
    assert_eq!(placed, 3, "{results:?}");
    assert!(
        results
            .iter()
            .all(|(s, b)| *s == 201 || b["code"] == "budget_exceeded")
    );

    // Revoked through one replica, refused by the other.
    let jti = issued["jti"].as_str().expect("jti");
    let (status, _) = call(
        p1,
        "POST",
        &format!("/v1/admin/tokens/{jti}/revoke"),
        &ops,
        &[],
        &json!({"reason": "test"}),
    );
    assert_eq!(status, 200);
    let deadline = Instant::now() + Duration::from_secs(6);
    loop {
        let (status, body) = call(p2, "GET", "/v1/tokens/self", &budgeted, &[], &Value::Null);
        if status == 401 {
            assert_eq!(body["code"], "token_revoked");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the other replica still accepts a revoked token"
        );
        std::thread::sleep(Duration::from_millis(50));
    }

    // One audit log through both replicas: each signs checkpoints with the audit key their
    // directories share, and the log exported from the database verifies against them all.
    let auditor = token_from(&a.join("demo-tokens.json"), "auditor_token");
    let (s1, c1) = call(
        p1,
        "POST",
        "/v1/audit/checkpoint",
        &auditor,
        &[],
        &Value::Null,
    );
    let (s2, c2) = call(
        p2,
        "POST",
        "/v1/audit/checkpoint",
        &auditor,
        &[],
        &Value::Null,
    );
    assert_eq!((s1, s2), (200, 200), "{c1} {c2}");
    assert_eq!(c1["key_id"], c2["key_id"], "one audit key");
    assert_eq!(c1["origin"], c2["origin"]);
    let (_, jwks) = call(
        p2,
        "GET",
        "/.well-known/jwks.json",
        &auditor,
        &[],
        &Value::Null,
    );
    let jwks_file = dir.path().join("jwks.json");
    std::fs::write(&jwks_file, jwks.to_string()).expect("jwks");
    let export = dir.path().join("export");
    let out = b2a()
        .args(["audit", "export", "--ledger", ledger.as_str(), "--data"])
        .arg(&a)
        .arg("--out")
        .arg(&export)
        .output()
        .expect("b2a runs");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = b2a()
        .args(["audit", "verify"])
        .arg(&export)
        .arg("--key")
        .arg(&jwks_file)
        .output()
        .expect("b2a runs");
    assert!(
        out.status.success(),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );

    runtime.block_on(async {
        if let Ok(pool) = sqlx::PgPool::connect(&url).await {
            let _ = sqlx::query(sqlx::AssertSqlSafe(format!("DROP SCHEMA {schema} CASCADE")))
                .execute(&pool)
                .await;
        }
    });
}
