"""A shopping session through a b2a gateway's MCP endpoint, with the official Python MCP SDK as
the client: the test suite runs it against a live `b2a demo` (crates/b2a-cli/tests/it/mcp.rs).

Usage: mcp_session.py URL AGENT_TOKEN CATALOG_ONLY_TOKEN MODE
  MODE: legacy (the 2025-11-25 initialize handshake and a session) or 2026-07-28 (stateless)

Exits non-zero, saying what failed, when the gateway does not behave as docs/mcp.md says.
"""

import asyncio
import json
import sys
import urllib.error
import urllib.request
import uuid

import httpx2
import jsonschema
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

TOOLS = {
    "search_products", "get_product", "get_related_products", "list_categories",
    "request_quote", "counter_offer", "accept_quote", "place_order", "get_order",
    "list_orders", "cancel_order", "request_return", "get_pricing_policy",
    "get_token_status", "sparql_query",
}
FULFILMENT = {
    "name": "Camille Martin", "address": ["12 rue des Alpes"], "postal_code": "38000",
    "city": "Grenoble", "country": "FR",
}


def check(condition, what):
    if not condition:
        raise AssertionError(what)


class Session:
    def __init__(self, client, tools):
        self.client = client
        self.tools = {t.name: t for t in tools}

    async def call(self, name, args):
        """Calls a tool that must succeed; checks its structured content against its schema."""
        result = await self.client.call_tool(name, args)
        check(not result.is_error, f"{name} failed: {result.structured_content or result.content}")
        content = result.structured_content
        check(isinstance(content, dict), f"{name}: structuredContent is an object")
        jsonschema.validate(content, self.tools[name].output_schema,
                            cls=jsonschema.Draft202012Validator)
        text = "".join(getattr(c, "text", "") for c in result.content)
        check(json.loads(text) == content, f"{name}: the text content is the same JSON")
        return content


def connect(url, token, mode):
    http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=30)
    return http, Client(streamable_http_client(url, http_client=http), mode=mode)


async def shop(url, token, mode):
    http, client = connect(url, token, mode)
    async with http, client as c:
        listed = (await c.list_tools()).tools
        names = {t.name for t in listed}
        check(TOOLS - {"sparql_query"} <= names, f"every tool the token allows is listed: {names}")
        for t in listed:
            check(t.input_schema.get("type") == "object", f"{t.name}: an object input schema")
            check(t.output_schema and t.output_schema.get("type") == "object",
                  f"{t.name}: an object output schema")
            jsonschema.Draft202012Validator.check_schema(t.input_schema)
            jsonschema.Draft202012Validator.check_schema(t.output_schema)
        annotations = {t.name: t.annotations for t in listed}
        check(annotations["search_products"].read_only_hint is True, "search reads only")
        check(annotations["cancel_order"].destructive_hint is True, "cancel is destructive")
        check(annotations["place_order"].idempotent_hint is True, "an order is idempotent by key")

        s = Session(c, listed)
        page = await s.call("search_products",
                            {"q": "waterproof coat", "max_price": 20000, "currency": "EUR"})
        check(page["items"], f"a waterproof coat under 200 EUR is found: {page}")
        item = page["items"][0]
        product = await s.call("get_product", {"product_id": item["sku"]})
        check(product, "the product reads")
        quote = await s.call("request_quote", {
            "lines": [{"sku": item["sku"], "quantity": 1}], "ship_to": {"country": "FR"}})
        total = quote["total"]
        countered = await s.call("counter_offer", {
            "quote_id": quote["id"],
            "target_total": {"amount": total["amount"] * 95 // 100, "currency": total["currency"]},
        })
        check(countered["answer"] in {"accepted", "countered", "final_offer", "rejected"},
              f"the counter is answered: {countered['answer']}")
        accepted = await s.call("accept_quote", {"quote_id": quote["id"]})
        check(accepted["status"] == "accepted", f"the quote is accepted: {accepted['status']}")
        key = f"mcp-{uuid.uuid4()}"
        order_args = {"quote_id": quote["id"], "idempotency_key": key, "fulfilment": FULFILMENT}
        order = await s.call("place_order", order_args)
        again = await s.call("place_order", order_args)
        check(again["id"] == order["id"], "the same idempotency key gives the same order")
        read = await s.call("get_order", {"order_id": order["id"]})
        check(read["id"] == order["id"] and read["total"] == accepted["total"], "the order reads back")
        orders = await s.call("list_orders", {"limit": 5})
        check(any(o["id"] == order["id"] for o in orders["items"]), "the order is listed")
        cancelled = await s.call("cancel_order", {"order_id": order["id"], "reason": "test"})
        check(cancelled["status"] == "cancelled", f"the order is cancelled: {cancelled['status']}")
        late = await c.call_tool("request_return", {"order_id": order["id"]})
        check(late.is_error and late.structured_content["code"] != "internal_error",
              f"a cancelled order is not returned: {late.structured_content}")
        await s.call("get_pricing_policy", {})
        await s.call("list_categories", {})
        await s.call("get_related_products", {"product_id": item["sku"], "rel": "similar"})
        rows = await s.call("sparql_query", {
            "query": "SELECT ?p WHERE { ?p a <https://schema.org/Product> } LIMIT 3"})
        check(rows["results"]["bindings"], "SPARQL finds products")
        # Throttled calls are errors that say so, never empty results (sparql: 5 a second, burst
        # 10; at most a few queries in flight per agent).
        burst = await asyncio.gather(*[
            c.call_tool("sparql_query", {"query": "ASK { ?s ?p ?o }"}) for _ in range(40)])
        codes = [r.structured_content.get("code") for r in burst if r.is_error]
        check("rate_limited" in codes and set(codes) <= {"rate_limited", "sparql_busy"},
              f"the burst is throttled honestly: {codes}")
        check(all(r.structured_content.get("boolean") is True for r in burst if not r.is_error),
              "the others answer")
        status = await s.call("get_token_status", {})
        check(status["status"] == "active", f"the token is active: {status['status']}")

        bad = await c.call_tool("request_quote", {"lines": [], "ship_to": {"country": "FR"}})
        check(bad.is_error and bad.structured_content["code"] == "validation_failed",
              f"bad arguments are a tool error with a problem code: {bad.structured_content}")
        missing = await c.call_tool("get_order", {"order_id": "o_" + "0" * 32})
        check(missing.is_error and missing.structured_content["code"] == "order_not_found",
              f"an unknown order is a tool error: {missing.structured_content}")

        resources = {r.uri for r in (await c.list_resources()).resources}
        for uri in ["b2a://manifest", "b2a://policies/pricing", "b2a://policies/shipping",
                    "b2a://policies/returns"]:
            check(uri in {str(u) for u in resources}, f"{uri} is listed")
            doc = json.loads((await c.read_resource(uri)).contents[0].text)
            check(isinstance(doc, dict) and doc, f"{uri} reads as JSON")
        return order["id"]


async def refused(url, token, mode):
    http, client = connect(url, token, mode)
    async with http, client as c:
        names = {t.name for t in (await c.list_tools()).tools}
        check("search_products" in names, "a catalog token sees the catalog tools")
        check("place_order" not in names and "request_quote" not in names,
              f"tools the token does not allow are not listed: {names}")
        result = await c.call_tool("place_order", {
            "quote_id": "q_" + "0" * 32, "idempotency_key": "k-1"})
        check(result.is_error, "a tool the token does not allow is an error")
        check(result.structured_content["code"] == "insufficient_capability",
              f"with its problem code: {result.structured_content}")


def foreign_origin(url, token):
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}).encode()
    req = urllib.request.Request(url, data=body, method="POST", headers={
        "Content-Type": "application/json", "Accept": "application/json, text/event-stream",
        "Authorization": f"Bearer {token}", "Origin": "https://elsewhere.example"})
    try:
        urllib.request.urlopen(req)
        raise AssertionError("a request from another web origin is refused")
    except urllib.error.HTTPError as e:
        check(e.code == 403, f"403 from another origin, not {e.code}")
        check(json.load(e)["code"] == "origin_not_allowed", "with its problem code")


def unauthenticated(url):
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}).encode()
    req = urllib.request.Request(url, data=body, method="POST", headers={
        "Content-Type": "application/json", "Accept": "application/json, text/event-stream"})
    try:
        urllib.request.urlopen(req)
        raise AssertionError("a request without a token is refused")
    except urllib.error.HTTPError as e:
        check(e.code == 401, f"401 without a token, not {e.code}")
        challenge = e.headers.get("WWW-Authenticate", "")
        check("resource_metadata=" in challenge, f"the challenge names the metadata: {challenge}")
        metadata_url = challenge.split('resource_metadata="')[1].split('"')[0]
        with urllib.request.urlopen(metadata_url) as r:
            metadata = json.load(r)
        check(metadata["resource"] == url, f"the metadata describes {url}: {metadata}")
        check(metadata["authorization_servers"], "it names the authorization server")


async def main():
    url, agent, catalog_only, mode = sys.argv[1:5]
    unauthenticated(url)
    foreign_origin(url, agent)
    order = await shop(url, agent, mode)
    await refused(url, catalog_only, mode)
    print(f"mcp {mode}: ordered {order}")


asyncio.run(main())
