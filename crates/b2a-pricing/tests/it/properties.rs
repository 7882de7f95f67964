//! Property tests over random catalogs, policies and contexts.

use std::collections::BTreeMap;

use crate::common::*;
use b2a_model::{Answer, Consent, CountryCode, Currency, Quantity, QuoteStatus, Speed};
use b2a_pricing::{
    Bundle, ConsentedAttributes, Counter, Destination, Guardrails, LineInput, Loyalty, LoyaltyTier,
    Negotiation, NegotiationRule, Percent, PricedQuote, PricingContext, PricingError,
    PricingPolicy, Promotion, Shipping, ShippingOption, ShippingZone, StockDemand, VolumeTier,
    answer_counter, price_quote,
};
use proptest::prelude::*;
use proptest::sample::subsequence;
use time::Duration;

const SKUS: [&str; 8] = [
    "SKU-A", "SKU-B", "SKU-C", "SKU-D", "SKU-E", "SKU-F", "SKU-G", "SKU-H",
];
const CATEGORIES: [&str; 4] = ["coats", "boots", "accessories", "kids"];
const TIERS: [&str; 3] = ["member", "silver", "gold"];

fn percent(max_bp: u32) -> impl Strategy<Value = Percent> {
    (0..=max_bp).prop_map(Percent::from_bp)
}

fn strings(pool: &'static [&'static str], max: usize) -> impl Strategy<Value = Vec<String>> {
    subsequence(pool.to_vec(), 0..=max).prop_map(|v| v.into_iter().map(str::to_owned).collect())
}

fn guardrails() -> impl Strategy<Value = Guardrails> {
    (percent(5_000), percent(3_000), percent(3_000)).prop_map(|(m, x, d)| Guardrails {
        min_margin_percent: m,
        max_markup_percent: x,
        max_daily_change_percent: d,
    })
}

fn volume_tiers() -> impl Strategy<Value = Vec<VolumeTier>> {
    (
        proptest::collection::btree_set(1..=20u32, 0..=3),
        proptest::collection::vec(percent(2_000), 3),
    )
        .prop_map(|(mins, discounts)| {
            mins.into_iter()
                .zip(discounts)
                .map(|(min_quantity, discount_percent)| VolumeTier {
                    id: format!("volume-{min_quantity}"),
                    min_quantity,
                    discount_percent,
                })
                .collect()
        })
}

fn stock_demand() -> impl Strategy<Value = Option<StockDemand>> {
    proptest::option::of(
        (
            1..=200u32,
            0..=10u32,
            1..=200u32,
            1..=30u32,
            percent(2_000),
            percent(3_000),
        )
            .prop_map(
                |(window_hours, scarce, above, high, inc, dec)| StockDemand {
                    id: "stock-demand".into(),
                    window_hours,
                    scarce_stock_at_most: scarce,
                    high_demand_at_least: high,
                    max_increase_percent: inc,
                    overstock_at_least: scarce + above,
                    max_decrease_percent: dec,
                },
            ),
    )
}

fn promotions() -> impl Strategy<Value = Vec<Promotion>> {
    proptest::collection::vec(
        (
            percent(5_000),
            strings(&CATEGORIES, 2),
            strings(&SKUS, 2),
            -40..=40i64,
            1..=60i64,
        ),
        0..=3,
    )
    .prop_map(|promos| {
        promos
            .into_iter()
            .enumerate()
            .map(|(i, (discount, categories, skus, start, length))| {
                let starts_at = NOW + Duration::days(start);
                Promotion {
                    id: format!("promo-{i}"),
                    label: format!("Promotion {i}"),
                    discount_percent: discount,
                    categories,
                    skus: skus.iter().map(|s| sku(s)).collect(),
                    starts_at,
                    ends_at: starts_at + Duration::days(length),
                }
            })
            .collect()
    })
}

fn loyalty() -> impl Strategy<Value = Option<Loyalty>> {
    proptest::option::of(
        (
            subsequence(TIERS.to_vec(), 0..=3),
            proptest::collection::vec((0..=10u32, 100..=2_000u32), 3),
        )
            .prop_map(|(names, params)| Loyalty {
                tiers: names
                    .into_iter()
                    .zip(params)
                    .map(|(tier, (min, bp))| LoyaltyTier {
                        tier: tier.to_owned(),
                        min_orders_last_year: min,
                        discount_percent: Percent::from_bp(bp),
                    })
                    .collect(),
            }),
    )
}

fn bundles() -> impl Strategy<Value = Vec<Bundle>> {
    proptest::collection::vec((subsequence(SKUS.to_vec(), 2..=3), percent(2_000)), 0..=2).prop_map(
        |bundles| {
            bundles
                .into_iter()
                .enumerate()
                .map(|(i, (skus, discount))| Bundle {
                    id: format!("bundle-{i}"),
                    label: format!("Bundle {i}"),
                    skus: skus.into_iter().map(sku).collect(),
                    discount_percent: discount,
                })
                .collect()
        },
    )
}

fn option() -> impl Strategy<Value = ShippingOption> {
    (0..=3_000i64, 1..=10u32).prop_map(|(price, days)| ShippingOption { price, days })
}

fn shipping() -> impl Strategy<Value = Shipping> {
    proptest::collection::vec(
        (
            option(),
            proptest::option::of(option()),
            proptest::option::of(0..=200_000i64),
        ),
        3,
    )
    .prop_map(|zones| {
        let countries = [vec!["FR"], vec!["DE", "BE"], vec!["*"]];
        Shipping {
            zones: zones
                .into_iter()
                .zip(countries)
                .enumerate()
                .map(
                    |(i, ((standard, express, free_standard_above), countries))| ShippingZone {
                        id: format!("zone-{i}"),
                        countries: countries.into_iter().map(str::to_owned).collect(),
                        standard,
                        express,
                        free_standard_above,
                    },
                )
                .collect(),
        }
    })
}

fn rule() -> impl Strategy<Value = NegotiationRule> {
    (percent(3_000), 0..=5u32, 1..=9_999u32).prop_map(|(max, rounds, ratio)| NegotiationRule {
        max_discount_percent: max,
        max_rounds: rounds,
        concession_ratio_percent: Percent::from_bp(ratio),
    })
}

fn negotiation() -> impl Strategy<Value = Negotiation> {
    (
        rule(),
        proptest::collection::btree_map(
            proptest::sample::select(CATEGORIES.to_vec()),
            rule(),
            0..=2,
        ),
    )
        .prop_map(|(default, categories)| Negotiation {
            default,
            categories: categories
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v))
                .collect::<BTreeMap<_, _>>(),
        })
}

fn policy() -> impl Strategy<Value = PricingPolicy> {
    (
        guardrails(),
        volume_tiers(),
        stock_demand(),
        promotions(),
        loyalty(),
        bundles(),
        shipping(),
        negotiation(),
    )
        .prop_map(
            |(
                guardrails,
                volume_tiers,
                stock_demand,
                promotions,
                loyalty,
                bundles,
                shipping,
                negotiation,
            )| {
                PricingPolicy {
                    currency: Currency::EUR,
                    prices_include_vat: true,
                    guardrails,
                    volume_tiers,
                    stock_demand,
                    promotions,
                    loyalty,
                    bundles,
                    shipping,
                    negotiation,
                }
            },
        )
}

/// A line's facts; the SKU is chosen by [`lines`].
#[derive(Debug, Clone)]
struct Facts {
    categories: Vec<String>,
    quantity: u32,
    list: i64,
    cost_percent: Option<i64>,
    stock: Option<u32>,
    demand: u32,
    recent_percent: Option<(i64, i64)>,
}

fn facts() -> impl Strategy<Value = Facts> {
    (
        strings(&CATEGORIES, 2),
        prop_oneof![3 => 1..=12u32, 1 => 1..=Quantity::MAX],
        100..=200_000i64,
        proptest::option::weighted(0.8, 0..=110i64),
        proptest::option::weighted(0.8, 0..=300u32),
        0..=40u32,
        proptest::option::weighted(0.3, (50..=150i64, 50..=150i64)),
    )
        .prop_map(
            |(categories, quantity, list, cost_percent, stock, demand, recent_percent)| Facts {
                categories,
                quantity,
                list,
                cost_percent,
                stock,
                demand,
                recent_percent,
            },
        )
}

fn lines() -> impl Strategy<Value = Vec<LineInput>> {
    subsequence(SKUS.to_vec(), 1..=5)
        .prop_flat_map(|skus| {
            let n = skus.len();
            (Just(skus), proptest::collection::vec(facts(), n))
        })
        .prop_map(|(skus, facts)| {
            skus.into_iter()
                .zip(facts)
                .map(|(code, f)| LineInput {
                    sku: sku(code),
                    name: format!("Product {code}"),
                    categories: f.categories,
                    quantity: Quantity::new(i64::from(f.quantity)).expect("quantity"),
                    list_price: eur(f.list),
                    cost: f.cost_percent.map(|p| eur(f.list * p / 100)),
                    stock: f.stock,
                    demand: f.demand,
                    recent_unit_prices: f
                        .recent_percent
                        .map(|(a, b)| (eur(f.list * a / 100), eur(f.list * b / 100))),
                })
                .collect()
        })
}

fn context() -> impl Strategy<Value = PricingContext> {
    (
        -40..=40i64,
        proptest::sample::select(vec!["FR", "DE", "US", "JP"]),
        proptest::option::weighted(
            0.2,
            prop_oneof![Just(Speed::Standard), Just(Speed::Express)],
        ),
        proptest::option::weighted(0.3, -1..=12i64),
    )
        .prop_map(|(hours, country, speed, by)| {
            let now = NOW + Duration::hours(hours * 24 + hours);
            PricingContext {
                now,
                destination: Destination {
                    country: CountryCode::parse(country).expect("country"),
                    speed,
                    deliver_by: by.map(|d| now.date() + Duration::days(d)),
                },
                attributes: ConsentedAttributes::none(),
            }
        })
}

/// The floor and ceiling of a line, computed here from the guardrails' definitions.
fn bounds_of(policy: &PricingPolicy, line: &LineInput) -> (i64, i64) {
    let list = i128::from(line.list_price.amount());
    let margin = i128::from(policy.guardrails.min_margin_percent.bp());
    let markup = i128::from(policy.guardrails.max_markup_percent.bp());
    let floor = match line.cost {
        // Rounded up.
        Some(cost) => {
            let scaled = i128::from(cost.amount()) * (10_000 + margin);
            (scaled + 9_999).div_euclid(10_000)
        }
        None => list,
    }
    .max(0);
    let ceiling = (list * (10_000 + markup)).div_euclid(10_000); // rounded down
    (
        i64::try_from(floor).expect("fits"),
        i64::try_from(ceiling).expect("fits"),
    )
}

/// Checks everything that must hold of a priced quote; returns the error it tolerates.
fn check_quote(
    policy: &PricingPolicy,
    lines: &[LineInput],
    ctx: &PricingContext,
    result: &Result<PricedQuote, PricingError>,
) {
    let quote = match result {
        Ok(q) => q,
        Err(PricingError::NotPriceable { sku }) => {
            let line = lines.iter().find(|l| &l.sku == sku).expect("its line");
            let (floor, ceiling) = bounds_of(policy, line);
            assert!(floor > ceiling, "{sku} was priceable");
            return;
        }
        Err(PricingError::DeliveryUnavailable { .. }) => {
            assert!(ctx.destination.deliver_by.is_some());
            return;
        }
        Err(PricingError::SpeedNotOffered { .. }) => {
            assert_eq!(ctx.destination.speed, Some(Speed::Express));
            return;
        }
        Err(e) => panic!("unexpected error {e:?}"),
    };
    assert_eq!(quote.lines.len(), lines.len());
    assert_eq!(quote.bounds.lines.len(), lines.len());
    let mut subtotal = 0;
    for ((priced, input), bounds) in quote.lines.iter().zip(lines).zip(&quote.bounds.lines) {
        let line = &priced.line;
        let (floor, ceiling) = bounds_of(policy, input);
        let unit = line.unit_price.amount();
        assert!(
            floor <= unit && unit <= ceiling,
            "{unit} outside [{floor}, {ceiling}]"
        );
        assert_line_adds_up(line);
        assert_eq!(line.list_price, input.list_price);
        assert_eq!((&line.sku, line.quantity), (&input.sku, input.quantity));
        subtotal += line.line_total.amount();
        // Negotiation bounds: open = unit, floor ≤ walk-away ≤ open, discount within the rule.
        let rule = policy.negotiation.rule_for(&input.categories);
        let walk = bounds.walk_away_unit.amount();
        assert_eq!(bounds.open_unit, line.unit_price);
        assert!(
            floor <= walk && walk <= unit,
            "walk-away {walk} outside [{floor}, {unit}]"
        );
        if walk > floor {
            let conceded = i128::from(unit - walk) * 10_000;
            assert!(conceded <= i128::from(unit) * i128::from(rule.max_discount_percent.bp()));
        }
        assert!(quote.bounds.max_rounds <= rule.max_rounds);
    }
    assert_eq!(quote.subtotal.amount(), subtotal);
    assert_eq!(
        quote.total.amount(),
        quote.subtotal.amount() + quote.delivery.price.amount()
    );
    assert!(quote.delivery.price.amount() >= 0);
}

/// Half away from zero, the schoolbook way.
fn reference_percent_of(amount: i64, bp: u32) -> i128 {
    let n = i128::from(amount) * i128::from(bp);
    let (q, r) = (n / 10_000, n % 10_000); // truncated towards zero
    if r.abs() * 2 >= 10_000 {
        q + n.signum()
    } else {
        q
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn percent_of_rounds_half_away_from_zero(amount in any::<i64>(), bp in any::<u32>()) {
        let expected = reference_percent_of(amount, bp);
        let got = Percent::from_bp(bp).checked_of(amount);
        prop_assert_eq!(got.map(i128::from), i64::try_from(expected).ok().map(i128::from));
    }

    #[test]
    fn percent_of_small_amounts(amount in -1_000_000i64..=1_000_000, bp in 0..=100_000u32) {
        prop_assert_eq!(
            i128::from(Percent::from_bp(bp).of(amount)),
            reference_percent_of(amount, bp)
        );
    }

    #[test]
    fn generated_policies_are_valid(policy in policy()) {
        prop_assert_eq!(policy.validate(), Ok(()));
        let json = serde_json::to_string(&policy).expect("json");
        prop_assert_eq!(PricingPolicy::from_json(&json), Ok(policy));
    }

    #[test]
    fn every_price_is_within_its_bounds_and_adds_up(
        policy in policy(),
        lines in lines(),
        ctx in context(),
    ) {
        let result = price_quote(&policy, &lines, &ctx);
        check_quote(&policy, &lines, &ctx, &result);
        // Deterministic.
        prop_assert_eq!(price_quote(&policy, &lines, &ctx), result);
    }

    #[test]
    fn no_attribute_is_read_without_consent(
        policy in policy(),
        lines in lines(),
        mut ctx in context(),
        tier in prop_oneof![
            proptest::sample::select(TIERS.to_vec()).prop_map(str::to_owned),
            "[a-z]{1,8}",
        ],
        other in strings(&["loyalty_pricing", "birth_date", "order_fulfilment"], 3),
    ) {
        ctx.attributes = ConsentedAttributes::none();
        let plain = price_quote(&policy, &lines, &ctx);
        let other_consent = Consent {
            purposes: ["loyalty_tier".to_owned()].into(), // a purpose, not an attribute
            attributes: other.into_iter().collect(),
        };
        for consent in [None, Some(&other_consent)] {
            ctx.attributes = ConsentedAttributes::from_consent(consent, Some(tier.clone()));
            prop_assert_eq!(&price_quote(&policy, &lines, &ctx), &plain);
        }
        ctx.attributes = consenting(&tier);
        let with = price_quote(&policy, &lines, &ctx);
        check_quote(&policy, &lines, &ctx, &with);
        let known = policy.loyalty.as_ref().is_some_and(|l| l.tier(&tier).is_some());
        match (&plain, &with) {
            (Ok(_), Ok(quote)) => {
                for line in &quote.lines {
                    let has = line.line.adjustments.iter().any(|a| a.kind == b2a_model::AdjustmentKind::Loyalty);
                    prop_assert_eq!(has, known);
                }
            }
            (Err(a), Err(b)) => prop_assert_eq!(a, b),
            (a, b) => prop_assert!(false, "{a:?} became {b:?} with consent"),
        }
    }

    #[test]
    fn concessions_are_monotonic_bounded_and_deterministic(
        policy in policy(),
        lines in lines(),
        targets in proptest::collection::vec(0..=11_000i64, 1..=7),
        as_lines in any::<bool>(),
    ) {
        let Ok(quote) = price_quote(&policy, &lines, &to("FR")) else {
            return Ok(());
        };
        let limit: i64 = quote
            .bounds
            .lines
            .iter()
            .map(|b| b.walk_away_unit.amount() * i64::from(b.quantity))
            .sum();
        let quantities: i64 = lines.iter().map(|l| i64::from(l.quantity.get())).sum();
        let mut version = Version::first(&quote);
        let mut last_concession: Option<i64> = None;
        for per_10k in targets {
            // A target as a share of the current total, as a total or as one line's price.
            let target = version.total.amount() * per_10k / 10_000;
            let counter = if as_lines {
                let first = &version.lines[0];
                let others = version.total.amount() - first.line_total.amount();
                let unit = (target - others) / i64::from(first.quantity.get());
                Counter::LinePrices(vec![(first.sku.clone(), eur(unit))])
            } else {
                Counter::Total(eur(target))
            };
            let target = match &counter {
                Counter::Total(t) => t.amount(),
                Counter::LinePrices(p) => {
                    version.total.amount() - version.lines[0].line_total.amount()
                        + p[0].1.amount() * i64::from(version.lines[0].quantity.get())
                }
            };
            let decision = answer_counter(&quote.bounds, &version.offer(), &counter).expect("answered");
            prop_assert_eq!(
                &answer_counter(&quote.bounds, &version.offer(), &counter).expect("answered"),
                &decision
            );
            let Some(revision) = &decision.revision else {
                prop_assert!(matches!(decision.answer, Answer::Accepted | Answer::Rejected));
                if decision.answer == Answer::Accepted {
                    prop_assert!(target + quantities > version.total.amount());
                }
                continue;
            };
            prop_assert!(version.status == QuoteStatus::Open);
            prop_assert!(revision.total.amount() < version.total.amount(), "a revision lowers the total");
            prop_assert_eq!(
                revision.total.amount(),
                revision.subtotal.amount() + version.delivery_price.amount()
            );
            let goods: i64 = revision.lines.iter().map(|l| l.line_total.amount()).sum();
            prop_assert_eq!(goods, revision.subtotal.amount());
            prop_assert!(goods >= limit, "below the walk-away total");
            for ((line, before), (bounds, input)) in revision
                .lines
                .iter()
                .zip(&version.lines)
                .zip(quote.bounds.lines.iter().zip(&lines))
            {
                assert_line_adds_up(line);
                let unit = line.unit_price.amount();
                prop_assert!(unit <= before.unit_price.amount(), "a price rose");
                prop_assert!(unit >= bounds.walk_away_unit.amount());
                prop_assert!(unit >= bounds_of(&policy, input).0, "below the floor");
            }
            let concession = version.goods() - goods;
            match decision.answer {
                Answer::Accepted => {
                    let target_goods = target - version.delivery_price.amount();
                    prop_assert!(goods >= target_goods && goods < target_goods + quantities);
                    prop_assert_eq!(revision.status, QuoteStatus::Final);
                }
                Answer::Countered | Answer::FinalOffer => {
                    if let Some(last) = last_concession {
                        prop_assert!(concession <= last, "conceded {concession} after {last}");
                    }
                    last_concession = Some(concession);
                    let expected = if decision.answer == Answer::Countered {
                        QuoteStatus::Open
                    } else {
                        QuoteStatus::Final
                    };
                    prop_assert_eq!(revision.status, expected);
                }
                Answer::Rejected => prop_assert!(false, "a rejection has no revision"),
            }
            version = version.next(revision);
            prop_assert!(version.round <= quote.bounds.max_rounds);
        }
    }
}
