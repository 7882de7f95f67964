//! `TestApp`: a gateway over a fresh data directory with the demo brand, driven in-process.

use std::collections::BTreeMap;
use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode};
use b2a_contract::Contract;
use b2a_ledger::{Actor, AgentRecord, AgentStatus, RiskRules};
use b2a_model::{AgentId, Capability, Principal, Role, Sku};
use b2a_server::{
    AppState, DataDir, GatewayConfig, Rate, RateClass, Served, ShopSettings, Unrouted,
};
use b2a_trust::{IssueRequest, IssuedToken};
use serde_json::Value;
use tower::ServiceExt;

pub(crate) const PUBLIC_URL: &str = "http://b2a.test";

/// The SKUs of a product page, in order.
pub(crate) fn skus(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i["sku"].as_str().expect("sku").to_owned())
        .collect()
}

pub(crate) struct TestApp {
    dir: tempfile::TempDir,
    pub(crate) state: AppState,
    pub(crate) router: axum::Router,
    /// Every route `router` serves.
    served: Vec<Served>,
    contract: Contract,
}

#[derive(Debug)]
pub(crate) struct TestResponse {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Value,
    /// The router's fallbacks answered: no route has this path, or none this method.
    pub(crate) unrouted: bool,
    contract_check: Result<(), String>,
}

impl TestResponse {
    /// Asserts the status and that the body validates against `schema`; returns the body.
    #[track_caller]
    pub(crate) fn expect(self, status: StatusCode, schema: &str, contract: &Contract) -> Value {
        assert_eq!(
            self.status, status,
            "unexpected status; body: {}",
            self.body
        );
        if let Err(violations) = contract.validate(schema, &self.body) {
            panic!(
                "response does not match schema {schema}: {violations:?}\nbody: {}",
                self.body
            );
        }
        self.body
    }

    /// Asserts an error: its status and code, a body that validates as a problem, and the
    /// problem content type.
    #[track_caller]
    pub(crate) fn problem(self, status: StatusCode, code: &str) -> Value {
        assert_eq!(
            self.status, status,
            "unexpected status; body: {}",
            self.body
        );
        assert_eq!(
            self.body["code"], code,
            "unexpected code; body: {}",
            self.body
        );
        assert_eq!(
            self.headers
                .get("content-type")
                .and_then(|v| v.to_str().ok()),
            Some("application/problem+json")
        );
        if let Err(e) = &self.contract_check {
            panic!("problem body does not match schemas/problem.json: {e}");
        }
        self.body
    }

    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// What a test observes to prove that a refused request changed nothing.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Snapshot {
    pub(crate) orders: u64,
    pub(crate) audit_entries: u64,
    pub(crate) stock: Option<u32>,
}

/// The operator, as tests act.
pub(crate) fn operator_actor() -> Actor {
    Actor {
        name: "operator:test".into(),
        credential: String::new(),
    }
}

impl TestApp {
    pub(crate) async fn demo() -> Self {
        Self::demo_with_quote_ttl(Duration::from_secs(900)).await
    }

    pub(crate) async fn demo_with_quote_ttl(quote_ttl: Duration) -> Self {
        // Rates high enough that only the rate-limit tests meet them.
        let rates = RateClass::ALL
            .into_iter()
            .map(|c| {
                (
                    c,
                    Rate {
                        per_second: 100_000,
                        burst: 100_000,
                    },
                )
            })
            .collect();
        Self::configured(quote_ttl, rates, false).await
    }

    /// The demo brand serving its catalog without a token too.
    pub(crate) async fn public_catalog() -> Self {
        Self::configured(Duration::from_secs(900), BTreeMap::new(), true).await
    }

    /// The demo brand with these per-agent rates.
    pub(crate) async fn with_rates(rates: BTreeMap<RateClass, Rate>) -> Self {
        Self::configured(Duration::from_secs(900), rates, false).await
    }

    async fn configured(
        quote_ttl: Duration,
        rate_limits: BTreeMap<RateClass, Rate>,
        public_catalog: bool,
    ) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let data = DataDir::create(dir.path()).expect("data dir");
        data.identity_or_init(PUBLIC_URL).expect("identity");
        let config = GatewayConfig {
            public_url: PUBLIC_URL.into(),
            brand_name: "Maison Vercors".into(),
            brand_url: "https://vercors.example".into(),
            max_body_bytes: 64 * 1024,
            max_catalog_bytes: 4 * 1024 * 1024,
            sparql_timeout: Duration::from_secs(2),
            sparql_max_rows: 1000,
            sparql_max_concurrent: 2,
            rate_limits,
            dpop_window: Duration::from_secs(60),
            public_catalog,
        };
        // No risk rule by default: the tests that race many orders of one agent would trip the
        // velocity rule; the lifecycle tests set their own.
        let settings = ShopSettings {
            quote_ttl,
            order_rules: b2a_app::OrderRules {
                risk: RiskRules::default(),
                return_window: time::Duration::days(30),
            },
            ledger_url: None,
        };
        let state = data
            .app_state(config, settings, vec![])
            .await
            .expect("state");
        b2a_app::demo::seed(&state.shop).await.expect("demo seeded");
        let (router, served) = b2a_server::route_table(state.clone());
        Self {
            dir,
            state,
            router,
            served,
            contract: Contract::load().expect("contract"),
        }
    }

    /// The gateway's data directory.
    pub(crate) fn data_path(&self) -> &std::path::Path {
        self.dir.path()
    }

    pub(crate) fn contract(&self) -> &Contract {
        &self.contract
    }

    /// Every route the router serves, as it registered them.
    pub(crate) fn served(&self) -> &[Served] {
        &self.served
    }

    pub(crate) fn token(&self, role: Role, agent: &str, caps: &[Capability]) -> String {
        let req = IssueRequest {
            principal: (role == Role::Agent).then(|| Principal::parse("p-1").expect("principal")),
            ..IssueRequest::new(
                role,
                AgentId::parse(agent).expect("agent id"),
                caps.to_vec(),
                Duration::from_secs(600),
            )
        };
        self.state
            .governance
            .tokens()
            .issue(&req)
            .expect("issued")
            .token
    }

    /// Registers `agent` (if it is not yet) and issues it a recorded token, as an operator
    /// would: with `limits` and an optional key binding.
    pub(crate) async fn issue_recorded(&self, req: &IssueRequest) -> IssuedToken {
        let gov = &self.state.governance;
        let known = gov.agents().await.expect("agents");
        if req.role == Role::Agent && !known.iter().any(|a| a.id == req.agent) {
            let agent = AgentRecord {
                id: req.agent.clone(),
                name: format!("Agent {}", req.agent),
                contact: "dev@agents.example".into(),
                keys: vec![],
                status: AgentStatus::Active,
                registered_at: time::OffsetDateTime::now_utc(),
            };
            gov.register_agent(&agent, &operator_actor())
                .await
                .expect("registered");
        }
        gov.issue(req, &operator_actor()).await.expect("issued")
    }

    /// A token with every capability of the agent role.
    pub(crate) fn agent(&self, name: &str) -> String {
        self.token(Role::Agent, name, &[])
    }

    pub(crate) fn auditor(&self) -> String {
        self.token(Role::Auditor, "auditor-1", &[])
    }

    pub(crate) async fn request(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        headers: &[(&str, &str)],
        body: Option<&str>,
    ) -> TestResponse {
        let mut req = Request::builder().method(method).uri(path);
        if let Some(t) = token {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        if body.is_some()
            && !headers
                .iter()
                .any(|(n, _)| n.eq_ignore_ascii_case("content-type"))
        {
            req = req.header("content-type", "application/json");
        }
        for (n, v) in headers {
            req = req.header(*n, *v);
        }
        let req = req
            .body(body.map_or_else(Body::empty, |b| Body::from(b.to_owned())))
            .expect("request");
        let resp = self.router.clone().oneshot(req).await.expect("infallible");
        let status = resp.status();
        let headers = resp.headers().clone();
        let unrouted = resp.extensions().get::<Unrouted>().is_some();
        assert!(
            headers.get("x-request-id").is_some(),
            "every response carries a request id"
        );
        let bytes = axum::body::to_bytes(resp.into_body(), 16 * 1024 * 1024)
            .await
            .expect("body");
        let is_json = headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|t| t.contains("json"));
        let body: Value = if bytes.is_empty() {
            Value::Null
        } else if is_json {
            serde_json::from_slice(&bytes).expect("a JSON body, as its content type says")
        } else {
            Value::String(String::from_utf8_lossy(&bytes).into_owned())
        };
        let contract_check = if status.is_client_error() || status.is_server_error() {
            self.contract
                .validate("problem", &body)
                .map_err(|v| format!("{v:?}"))
        } else {
            Ok(())
        };
        assert_ne!(
            status,
            StatusCode::INTERNAL_SERVER_ERROR,
            "the gateway answered 500: {body}"
        );
        TestResponse {
            status,
            headers,
            body,
            unrouted,
            contract_check,
        }
    }

    pub(crate) async fn get(&self, path: &str, token: Option<&str>) -> TestResponse {
        self.request(Method::GET, path, token, &[], None).await
    }

    pub(crate) async fn post(
        &self,
        path: &str,
        token: Option<&str>,
        headers: &[(&str, &str)],
        body: &str,
    ) -> TestResponse {
        self.request(Method::POST, path, token, headers, Some(body))
            .await
    }

    /// POST with no body (publish, rollback).
    pub(crate) async fn post_empty(&self, path: &str, token: Option<&str>) -> TestResponse {
        self.request(Method::POST, path, token, &[], None).await
    }

    /// Uploads a catalog version with the given RDF media type.
    pub(crate) async fn upload_catalog(
        &self,
        token: &str,
        content_type: &str,
        body: &str,
    ) -> TestResponse {
        self.request(
            Method::POST,
            "/v1/admin/catalog/versions",
            Some(token),
            &[("content-type", content_type)],
            Some(body),
        )
        .await
    }

    /// Asks for a quote of `quantity` of `sku` shipped to France and returns it, open.
    pub(crate) async fn open_quote(&self, token: &str, sku: &str, quantity: u32) -> Value {
        let body = serde_json::json!({"lines": [{"sku": sku, "quantity": quantity}], "ship_to": {"country": "FR"}});
        self.post("/v1/quotes", Some(token), &[], &body.to_string())
            .await
            .expect(StatusCode::CREATED, "quote", &self.contract)
    }

    /// Asks for a quote of `quantity` of `sku` shipped to France, accepts it, and returns the
    /// accepted quote (ready to order).
    pub(crate) async fn quote(&self, token: &str, sku: &str, quantity: u32) -> Value {
        let open = self.open_quote(token, sku, quantity).await;
        let id = open["id"].as_str().expect("quote id");
        self.post_empty(&format!("/v1/quotes/{id}/accept"), Some(token))
            .await
            .expect(StatusCode::OK, "quote", &self.contract)
    }

    /// Orders a quote under `key`.
    pub(crate) async fn order(&self, token: &str, quote_id: &str, key: &str) -> TestResponse {
        let body = serde_json::json!({"quote_id": quote_id}).to_string();
        self.post(
            "/v1/orders",
            Some(token),
            &[("idempotency-key", key)],
            &body,
        )
        .await
    }

    pub(crate) async fn stock(&self, sku: &str) -> Option<u32> {
        self.state
            .shop
            .inventory()
            .stock(&Sku::parse(sku).expect("sku"))
            .await
            .expect("stock")
    }

    /// The whole audit log, read from the ledger.
    pub(crate) async fn audit_log(&self) -> Vec<b2a_audit::entry::Entry> {
        let query = b2a_ledger::AuditQuery {
            limit: 100_000,
            ..b2a_ledger::AuditQuery::default()
        };
        let stored = self
            .state
            .shop
            .audit_store()
            .audit_entries(&query)
            .await
            .expect("audit");
        stored
            .iter()
            .map(|e| serde_json::from_str(&e.body).expect("an entry"))
            .collect()
    }

    pub(crate) async fn snapshot(&self, sku: &str) -> Snapshot {
        let shop = &self.state.shop;
        Snapshot {
            orders: shop.order_book().order_count().await.expect("count"),
            audit_entries: shop.audit_store().audit_size().await.expect("audit"),
            stock: self.stock(sku).await,
        }
    }
}
