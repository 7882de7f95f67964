//! Delivery: the zone of the destination, the service that meets the date, its price.

use b2a_model::{Delivery, Money, Speed};
use time::OffsetDateTime;

use crate::policy::{PricingPolicy, ShippingOption, ShippingZone};
use crate::{Destination, PricingError};

/// The zone that names `country`, else the zone of every other country.
fn zone_for<'p>(policy: &'p PricingPolicy, country: &str) -> Option<&'p ShippingZone> {
    let zones = &policy.shipping.zones;
    zones
        .iter()
        .find(|z| z.countries.iter().any(|c| c == country))
        .or_else(|| zones.iter().find(|z| z.is_catch_all()))
}

/// One service of the zone, priced for this subtotal.
struct Service {
    speed: Speed,
    days: u32,
    price: i64,
    free: bool,
}

fn services(zone: &ShippingZone, subtotal: Money) -> Vec<Service> {
    let free = zone
        .free_standard_above
        .is_some_and(|above| subtotal.amount() >= above);
    let standard = Service {
        speed: Speed::Standard,
        days: zone.standard.days,
        price: if free { 0 } else { zone.standard.price },
        free,
    };
    let express = zone.express.map(|ShippingOption { price, days }| Service {
        speed: Speed::Express,
        days,
        price,
        free: false,
    });
    std::iter::once(standard).chain(express).collect()
}

fn days(n: u32) -> String {
    format!("{n} day{}", if n == 1 { "" } else { "s" })
}

/// The delivery of a quote whose goods come to `subtotal`.
///
/// The zone: the one naming the destination country, else the `"*"` zone. The service: the one
/// asked for, else the cheapest whose days fit before `deliver_by` (days counted from the date of
/// `now`; standard wins a tie). Standard is free when the subtotal reaches the zone's threshold.
pub(crate) fn choose_delivery(
    policy: &PricingPolicy,
    destination: &Destination,
    now: OffsetDateTime,
    subtotal: Money,
) -> Result<Delivery, PricingError> {
    let country = destination.country.as_str();
    let zone = zone_for(policy, country).ok_or(PricingError::DestinationNotServed {
        country: destination.country,
    })?;
    let services = services(zone, subtotal);
    let fastest_days = services.iter().map(|s| s.days).min().unwrap_or(0);
    // Days available before the date asked for; `None` when no date is asked for.
    let available = match destination.deliver_by {
        None => None,
        Some(by) => {
            let left = (by - now.date()).whole_days();
            let unavailable = PricingError::DeliveryUnavailable {
                deliver_by: by,
                fastest_days,
            };
            Some(u32::try_from(left).map_err(|_| unavailable)?)
        }
    };
    let meets = |s: &Service| available.is_none_or(|a| s.days <= a);
    let chosen = match destination.speed {
        Some(speed) => services.iter().find(|s| s.speed == speed).ok_or_else(|| {
            PricingError::SpeedNotOffered {
                zone: zone.id.clone(),
                speed,
            }
        })?,
        // The cheapest that meets the date; `min_by_key` keeps the first (standard) on a tie.
        None => services
            .iter()
            .filter(|s| meets(s))
            .min_by_key(|s| s.price)
            .unwrap_or(&services[0]),
    };
    if !meets(chosen)
        && let Some(by) = destination.deliver_by
    {
        return Err(PricingError::DeliveryUnavailable {
            deliver_by: by,
            fastest_days,
        });
    }
    let price = Money::new(chosen.price, policy.currency);
    let name = match chosen.speed {
        Speed::Standard => "standard",
        Speed::Express => "express",
    };
    let reason = if chosen.free {
        let threshold = Money::new(
            zone.free_standard_above.unwrap_or_default(),
            policy.currency,
        );
        format!(
            "Free standard delivery to {country} in {} for orders of {threshold} or more",
            days(chosen.days)
        )
    } else {
        match (destination.speed, destination.deliver_by) {
            (None, Some(by)) if chosen.speed == Speed::Express => {
                format!(
                    "Express chosen to arrive by {by}: {} to {country}",
                    days(chosen.days)
                )
            }
            (None, Some(by)) => format!(
                "Standard delivery to {country} in {}, arriving by {by}",
                days(chosen.days)
            ),
            _ => {
                let mut name = name.to_owned();
                name[..1].make_ascii_uppercase();
                format!("{name} delivery to {country} in {}", days(chosen.days))
            }
        }
    };
    Ok(Delivery {
        zone: zone.id.clone(),
        speed: chosen.speed,
        days: chosen.days,
        price,
        reason,
    })
}
