//! The route table (`b2a_contract::ROUTES`, from which `/openapi.json` and the MCP tools are
//! built) held against the router the gateway really serves: every route served is documented,
//! every documented route is served, and each asks for exactly the capability the table says.

use std::collections::BTreeSet;

use axum::http::{Method, StatusCode};
use b2a_contract::{ROUTES, RouteDoc};
use b2a_model::{Capability, Role};

use crate::support::{PUBLIC_URL, TestApp, TestResponse};

/// The MCP binding: served whole at this path (every method; its own protocol, `docs/mcp.md`),
/// named by the manifest, and not a route of the REST table.
const MCP: &str = "/mcp";

/// `route`'s path with a value in each parameter.
fn concrete(path: &str) -> String {
    path.split('/')
        .map(|segment| match segment {
            "{action}" => "approve",
            "{file}" => "money.json",
            s if s.starts_with('{') => "x1",
            s => s,
        })
        .collect::<Vec<_>>()
        .join("/")
}

fn method(route: &RouteDoc) -> Method {
    route
        .method
        .to_ascii_uppercase()
        .parse()
        .expect("an HTTP method")
}

fn name(route: &RouteDoc) -> String {
    format!("{} {}", route.method.to_ascii_uppercase(), route.path)
}

/// `route`, with no body, by the holder of `token`.
async fn call(app: &TestApp, route: &RouteDoc, token: Option<&str>) -> TestResponse {
    app.request(method(route), &concrete(route.path), token, &[], None)
        .await
}

fn code(resp: &TestResponse) -> &str {
    resp.body["code"].as_str().unwrap_or_default()
}

/// The status and code of an answer, as a failure message shows it.
fn answer(resp: &TestResponse) -> String {
    format!("{} {}", resp.status, code(resp))
        .trim_end()
        .to_owned()
}

/// The capability an `insufficient_capability` problem says the route needs.
fn named_capability(resp: &TestResponse) -> Option<&str> {
    resp.body["detail"].as_str()?.split('`').nth(1)
}

#[tokio::test]
async fn the_router_serves_exactly_the_documented_routes() {
    let app = TestApp::demo().await;
    let documented: BTreeSet<String> = ROUTES.iter().map(name).collect();
    assert_eq!(
        documented.len(),
        ROUTES.len(),
        "a route is documented twice"
    );

    let mut served = BTreeSet::new();
    for route in app.served() {
        match &route.method {
            Some(m) => assert!(
                served.insert(format!("{m} {}", route.path)),
                "{m} {} is registered twice",
                route.path
            ),
            None => assert_eq!(route.path, MCP, "only the MCP binding is mounted whole"),
        }
    }
    let undocumented: Vec<_> = served.difference(&documented).collect();
    let unserved: Vec<_> = documented.difference(&served).collect();
    assert!(
        undocumented.is_empty() && unserved.is_empty(),
        "the router and b2a_contract::ROUTES disagree\n  served but not in ROUTES: \
         {undocumented:?}\n  in ROUTES but not served: {unserved:?}"
    );

    // The fallbacks are recognised: an unknown path, a known path with another method.
    assert!(app.get("/v1/nothing-here", None).await.unrouted);
    assert!(
        app.request(Method::DELETE, "/v1/quotes", None, &[], None)
            .await
            .unrouted
    );
    // Each documented route reaches a handler of the real router.
    let mut fallen = Vec::new();
    for route in ROUTES {
        let resp = call(&app, route, None).await;
        if resp.unrouted {
            fallen.push(format!("{}: {} {}", name(route), resp.status, resp.body));
        }
    }
    assert!(
        fallen.is_empty(),
        "documented routes the router answers with its fallback:\n{}",
        fallen.join("\n")
    );

    // The MCP binding: where the manifest says, behind its token check.
    let manifest = app.get("/.well-known/b2a", None).await.body;
    assert_eq!(manifest["endpoints"]["mcp"], format!("{PUBLIC_URL}{MCP}"));
    let mcp = app.post(MCP, None, &[], "{}").await;
    assert!(!mcp.unrouted);
    mcp.problem(StatusCode::UNAUTHORIZED, "missing_token");
}

#[tokio::test]
async fn every_route_asks_for_the_capability_it_documents() {
    let app = TestApp::demo().await;
    let mut wrong = Vec::new();
    for route in ROUTES {
        let at = name(route);
        let anonymous = call(&app, route, None).await;
        let Some(documented) = route.capability else {
            // Public: answered without a token.
            if matches!(anonymous.status.as_u16(), 401 | 403) {
                wrong.push(format!(
                    "{at}: documented public, answers {} without a token",
                    answer(&anonymous)
                ));
            } else if anonymous.status.as_u16() == route.response.0
                && let Err(v) = app.contract().validate(route.response.1, &anonymous.body)
            {
                wrong.push(format!(
                    "{at}: its answer is not a {}: {v:?}",
                    route.response.1
                ));
            }
            continue;
        };
        if code(&anonymous) != "missing_token" {
            wrong.push(format!(
                "{at}: documented to need a token, answers {} without one",
                answer(&anonymous)
            ));
        }
        if documented.is_empty() {
            // Any valid token: every role's, with any one capability it may hold.
            for role in Role::ALL {
                for cap in role.allowed() {
                    let token = app.token(role, &format!("{role}-routes"), &[*cap]);
                    let resp = call(&app, route, Some(&token)).await;
                    if matches!(resp.status.as_u16(), 401 | 403) {
                        wrong.push(format!(
                            "{at}: documented for any token, refuses a token of role {role} \
                             carrying only {cap}: {}",
                            answer(&resp)
                        ));
                    }
                }
            }
            continue;
        }
        let Ok(cap) = documented.parse::<Capability>() else {
            wrong.push(format!("{at}: documents `{documented}`, not a capability"));
            continue;
        };
        // A token of any role carrying everything it may but this capability is refused, and
        // the refusal names this capability.
        for role in Role::ALL {
            let others: Vec<Capability> = role
                .allowed()
                .iter()
                .copied()
                .filter(|c| *c != cap)
                .collect();
            if others.is_empty() {
                continue;
            }
            let token = app.token(role, &format!("{role}-routes"), &others);
            let resp = call(&app, route, Some(&token)).await;
            if code(&resp) != "insufficient_capability" {
                wrong.push(format!(
                    "{at}: documents `{cap}`, but a token of role {role} without it gets {}",
                    answer(&resp)
                ));
            } else if named_capability(&resp) != Some(cap.as_str()) {
                wrong.push(format!(
                    "{at}: documents `{cap}`, but the refusal says: {}",
                    resp.body["detail"]
                ));
            }
        }
        // A token carrying only this capability passes the route's check.
        let holder = Role::ALL
            .into_iter()
            .find(|r| r.allowed().contains(&cap))
            .expect("some role may hold every capability");
        let token = app.token(holder, &format!("{holder}-routes"), &[cap]);
        let resp = call(&app, route, Some(&token)).await;
        if matches!(resp.status.as_u16(), 401) || code(&resp) == "insufficient_capability" {
            wrong.push(format!(
                "{at}: documents `{cap}`, but a token of role {holder} carrying only it gets {}: \
                 {}",
                answer(&resp),
                resp.body["detail"]
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "routes that do not ask for what b2a_contract::ROUTES documents:\n{}",
        wrong.join("\n")
    );
}
