//! Example-based tests: each rule with its reason, delivery, negotiation, the policy file.

use crate::common::*;
use b2a_model::{AdjustmentKind, Answer, Currency, Money, QuoteStatus, Speed};
use b2a_pricing::{
    ConsentedAttributes, Counter, LineInput, Percent, PricingError, PricingPolicy, RULE_MAX_MARKUP,
    RULE_MIN_PRICE, answer_counter, price_quote,
};
use time::macros::{date, datetime};

fn usd() -> Currency {
    Currency::parse("USD").expect("usd")
}

fn coat(quantity: i64) -> LineInput {
    let mut l = line(
        "VC-CHMCOAT-BLK-M",
        &["coats-jackets"],
        quantity,
        17_900,
        8_261,
    );
    l.name = "Chamrousse coat".to_owned();
    l
}

fn gloves() -> LineInput {
    let mut l = line("VC-GANIMP-BLK-M", &["accessories"], 1, 3_900, 1_200);
    l.name = "Chamonix gloves".to_owned();
    l
}

/// The adjustments of the only line of a one-line quote, as (kind, amount, reason).
fn adjustments(policy: &PricingPolicy, input: LineInput) -> Vec<(AdjustmentKind, i64, String)> {
    let quote = price_quote(policy, &[input], &to("FR")).expect("priced");
    quote.lines[0]
        .line
        .adjustments
        .iter()
        .map(|a| (a.kind, a.amount.amount(), a.reason.clone()))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// The policy file

#[test]
fn the_demo_policy_parses() {
    let p = demo();
    assert_eq!(p.currency, Currency::EUR);
    assert!(p.prices_include_vat);
    assert_eq!(p.guardrails.min_margin_percent, Percent::from_percent(15));
    assert_eq!(p.guardrails.max_markup_percent, Percent::from_percent(10));
    assert_eq!(
        p.guardrails.max_daily_change_percent,
        Percent::from_percent(15)
    );
    let tiers: Vec<(u32, u32)> = p
        .volume_tiers
        .iter()
        .map(|t| (t.min_quantity, t.discount_percent.bp()))
        .collect();
    assert_eq!(tiers, [(3, 300), (5, 500), (10, 800)]);
    let sd = p.stock_demand.as_ref().expect("stock_demand");
    assert_eq!(
        (
            sd.window_hours,
            sd.scarce_stock_at_most,
            sd.high_demand_at_least
        ),
        (72, 5, 10)
    );
    assert_eq!(sd.overstock_at_least, 150);
    let promo = &p.promotions[0];
    assert_eq!(promo.id, "winter-sale");
    assert_eq!(promo.starts_at, datetime!(2026-11-15 00:00 UTC));
    assert_eq!(promo.ends_at, datetime!(2027-01-31 23:59:59 UTC));
    let loyalty = p.loyalty.as_ref().expect("loyalty");
    assert_eq!(loyalty.tiers.len(), 3);
    assert_eq!(p.bundles[0].skus.len(), 2);
    let zones: Vec<&str> = p.shipping.zones.iter().map(|z| z.id.as_str()).collect();
    assert_eq!(zones, ["fr", "eu", "world"]);
    assert_eq!(p.shipping.zones[1].countries.len(), 9);
    assert_eq!(p.shipping.zones[2].express, None);
    assert_eq!(p.negotiation.default.max_rounds, 3);
    let acc = &p.negotiation.categories["accessories"];
    assert_eq!((acc.max_discount_percent.bp(), acc.max_rounds), (500, 2));
    assert_eq!(
        acc.concession_ratio_percent,
        Percent::from_percent(50),
        "the default"
    );
}

#[test]
fn a_policy_round_trips_through_json() {
    let p = demo();
    let json = serde_json::to_string(&p).expect("json");
    assert_eq!(PricingPolicy::from_json(&json), Ok(p));
    // Quoted RFC 3339 timestamps are read from TOML too.
    let quoted = DEMO_POLICY
        .replace("2026-11-15T00:00:00Z", "\"2026-11-15T00:00:00Z\"")
        .replace("2027-01-31T23:59:59Z", "\"2027-01-31T23:59:59+00:00\"");
    assert_eq!(PricingPolicy::from_toml(&quoted), Ok(demo()));
}

#[test]
fn the_default_policy_quotes_list_prices() {
    let p = PricingPolicy::list_prices_only(Currency::EUR);
    assert_eq!(p.validate(), Ok(()));
    let mut input = coat(12);
    input.stock = Some(1);
    input.demand = 99;
    let quote = price_quote(&p, &[input], &to("JP")).expect("priced");
    assert_eq!(quote.lines[0].line.unit_price, eur(17_900));
    assert!(quote.lines[0].line.adjustments.is_empty());
    assert_eq!(quote.delivery.price, eur(0));
    assert_eq!(quote.delivery.days, 5);
    assert_eq!(quote.bounds.max_rounds, 0);
}

#[test]
fn loyalty_tiers_follow_orders() {
    let p = demo();
    let loyalty = p.loyalty.as_ref().expect("loyalty");
    let tier = |n| loyalty.tier_for(n).map(|t| t.tier.as_str());
    assert_eq!(tier(0), None);
    assert_eq!(tier(1), Some("member"));
    assert_eq!(tier(3), Some("silver"));
    assert_eq!(tier(7), Some("silver"));
    assert_eq!(tier(8), Some("gold"));
    assert_eq!(tier(500), Some("gold"));
}

fn refused(edit: impl FnOnce(&mut PricingPolicy)) -> String {
    let mut p = demo();
    edit(&mut p);
    p.validate().expect_err("refused").field
}

#[test]
fn validation_names_the_field() {
    let over = Percent::from_bp(10_001);
    assert_eq!(
        refused(|p| p.volume_tiers[1].discount_percent = over),
        "volume_tiers[1].discount_percent"
    );
    assert_eq!(
        refused(|p| p.volume_tiers[2].id = "volume-3".into()),
        "volume_tiers[2].id"
    );
    assert_eq!(
        refused(|p| p.volume_tiers[0].id = " ".into()),
        "volume_tiers[0].id"
    );
    assert_eq!(
        refused(|p| p.volume_tiers[2].min_quantity = 5),
        "volume_tiers[2].min_quantity"
    );
    assert_eq!(
        refused(|p| p.promotions[0].discount_percent = over),
        "promotions[0].discount_percent"
    );
    assert_eq!(
        refused(|p| p.promotions[0].ends_at = p.promotions[0].starts_at),
        "promotions[0].ends_at"
    );
    assert_eq!(
        refused(|p| {
            let b = p.bundles[0].skus[0].clone();
            p.bundles[0].skus = vec![b.clone(), b];
        }),
        "bundles[0].skus"
    );
    assert_eq!(
        refused(|p| p.bundles[0].discount_percent = over),
        "bundles[0].discount_percent"
    );
    assert_eq!(refused(|p| p.shipping.zones.clear()), "shipping.zones");
    assert_eq!(
        refused(|p| p.shipping.zones[0].countries = vec!["fr".into()]),
        "shipping.zones[0].countries[0]"
    );
    assert_eq!(
        refused(|p| p.shipping.zones[0].countries = vec!["FRA".into()]),
        "shipping.zones[0].countries[0]"
    );
    assert_eq!(
        refused(|p| p.shipping.zones[1].countries[3] = "FR".into()),
        "shipping.zones[1].countries[3]"
    );
    assert_eq!(
        refused(|p| p.shipping.zones[1].countries = vec!["*".into()]),
        "shipping.zones[2].countries[0]"
    );
    assert_eq!(
        refused(|p| p.shipping.zones[1].id = "fr".into()),
        "shipping.zones[1].id"
    );
    assert_eq!(
        refused(|p| p.shipping.zones[0].standard.price = -1),
        "shipping.zones[0].standard.price"
    );
    assert_eq!(
        refused(|p| p.shipping.zones[0].express.as_mut().expect("express").price = -1),
        "shipping.zones[0].express.price"
    );
    assert_eq!(
        refused(|p| p.shipping.zones[0].free_standard_above = Some(-5)),
        "shipping.zones[0].free_standard_above"
    );
    assert_eq!(
        refused(|p| p.negotiation.default.concession_ratio_percent = Percent::ZERO),
        "negotiation.default.concession_ratio_percent"
    );
    assert_eq!(
        refused(|p| {
            let rule = p
                .negotiation
                .categories
                .get_mut("accessories")
                .expect("accessories");
            rule.concession_ratio_percent = Percent::HUNDRED;
        }),
        "negotiation.categories.accessories.concession_ratio_percent"
    );
    assert_eq!(
        refused(|p| p.negotiation.default.max_discount_percent = over),
        "negotiation.default.max_discount_percent"
    );
    assert_eq!(
        refused(|p| p.stock_demand.as_mut().expect("sd").window_hours = 0),
        "stock_demand.window_hours"
    );
    assert_eq!(
        refused(|p| p.stock_demand.as_mut().expect("sd").overstock_at_least = 5),
        "stock_demand.overstock_at_least"
    );
    assert_eq!(
        refused(|p| p.loyalty.as_mut().expect("loyalty").tiers[2].tier = "member".into()),
        "loyalty.tiers[2].tier"
    );
    assert_eq!(
        refused(|p| p.guardrails.max_markup_percent = Percent::from_bp(100_001)),
        "guardrails.max_markup_percent"
    );
}

#[test]
fn file_errors_name_the_field_they_are_at() {
    let err = |text: &str| PricingPolicy::from_toml(text).expect_err("refused");
    let typo = DEMO_POLICY.replacen(
        "min_quantity = 5\ndiscount_percent = 5",
        "min_quantity = 5\ndiscount_percnt = 5",
        1,
    );
    let e = err(&typo);
    assert_eq!(e.field, "volume_tiers[1].discount_percnt", "{e}");
    assert!(e.reason.contains("unknown field"), "{e}");

    let third_decimal =
        DEMO_POLICY.replacen("discount_percent = 8\n", "discount_percent = 8.125\n", 1);
    let e = err(&third_decimal);
    assert_eq!(e.field, "volume_tiers[2].discount_percent", "{e}");
    assert!(e.reason.contains("two decimals"), "{e}");

    let negative = DEMO_POLICY.replacen("max_markup_percent = 10", "max_markup_percent = -10", 1);
    assert_eq!(err(&negative).field, "guardrails.max_markup_percent");

    let inline = DEMO_POLICY.replacen(
        "standard = { price = 490, days = 3 }",
        "standard = { price = 490, dayz = 3 }",
        1,
    );
    assert_eq!(err(&inline).field, "shipping.zones[0].standard.dayz");

    let bad_sku = DEMO_POLICY.replacen("\"VC-GANIMP-BLK-M\"", "\"gloves\"", 1);
    assert_eq!(err(&bad_sku).field, "bundles[0].skus");

    let local_time = DEMO_POLICY.replacen("2026-11-15T00:00:00Z", "2026-11-15T00:00:00", 1);
    assert_eq!(err(&local_time).field, "promotions[0].starts_at");

    let top = DEMO_POLICY.replacen("currency = \"EUR\"", "currency = \"EURO\"", 1);
    assert_eq!(err(&top).field, "currency");

    let e = err("currency = \"EUR\"\n[guardrails\n");
    assert!(!e.reason.is_empty());

    // Validation runs after parsing, with the same paths.
    let two_catch_alls = DEMO_POLICY.replacen("countries = [\"FR\"]", "countries = [\"*\"]", 1);
    assert_eq!(err(&two_catch_alls).field, "shipping.zones[2].countries[0]");

    let json =
        PricingPolicy::from_json("{\"currency\": \"EUR\", \"shiping\": {}}").expect_err("refused");
    assert_eq!(json.field, "policy");
    assert!(json.reason.contains("shiping"), "{json}");
}

// ---------------------------------------------------------------------------------------------
// The rules, each with its reason

#[test]
fn scarce_stock_in_demand_raises_the_price() {
    let p = demo();
    let mut input = coat(1);
    input.stock = Some(3);
    input.demand = 14;
    assert_eq!(
        adjustments(&p, input.clone()),
        [(
            AdjustmentKind::StockDemand,
            716,
            "Only 3 left and 14 units asked for in the last 72 hours: +4 %".to_owned()
        )]
    );
    input.stock = Some(1);
    assert_eq!(
        adjustments(&p, input.clone())[0].2,
        "Only 1 left and 14 units asked for in the last 72 hours: +6.66 %"
    );
    input.stock = Some(0);
    let all = adjustments(&p, input.clone());
    assert_eq!(all[0].1, 1_432);
    assert_eq!(
        all[0].2,
        "None left and 14 units asked for in the last 72 hours: +8 %"
    );
    // Not scarce, or not in demand: nothing.
    input.stock = Some(6);
    assert!(adjustments(&p, input.clone()).is_empty());
    input.stock = Some(3);
    input.demand = 9;
    assert!(adjustments(&p, input.clone()).is_empty());
    input.stock = None;
    input.demand = 100;
    assert!(adjustments(&p, input).is_empty(), "not stocked");
}

#[test]
fn overstock_lowers_the_price() {
    let mut input = coat(1);
    input.stock = Some(200);
    input.demand = 3;
    assert_eq!(
        adjustments(&demo(), input.clone()),
        [(
            AdjustmentKind::StockDemand,
            -1_790,
            "200 units in stock and 3 units asked for in the last 72 hours: \u{2212}10 %"
                .to_owned()
        )]
    );
    input.demand = 10;
    assert!(adjustments(&demo(), input).is_empty(), "in demand");
}

#[test]
fn a_running_promotion_applies_to_its_categories() {
    let p = demo();
    let boots = line("VC-BOOTS-1", &["shoes", "winter-boots"], 1, 12_900, 5_000);
    assert_eq!(
        adjustments(&p, boots.clone()),
        [(
            AdjustmentKind::Promotion,
            -1_290,
            "Winter sale until 31 January 2027: \u{2212}10 %".to_owned()
        )]
    );
    assert!(adjustments(&p, coat(1)).is_empty(), "not a winter boot");
    let at = |now| {
        let mut ctx = to("FR");
        ctx.now = now;
        let quote = price_quote(&p, std::slice::from_ref(&boots), &ctx).expect("priced");
        quote.lines[0].line.unit_price.amount()
    };
    assert_eq!(
        at(datetime!(2026-11-15 00:00 UTC)),
        11_610,
        "from its start"
    );
    assert_eq!(at(datetime!(2026-11-14 23:59:59 UTC)), 12_900, "not before");
    assert_eq!(
        at(datetime!(2027-01-31 23:59:59 UTC)),
        12_900,
        "not from its end"
    );
}

#[test]
fn promotions_do_not_stack_and_may_name_skus() {
    let mut p = demo();
    let mut flash = p.promotions[0].clone();
    flash.id = "flash".into();
    flash.label = "Flash sale".into();
    flash.discount_percent = Percent::from_percent(15);
    flash.categories.clear();
    flash.skus = vec![sku("VC-BOOTS-1")];
    p.promotions.push(flash);
    let boots = line("VC-BOOTS-1", &["winter-boots"], 1, 10_000, 5_000);
    let adj = adjustments(&p, boots);
    assert_eq!(adj.len(), 1);
    assert_eq!(adj[0].1, -1_500);
    assert!(adj[0].2.starts_with("Flash sale until"), "{}", adj[0].2);
}

#[test]
fn volume_tiers_take_the_highest_reached() {
    let p = demo();
    let reason = |q| adjustments(&p, line("VC-X", &[], q, 10_000, 4_000));
    assert!(reason(2).is_empty());
    assert_eq!(
        reason(3),
        [(
            AdjustmentKind::VolumeTier,
            -300,
            "3 or more units: \u{2212}3 %".to_owned()
        )]
    );
    assert_eq!(
        reason(5),
        [(
            AdjustmentKind::VolumeTier,
            -500,
            "5 or more units: \u{2212}5 %".to_owned()
        )]
    );
    assert_eq!(reason(9)[0].1, -500);
    assert_eq!(
        reason(10),
        [(
            AdjustmentKind::VolumeTier,
            -800,
            "10 or more units: \u{2212}8 %".to_owned()
        )]
    );
}

#[test]
fn a_complete_bundle_discounts_each_of_its_items() {
    let p = demo();
    let quote = price_quote(&p, &[coat(1), gloves()], &to("FR")).expect("priced");
    let coat_adj = &quote.lines[0].line.adjustments;
    assert_eq!(coat_adj.len(), 1);
    assert_eq!(coat_adj[0].kind, AdjustmentKind::Bundle);
    assert_eq!(coat_adj[0].rule, "coat-and-gloves");
    assert_eq!(coat_adj[0].amount, eur(-895));
    assert_eq!(
        coat_adj[0].reason,
        "Bought together with Chamonix gloves (bundle coat-and-gloves): \u{2212}5 %"
    );
    assert_eq!(
        quote.lines[1].line.adjustments[0].reason,
        "Bought together with Chamrousse coat (bundle coat-and-gloves): \u{2212}5 %"
    );
    assert_eq!(quote.lines[1].line.unit_price, eur(3_705));
    // The coat alone is not a bundle.
    assert!(adjustments(&p, coat(1)).is_empty());
}

#[test]
fn loyalty_needs_consent_and_a_tier_of_the_policy() {
    let p = demo();
    let mut ctx = to("FR");
    ctx.attributes = consenting("gold");
    let quote = price_quote(&p, &[coat(1)], &ctx).expect("priced");
    let adj = &quote.lines[0].line.adjustments;
    assert_eq!(adj.len(), 1);
    assert_eq!(
        (adj[0].kind, adj[0].amount),
        (AdjustmentKind::Loyalty, eur(-1_074))
    );
    assert_eq!(
        adj[0].reason,
        "Gold member (consented loyalty tier): \u{2212}6 %"
    );
    assert_eq!(adj[0].rule, "loyalty-gold");

    ctx.attributes = consenting("member");
    let quote = price_quote(&p, &[coat(1)], &ctx).expect("priced");
    assert_eq!(
        quote.lines[0].line.adjustments[0].reason,
        "Member (consented loyalty tier): \u{2212}2 %"
    );

    let plain = price_quote(&p, &[coat(1)], &to("FR")).expect("priced");
    ctx.attributes = consenting("platinum");
    assert_eq!(price_quote(&p, &[coat(1)], &ctx).expect("priced"), plain);
    ctx.attributes = ConsentedAttributes::from_consent(None, Some("gold".into()));
    assert_eq!(price_quote(&p, &[coat(1)], &ctx).expect("priced"), plain);
}

#[test]
fn no_price_goes_below_the_brands_minimum_and_no_reason_shows_it() {
    let p = demo();
    let mut input = line("VC-X", &[], 10, 10_000, 8_500);
    input.name = "Thin margin".into();
    let quote = price_quote(&p, &[input.clone()], &to("FR")).expect("priced");
    let l = &quote.lines[0].line;
    // 85.00 × 1.15 = 97.75: the −8 % volume tier (92.00) is held at 97.75.
    assert_eq!(l.unit_price, eur(9_775));
    let held = l.adjustments.last().expect("held");
    assert_eq!(
        (held.kind, held.rule.as_str(), held.amount),
        (AdjustmentKind::Guardrail, RULE_MIN_PRICE, eur(575))
    );
    assert_eq!(held.reason, "Held at the brand's minimum price");
    for a in &l.adjustments {
        assert!(
            !a.reason.contains("97") && !a.reason.contains("85"),
            "{}",
            a.reason
        );
    }
    // No cost known: no discount at all.
    input.cost = None;
    let quote = price_quote(&p, &[input], &to("FR")).expect("priced");
    let l = &quote.lines[0].line;
    assert_eq!(l.unit_price, eur(10_000));
    assert_eq!(
        l.adjustments.len(),
        2,
        "the tier, then held at the list price"
    );
    assert_eq!(
        quote.bounds.lines[0].walk_away_unit,
        eur(10_000),
        "nor in negotiation"
    );
}

#[test]
fn no_price_goes_above_the_published_ceiling() {
    let mut p = demo();
    p.guardrails.max_markup_percent = Percent::from_percent(5);
    let mut input = coat(1);
    input.stock = Some(0);
    input.demand = 20;
    let adj = adjustments(&p, input);
    assert_eq!(adj.len(), 2);
    assert_eq!(adj[0].1, 1_432);
    // 179.00 × 1.05 = 187.95; 179.00 + 14.32 = 193.32.
    assert_eq!(
        adj[1],
        (
            AdjustmentKind::Guardrail,
            -537,
            "Held at the published ceiling of list price +5 %".to_owned()
        )
    );
    let quote = price_quote(&p, &[coat(1)], &to("FR")).expect("priced");
    assert!(
        quote.lines[0]
            .line
            .adjustments
            .iter()
            .all(|a| a.rule != RULE_MAX_MARKUP)
    );
}

#[test]
fn the_base_price_moves_at_most_the_daily_change() {
    let p = demo();
    let mut input = line("VC-X", &[], 3, 10_000, 4_000);
    input.recent_unit_prices = Some((eur(12_000), eur(12_000)));
    let quote = price_quote(&p, &[input.clone()], &to("FR")).expect("priced");
    let l = &quote.lines[0];
    // At least 120.00 × 0.85 = 102.00, then −3 % of the list price for 3 units.
    assert_eq!(l.base_unit_price, eur(10_200));
    assert_eq!(l.line.unit_price, eur(9_900));
    assert_eq!(l.line.adjustments[0].amount, eur(200));
    assert_eq!(
        l.line.adjustments[0].reason,
        "Held within the published daily change of 15 % from recent prices"
    );
    // A range wider than the change allows: the midpoint, then the ceiling (110.00).
    input.recent_unit_prices = Some((eur(20_000), eur(5_000)));
    let quote = price_quote(&p, &[input.clone()], &to("FR")).expect("priced");
    assert_eq!(quote.lines[0].base_unit_price, eur(12_500));
    assert_eq!(quote.lines[0].line.unit_price, eur(11_000));
    // Within the band: untouched.
    input.recent_unit_prices = Some((eur(9_500), eur(10_500)));
    let quote = price_quote(&p, &[input.clone()], &to("FR")).expect("priced");
    assert_eq!(quote.lines[0].base_unit_price, eur(10_000));
    // 0 % turns the guardrail off.
    let mut off = demo();
    off.guardrails.max_daily_change_percent = Percent::ZERO;
    input.recent_unit_prices = Some((eur(12_000), eur(12_000)));
    let quote = price_quote(&off, &[input], &to("FR")).expect("priced");
    assert_eq!(quote.lines[0].base_unit_price, eur(10_000));
}

#[test]
fn refuses_what_it_cannot_price() {
    let p = demo();
    assert_eq!(price_quote(&p, &[], &to("FR")), Err(PricingError::NoLines));
    let no_room = line("VC-X", &[], 1, 10_000, 10_000);
    assert_eq!(
        price_quote(&p, &[no_room], &to("FR")),
        Err(PricingError::NotPriceable { sku: sku("VC-X") })
    );
    let mut dollars = line("VC-Y", &[], 1, 10_000, 1_000);
    dollars.list_price = Money::new(10_000, usd());
    assert_eq!(
        price_quote(&p, &[coat(1), dollars.clone()], &to("FR")),
        Err(PricingError::MixedCurrencies("EUR", "USD"))
    );
    dollars.cost = Some(Money::new(1_000, usd()));
    assert_eq!(
        price_quote(&p, &[dollars], &to("FR")),
        Err(PricingError::CurrencyNotInPolicy {
            policy: "EUR",
            found: "USD"
        })
    );
    let mut cost_in_dollars = coat(1);
    cost_in_dollars.cost = Some(Money::new(1, usd()));
    assert!(matches!(
        price_quote(&p, &[cost_in_dollars], &to("FR")),
        Err(PricingError::CurrencyNotInPolicy { .. })
    ));
    assert_eq!(
        price_quote(&p, &[coat(1), coat(2)], &to("FR")),
        Err(PricingError::DuplicateLine {
            sku: sku("VC-CHMCOAT-BLK-M")
        })
    );
    let mut negative = line("VC-X", &[], 1, -100, 0);
    negative.cost = None;
    assert!(matches!(
        price_quote(&p, &[negative], &to("FR")),
        Err(PricingError::NotPriceable { .. })
    ));
    let huge = line("VC-X", &[], 999, i64::MAX / 2, 0);
    assert_eq!(
        price_quote(&p, &[huge], &to("FR")),
        Err(PricingError::Overflow)
    );
}

// ---------------------------------------------------------------------------------------------
// Delivery

fn delivery(
    p: &PricingPolicy,
    input: LineInput,
    country: &str,
    speed: Option<Speed>,
    deliver_by: Option<time::Date>,
) -> Result<b2a_model::Delivery, PricingError> {
    let mut ctx = to(country);
    ctx.destination.speed = speed;
    ctx.destination.deliver_by = deliver_by;
    price_quote(p, &[input], &ctx).map(|q| {
        assert_eq!(
            q.total.amount(),
            q.subtotal.amount() + q.delivery.price.amount()
        );
        q.delivery
    })
}

#[test]
fn delivery_is_priced_by_zone_and_free_above_its_threshold() {
    let p = demo();
    let cheap = line("VC-X", &[], 1, 5_000, 1_000);
    let d = delivery(&p, cheap.clone(), "FR", None, None).expect("fr");
    assert_eq!(
        (d.zone.as_str(), d.speed, d.days, d.price),
        ("fr", Speed::Standard, 3, eur(490))
    );
    assert_eq!(d.reason, "Standard delivery to FR in 3 days");
    let d = delivery(&p, line("VC-X", &[], 2, 5_000, 1_000), "FR", None, None).expect("fr");
    assert_eq!(d.price, eur(0));
    assert_eq!(
        d.reason,
        "Free standard delivery to FR in 3 days for orders of 100.00 EUR or more"
    );
    let d = delivery(&p, cheap.clone(), "DE", None, None).expect("de");
    assert_eq!((d.zone.as_str(), d.days, d.price), ("eu", 5, eur(990)));
    let d = delivery(&p, cheap.clone(), "US", None, None).expect("us");
    assert_eq!(
        (d.zone.as_str(), d.days, d.price),
        ("world", 10, eur(2_490))
    );
    assert_eq!(
        delivery(&p, cheap.clone(), "US", Some(Speed::Express), None),
        Err(PricingError::SpeedNotOffered {
            zone: "world".into(),
            speed: Speed::Express
        })
    );
    let d = delivery(&p, cheap.clone(), "FR", Some(Speed::Express), None).expect("express");
    assert_eq!((d.speed, d.days, d.price), (Speed::Express, 1, eur(1_290)));
    assert_eq!(d.reason, "Express delivery to FR in 1 day");

    let mut no_world = demo();
    no_world.shipping.zones.pop();
    assert_eq!(
        delivery(&no_world, cheap, "US", None, None),
        Err(PricingError::DestinationNotServed {
            country: b2a_model::CountryCode::parse("US").expect("us")
        })
    );
}

#[test]
fn delivery_meets_the_date_asked_for() {
    let p = demo();
    let cheap = line("VC-X", &[], 1, 5_000, 1_000);
    // Now is 1 December 2026.
    let d = delivery(&p, cheap.clone(), "FR", None, Some(date!(2026 - 12 - 04))).expect("standard");
    assert_eq!((d.speed, d.price), (Speed::Standard, eur(490)));
    assert_eq!(
        d.reason,
        "Standard delivery to FR in 3 days, arriving by 2026-12-04"
    );
    let d = delivery(&p, cheap.clone(), "FR", None, Some(date!(2026 - 12 - 03))).expect("express");
    assert_eq!((d.speed, d.price, d.days), (Speed::Express, eur(1_290), 1));
    assert_eq!(
        d.reason,
        "Express chosen to arrive by 2026-12-03: 1 day to FR"
    );
    let too_soon = PricingError::DeliveryUnavailable {
        deliver_by: date!(2026 - 12 - 01),
        fastest_days: 1,
    };
    assert_eq!(
        delivery(&p, cheap.clone(), "FR", None, Some(date!(2026 - 12 - 01))),
        Err(too_soon)
    );
    assert!(matches!(
        delivery(&p, cheap.clone(), "FR", None, Some(date!(2026 - 11 - 20))),
        Err(PricingError::DeliveryUnavailable { .. })
    ));
    assert!(matches!(
        delivery(
            &p,
            cheap.clone(),
            "FR",
            Some(Speed::Standard),
            Some(date!(2026 - 12 - 02))
        ),
        Err(PricingError::DeliveryUnavailable {
            fastest_days: 1,
            ..
        })
    ));
    assert_eq!(
        delivery(&p, cheap.clone(), "US", None, Some(date!(2026 - 12 - 05))),
        Err(PricingError::DeliveryUnavailable {
            deliver_by: date!(2026 - 12 - 05),
            fastest_days: 10
        })
    );
    // The cheapest that meets the date; standard on a tie.
    let mut tie = demo();
    tie.shipping.zones[0].express = Some(b2a_pricing::ShippingOption {
        price: 490,
        days: 1,
    });
    let d = delivery(&tie, cheap.clone(), "FR", None, Some(date!(2026 - 12 - 10))).expect("tie");
    assert_eq!(d.speed, Speed::Standard);
    tie.shipping.zones[0].express = Some(b2a_pricing::ShippingOption {
        price: 300,
        days: 1,
    });
    let d = delivery(&tie, cheap, "FR", None, None).expect("cheaper express");
    assert_eq!(d.speed, Speed::Express);
}

// ---------------------------------------------------------------------------------------------
// Negotiation

fn coat_quote() -> (b2a_pricing::PricedQuote, Version) {
    let quote = price_quote(&demo(), &[coat(1)], &to("FR")).expect("priced");
    let version = Version::first(&quote);
    (quote, version)
}

fn counter(
    bounds: &b2a_pricing::NegotiationBounds,
    version: &Version,
    target: i64,
) -> b2a_pricing::Decision {
    answer_counter(bounds, &version.offer(), &Counter::Total(eur(target))).expect("answered")
}

#[test]
fn bounds_hold_the_opening_and_walk_away_prices() {
    let (quote, _) = coat_quote();
    let b = &quote.bounds;
    assert_eq!(
        (b.max_rounds, b.concession_ratio),
        (3, Percent::from_percent(50))
    );
    assert_eq!(b.lines[0].open_unit, eur(17_900));
    // 179.00 − 8 % (14.32) = 164.68, above the minimum price.
    assert_eq!(b.lines[0].walk_away_unit, eur(16_468));
    // An accessory on the quote: its rule is stricter and has fewer rounds.
    let mut strap = line("VC-STRAP", &["accessories"], 1, 3_900, 1_200);
    strap.name = "Strap".into();
    let quote = price_quote(&demo(), &[coat(1), strap], &to("FR")).expect("priced");
    assert_eq!(quote.bounds.max_rounds, 2);
    assert_eq!(quote.bounds.lines[1].walk_away_unit, eur(3_900 - 195));
    // The bounds are stored by the ledger as JSON.
    let json = serde_json::to_string(&quote.bounds).expect("json");
    let back: b2a_pricing::NegotiationBounds = serde_json::from_str(&json).expect("back");
    assert_eq!(back, quote.bounds);
}

#[test]
fn a_target_at_or_above_the_offer_is_accepted_at_once() {
    let (quote, v) = coat_quote();
    for target in [17_900, 20_000] {
        let d = counter(&quote.bounds, &v, target);
        assert_eq!(d.answer, Answer::Accepted);
        assert_eq!(d.revision, None);
        assert_eq!(
            d.reason,
            "Your target is at or above the current offer; accept this version to bind it."
        );
    }
}

#[test]
fn a_far_below_target_gets_a_final_offer_then_a_rejection() {
    let (quote, v) = coat_quote();
    let d = counter(&quote.bounds, &v, 10_000);
    assert_eq!(d.answer, Answer::FinalOffer);
    assert!(
        d.reason.contains("below what the brand can accept"),
        "{}",
        d.reason
    );
    assert!(d.reason.contains("171.84 EUR"), "{}", d.reason);
    let r = d.revision.expect("revision");
    assert_eq!(r.status, QuoteStatus::Final);
    assert_eq!(r.total, eur(17_184));
    let last = r.lines[0].adjustments.last().expect("concession");
    assert_eq!(
        (last.kind, last.amount),
        (AdjustmentKind::Negotiation, eur(-716))
    );
    assert_eq!(last.reason, "Round 1 concession: \u{2212}7.16 EUR per unit");
    assert_line_adds_up(&r.lines[0]);

    let v1 = v.next(&r);
    let d = counter(&quote.bounds, &v1, 17_000);
    assert_eq!((d.answer, d.revision), (Answer::Rejected, None));
    assert!(d.reason.contains("final offer"), "{}", d.reason);
    let d = counter(&quote.bounds, &v1, 17_184);
    assert_eq!((d.answer, d.revision), (Answer::Accepted, None));
}

#[test]
fn rounds_concede_less_and_less_then_a_final_offer() {
    let (quote, mut v) = coat_quote();
    let mut totals = vec![v.total.amount()];
    let mut answers = Vec::new();
    for _ in 0..3 {
        let d = counter(&quote.bounds, &v, 16_500);
        answers.push(d.answer);
        let r = d.revision.expect("revision");
        r.lines.iter().for_each(assert_line_adds_up);
        v = v.next(&r);
        totals.push(v.total.amount());
    }
    assert_eq!(
        answers,
        [Answer::Countered, Answer::Countered, Answer::FinalOffer]
    );
    assert_eq!(totals, [17_900, 17_184, 16_826, 16_647]);
    assert_eq!(v.status, QuoteStatus::Final);
    assert_eq!(v.lines[0].adjustments.len(), 3);
    let d = counter(&quote.bounds, &v, 16_500);
    assert_eq!((d.answer, d.revision), (Answer::Rejected, None));
}

#[test]
fn a_target_within_the_rounds_offer_is_accepted_at_the_target() {
    let (quote, v) = coat_quote();
    let v1 = v.next(
        &counter(&quote.bounds, &v, 16_500)
            .revision
            .expect("countered"),
    );
    let d = counter(&quote.bounds, &v1, 16_900);
    assert_eq!(d.answer, Answer::Accepted);
    let r = d.revision.clone().expect("revision at the target");
    assert_eq!(r.total, eur(16_900));
    assert_eq!(r.status, QuoteStatus::Final);
    assert_eq!(
        r.lines[0].adjustments.last().map(|a| a.reason.as_str()),
        Some("Round 2 concession: \u{2212}2.84 EUR per unit")
    );
    // A target given as unit prices is the same target.
    let by_line = answer_counter(
        &quote.bounds,
        &v1.offer(),
        &Counter::LinePrices(vec![(sku("VC-CHMCOAT-BLK-M"), eur(16_900))]),
    )
    .expect("answered");
    assert_eq!(by_line, d);
}

#[test]
fn an_accepted_target_is_shared_in_proportion_to_each_lines_room() {
    let a = line("VC-A", &[], 3, 10_000, 3_000);
    let b = line("VC-B", &[], 7, 4_500, 1_000);
    let quote = price_quote(&demo(), &[a, b], &to("FR")).expect("priced");
    assert_eq!(quote.subtotal, eur(59_025));
    let v = Version::first(&quote);
    let d = counter(&quote.bounds, &v, 57_001);
    assert_eq!(d.answer, Answer::Accepted);
    let r = d.revision.expect("revision");
    let goods = r.subtotal.amount();
    assert!((57_001..57_001 + 10).contains(&goods), "{goods}");
    for (l, bounds) in r.lines.iter().zip(&quote.bounds.lines) {
        assert_line_adds_up(l);
        assert!(l.unit_price.amount() >= bounds.walk_away_unit.amount());
        assert!(
            l.unit_price.amount() < bounds.open_unit.amount(),
            "both lines concede"
        );
    }
}

#[test]
fn a_quote_without_negotiation_keeps_its_prices() {
    let p = PricingPolicy::list_prices_only(Currency::EUR);
    let quote = price_quote(&p, &[coat(1)], &to("FR")).expect("priced");
    let d = counter(&quote.bounds, &Version::first(&quote), 1_000);
    assert_eq!((d.answer, d.revision), (Answer::Rejected, None));
    assert!(d.reason.contains("not negotiable"), "{}", d.reason);
}

#[test]
fn malformed_counters_are_refused() {
    let (quote, v) = coat_quote();
    let ask = |c: Counter| answer_counter(&quote.bounds, &v.offer(), &c);
    assert_eq!(
        ask(Counter::LinePrices(vec![(sku("VC-NOPE"), eur(1))])),
        Err(PricingError::CounterLineUnknown {
            index: 0,
            sku: sku("VC-NOPE")
        })
    );
    let coat_sku = sku("VC-CHMCOAT-BLK-M");
    assert_eq!(
        ask(Counter::LinePrices(vec![
            (coat_sku.clone(), eur(1)),
            (coat_sku.clone(), eur(2))
        ])),
        Err(PricingError::CounterLineDuplicated {
            index: 1,
            sku: coat_sku
        })
    );
    assert_eq!(
        ask(Counter::Total(Money::new(1, usd()))),
        Err(PricingError::MixedCurrencies("EUR", "USD"))
    );
    // A target at or below zero is just far below.
    assert_eq!(
        ask(Counter::Total(eur(-5))).map(|d| d.answer),
        Ok(Answer::FinalOffer)
    );
    let mut accepted = v.clone();
    accepted.status = QuoteStatus::Accepted;
    assert_eq!(
        answer_counter(&quote.bounds, &accepted.offer(), &Counter::Total(eur(1))),
        Err(PricingError::QuoteAlreadyAccepted)
    );
    let other = price_quote(&demo(), &[gloves()], &to("FR")).expect("priced");
    assert_eq!(
        answer_counter(&other.bounds, &v.offer(), &Counter::Total(eur(1))),
        Err(PricingError::BoundsMismatch)
    );
}

#[test]
fn counter_prices_beyond_any_amount_are_refused() {
    let quote = price_quote(&demo(), &[coat(3)], &to("FR")).expect("priced");
    let v = Version::first(&quote);
    let coat_sku = sku("VC-CHMCOAT-BLK-M");
    // Times the quantity, the target leaves the range of minor units.
    for unit in [i64::MAX, i64::MAX / 2, i64::MIN] {
        let c = Counter::LinePrices(vec![(coat_sku.clone(), eur(unit))]);
        assert_eq!(
            answer_counter(&quote.bounds, &v.offer(), &c),
            Err(PricingError::CounterOutOfRange),
            "{unit}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Publication

fn keys(value: &serde_json::Value, into: &mut Vec<String>) {
    match value {
        serde_json::Value::Object(map) => {
            for (k, v) in map {
                into.push(k.clone());
                keys(v, into);
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(|v| keys(v, into)),
        _ => {}
    }
}

#[test]
fn the_published_summary_never_shows_a_private_bound() {
    let summary = serde_json::to_value(demo().public_summary()).expect("json");
    let text = summary.to_string().to_lowercase();
    for secret in ["cost", "floor", "margin", "walk", "ratio", "max_discount"] {
        assert!(
            !text.contains(secret),
            "the summary mentions {secret}: {text}"
        );
    }
    let mut all_keys = Vec::new();
    keys(&summary, &mut all_keys);
    assert!(
        !all_keys
            .iter()
            .any(|k| k == "min_margin_percent" || k == "max_discount_percent")
    );

    // What it does show.
    assert_eq!(summary["currency"], "EUR");
    assert_eq!(summary["prices_include_vat"], true);
    assert_eq!(summary["volume_tiers"][2]["min_quantity"], 10);
    assert_eq!(summary["volume_tiers"][2]["discount_percent"], 8);
    assert_eq!(summary["stock_demand"]["max_increase_percent"], 8);
    assert_eq!(summary["stock_demand"]["window_hours"], 72);
    assert_eq!(summary["promotions"][0]["categories"][0], "winter-boots");
    assert_eq!(summary["promotions"][0]["ends_at"], "2027-01-31T23:59:59Z");
    assert_eq!(
        summary["loyalty"]["used_only_with_consent_of"],
        "loyalty_tier"
    );
    assert_eq!(summary["loyalty"]["tiers"][2]["discount_percent"], 6);
    assert_eq!(summary["bundles"][0]["skus"][1], "VC-GANIMP-BLK-M");
    assert_eq!(
        summary["shipping"][0]["standard"],
        serde_json::json!({"price": {"amount": 490, "currency": "EUR"}, "days": 3})
    );
    assert_eq!(
        summary["shipping"][0]["free_standard_above"]["amount"],
        10_000
    );
    assert!(summary["shipping"][2].get("express").is_none());
    assert_eq!(summary["guardrails"]["max_markup_percent"], 10);
    assert_eq!(summary["guardrails"]["max_daily_change_percent"], 15);
    assert_eq!(summary["negotiation"]["max_rounds"], 3);
    assert_eq!(
        summary["negotiation"]["max_rounds_by_category"]["accessories"],
        2
    );
    assert!(text.contains("concessions decrease each round"));
    assert_eq!(
        summary["attributes_used"],
        serde_json::json!([
            "quantity",
            "stock",
            "demand",
            "date",
            "destination",
            "loyalty_tier (only with consent)"
        ])
    );
    let never = summary["attributes_never_used"].as_array().expect("list");
    assert!(never.iter().any(|a| a == "browsing history"));
    assert!(never.iter().any(|a| a == "past prices paid"));
}

#[test]
fn percentages_with_decimals_are_published_as_numbers() {
    let mut p = demo();
    p.volume_tiers[0].discount_percent = Percent::from_bp(1_250);
    let summary = serde_json::to_value(p.public_summary()).expect("json");
    assert_eq!(summary["volume_tiers"][0]["discount_percent"], 12.5);
}
