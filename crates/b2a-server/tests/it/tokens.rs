//! Capability tokens under attack and under load: every forgery and misuse gets its own
//! documented code; budgets hold under racing orders; DPoP-bound tokens need their proofs;
//! exchange only narrows; each agent sees only its own things; rates are enforced with 429.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use axum::http::{Method, StatusCode};
use b2a_model::{AgentId, Capability, Confirmation, Currency, Limits, Role};
use b2a_server::{Rate, RateClass};
use b2a_trust::{IssueRequest, TOKEN_TYPE, jwk_thumbprint, proof_claims};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::SigningKey;
use ed25519_dalek::pkcs8::EncodePrivateKey;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use time::OffsetDateTime;

use crate::support::{PUBLIC_URL, TestApp};

const COAT: &str = "VC-CHMCOAT-BLK-L";

fn now() -> i64 {
    OffsetDateTime::now_utc().unix_timestamp()
}

/// The brand's signing key, read from the data directory as an attacker who stole nothing
/// could not: it signs claims the issuer never issued, to show the checks beyond signatures.
fn brand_key(app: &TestApp) -> (String, EncodingKey) {
    let dir = app.data_path().join("keys");
    let file = std::fs::read_dir(&dir)
        .expect("keys dir")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|x| x == "p8"))
        .expect("a key");
    let der = std::fs::read(file).expect("key file");
    let kid = app.state.governance.tokens().keys().active().kid.clone();
    (kid, EncodingKey::from_ed_der(&der))
}

fn sign(app: &TestApp, claims: &Value, tweak: impl FnOnce(&mut Header)) -> String {
    let (kid, key) = brand_key(app);
    let mut header = Header::new(Algorithm::EdDSA);
    header.typ = Some(TOKEN_TYPE.into());
    header.kid = Some(kid);
    tweak(&mut header);
    jsonwebtoken::encode(&header, claims, &key).expect("signed")
}

/// The claims a genuine agent token of `sub` would carry.
fn claims(sub: &str) -> Value {
    json!({"iss": PUBLIC_URL, "aud": PUBLIC_URL, "sub": sub, "exp": now() + 600, "nbf": now(),
           "iat": now(), "jti": format!("forged-{sub}-{}", now()), "role": "agent",
           "cap": ["catalog:read", "quotes:write", "orders:write", "orders:read"]})
}

fn b64(v: &Value) -> String {
    URL_SAFE_NO_PAD.encode(v.to_string())
}

async fn refused(app: &TestApp, token: &str, status: StatusCode, code: &str) -> Value {
    app.get("/v1/products?limit=1", Some(token))
        .await
        .problem(status, code)
}

#[tokio::test]
async fn every_forgery_gets_its_own_code() {
    let app = TestApp::demo().await;
    let good = claims("mallory");
    assert_eq!(
        app.get("/v1/products?limit=1", Some(&sign(&app, &good, |_| ())))
            .await
            .status,
        StatusCode::OK,
        "the baseline forgery helper makes tokens the gateway accepts"
    );

    // alg: none, no signature.
    let none = format!(
        "{}.{}.",
        b64(&json!({"alg": "none", "typ": TOKEN_TYPE})),
        b64(&good)
    );
    refused(
        &app,
        &none,
        StatusCode::UNAUTHORIZED,
        "token_algorithm_not_allowed",
    )
    .await;

    // HS256 keyed with the public key's bytes (algorithm confusion).
    let ring = app.state.governance.tokens().keys();
    let public = URL_SAFE_NO_PAD.decode(&ring.active().x).expect("x");
    let mut hs = Header::new(Algorithm::HS256);
    hs.typ = Some(TOKEN_TYPE.into());
    hs.kid = Some(ring.active().kid.clone());
    let confused =
        jsonwebtoken::encode(&hs, &good, &EncodingKey::from_secret(&public)).expect("hs256");
    refused(
        &app,
        &confused,
        StatusCode::UNAUTHORIZED,
        "token_algorithm_not_allowed",
    )
    .await;

    // A valid signature by a key the brand does not know.
    let stranger = SigningKey::generate(&mut rand::rngs::OsRng);
    let der = stranger.to_pkcs8_der().expect("der");
    let mut header = Header::new(Algorithm::EdDSA);
    header.typ = Some(TOKEN_TYPE.into());
    header.kid = Some("stranger".into());
    let foreign = jsonwebtoken::encode(&header, &good, &EncodingKey::from_ed_der(der.as_bytes()))
        .expect("signed");
    refused(
        &app,
        &foreign,
        StatusCode::UNAUTHORIZED,
        "token_key_unknown",
    )
    .await;

    let with = |k: &str, v: Value| {
        let mut c = good.clone();
        c[k] = v;
        c
    };
    let cases = [
        (with("exp", json!(now() - 3600)), "token_expired"),
        (with("nbf", json!(now() + 3600)), "token_not_yet_valid"),
        (
            with("aud", json!("https://other.example")),
            "token_audience_invalid",
        ),
        (
            with("iss", json!("https://evil.example")),
            "token_issuer_invalid",
        ),
        (
            with("limits", json!({"currency": "EUR", "per_merchant": 100})),
            "token_limit_unknown",
        ),
        (with("cap", json!(["audit:read"])), "token_claims_invalid"),
    ];
    for (c, code) in cases {
        refused(
            &app,
            &sign(&app, &c, |_| ()),
            StatusCode::UNAUTHORIZED,
            code,
        )
        .await;
    }
    let mut no_jti = good.clone();
    no_jti.as_object_mut().expect("object").remove("jti");
    let p = refused(
        &app,
        &sign(&app, &no_jti, |_| ()),
        StatusCode::UNAUTHORIZED,
        "token_claims_invalid",
    )
    .await;
    assert!(
        p["detail"].as_str().is_some_and(|d| d.contains("jti")),
        "{p}"
    );

    // Wrong typ.
    let typed = sign(&app, &good, |h| h.typ = Some("JWT".into()));
    refused(&app, &typed, StatusCode::UNAUTHORIZED, "token_type_invalid").await;

    // A payload changed after signing.
    let genuine = app.agent("alice");
    let mut parts: Vec<String> = genuine.split('.').map(str::to_owned).collect();
    let mut payload: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(&parts[1]).expect("b64")).expect("json");
    payload["sub"] = json!("bob");
    parts[1] = b64(&payload);
    let r = app
        .get("/v1/products?limit=1", Some(&parts.join(".")))
        .await;
    assert!(
        r.header("www-authenticate")
            .is_some_and(|h| h.contains("invalid_token")),
        "a 401 names its challenge"
    );
    r.problem(StatusCode::UNAUTHORIZED, "token_signature_invalid");

    refused(
        &app,
        "not-a-jwt",
        StatusCode::UNAUTHORIZED,
        "token_malformed",
    )
    .await;
}

/// An agent token with every capability and a total budget in euro cents.
fn budgeted(agent: &str, total: u64) -> IssueRequest {
    IssueRequest {
        limits: Limits {
            currency: Some(Currency::EUR),
            total: Some(total),
            ..Limits::default()
        },
        ..IssueRequest::new(
            Role::Agent,
            AgentId::parse(agent).expect("id"),
            vec![],
            Duration::from_secs(600),
        )
    }
}

fn operator(app: &TestApp) -> String {
    app.token(Role::Operator, "ops", &[])
}

#[tokio::test]
async fn revocation_and_suspension_take_effect_at_once_and_are_audited() {
    let app = TestApp::demo().await;
    let ops = operator(&app);
    let agent = app.agent("carol");
    let issued = app
        .issue_recorded(&IssueRequest::new(
            Role::Agent,
            AgentId::parse("carol").expect("id"),
            vec![],
            Duration::from_secs(600),
        ))
        .await;
    assert_eq!(
        app.get("/v1/products?limit=1", Some(&issued.token))
            .await
            .status,
        StatusCode::OK
    );

    // Revoke through the operator API: refused at once.
    let body = json!({"reason": "leaked in a log"}).to_string();
    app.post(
        &format!("/v1/admin/tokens/{}/revoke", issued.jti),
        Some(&ops),
        &[],
        &body,
    )
    .await
    .expect(StatusCode::OK, "token-revoked", app.contract());
    refused(
        &app,
        &issued.token,
        StatusCode::UNAUTHORIZED,
        "token_revoked",
    )
    .await;
    // Revoking again is harmless; an unknown jti is a clear 404.
    app.post_empty(
        &format!("/v1/admin/tokens/{}/revoke", issued.jti),
        Some(&ops),
    )
    .await;
    app.post_empty("/v1/admin/tokens/nope/revoke", Some(&ops))
        .await
        .problem(StatusCode::NOT_FOUND, "token_not_found");

    // Suspend carol: her other tokens stop too; reactivate: they work again.
    app.post_empty("/v1/admin/agents/carol/suspend", Some(&ops))
        .await
        .expect(StatusCode::OK, "agent", app.contract());
    refused(&app, &agent, StatusCode::FORBIDDEN, "agent_suspended").await;
    app.post_empty("/v1/admin/agents/carol/reactivate", Some(&ops))
        .await
        .expect(StatusCode::OK, "agent", app.contract());
    assert_eq!(
        app.get("/v1/products?limit=1", Some(&agent)).await.status,
        StatusCode::OK
    );
    app.post_empty("/v1/admin/agents/nobody/suspend", Some(&ops))
        .await
        .problem(StatusCode::NOT_FOUND, "agent_not_found");

    let log = app.audit_log().await;
    let actions: Vec<&str> = log.iter().map(|e| e.record.action.as_str()).collect();
    for action in [
        "agent.registered",
        "token.issued",
        "token.revoked",
        "agent.suspended",
        "agent.reactivated",
    ] {
        assert_eq!(
            actions.iter().filter(|a| **a == action).count(),
            1,
            "{action} once: {actions:?}"
        );
    }
    let revoked = log
        .iter()
        .find(|e| e.record.action == "token.revoked")
        .expect("entry");
    assert_eq!(revoked.record.actor, "operator:ops");
    assert!(
        revoked
            .record
            .payload
            .to_string()
            .contains("leaked in a log")
    );
}

#[tokio::test]
async fn operators_issue_tokens_to_registered_agents_with_limits() {
    let app = TestApp::demo().await;
    let ops = operator(&app);
    let issue = json!({"role": "agent", "agent": "dave", "principal": "p-dave",
        "cap": ["catalog:read", "quotes:write", "orders:write"],
        "limits": {"currency": "EUR", "per_order": 20000, "total": 30000, "approval_above": 15000,
                   "categories": ["clothing"], "max_orders_per_day": 10},
        "consent": {"purposes": ["order_fulfilment"], "attributes": ["loyalty_tier"]},
        "ttl_seconds": 604800});
    app.post("/v1/admin/tokens", Some(&ops), &[], &issue.to_string())
        .await
        .problem(StatusCode::UNPROCESSABLE_ENTITY, "agent_not_registered");
    let reg = json!({"id": "dave", "name": "Dave's agent", "contact": "dev@dave.example"});
    app.post("/v1/admin/agents", Some(&ops), &[], &reg.to_string())
        .await
        .expect(StatusCode::CREATED, "agent", app.contract());
    app.post("/v1/admin/agents", Some(&ops), &[], &reg.to_string())
        .await
        .problem(StatusCode::CONFLICT, "agent_exists");
    let listed = app.get("/v1/admin/agents", Some(&ops)).await.expect(
        StatusCode::OK,
        "agents",
        app.contract(),
    );
    assert_eq!(listed["items"][0]["id"], "dave");
    let issued = app
        .post("/v1/admin/tokens", Some(&ops), &[], &issue.to_string())
        .await
        .expect(StatusCode::CREATED, "issued-token", app.contract());
    let token = issued["token"].as_str().expect("token");
    let me = app.get("/v1/tokens/self", Some(token)).await.expect(
        StatusCode::OK,
        "token-status",
        app.contract(),
    );
    assert_eq!(me["limits"]["total"], 30000);
    assert_eq!(me["remaining"], json!({"amount": 30000, "currency": "EUR"}));
    assert_eq!(me["consent"]["attributes"], json!(["loyalty_tier"]));

    // An amount without a currency, an unknown limit: refused, naming the field.
    let mut bad = issue.clone();
    bad["limits"] = json!({"total": 100});
    let p = app
        .post("/v1/admin/tokens", Some(&ops), &[], &bad.to_string())
        .await
        .problem(StatusCode::BAD_REQUEST, "validation_failed");
    assert_eq!(p["pointer"], "/limits/currency");
    bad["limits"] = json!({"currency": "EUR", "per_merchant": 1});
    app.post("/v1/admin/tokens", Some(&ops), &[], &bad.to_string())
        .await
        .problem(StatusCode::BAD_REQUEST, "validation_failed");
    // A capability outside the role is the request's fault, not the operator's token's.
    bad["limits"] = json!({});
    bad["cap"] = json!(["audit:read"]);
    let p = app
        .post("/v1/admin/tokens", Some(&ops), &[], &bad.to_string())
        .await
        .problem(StatusCode::BAD_REQUEST, "validation_failed");
    assert_eq!(p["pointer"], "/cap");
    // An agent that registered keys gets tokens bound to one of them only.
    let key = holder();
    let reg =
        json!({"id": "heidi", "name": "Heidi", "contact": "dev@heidi.example", "keys": [key.jwk]});
    app.post("/v1/admin/agents", Some(&ops), &[], &reg.to_string())
        .await
        .expect(StatusCode::CREATED, "agent", app.contract());
    let mut bound = json!({"role": "agent", "agent": "heidi", "cnf": {"jkt": holder().jkt}});
    app.post("/v1/admin/tokens", Some(&ops), &[], &bound.to_string())
        .await
        .problem(StatusCode::UNPROCESSABLE_ENTITY, "key_not_registered");
    bound["cnf"]["jkt"] = json!(key.jkt);
    app.post("/v1/admin/tokens", Some(&ops), &[], &bound.to_string())
        .await
        .expect(StatusCode::CREATED, "issued-token", app.contract());
    // Only operators issue.
    app.post("/v1/admin/tokens", Some(token), &[], &issue.to_string())
        .await
        .problem(StatusCode::FORBIDDEN, "insufficient_capability");

    // Categories bind quotes: a coat is clothing; an agent limited to footwear cannot quote it.
    app.quote(token, COAT, 1).await;
    let mut shoes = issue.clone();
    shoes["limits"]["categories"] = json!(["footwear"]);
    let shoes = app
        .post("/v1/admin/tokens", Some(&ops), &[], &shoes.to_string())
        .await
        .expect(StatusCode::CREATED, "issued-token", app.contract());
    let body = json!({"lines": [{"sku": COAT, "quantity": 1}], "ship_to": {"country": "FR"}});
    let p = app
        .post(
            "/v1/quotes",
            shoes["token"].as_str(),
            &[],
            &body.to_string(),
        )
        .await
        .problem(StatusCode::FORBIDDEN, "category_not_allowed");
    assert_eq!(p["pointer"], "/lines/0/sku");
}

#[tokio::test]
async fn exchange_only_narrows_and_children_spend_from_their_parent() {
    let app = TestApp::demo().await;
    let price = {
        let probe = app.agent("probe");
        app.quote(&probe, COAT, 1).await["total"]["amount"]
            .as_u64()
            .expect("amount")
    };
    let parent = app.issue_recorded(&budgeted("erin", 2 * price)).await;
    let exchange = |body: Value| {
        let app = &app;
        let token = parent.token.clone();
        async move {
            app.post("/v1/tokens/exchange", Some(&token), &[], &body.to_string())
                .await
        }
    };
    for (body, pointer) in [
        (json!({"cap": ["audit:read"]}), "/cap"),
        (json!({"limits": {"total": 2 * price + 1}}), "/limits/total"),
        (json!({"ttl_seconds": 7200}), "/ttl_seconds"),
        (
            json!({"consent": {"attributes": ["birth_date"]}}),
            "/consent/attributes",
        ),
    ] {
        let p = exchange(body)
            .await
            .problem(StatusCode::FORBIDDEN, "token_exchange_wider");
        assert_eq!(p["pointer"], pointer, "{p}");
    }
    let child = exchange(json!({"cap": ["quotes:write", "orders:write"], "limits": {"total": price}, "ttl_seconds": 300}))
        .await
        .expect(StatusCode::CREATED, "issued-token", app.contract());
    let child = child["token"].as_str().expect("token").to_owned();
    let me = app.get("/v1/tokens/self", Some(&child)).await.expect(
        StatusCode::OK,
        "token-status",
        app.contract(),
    );
    assert_eq!(me["chain"], json!([parent.jti]));
    app.get("/v1/products?limit=1", Some(&child))
        .await
        .problem(StatusCode::FORBIDDEN, "insufficient_capability");

    // The child spends its whole budget; the parent's remaining shrinks by the same amount.
    let q = app.quote(&child, COAT, 1).await;
    app.order(&child, q["id"].as_str().expect("id"), "child-1")
        .await
        .expect(StatusCode::CREATED, "order", app.contract());
    let q = app.quote(&child, COAT, 1).await;
    app.order(&child, q["id"].as_str().expect("id"), "child-2")
        .await
        .problem(StatusCode::FORBIDDEN, "budget_exceeded");
    let parent_status = app.get("/v1/tokens/self", Some(&parent.token)).await;
    let parent_status = parent_status.expect(StatusCode::OK, "token-status", app.contract());
    assert_eq!(parent_status["spent"]["amount"], price);
    assert_eq!(parent_status["remaining"]["amount"], price);

    // Revoking the parent revokes the child.
    let ops = operator(&app);
    app.post_empty(
        &format!("/v1/admin/tokens/{}/revoke", parent.jti),
        Some(&ops),
    )
    .await;
    app.get("/v1/tokens/self", Some(&child))
        .await
        .problem(StatusCode::UNAUTHORIZED, "token_revoked");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_orders_never_exceed_a_budget() {
    let app = Arc::new(TestApp::demo().await);
    let probe = app.agent("probe");
    let price = app.quote(&probe, COAT, 1).await["total"]["amount"]
        .as_u64()
        .expect("amount");
    // Room for three orders and a third of a fourth.
    let total = 3 * price + price / 3;
    let grant = app.issue_recorded(&budgeted("frank", total)).await;
    let mut quotes = Vec::new();
    for _ in 0..50 {
        quotes.push(
            app.quote(&grant.token, COAT, 1).await["id"]
                .as_str()
                .expect("id")
                .to_owned(),
        );
    }
    let tasks: Vec<_> = quotes
        .into_iter()
        .enumerate()
        .map(|(i, qid)| {
            let (app, token) = (Arc::clone(&app), grant.token.clone());
            tokio::spawn(async move { app.order(&token, &qid, &format!("budget-{i}")).await })
        })
        .collect();
    let mut placed = 0;
    for t in tasks {
        let resp = t.await.expect("task");
        if resp.status == StatusCode::CREATED {
            placed += 1;
        } else {
            resp.problem(StatusCode::FORBIDDEN, "budget_exceeded");
        }
    }
    assert_eq!(placed, 3, "three orders fit the budget, never more");
    let me = app.get("/v1/tokens/self", Some(&grant.token)).await.expect(
        StatusCode::OK,
        "token-status",
        app.contract(),
    );
    assert_eq!(me["spent"]["amount"], 3 * price);
    assert_eq!(
        me["remaining"]["amount"],
        total - 3 * price,
        "the remaining budget is exact"
    );
}

/// An agent key for DPoP proofs, its public JWK and thumbprint.
struct Holder {
    encoding: EncodingKey,
    jwk: Value,
    jkt: String,
}

fn holder() -> Holder {
    let key = SigningKey::generate(&mut rand::rngs::OsRng);
    let x = URL_SAFE_NO_PAD.encode(key.verifying_key().as_bytes());
    let jwk = json!({"kty": "OKP", "crv": "Ed25519", "x": x});
    let jkt = jwk_thumbprint(&jwk).expect("thumbprint");
    let der = key.to_pkcs8_der().expect("der");
    Holder {
        encoding: EncodingKey::from_ed_der(der.as_bytes()),
        jwk,
        jkt,
    }
}

impl Holder {
    fn proof(&self, method: &str, path: &str, token: &str, jti: &str) -> String {
        let mut header = Header::new(Algorithm::EdDSA);
        header.typ = Some("dpop+jwt".into());
        header.jwk = Some(serde_json::from_value(self.jwk.clone()).expect("jwk"));
        let claims = proof_claims(method, &format!("{PUBLIC_URL}{path}"), token, jti, now());
        jsonwebtoken::encode(&header, &claims, &self.encoding).expect("proof")
    }
}

#[tokio::test]
async fn a_bound_token_needs_a_fresh_proof_for_each_request() {
    let app = TestApp::demo().await;
    let key = holder();
    let bound = app
        .issue_recorded(&IssueRequest {
            cnf: Some(Confirmation {
                jkt: key.jkt.clone(),
            }),
            ..IssueRequest::new(
                Role::Agent,
                AgentId::parse("grace").expect("id"),
                vec![],
                Duration::from_secs(600),
            )
        })
        .await
        .token;
    let path = "/v1/products?limit=1";
    let call = |proof: Option<String>| {
        let app = &app;
        let bound = bound.clone();
        async move {
            let auth = format!("DPoP {bound}");
            let mut headers = vec![("authorization", auth.as_str())];
            let proof = proof.unwrap_or_default();
            if !proof.is_empty() {
                headers.push(("dpop", proof.as_str()));
            }
            app.request(Method::GET, path, None, &headers, None).await
        }
    };
    // The token alone, leaked, buys nothing.
    let r = call(None).await;
    assert!(
        r.header("www-authenticate")
            .is_some_and(|h| h.starts_with("DPoP"))
    );
    r.problem(StatusCode::UNAUTHORIZED, "dpop_proof_required");
    // A proof for another URL.
    call(Some(key.proof("GET", "/v1/orders", &bound, "p-1")))
        .await
        .problem(StatusCode::UNAUTHORIZED, "dpop_proof_invalid");
    // A proof made by another key.
    call(Some(holder().proof("GET", "/v1/products", &bound, "p-2")))
        .await
        .problem(StatusCode::UNAUTHORIZED, "dpop_proof_invalid");
    // A good proof passes once; replayed, it is refused.
    let proof = key.proof("GET", "/v1/products", &bound, "p-3");
    assert_eq!(call(Some(proof.clone())).await.status, StatusCode::OK);
    call(Some(proof))
        .await
        .problem(StatusCode::UNAUTHORIZED, "dpop_proof_replayed");
    // An exchange keeps the binding.
    let proof = key.proof("POST", "/v1/tokens/exchange", &bound, "p-4");
    let auth = format!("DPoP {bound}");
    let child = app
        .request(
            Method::POST,
            "/v1/tokens/exchange",
            None,
            &[("authorization", &auth), ("dpop", &proof)],
            Some("{}"),
        )
        .await
        .expect(StatusCode::CREATED, "issued-token", app.contract());
    app.get(path, child["token"].as_str())
        .await
        .problem(StatusCode::UNAUTHORIZED, "dpop_proof_required");
}

#[tokio::test]
async fn each_agent_reads_only_its_own_quotes_orders_and_token() {
    let app = TestApp::demo().await;
    let alice = app.agent("alice");
    let bob = app.agent("bob");
    let q = app.quote(&alice, COAT, 1).await;
    let qid = q["id"].as_str().expect("id");
    let order = app.order(&alice, qid, "alice-1").await.expect(
        StatusCode::CREATED,
        "order",
        app.contract(),
    );
    let oid = order["id"].as_str().expect("id");
    app.get(&format!("/v1/orders/{oid}"), Some(&bob))
        .await
        .problem(StatusCode::NOT_FOUND, "order_not_found");
    app.get(&format!("/v1/quotes/{qid}"), Some(&bob))
        .await
        .problem(StatusCode::NOT_FOUND, "quote_not_found");
    // Bob cannot order Alice's quote either.
    app.order(&bob, qid, "bob-1")
        .await
        .problem(StatusCode::NOT_FOUND, "quote_not_found");
    // Auditors read the log and change nothing; agents reach no operator route.
    let auditor = app.auditor();
    app.post("/v1/quotes", Some(&auditor), &[], "{}")
        .await
        .problem(StatusCode::FORBIDDEN, "insufficient_capability");
    app.get("/v1/admin/agents", Some(&alice))
        .await
        .problem(StatusCode::FORBIDDEN, "insufficient_capability");
    let me = app.get("/v1/tokens/self", Some(&bob)).await.expect(
        StatusCode::OK,
        "token-status",
        app.contract(),
    );
    assert_eq!(me["sub"], "bob");
}

#[tokio::test]
async fn rate_limits_answer_429_with_retry_after() {
    let rates = BTreeMap::from([(
        RateClass::Catalog,
        Rate {
            per_second: 1,
            burst: 3,
        },
    )]);
    let app = TestApp::with_rates(rates).await;
    let alice = app.agent("alice");
    let first = app.get("/v1/categories", Some(&alice)).await;
    assert_eq!(first.status, StatusCode::OK);
    assert_eq!(first.header("ratelimit-limit"), Some("3"));
    assert_eq!(first.header("ratelimit-remaining"), Some("2"));
    // The burst runs out after a few requests (more if the machine is slow enough for the
    // bucket to refill meanwhile), each answer counting down what remains.
    let mut r = app.get("/v1/categories", Some(&alice)).await;
    for _ in 0..20 {
        if r.status == StatusCode::TOO_MANY_REQUESTS {
            break;
        }
        assert_eq!(r.status, StatusCode::OK);
        let remaining: u32 = r
            .header("ratelimit-remaining")
            .and_then(|v| v.parse().ok())
            .expect("RateLimit-Remaining");
        assert!(remaining < 3, "{remaining}");
        r = app.get("/v1/categories", Some(&alice)).await;
    }
    let retry: u64 = r
        .header("retry-after")
        .and_then(|v| v.parse().ok())
        .expect("Retry-After");
    assert!((1..=2).contains(&retry), "{retry}");
    r.problem(StatusCode::TOO_MANY_REQUESTS, "rate_limited");
    // Another agent, and another class of the same agent, are not slowed.
    assert_eq!(
        app.get("/v1/categories", Some(&app.agent("bob")))
            .await
            .status,
        StatusCode::OK
    );
    let agent_caps = app.token(Role::Agent, "alice", &[Capability::QuotesWrite]);
    let body = json!({"lines": [{"sku": COAT, "quantity": 1}], "ship_to": {"country": "FR"}});
    assert_eq!(
        app.post("/v1/quotes", Some(&agent_caps), &[], &body.to_string())
            .await
            .status,
        StatusCode::CREATED
    );
}

#[tokio::test]
async fn a_public_catalog_is_read_without_a_token_and_still_checks_one_sent() {
    let private = TestApp::demo().await;
    private
        .get(&format!("/v1/products/{COAT}"), None)
        .await
        .problem(StatusCode::UNAUTHORIZED, "missing_token");

    let app = TestApp::public_catalog().await;
    let manifest =
        app.get("/.well-known/b2a", None)
            .await
            .expect(StatusCode::OK, "manifest", app.contract());
    assert_eq!(manifest["catalog_access"], "public");
    let anonymous = app.get(&format!("/v1/products/{COAT}"), None).await;
    assert_eq!(anonymous.status, StatusCode::OK);
    assert!(
        anonymous.header("ratelimit-limit").is_some(),
        "anonymous readers are rate-limited"
    );
    // A token sent is verified like anywhere else; quotes still need one.
    refused(
        &app,
        "not-a-jwt",
        StatusCode::UNAUTHORIZED,
        "token_malformed",
    )
    .await;
    let body = json!({"lines": [{"sku": COAT, "quantity": 1}], "ship_to": {"country": "FR"}});
    app.post("/v1/quotes", None, &[], &body.to_string())
        .await
        .problem(StatusCode::UNAUTHORIZED, "missing_token");
}
