//! The `b2a` binary as an operator runs it: help, `demo` twice on one directory, `token issue`
//! beside a running gateway, `serve` on a directory that is not one.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

mod audit;
mod feed;
mod generate;
mod mcp;
mod replicas;

fn b2a() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_b2a"));
    for (k, _) in std::env::vars() {
        if k.starts_with("B2A_") {
            c.env_remove(k);
        }
    }
    c
}

fn run(cmd: &mut Command) -> Output {
    cmd.output().expect("b2a runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A port nobody listens on right now.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

/// Minimal HTTP/1.1 GET; returns (status, body).
fn get(port: u16, path: &str, token: Option<&str>) -> (u16, String) {
    send(port, "GET", path, token, &[], "")
}

/// Minimal HTTP/1.1 POST of a JSON body (with extra headers); returns (status, body).
fn post(port: u16, path: &str, token: &str, headers: &[&str], json: &str) -> (u16, String) {
    let mut all = vec!["Content-Type: application/json"];
    all.extend_from_slice(headers);
    send(port, "POST", path, Some(token), &all, json)
}

/// Minimal HTTP/1.1 request; returns (status, body).
fn send(
    port: u16,
    method: &str,
    path: &str,
    token: Option<&str>,
    headers: &[&str],
    body: &str,
) -> (u16, String) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    let mut head = token
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    for h in headers {
        head.push_str(h);
        head.push_str("\r\n");
    }
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{head}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
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
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

/// Quotes, accepts and orders one coat as `agent`; the order's id.
fn order_a_coat(port: u16, agent: &str) -> String {
    let id_of = |body: &str| {
        let v: serde_json::Value = serde_json::from_str(body).expect("json");
        v["id"].as_str().expect("id").to_owned()
    };
    let (status, quote) = post(
        port,
        "/v1/quotes",
        agent,
        &[],
        r#"{"lines": [{"sku": "VC-CHMCOAT-BLK-M", "quantity": 1}], "ship_to": {"country": "FR"}}"#,
    );
    assert_eq!(status, 201, "{quote}");
    let quote = id_of(&quote);
    let (status, body) = post(port, &format!("/v1/quotes/{quote}/accept"), agent, &[], "");
    assert_eq!(status, 200, "{body}");
    let key = format!("Idempotency-Key: order-{quote}");
    let (status, order) = post(
        port,
        "/v1/orders",
        agent,
        &[&key],
        &format!(
            r#"{{"quote_id": "{quote}", "fulfilment": {{"name": "Camille Martin",
               "address": ["12 rue des Alpes"], "postal_code": "38000", "city": "Grenoble",
               "country": "FR"}}}}"#
        ),
    );
    assert_eq!(status, 201, "{order}");
    id_of(&order)
}

struct Gateway(Child);

impl Drop for Gateway {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `b2a demo` and waits until it listens.
fn demo(data: &Path, port: u16, extra: &[&str]) -> Gateway {
    start("demo", data, port, extra)
}

/// Starts `b2a COMMAND --addr … --data DATA EXTRA…` and waits until it listens.
fn start(command: &str, data: &Path, port: u16, extra: &[&str]) -> Gateway {
    let child = b2a()
        .args([command, "--addr", &format!("127.0.0.1:{port}"), "--data"])
        .arg(data)
        .args(extra)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("demo starts");
    let gw = Gateway(child);
    let deadline = Instant::now() + Duration::from_secs(120);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "{command} did not start listening"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    gw
}

fn token_from(file: &Path, key: &str) -> String {
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(file).expect("tokens file")).expect("json");
    doc[key].as_str().expect("token").to_owned()
}

/// An agent token for `agent` with the capabilities `caps`, issued with `b2a token issue`.
fn agent_token(data: &Path, agent: &str, caps: &str) -> String {
    let out = run(b2a()
        .args([
            "token", "issue", "--role", "agent", "--agent", agent, "--cap", caps,
        ])
        .arg("--data")
        .arg(data));
    assert!(out.status.success(), "{}", text(&out.stderr));
    text(&out.stdout).trim().to_owned()
}

#[test]
fn help_describes_every_command_and_flag() {
    let out = run(b2a().arg("--help"));
    assert!(out.status.success());
    let help = text(&out.stdout);
    for cmd in ["demo", "serve", "token", "audit", "privacy"] {
        assert!(help.contains(cmd), "--help lists {cmd}");
    }
    let demo = text(&run(b2a().args(["demo", "--help"])).stdout);
    for flag in [
        "--data",
        "--addr",
        "--public-url",
        "--quote-ttl",
        "--checkpoint-interval",
        "--retention",
        "B2A_DATA",
        "B2A_ADDR",
        "--config",
    ] {
        assert!(demo.contains(flag), "demo --help documents {flag}");
    }
    let issue = text(&run(b2a().args(["token", "issue", "--help"])).stdout);
    for flag in [
        "--role",
        "--agent",
        "--principal",
        "--cap",
        "--ttl",
        "B2A_TOKEN_TTL",
    ] {
        assert!(issue.contains(flag), "token issue --help documents {flag}");
    }
}

#[test]
fn serve_refuses_a_directory_that_is_not_a_data_directory() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = run(b2a().args(["serve", "--data"]).arg(dir.path()));
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("not a b2a data directory"),
        "{}",
        text(&out.stderr)
    );
    let out = run(b2a()
        .args([
            "token", "issue", "--role", "agent", "--agent", "a", "--data",
        ])
        .arg(dir.path()));
    assert!(!out.status.success());
}

#[test]
fn demo_serves_issues_tokens_and_reuses_its_data() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("vercors");
    let tokens = data.join("demo-tokens.json");
    let port = free_port();
    let config = dir.path().join("b2a.toml");
    std::fs::write(&config, "brand_name = \"Vercors From Config\"\n").expect("config");

    {
        let _gw = demo(
            &data,
            port,
            &["--config", config.to_str().expect("utf-8 path")],
        );
        let (status, manifest) = get(port, "/.well-known/b2a", None);
        assert_eq!(status, 200);
        assert!(
            manifest.contains("Vercors From Config"),
            "the config file sets the brand name"
        );
        let agent = token_from(&tokens, "agent_token");
        assert_eq!(
            token_from(&tokens, "base_url"),
            format!("http://127.0.0.1:{port}")
        );
        let (status, body) = get(
            port,
            "/v1/products?q=waterproof%20winter%20coat&max_price=20000&currency=EUR",
            Some(&agent),
        );
        assert_eq!(status, 200, "{body}");
        assert!(body.contains("VC-CHMCOAT"), "{body}");

        // A token issued by the CLI while the gateway runs works at once, and is audited.
        let out = run(b2a()
            .args([
                "token", "issue", "--role", "auditor", "--agent", "aud-7", "--ttl", "1h", "--data",
            ])
            .arg(&data));
        assert!(out.status.success(), "{}", text(&out.stderr));
        let auditor = text(&out.stdout).trim().to_owned();
        let (status, log) = get(port, "/v1/audit/entries?limit=500", Some(&auditor));
        assert_eq!(status, 200, "{log}");
        assert!(
            log.contains("\"token.issued\"") && log.contains("aud-7"),
            "{log}"
        );
        let (status, _) = get(port, "/v1/products", Some(&auditor));
        assert_eq!(status, 403, "an auditor token cannot shop");

        // An order, then the auditor's tools on the data directory beside the running gateway:
        // the export and the order's proof verify with the key the gateway publishes.
        let order_id = order_a_coat(port, &agent);
        let jwks = dir.path().join("jwks.json");
        std::fs::write(&jwks, get(port, "/.well-known/jwks.json", None).1).expect("jwks");
        let export = dir.path().join("export");
        let out = run(b2a()
            .args(["audit", "export", "--data"])
            .arg(&data)
            .arg("--out")
            .arg(&export));
        assert!(out.status.success(), "{}", text(&out.stderr));
        let verify = |what: &Path| {
            run(b2a()
                .args(["audit", "verify"])
                .arg(what)
                .arg("--key")
                .arg(&jwks))
        };
        let out = verify(&export);
        assert!(
            out.status.success(),
            "{}{}",
            text(&out.stdout),
            text(&out.stderr)
        );
        let entries = export.join("entries.jsonl");
        let lines = std::fs::read_to_string(&entries).expect("entries");
        assert!(lines.contains(&order_id), "the order is in the export");
        std::fs::write(
            &entries,
            lines.replacen("agent:demo-shopper", "agent:someone-else", 1),
        )
        .expect("tampered");
        let out = verify(&export);
        assert!(!out.status.success(), "a changed entry is refused");
        assert!(
            text(&out.stderr).contains("was altered"),
            "{}",
            text(&out.stderr)
        );

        let bundle = dir.path().join("trail.json");
        let out = run(b2a()
            .args(["audit", "prove", &order_id, "--data"])
            .arg(&data)
            .arg("--out")
            .arg(&bundle));
        assert!(out.status.success(), "{}", text(&out.stderr));
        let out = run(b2a()
            .args(["audit", "verify-bundle"])
            .arg(&bundle)
            .arg("--key")
            .arg(&jwks));
        assert!(
            out.status.success(),
            "{}{}",
            text(&out.stdout),
            text(&out.stderr)
        );
        // Independent code (Python: hashlib, cryptography, rfc8785) accepts the gateway's bundle.
        if let Ok(python) = std::env::var("B2A_PYTHON") {
            let script = Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../../scripts/python/verify_audit_bundle.py");
            let out = Command::new(python)
                .arg(script)
                .arg(&bundle)
                .arg(&jwks)
                .output()
                .expect("python runs");
            assert!(
                out.status.success(),
                "{}{}",
                text(&out.stdout),
                text(&out.stderr)
            );
        }
        let trail = std::fs::read_to_string(&bundle).expect("bundle");
        assert!(trail.contains("\"order.placed\"") && trail.contains("\"quote.accepted\""));

        // Retention: once the order is closed and the period over, its details go, logged.
        let (status, body) = post(
            port,
            &format!("/v1/orders/{order_id}/cancel"),
            &agent,
            &[],
            "{}",
        );
        assert_eq!(status, 200, "{body}");
        std::thread::sleep(Duration::from_millis(2100));
        let out = run(b2a()
            .args(["privacy", "purge", "--retention", "1s", "--data"])
            .arg(&data));
        assert!(out.status.success(), "{}", text(&out.stderr));
        assert!(
            text(&out.stderr).contains("of 1 orders"),
            "{}",
            text(&out.stderr)
        );
        let (_, log) = get(
            port,
            &format!("/v1/audit/entries?order={order_id}"),
            Some(&auditor),
        );
        assert!(log.contains("privacy.purged"), "{log}");

        let bad = run(b2a()
            .args([
                "token",
                "issue",
                "--role",
                "agent",
                "--agent",
                "demo-shopper",
                "--cap",
                "audit:read",
                "--data",
            ])
            .arg(&data));
        assert!(
            !bad.status.success(),
            "an agent token may not carry audit:read"
        );
    }

    // Again on the same directory: the catalog is reused (version 1), earlier tokens still verify.
    let old_agent = token_from(&tokens, "agent_token");
    let _gw = demo(&data, port, &[]);
    let (status, health) = get(port, "/healthz", None);
    assert_eq!(status, 200);
    assert!(health.contains("\"catalog_version\":1"), "{health}");
    let (status, _) = get(port, "/v1/products?limit=1", Some(&old_agent));
    assert_eq!(status, 200, "tokens of the first run stay valid");
}

#[test]
fn governance_commands_work_beside_a_running_gateway() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("vercors");
    let port = free_port();
    let _gw = demo(&data, port, &[]);
    let cli = |args: &[&str]| {
        let out = run(b2a().args(args).arg("--data").arg(&data));
        assert!(out.status.success(), "{args:?}: {}", text(&out.stderr));
        text(&out.stdout).trim().to_owned()
    };
    let refused = |args: &[&str]| {
        let out = run(b2a().args(args).arg("--data").arg(&data));
        assert!(!out.status.success(), "{args:?} should fail");
        text(&out.stderr)
    };

    // Agent tokens go to registered agents only.
    assert!(
        refused(&["token", "issue", "--role", "agent", "--agent", "shop-bot"])
            .contains("not registered")
    );
    cli(&[
        "agents",
        "register",
        "shop-bot",
        "--name",
        "Shop Bot",
        "--contact",
        "dev@bot.example",
    ]);
    assert!(cli(&["agents", "list"]).contains("shop-bot\tactive"));
    let limited = cli(&[
        "token",
        "issue",
        "--role",
        "agent",
        "--agent",
        "shop-bot",
        "--cap",
        "catalog:read",
        "--currency",
        "EUR",
        "--per-order",
        "200.00",
        "--total",
        "300.00",
        "--max-orders-per-day",
        "5",
    ]);
    let (status, body) = get(port, "/v1/tokens/self", Some(&limited));
    assert_eq!(status, 200, "{body}");
    assert!(
        body.contains("\"total\":30000") && body.contains("\"per_order\":20000"),
        "{body}"
    );
    assert!(
        refused(&[
            "token", "issue", "--role", "agent", "--agent", "shop-bot", "--total", "300.00"
        ])
        .contains("--currency")
    );

    // A suspension by the CLI is refused by the running gateway at once; reactivation restores.
    cli(&["agents", "suspend", "shop-bot"]);
    let (status, body) = get(port, "/v1/products?limit=1", Some(&limited));
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("agent_suspended"), "{body}");
    cli(&["agents", "reactivate", "shop-bot"]);
    let (status, _) = get(port, "/v1/products?limit=1", Some(&limited));
    assert_eq!(status, 200);

    // Rotation: the CLI's next token is signed by the new key, which the gateway accepts;
    // tokens of the old key keep working.
    let before = cli(&["keys", "list"]);
    cli(&["keys", "rotate"]);
    let after = cli(&["keys", "list"]);
    assert_eq!(after.lines().count(), before.lines().count() + 1, "{after}");
    let fresh = cli(&[
        "token",
        "issue",
        "--role",
        "agent",
        "--agent",
        "shop-bot",
        "--cap",
        "catalog:read",
    ]);
    assert_eq!(get(port, "/v1/products?limit=1", Some(&fresh)).0, 200);
    assert_eq!(get(port, "/v1/products?limit=1", Some(&limited)).0, 200);
    let (_, jwks) = get(port, "/.well-known/jwks.json", None);
    assert_eq!(
        jwks.matches("\"kid\"").count(),
        3,
        "both token keys and the audit key: {jwks}"
    );
    assert_eq!(jwks.matches("audit-checkpoint").count(), 1, "{jwks}");

    // Revocation by the CLI: refused at once.
    let self_status = get(port, "/v1/tokens/self", Some(&fresh)).1;
    let jti = self_status
        .split("\"jti\":\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .expect("jti")
        .to_owned();
    cli(&["token", "revoke", "--reason", "leaked", &jti]);
    let (status, body) = get(port, "/v1/products?limit=1", Some(&fresh));
    assert_eq!(status, 401, "{body}");
    assert!(body.contains("token_revoked"), "{body}");
    assert!(refused(&["token", "revoke", "no-such-jti"]).contains("no token"));
}

const DEMO_CATALOG: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../graph-data/demo/catalog.ttl"
);

#[test]
fn catalog_commands_validate_load_publish_and_roll_back() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("brand");
    let catalog = |args: &[&str]| run(b2a().arg("catalog").args(args).arg("--data").arg(&data));

    // validate: no data directory involved.
    let ok = run(b2a().args(["catalog", "validate", DEMO_CATALOG]));
    assert!(ok.status.success(), "{}", text(&ok.stderr));
    assert_eq!(text(&ok.stdout).trim(), "valid");
    let bad = dir.path().join("bad.ttl");
    std::fs::write(
        &bad,
        "@prefix schema: <https://schema.org/> .\n\
         <https://x.example/p> a schema:Product ; schema:name \"P\" ; schema:sku \"P-1\" ; schema:isSimilarTo <https://x.example/ghost> .\n",
    )
    .expect("write");
    let out = run(b2a().args(["catalog", "validate"]).arg(&bad));
    assert!(!out.status.success());
    let report = text(&out.stdout);
    assert!(
        report.contains("error: https://x.example/p offers:"),
        "{report}"
    );
    assert!(
        report.contains("error: https://x.example/p isSimilarTo:"),
        "{report}"
    );
    assert!(
        text(&out.stderr).contains("invalid (2 errors)"),
        "{}",
        text(&out.stderr)
    );
    let out = run(b2a().args(["catalog", "validate", "catalog.xlsx"]));
    assert!(
        !out.status.success() && text(&out.stderr).contains("unknown extension"),
        "{}",
        text(&out.stderr)
    );

    // load --publish, then a changed version, then an invalid one.
    let out = catalog(&["load", "--publish", DEMO_CATALOG]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("published version 1 (was nothing): 373 products added"),
        "{}",
        text(&out.stdout)
    );
    let changed = dir.path().join("v2.ttl");
    let demo = std::fs::read_to_string(DEMO_CATALOG).expect("demo");
    assert!(demo.contains("\"179.00\""));
    std::fs::write(&changed, demo.replacen("\"179.00\"", "\"175.00\"", 1)).expect("write");
    let out = run(b2a()
        .args(["catalog", "load", "--data"])
        .arg(&data)
        .arg(&changed));
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("publish it with `b2a catalog publish 2`"),
        "{}",
        text(&out.stdout)
    );
    let out = run(b2a()
        .args(["catalog", "load", "--publish", "--data"])
        .arg(&data)
        .arg(&bad));
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("version 3 is invalid (2 errors) and was not published"),
        "{}",
        text(&out.stderr)
    );

    let out = catalog(&["publish", "3"]);
    assert!(
        !out.status.success(),
        "an invalid version cannot be published"
    );
    let out = catalog(&["publish", "2"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("0 products added, 0 removed, 1 changed, 372 unchanged"),
        "{}",
        text(&out.stdout)
    );
    let out = catalog(&["rollback"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("rolled back to version 1 (was version 2)"),
        "{}",
        text(&out.stdout)
    );
    let out = catalog(&["versions"]);
    let listing = text(&out.stdout);
    let published: Vec<&str> = listing
        .lines()
        .filter(|l| l.trim_end().ends_with('*'))
        .collect();
    assert_eq!(published.len(), 1, "{listing}");
    assert!(published[0].trim_start().starts_with("1 "), "{listing}");
    assert_eq!(
        listing.lines().count(),
        4,
        "a header and three versions: {listing}"
    );

    // Serve what was published; the publications are in the audit log; the CLI cannot load
    // into the store while the gateway holds it.
    let port = free_port();
    let _gw = start("serve", &data, port, &[]);
    let (status, health) = get(port, "/healthz", None);
    assert_eq!(status, 200);
    assert!(health.contains("\"catalog_version\":1"), "{health}");
    let out = run(b2a()
        .args([
            "token", "issue", "--role", "auditor", "--agent", "aud", "--data",
        ])
        .arg(&data));
    assert!(out.status.success(), "{}", text(&out.stderr));
    let (status, log) = get(
        port,
        "/v1/audit/entries?limit=500",
        Some(text(&out.stdout).trim()),
    );
    assert_eq!(status, 200, "{log}");
    assert_eq!(log.matches("\"catalog.published\"").count(), 2, "{log}");
    assert_eq!(log.matches("\"catalog.rolled_back\"").count(), 1, "{log}");
    let out = catalog(&["load", DEMO_CATALOG]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("is a gateway running"),
        "{}",
        text(&out.stderr)
    );
}
