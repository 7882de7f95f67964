//! The MCP binding (`docs/mcp.md`): a Streamable HTTP endpoint at `/mcp` (rmcp) whose tools call
//! the REST routes in-process, so that a tool is its route — the same token checks, limits,
//! validation, domain operation, audit and problem codes — with its arguments placed where the
//! route takes them (`b2a_contract::TOOLS`). The door in front checks `Origin` and the token and
//! answers 401 with a challenge that names the resource metadata.

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::{HeaderValue, Method, header, request::Parts};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Json, Response};
use b2a_contract::{ErrorCode, TOOLS, ToolDoc};
use b2a_model::Capability;
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, Implementation, JsonObject,
    ListResourcesResult, ListToolsResult, PaginatedRequestParams, ProtocolVersion,
    ReadResourceRequestParams, ReadResourceResponse, ReadResourceResult, Resource,
    ResourceContents, ServerCapabilities, ServerConfig, Tool, ToolAnnotations,
};
use rmcp::service::RequestContext;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use rmcp::{ErrorData, RoleServer, ServerHandler};
use serde_json::{Value, json};
use tower::ServiceExt;

use crate::extract::{Admitted, Grant, McpMessage};
use crate::routes::{Routes, get};
use crate::{ApiError, AppState};

/// Where the endpoint is mounted.
const PATH: &str = "/mcp";
/// Where its OAuth protected resource metadata (RFC 9728) is served.
const METADATA: &str = "/.well-known/oauth-protected-resource";
/// The same at the path RFC 9728 derives from the resource's (`/mcp`).
const METADATA_OF_PATH: &str = "/.well-known/oauth-protected-resource/mcp";
/// What is escaped in a path segment: everything but RFC 3986's unreserved characters.
const SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');
/// The largest response of a route a tool passes on.
const MAX_RESULT_BYTES: usize = 16 << 20;

/// `/mcp` and its resource metadata, calling the routes of `api` (the gateway's REST router).
pub(crate) fn router(state: AppState, api: Router) -> Routes {
    let tools = Arc::new(tool_list(&state));
    let server = Gateway {
        api,
        state: state.clone(),
        tools,
    };
    let config = StreamableHttpServerConfig::default()
        // The door checks Origin (and refuses with a problem); the token guards every request.
        .disable_allowed_hosts()
        .with_max_request_body_bytes(state.config.max_body_bytes);
    let service = StreamableHttpService::new(
        move || Ok(server.clone()),
        Arc::new(LocalSessionManager::default()),
        config,
    );
    Routes::new()
        .nest_service(PATH, service)
        .layer(middleware::from_fn_with_state(state, door))
        .route(METADATA, get(metadata))
        .route(METADATA_OF_PATH, get(metadata))
}

/// RFC 9728 metadata: the resource, the brand as its authorization server, how tokens are sent.
async fn metadata(State(app): State<AppState>) -> Json<Value> {
    let base = &app.config.public_url;
    Json(json!({
        "resource": format!("{base}{PATH}"),
        "resource_name": app.config.brand_name,
        "authorization_servers": [app.governance.tokens().issuer()],
        "bearer_methods_supported": ["header"],
        "scopes_supported": Capability::ALL.iter().map(|c| c.as_str()).collect::<Vec<_>>(),
        "resource_documentation": format!("{base}/.well-known/b2a"),
    }))
}

/// Refuses a foreign `Origin` (403) and a request without a valid token (401, with the
/// challenge pointing at the resource metadata); passes the token's claims on to the tools.
async fn door(State(app): State<AppState>, req: Request, next: Next) -> Response {
    let (mut parts, body) = req.into_parts();
    if let Some(origin) = parts.headers.get(header::ORIGIN)
        && !same_origin(origin, &app.config.public_url)
    {
        return ApiError::new(
            ErrorCode::OriginNotAllowed,
            format!(
                "requests from a browser page are accepted from {} only",
                app.config.public_url
            ),
        )
        .at("Origin")
        .into_response();
    }
    match Grant::<McpMessage>::from_request_parts(&mut parts, &app).await {
        Ok(grant) => {
            parts.extensions.insert(Admitted(grant.claims));
            next.run(Request::from_parts(parts, body)).await
        }
        Err(e) if e.code().status() == 401 => {
            let given = parts.headers.contains_key(header::AUTHORIZATION);
            let challenge = format!(
                r#"Bearer realm="b2a", resource_metadata="{}{METADATA}"{}"#,
                app.config.public_url,
                if given {
                    r#", error="invalid_token""#
                } else {
                    ""
                }
            );
            e.with_header_value(header::WWW_AUTHENTICATE, challenge)
                .into_response()
        }
        Err(e) => e.into_response(),
    }
}

/// Whether `origin` is the gateway's own (scheme, host and port of its public URL).
fn same_origin(origin: &HeaderValue, public_url: &str) -> bool {
    let own = public_url.trim_end_matches('/');
    let own = own
        .find("://")
        .and_then(|i| own[i + 3..].find('/').map(|j| &own[..i + 3 + j]))
        .unwrap_or(own);
    origin.to_str().is_ok_and(|o| o.eq_ignore_ascii_case(own))
}

/// Each tool as MCP lists it, with the capability its route needs (none: any token).
fn tool_list(state: &AppState) -> Vec<(Option<Capability>, Tool)> {
    TOOLS
        .iter()
        .filter_map(|t| {
            let route = t.route()?;
            let input = state.contract.tool_input(t.name)?;
            let output = state.contract.bundled(route.response.1, "")?;
            let cap = route.capability.and_then(|c| c.parse().ok());
            let tool = Tool::new(
                t.name,
                format!(
                    "{} (REST: {} {})",
                    t.description,
                    t.method.to_ascii_uppercase(),
                    t.path
                ),
                object(input.clone()),
            )
            .with_title(t.title)
            .with_raw_output_schema(object(output))
            .with_annotations(
                ToolAnnotations::new()
                    .read_only(t.read_only)
                    .destructive(t.destructive)
                    .idempotent(t.idempotent)
                    .open_world(false),
            );
            Some((cap, tool))
        })
        .collect()
}

fn object(v: Value) -> Arc<JsonObject> {
    Arc::new(match v {
        Value::Object(m) => m,
        _ => JsonObject::new(),
    })
}

/// The MCP server: the tools and resources of one gateway.
#[derive(Clone)]
struct Gateway {
    api: Router,
    state: AppState,
    tools: Arc<Vec<(Option<Capability>, Tool)>>,
}

impl std::fmt::Debug for Gateway {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gateway").finish_non_exhaustive()
    }
}

/// The HTTP request the MCP message came in (its headers, the claims the door admitted).
fn request_parts(ctx: &RequestContext<RoleServer>) -> Result<&Parts, ErrorData> {
    ctx.extensions
        .get::<Parts>()
        .ok_or_else(|| ErrorData::internal_error("the HTTP request is not at hand", None))
}

/// One resource: its URI, name, description, and the route (and member) it reads.
struct ResourceDoc {
    uri: &'static str,
    name: &'static str,
    description: &'static str,
}

const RESOURCES: &[ResourceDoc] = &[
    ResourceDoc {
        uri: "b2a://manifest",
        name: "Brand manifest",
        description: "Who the brand is, its endpoints, token rules, limits and policies (GET /.well-known/b2a).",
    },
    ResourceDoc {
        uri: "b2a://policies/pricing",
        name: "Pricing policy",
        description: "What adjusts prices and by how much at most, negotiation, the attributes pricing never uses (GET /v1/pricing-policy).",
    },
    ResourceDoc {
        uri: "b2a://policies/shipping",
        name: "Shipping policy",
        description: "Destinations served, delivery prices and times (the shipping member of the pricing policy).",
    },
    ResourceDoc {
        uri: "b2a://policies/returns",
        name: "Return policy",
        description: "How long after delivery a return may be asked for, and how.",
    },
];

impl ServerHandler for Gateway {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(
            ServerCapabilities::builder()
                .enable_tools()
                .enable_resources()
                .build(),
        )
        .with_server_info(Implementation::new("b2a", env!("CARGO_PKG_VERSION")))
        .with_protocol_version(ProtocolVersion::V_2025_11_25)
        .with_instructions(format!(
            "The product catalog, offers and orders of {}. Search with search_products, price \
             with request_quote (a signed, explained offer), negotiate with counter_offer, then \
             accept_quote and place_order with an idempotency_key of your choosing. Amounts are \
             in minor units (cents).",
            self.state.config.brand_name
        ))
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        ctx: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        let claims = request_parts(&ctx)?
            .extensions
            .get::<Admitted>()
            .map(|Admitted(claims)| claims);
        let allowed = |cap: &Option<Capability>| match (cap, claims) {
            (None, _) => true,
            (Some(cap), Some(claims)) => claims.allows(*cap),
            (Some(_), None) => false,
        };
        Ok(ListToolsResult::with_all_items(
            self.tools
                .iter()
                .filter(|(cap, _)| allowed(cap))
                .map(|(_, tool)| tool.clone())
                .collect(),
        ))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        ctx: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let Some(doc) = b2a_contract::tool(&request.name) else {
            return Err(ErrorData::invalid_params(
                format!("no tool `{}`; tools/list names them", request.name),
                None,
            ));
        };
        let arguments = Value::Object(request.arguments.unwrap_or_default());
        if let Err(violations) = self
            .state
            .contract
            .validate_tool_arguments(doc.name, &arguments)
        {
            let problem = crate::extract::invalid_body(violations).problem();
            return Ok(CallToolResult::structured_error(problem).into());
        }
        let call = route_request(doc, arguments, request_parts(&ctx)?);
        let (status, body) = self.send(call).await;
        Ok(match body {
            Ok(v) if status.is_success() => CallToolResult::structured(v),
            Ok(problem) => CallToolResult::structured_error(problem),
            Err(e) => CallToolResult::structured_error(e.problem()),
        }
        .into())
    }

    async fn list_resources(
        &self,
        _request: Option<PaginatedRequestParams>,
        _ctx: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, ErrorData> {
        Ok(ListResourcesResult::with_all_items(
            RESOURCES
                .iter()
                .map(|r| {
                    Resource::new(r.uri, r.name)
                        .with_description(r.description)
                        .with_mime_type("application/json")
                })
                .collect(),
        ))
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        ctx: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, ErrorData> {
        let parts = request_parts(&ctx)?;
        let doc = match request.uri.as_str() {
            "b2a://manifest" => self.read(parts, "/.well-known/b2a").await?,
            "b2a://policies/pricing" => self.read(parts, "/v1/pricing-policy").await?,
            "b2a://policies/shipping" => {
                let policy = self.read(parts, "/v1/pricing-policy").await?;
                json!({"shipping": policy["shipping"], "currency": policy["currency"],
                       "details": format!("{}/shipping", self.state.config.brand_url)})
            }
            "b2a://policies/returns" => json!({
                "return_window_days": self.state.shop.return_window().whole_days(),
                "how": "after delivery, the request_return tool (POST /v1/orders/{id}/returns) on your order",
                "details": format!("{}/returns", self.state.config.brand_url),
            }),
            other => {
                return Err(ErrorData::resource_not_found(
                    format!("no resource `{other}`; resources/list names them"),
                    None,
                ));
            }
        };
        Ok(ReadResourceResult::new(vec![
            ResourceContents::text(doc.to_string(), request.uri.clone())
                .with_mime_type("application/json"),
        ])
        .into())
    }
}

impl Gateway {
    /// Serves `req` with the REST router: its status and its JSON body (a problem when it failed).
    async fn send(&self, req: Request) -> (axum::http::StatusCode, Result<Value, ApiError>) {
        let Ok(resp) = self.api.clone().oneshot(req).await;
        let status = resp.status();
        let body = match axum::body::to_bytes(resp.into_body(), MAX_RESULT_BYTES).await {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(ApiError::internal),
            Err(e) => Err(ApiError::new(
                ErrorCode::InternalError,
                format!("the result is larger than {MAX_RESULT_BYTES} bytes: {e}"),
            )),
        };
        (status, body)
    }

    /// A resource read from a route, as the caller's token may read it.
    async fn read(&self, parts: &Parts, path: &str) -> Result<Value, ErrorData> {
        let mut req = Request::new(Body::empty());
        *req.uri_mut() = path
            .parse()
            .map_err(|_| ErrorData::internal_error("bad path", None))?;
        pass_credentials(parts, &mut req);
        match self.send(req).await {
            (status, Ok(v)) if status.is_success() => Ok(v),
            (_, Ok(problem)) => Err(ErrorData::invalid_request(
                problem["detail"].as_str().unwrap_or("refused").to_owned(),
                Some(problem),
            )),
            (_, Err(e)) => Err(ErrorData::internal_error(
                e.problem()["detail"]
                    .as_str()
                    .unwrap_or("failed")
                    .to_owned(),
                None,
            )),
        }
    }
}

/// Gives a route request the caller's token and the claims the door admitted for it (so that
/// the route does not verify the token again); nothing else of the MCP request.
fn pass_credentials(parts: &Parts, req: &mut Request) {
    if let Some(v) = parts.headers.get(header::AUTHORIZATION) {
        req.headers_mut().insert(header::AUTHORIZATION, v.clone());
    }
    if let Some(admitted) = parts.extensions.get::<Admitted>() {
        req.extensions_mut().insert(admitted.clone());
    }
}

/// The request of `doc`'s route for these (valid) arguments: path parameters and headers taken
/// from the arguments named for them; the rest as the query string (GET) or the JSON body.
fn route_request(doc: &ToolDoc, arguments: Value, parts: &Parts) -> Request {
    let Value::Object(mut args) = arguments else {
        return Request::new(Body::empty());
    };
    let mut path = doc.path.to_owned();
    for (param, arg) in doc.path_args {
        let value = args.remove(*arg).map(|v| text(&v)).unwrap_or_default();
        let encoded: String = percent_encoding::utf8_percent_encode(&value, SEGMENT).collect();
        path = path.replace(&format!("{{{param}}}"), &encoded);
    }
    let mut headers = Vec::new();
    for (name, arg) in doc.header_args {
        if let Some(v) = args.remove(*arg) {
            headers.push((*name, text(&v)));
        }
    }
    let get = doc.method == "get";
    let mut json_body = None;
    if get {
        let pairs: Vec<(String, String)> = args.iter().map(|(k, v)| (k.clone(), text(v))).collect();
        if !pairs.is_empty() {
            path.push('?');
            path.push_str(&serde_urlencoded::to_string(pairs).unwrap_or_default());
        }
    } else if !args.is_empty() {
        json_body = Some(Value::Object(args).to_string());
    }
    let has_body = json_body.is_some();
    let mut req = Request::new(json_body.map_or_else(Body::empty, Body::from));
    *req.method_mut() = if get { Method::GET } else { Method::POST };
    *req.uri_mut() = path.parse().unwrap_or_default();
    pass_credentials(parts, &mut req);
    let h = req.headers_mut();
    if let Ok(v) = HeaderValue::from_str(doc.accept) {
        h.insert(header::ACCEPT, v);
    }
    if has_body {
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
    }
    for (name, value) in headers {
        if let (Ok(n), Ok(v)) = (
            axum::http::HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(&value),
        ) {
            h.insert(n, v);
        }
    }
    req
}

/// An argument as text: a string as it is, anything else as JSON.
fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts() -> Parts {
        let (parts, ()) = Request::builder()
            .header(header::AUTHORIZATION, "Bearer t")
            .header(header::COOKIE, "c=1")
            .body(())
            .expect("request")
            .into_parts();
        parts
    }

    fn tool(name: &str) -> &'static ToolDoc {
        b2a_contract::tool(name).expect("tool")
    }

    async fn body(req: Request) -> String {
        let bytes = axum::body::to_bytes(req.into_body(), 1 << 20)
            .await
            .expect("body");
        String::from_utf8(bytes.to_vec()).expect("utf-8")
    }

    #[tokio::test]
    async fn arguments_go_where_the_route_takes_them() {
        let args =
            json!({"quote_id": "q_1", "idempotency_key": "k-1", "fulfilment": {"name": "A"}});
        let req = route_request(tool("place_order"), args, &parts());
        assert_eq!(req.method(), Method::POST);
        assert_eq!(req.uri(), "/v1/orders");
        let h = req.headers();
        assert_eq!(h["idempotency-key"], "k-1");
        assert_eq!(h[header::AUTHORIZATION], "Bearer t");
        assert_eq!(h[header::CONTENT_TYPE], "application/json");
        assert!(
            !h.contains_key(header::COOKIE),
            "only the token is passed on"
        );
        let sent: Value = serde_json::from_str(&body(req).await).expect("json");
        assert_eq!(
            sent,
            json!({"quote_id": "q_1", "fulfilment": {"name": "A"}})
        );

        let req = route_request(
            tool("search_products"),
            json!({"q": "coat & hat", "max_price": 20000, "in_stock": true}),
            &parts(),
        );
        assert_eq!(req.method(), Method::GET);
        assert_eq!(
            req.uri(),
            "/v1/products?in_stock=true&max_price=20000&q=coat+%26+hat"
        );

        let req = route_request(
            tool("get_product"),
            json!({"product_id": "VC A/1?x"}),
            &parts(),
        );
        assert_eq!(req.uri().path(), "/v1/products/VC%20A%2F1%3Fx");
        assert_eq!(req.headers()[header::ACCEPT], "application/ld+json");

        let req = route_request(tool("accept_quote"), json!({"quote_id": "q_2"}), &parts());
        assert_eq!(req.uri(), "/v1/quotes/q_2/accept");
        assert!(!req.headers().contains_key(header::CONTENT_TYPE), "no body");
        assert_eq!(body(req).await, "");
    }

    #[test]
    fn only_the_gateways_own_origin_is_accepted() {
        let at = |origin: &str, public: &str| {
            same_origin(&HeaderValue::from_str(origin).expect("value"), public)
        };
        assert!(at("http://127.0.0.1:8080", "http://127.0.0.1:8080"));
        assert!(at("https://Shop.example", "https://shop.example/b2a/"));
        assert!(!at("https://shop.example.evil", "https://shop.example"));
        assert!(!at("http://shop.example", "https://shop.example"));
        assert!(!at("null", "https://shop.example"));
    }
}
