//! Product feeds through the `b2a` binary: `catalog validate` lists a bad feed's errors with
//! their lines, `catalog load --publish` loads the example feed.

use crate::{b2a, run, text};

const EXAMPLE_CSV: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../graph-data/examples/feed.csv"
);
const EXAMPLE_JSONL: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../graph-data/examples/feed.jsonl"
);

#[test]
fn catalog_validate_lists_every_faulty_line_of_a_feed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bad = dir.path().join("feed.csv");
    std::fs::write(
        &bad,
        "id,title,price,currency,availability,stock\n\
         A-1,One,1.00,EUR,in_stock,3\n\
         A-2,Two,\"12,50\",EUR,in_stock,\n\
         A-3,Three,1.00,EUR,sold,-2\n",
    )
    .expect("write");
    let out = run(b2a().args(["catalog", "validate"]).arg(&bad));
    assert!(!out.status.success(), "a bad feed is refused");
    let stderr = text(&out.stderr);
    let name = bad.display().to_string();
    for line in [
        format!("{name}: 3 errors in the feed"),
        format!("{name}: line 3: price: \"12,50\" is not a decimal number such as 12.50"),
        format!("{name}: line 4: availability: \"sold\" is not an availability"),
        format!("{name}: line 4: stock: \"-2\" is not a whole number"),
    ] {
        assert!(stderr.contains(&line), "`{line}` in\n{stderr}");
    }

    // A typo in a column name is an error, not a column silently dropped.
    let typo = dir.path().join("typo.jsonl");
    std::fs::write(
        &typo,
        "{\"id\":\"A-1\",\"title\":\"One\",\"price\":\"1.00\",\"currency\":\"EUR\",\"availability\":\"in_stock\",\"colour\":\"red\"}\n",
    )
    .expect("write");
    let out = run(b2a().args(["catalog", "validate"]).arg(&typo));
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("line 1: colour: unknown field"),
        "{}",
        text(&out.stderr)
    );

    for example in [EXAMPLE_CSV, EXAMPLE_JSONL] {
        let out = run(b2a().args(["catalog", "validate", example]));
        assert!(out.status.success(), "{}", text(&out.stderr));
        assert_eq!(text(&out.stdout).trim(), "valid");
    }
    // --format names the syntax of a file whose extension does not.
    let renamed = dir.path().join("products.txt");
    std::fs::copy(EXAMPLE_JSONL, &renamed).expect("copy");
    let out = run(b2a()
        .args(["catalog", "validate", "--format", "jsonl"])
        .arg(&renamed));
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = run(b2a().args(["catalog", "validate", "--base", "not an iri", EXAMPLE_CSV]));
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("is not an absolute IRI"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn catalog_load_publishes_a_feed_and_hands_its_stock_to_the_ledger() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("brand");
    let out = run(b2a()
        .args([
            "catalog",
            "load",
            "--publish",
            "--base",
            "https://vercors.example",
            "--data",
        ])
        .arg(&data)
        .arg(EXAMPLE_CSV));
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    for line in [
        "loaded version 1: ",
        "stock of 7 SKUs given to the ledger",
        "version 1 is valid",
        "published version 1 (was nothing): 8 products added",
    ] {
        assert!(stdout.contains(line), "`{line}` in\n{stdout}");
    }

    // The same products again, as JSON Lines: nothing changes.
    let out = run(b2a()
        .args([
            "catalog",
            "load",
            "--publish",
            "--base",
            "https://vercors.example/",
            "--data",
        ])
        .arg(&data)
        .arg(EXAMPLE_JSONL));
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("0 products added, 0 removed, 0 changed, 8 unchanged"),
        "{}",
        text(&out.stdout)
    );
}
