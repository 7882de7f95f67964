//! Navigation: the taxonomy with product counts, and a product's related items.

use std::collections::BTreeMap;

use b2a_model::{Availability, ProductId};
use oxigraph::model::{Literal, Term, Variable};
use serde::Serialize;

use crate::query::{PREFIXES, names, text};
use crate::{CatalogStore, GraphError};

/// One category of the taxonomy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Category {
    /// Its slug (`skos:notation`), the value of the `category` search filter.
    pub id: String,
    /// English label, or the French one when there is none.
    pub name: String,
    /// Label per language tag.
    pub names: BTreeMap<String, String>,
    /// The parent's slug; `None` for a root.
    pub parent: Option<String>,
    /// Sellable products in it or in any of its subcategories.
    pub products: usize,
}

/// How an item relates to a product.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Relation {
    /// The other variants of the same group (or a group's variants).
    Variant,
    /// Items that are accessories or spare parts for it (or for its group).
    Accessory,
    /// Items declared similar to it (or to its group), in either direction.
    Similar,
    /// Items declared related to it (or to its group) with `schema:isRelatedTo`.
    Bundle,
}

impl Relation {
    /// Parses `variant`, `accessory`, `similar` or `bundle`.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "variant" => Some(Self::Variant),
            "accessory" => Some(Self::Accessory),
            "similar" => Some(Self::Similar),
            "bundle" => Some(Self::Bundle),
            _ => None,
        }
    }

    /// The graph pattern binding `?item` from `?self` (the product) and `?anchor` (the
    /// product or its group).
    fn pattern(self) -> &'static str {
        match self {
            Relation::Variant => {
                "{ ?self schema:hasVariant ?item } UNION { ?self schema:isVariantOf/schema:hasVariant ?item FILTER(?item != ?self) }"
            }
            Relation::Accessory => "?item schema:isAccessoryOrSparePartFor ?anchor .",
            Relation::Similar => {
                "{ ?anchor schema:isSimilarTo ?item } UNION { ?item schema:isSimilarTo ?anchor }"
            }
            Relation::Bundle => {
                "{ ?anchor schema:isRelatedTo ?item } UNION { ?item schema:isRelatedTo ?anchor }"
            }
        }
    }
}

/// An item related to a product: a sellable product (with its SKU and offer) or a group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RelatedItem {
    /// Its public identifier (`GET /v1/products/{id}`).
    pub id: String,
    /// `product` (sellable, has a SKU) or `group` (a product group).
    pub kind: &'static str,
    /// English name, or the French one.
    pub name: String,
    /// Name per language tag.
    pub names: BTreeMap<String, String>,
    /// For products: what to quote.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sku: Option<String>,
    /// For products: the list price.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub price: Option<b2a_model::Money>,
    /// For products: offer availability.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub availability: Option<Availability>,
}

impl CatalogStore {
    /// The taxonomy of the published catalog, with product counts, in slug order.
    pub fn categories(&self) -> Result<Vec<Category>, GraphError> {
        let query = format!(
            "{PREFIXES}SELECT ?slug ?parent ?name_en ?name_fr (COUNT(DISTINCT ?p) AS ?n) WHERE {{
               ?c skos:notation ?slug .
               FILTER EXISTS {{ ?c a skos:Concept }}
               OPTIONAL {{ ?c skos:broader/skos:notation ?parent }}
               OPTIONAL {{ ?c skos:prefLabel ?name_en FILTER(LANGMATCHES(LANG(?name_en), \"en\")) }}
               OPTIONAL {{ ?c skos:prefLabel ?name_fr FILTER(LANGMATCHES(LANG(?name_fr), \"fr\")) }}
               OPTIONAL {{ ?p a schema:Product ; schema:offers ?o ; schema:category/skos:broader* ?c }}
             }} GROUP BY ?slug ?parent ?name_en ?name_fr ORDER BY ?slug"
        );
        let rows = self.select(&query, Vec::new())?;
        let mut out: Vec<Category> = Vec::with_capacity(rows.len());
        for s in &rows {
            let id = text(s, "slug").unwrap_or_default();
            if out.last().is_some_and(|c| c.id == id) {
                continue; // a second label in one language
            }
            let (name, names) = names(s);
            let name = name.unwrap_or_else(|| id.clone());
            let products = text(s, "n").and_then(|n| n.parse().ok()).unwrap_or(0);
            out.push(Category {
                id,
                name,
                names,
                parent: text(s, "parent"),
                products,
            });
        }
        Ok(out)
    }

    /// Items related to a product (by SKU) or product group (by id), or `None` when there is no
    /// such product.
    pub fn related(
        &self,
        id: &ProductId,
        relation: Relation,
    ) -> Result<Option<Vec<RelatedItem>>, GraphError> {
        let key: Term = Literal::new_simple_literal(id.as_str()).into();
        let exists = self.select(
            &format!("{PREFIXES}SELECT ?self ?key WHERE {{ ?self schema:sku|schema:productGroupID ?key }} LIMIT 1"),
            vec![(Variable::new_unchecked("key"), key.clone())],
        )?;
        if exists.is_empty() {
            return Ok(None);
        }
        let pattern = relation.pattern();
        let query = format!(
            "{PREFIXES}SELECT DISTINCT ?key ?item ?item_sku ?group_id ?price ?currency ?availability ?name_en ?name_fr WHERE {{
               ?self schema:sku|schema:productGroupID ?key .
               ?self schema:isVariantOf? ?anchor .
               {pattern}
               OPTIONAL {{ ?item schema:sku ?item_sku }}
               OPTIONAL {{ ?item schema:productGroupID ?group_id }}
               OPTIONAL {{ ?item schema:offers ?o . ?o schema:price ?price ; schema:priceCurrency ?currency ; schema:availability ?availability }}
               OPTIONAL {{ ?item schema:name ?name_en FILTER(LANGMATCHES(LANG(?name_en), \"en\")) }}
               OPTIONAL {{ ?item schema:name ?name_fr FILTER(LANGMATCHES(LANG(?name_fr), \"fr\")) }}
             }} ORDER BY ?item_sku ?group_id ?item"
        );
        let rows = self.select(&query, vec![(Variable::new_unchecked("key"), key)])?;
        let mut out: Vec<RelatedItem> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for s in &rows {
            let Some(item) = text(s, "item") else {
                continue;
            };
            let (sku, group) = (text(s, "item_sku"), text(s, "group_id"));
            let Some(id) = sku.clone().or(group) else {
                continue;
            };
            // The product asked about is never its own related item.
            if !seen.insert(item) || Some(&id) == text(s, "key").as_ref() {
                continue;
            }
            let (name, names) = names(s);
            let name = name.unwrap_or_else(|| id.clone());
            let price = match (text(s, "price"), text(s, "currency")) {
                (Some(p), Some(c)) => b2a_model::Currency::parse(&c)
                    .ok()
                    .and_then(|c| b2a_model::Money::parse_decimal(&p, c).ok()),
                _ => None,
            };
            out.push(RelatedItem {
                id,
                kind: if sku.is_some() { "product" } else { "group" },
                name,
                names,
                sku,
                price,
                availability: text(s, "availability")
                    .and_then(|a| Availability::from_schema_org(&a)),
            });
        }
        Ok(Some(out))
    }
}
