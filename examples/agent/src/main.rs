//! A small shopping agent: discovers a b2a brand, searches its catalog, reads a product, asks
//! for a quote, counters it once, accepts the answer and places an order — the flow any agent
//! follows.
//!
//! Run it against `b2a demo`:
//!
//! ```text
//! cargo run -p b2a-example-agent -- demo-data/demo-tokens.json "waterproof winter coat" 20000
//! ```
#![allow(clippy::print_stdout)]

use anyhow::{Context, bail};
use serde_json::{Value, json};

struct Agent {
    http: reqwest::Client,
    base: String,
    token: String,
}

impl Agent {
    async fn call(&self, req: reqwest::RequestBuilder) -> anyhow::Result<Value> {
        let resp = req.bearer_auth(&self.token).send().await?;
        let status = resp.status();
        let body: Value = resp.json().await.context("response is not JSON")?;
        if !status.is_success() {
            bail!("{status}: {} ({})", body["detail"], body["code"]);
        }
        Ok(body)
    }

    async fn get(&self, path: &str) -> anyhow::Result<Value> {
        self.call(self.http.get(format!("{}{path}", self.base)))
            .await
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let tokens_path = args
        .next()
        .unwrap_or_else(|| "demo-data/demo-tokens.json".into());
    let wanted = args
        .next()
        .unwrap_or_else(|| "waterproof winter coat".into());
    let max_price: i64 = args
        .next()
        .map(|p| p.parse())
        .transpose()?
        .unwrap_or(20_000);

    let tokens: Value = serde_json::from_str(
        &std::fs::read_to_string(&tokens_path)
            .with_context(|| format!("reading {tokens_path}; is `b2a demo` running?"))?,
    )?;
    let agent = Agent {
        http: reqwest::Client::new(),
        base: tokens["base_url"].as_str().context("base_url")?.to_owned(),
        token: tokens["agent_token"]
            .as_str()
            .context("agent_token")?
            .to_owned(),
    };

    // 1. Discover the brand.
    let manifest: Value = agent
        .http
        .get(format!("{}/.well-known/b2a", agent.base))
        .send()
        .await?
        .json()
        .await?;
    println!(
        "brand: {} (protocol {} {})",
        manifest["brand"]["name"], manifest["protocol"]["name"], manifest["protocol"]["version"]
    );

    // 2. Search the catalog.
    let page = agent
        .call(
            agent
                .http
                .get(format!("{}/v1/products", agent.base))
                .query(&[
                    ("q", wanted.as_str()),
                    ("max_price", &max_price.to_string()),
                    ("currency", "EUR"),
                    ("limit", "50"),
                ]),
        )
        .await?;
    let items = page["items"].as_array().context("items")?;
    println!(
        "found {} items for {wanted:?} under {max_price} minor units",
        items.len()
    );
    let pick = items
        .iter()
        .find(|i| i["availability"] == "InStock")
        .context("nothing in stock matches; try other words or a higher price")?;
    let sku = pick["sku"].as_str().context("sku")?;
    println!(
        "picked {sku}: {} at {} {}",
        pick["name"], pick["price"]["amount"], pick["price"]["currency"]
    );

    // 3. Read the product (schema.org JSON-LD).
    let product = agent
        .get(&format!(
            "/v1/products/{}",
            pick["id"].as_str().context("id")?
        ))
        .await?;
    println!(
        "product {} has {} offer(s)",
        product["@id"],
        if product["offers"].is_array() {
            "several"
        } else {
            "one"
        }
    );

    // 4. Ask for a quote.
    let quote =
        agent
            .call(agent.http.post(format!("{}/v1/quotes", agent.base)).json(
                &json!({"lines": [{"sku": sku, "quantity": 1}], "ship_to": {"country": "FR"}}),
            ))
            .await?;
    println!(
        "quote {}: total {} {} until {}",
        quote["id"], quote["total"]["amount"], quote["total"]["currency"], quote["expires_at"]
    );
    for line in quote["lines"].as_array().context("lines")? {
        for adj in line["adjustments"].as_array().context("adjustments")? {
            println!("  {}: {}", line["sku"], adj["reason"]);
        }
    }
    let quote_id = quote["id"].as_str().context("quote id")?.to_owned();

    // 5. Counter once at 95 % of the total: the brand accepts, counters, makes a final offer
    //    or rejects, and says why. Then accept what stands: only an accepted quote is ordered.
    let total = quote["total"]["amount"].as_i64().context("total")?;
    let target = json!({"target_total": {"amount": total * 95 / 100, "currency": quote["total"]["currency"]}});
    let answer = agent
        .call(
            agent
                .http
                .post(format!("{}/v1/quotes/{quote_id}/counter", agent.base))
                .json(&target),
        )
        .await?;
    println!(
        "counter at {}: {} ({}) — now {}",
        target["target_total"]["amount"],
        answer["answer"],
        answer["reason"],
        answer["quote"]["total"]["amount"]
    );
    agent
        .call(
            agent
                .http
                .post(format!("{}/v1/quotes/{quote_id}/accept", agent.base)),
        )
        .await?;

    // 6. Order it, idempotently.
    let key = uuid::Uuid::new_v4().to_string();
    let order = agent
        .call(
            agent
                .http
                .post(format!("{}/v1/orders", agent.base))
                .header("Idempotency-Key", &key)
                .json(&json!({"quote_id": quote_id})),
        )
        .await?;
    let order_id = order["id"].as_str().context("order id")?;

    // 7. Follow it.
    let order = agent.get(&format!("/v1/orders/{order_id}")).await?;
    println!("{}", serde_json::to_string_pretty(&order)?);
    Ok(())
}
