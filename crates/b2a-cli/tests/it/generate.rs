//! `b2a catalog generate`: deterministic, loads and publishes (so validates clean), is served
//! and searched like a brand catalog, refuses bad arguments.

use std::path::Path;

use super::{agent_token, b2a, free_port, get, run, start, text};

fn generate(products: u32, seed: u32, out: &Path) -> String {
    let out = run(b2a()
        .args(["catalog", "generate", "--products"])
        .arg(products.to_string())
        .arg("--seed")
        .arg(seed.to_string())
        .arg("--out")
        .arg(out));
    assert!(out.status.success(), "{}", text(&out.stderr));
    text(&out.stdout)
}

#[test]
fn generate_is_deterministic_per_seed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (a, b, c) = (
        dir.path().join("a.nt"),
        dir.path().join("b.nt"),
        dir.path().join("c.nt"),
    );
    let said = generate(40, 7, &a);
    assert!(said.starts_with("wrote 40 products, "), "{said}");
    generate(40, 7, &b);
    generate(40, 8, &c);
    let (a, b, c) = (
        std::fs::read(&a).expect("a"),
        std::fs::read(&b).expect("b"),
        std::fs::read(&c).expect("c"),
    );
    assert!(!a.is_empty());
    assert!(a == b, "the same seed gives the same bytes");
    assert!(a != c, "another seed gives another catalog");
    let entries = std::fs::read_dir(dir.path()).expect("list").count();
    assert_eq!(entries, 3, "nothing is written beside the output files");

    let ttl = dir.path().join("a.ttl");
    generate(40, 7, &ttl);
    let turtle = std::fs::read_to_string(&ttl).expect("ttl");
    assert!(turtle.starts_with("@prefix"), "{}", &turtle[..200]);
    let ok = run(b2a().args(["catalog", "validate"]).arg(&ttl));
    assert!(ok.status.success(), "{}", text(&ok.stdout));
}

#[test]
fn a_generated_catalog_loads_publishes_and_is_searchable() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("bsbm-200.nt");
    generate(200, 1, &file);
    let data = dir.path().join("data");
    let out = run(b2a()
        .args(["catalog", "load", "--publish", "--data"])
        .arg(&data)
        .arg(&file));
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", text(&out.stderr));
    assert!(stdout.contains("version 1 is valid"), "{stdout}");
    assert!(
        stdout.contains("published version 1 (was nothing): 200 products added"),
        "{stdout}"
    );
    let triples: u64 = stdout
        .split_once("loaded version 1: ")
        .and_then(|(_, rest)| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no triple count in {stdout}"));
    let per_product = triples / 200;
    assert!(
        (250..=450).contains(&per_product),
        "{per_product} triples per product"
    );

    // The English name of product 1; its first word finds it.
    let nt = std::fs::read_to_string(&file).expect("catalog");
    let name = nt
        .lines()
        .find(|l| {
            l.starts_with("<https://bsbm.example/product/1> <https://schema.org/name> ")
                && l.ends_with("@en .")
        })
        .and_then(|l| l.split('"').nth(1))
        .expect("product 1 has an English name")
        .to_owned();
    let word = name.split(' ').next().expect("a word").to_lowercase();

    let port = free_port();
    let _gw = start("serve", &data, port, &[]);
    let out = run(b2a()
        .args([
            "agents",
            "register",
            "gen-test",
            "--name",
            "Generator test",
            "--contact",
            "dev@example.org",
            "--data",
        ])
        .arg(&data));
    assert!(out.status.success(), "{}", text(&out.stderr));
    let token = agent_token(&data, "gen-test", "catalog:read");
    let (status, body) = get(
        port,
        &format!("/v1/products?q={word}&limit=100"),
        Some(&token),
    );
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("\"BSBM-00000001\""), "{word}: {body}");
    assert!(body.contains("\"EUR\""), "{body}");
    let (status, body) = get(port, "/v1/products/BSBM-00000001", Some(&token));
    assert_eq!(status, 200, "{body}");
    assert!(
        body.contains(&name) && body.contains("\"offers\""),
        "{body}"
    );
    let (status, body) = get(port, "/v1/categories", Some(&token));
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("\"catalog\""), "{body}");
}

#[test]
fn generate_refuses_bad_arguments_without_writing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let refused = |args: &[&str]| {
        let out = run(b2a().args(["catalog", "generate"]).args(args));
        assert!(!out.status.success(), "{args:?} accepted");
        let err = text(&out.stderr);
        assert!(!err.contains("panicked"), "{err}");
        err
    };
    let path = |name: &str| dir.path().join(name).to_str().expect("utf-8").to_owned();
    let err = refused(&["--products", "10", "--out", &path("x.csv")]);
    assert!(err.contains(".nt (N-Triples) or .ttl"), "{err}");
    let nt = path("x.nt");
    refused(&["--products", "0", "--out", &nt]);
    refused(&["--products", "10000001", "--out", &nt]);
    refused(&["--products", "ten", "--out", &nt]);
    refused(&["--products", "10", "--seed", "-1", "--out", &nt]);
    refused(&["--products", "10"]);
    let missing = dir.path().join("no/such/dir/x.nt");
    let err = refused(&[
        "--products",
        "10",
        "--out",
        missing.to_str().expect("utf-8"),
    ]);
    assert!(err.contains("creating"), "{err}");
    assert_eq!(
        std::fs::read_dir(dir.path()).expect("list").count(),
        0,
        "nothing written"
    );
}
