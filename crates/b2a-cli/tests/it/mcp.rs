//! The MCP binding with the official Python MCP SDK as the client (scripts/python/mcp_session.py)
//! against a live `b2a demo`: the whole shopping session through the 2025-11-25 handshake and
//! through a stateless 2026-07-28 client, and a token that allows less.

use std::path::Path;
use std::process::Command;

use crate::{agent_token, demo, free_port, text, token_from};

#[test]
fn an_mcp_client_shops_through_the_gateway() {
    let Ok(python) = std::env::var("B2A_PYTHON") else {
        eprintln!("skipped: B2A_PYTHON is not set (scripts/test sets it)");
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("vercors");
    let port = free_port();
    let _gw = demo(&data, port, &[]);
    let agent = token_from(&data.join("demo-tokens.json"), "agent_token");
    let catalog_only = agent_token(&data, "demo-shopper", "catalog:read");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/python/mcp_session.py");
    let url = format!("http://127.0.0.1:{port}/mcp");
    for mode in ["legacy", "2026-07-28"] {
        let out = Command::new(&python)
            .arg(&script)
            .args([&url, &agent, &catalog_only, mode])
            .output()
            .expect("python runs");
        assert!(
            out.status.success(),
            "{mode}: {}{}",
            text(&out.stdout),
            text(&out.stderr)
        );
        assert!(text(&out.stdout).contains(&format!("mcp {mode}: ordered o_")));
    }
}
