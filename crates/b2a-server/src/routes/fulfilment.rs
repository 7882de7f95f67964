//! Fulfilment, for operators: orders held for approval, approving or rejecting them, shipping,
//! delivering and refunding, reading an order with its fulfilment details, and stock levels (read
//! and set).

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Json, Response};
use b2a_contract::{ErrorCode, OrderActionBody, StockLevelBody};
use b2a_model::{OrderId, Sku, Transition};
use serde_json::json;
use time::OffsetDateTime;

use super::orders::{PageParams, page_json};
use super::table::{Routes, get, post, put};
use crate::extract::{Admin, ApiQuery, Grant, OptionalBody, PathId, Valid};
use crate::{ApiError, AppState};

pub(super) fn router() -> Routes {
    Routes::new()
        .route("/v1/admin/approvals", get(approvals))
        .route("/v1/admin/orders/{id}", get(read))
        .route("/v1/admin/orders/{id}/{action}", post(act))
        .route("/v1/admin/stock/{sku}", put(set_stock).get(stock))
}

async fn approvals(
    State(app): State<AppState>,
    _grant: Grant<Admin>,
    ApiQuery(params): ApiQuery<PageParams>,
) -> Result<Response, ApiError> {
    let (limit, after) = params.checked()?;
    Ok(page_json(app.shop.approvals(after, limit).await?).into_response())
}

async fn read(
    State(app): State<AppState>,
    _grant: Grant<Admin>,
    PathId(id): PathId<OrderId>,
) -> Result<Response, ApiError> {
    let (order, fulfilment, events) = app.shop.order_for_operator(id).await?;
    let mut body = json!({"order": order, "events": events});
    if let Some(f) = fulfilment {
        body["fulfilment"] = f;
    }
    Ok(Json(body).into_response())
}

async fn act(
    State(app): State<AppState>,
    grant: Grant<Admin>,
    Path((id, action)): Path<(String, String)>,
    OptionalBody(body): OptionalBody<OrderActionBody>,
) -> Result<Response, ApiError> {
    let id = OrderId::parse(id)
        .map_err(|e| ApiError::new(ErrorCode::InvalidPath, e.to_string()).at("id"))?;
    let transition = match action.as_str() {
        "approve" => Transition::Approve,
        "reject" => Transition::Reject,
        "ship" => Transition::Ship,
        "deliver" => Transition::Deliver,
        "refund" => Transition::Refund,
        other => {
            return Err(ApiError::new(
                ErrorCode::NotFound,
                format!(
                    "`{other}` is not an order action: approve, reject, ship, deliver or refund"
                ),
            )
            .at("action"));
        }
    };
    let order = app
        .shop
        .operator_transition(
            grant.actor(),
            id,
            transition,
            body.and_then(|b| b.reason),
            OffsetDateTime::now_utc(),
        )
        .await?;
    Ok(Json(order).into_response())
}

fn sku_param(sku: String) -> Result<Sku, ApiError> {
    Sku::parse(sku).map_err(|e| ApiError::new(ErrorCode::InvalidPath, e.to_string()).at("sku"))
}

async fn stock(
    State(app): State<AppState>,
    _grant: Grant<Admin>,
    Path(sku): Path<String>,
) -> Result<Response, ApiError> {
    let sku = sku_param(sku)?;
    match app.shop.inventory().stock(&sku).await? {
        Some(quantity) => Ok(Json(json!({"sku": sku, "quantity": quantity})).into_response()),
        None => Err(
            ApiError::new(ErrorCode::UnknownSku, format!("no stock is kept for {sku}")).at("sku"),
        ),
    }
}

async fn set_stock(
    State(app): State<AppState>,
    grant: Grant<Admin>,
    Path(sku): Path<String>,
    Valid { body, .. }: Valid<StockLevelBody>,
) -> Result<Response, ApiError> {
    let sku = Sku::parse(sku)
        .map_err(|e| ApiError::new(ErrorCode::InvalidPath, e.to_string()).at("sku"))?;
    app.shop
        .inventory()
        .set_stock(
            &[(sku.clone(), body.quantity)],
            &grant.actor(),
            OffsetDateTime::now_utc(),
        )
        .await?;
    Ok(Json(json!({"sku": sku, "quantity": body.quantity})).into_response())
}
