//! `b2a catalog generate`: a deterministic catalog shaped like the Berlin SPARQL Benchmark's
//! (BSBM: a product type tree, product features, producers, vendors, offers, reviews), written
//! in the schema.org + SKOS shape the gateway reads, so that it loads, validates clean and is
//! searched exactly like a real brand catalog.
//!
//! Everything is under `https://bsbm.example/`:
//!
//! - `type/…`: a SKOS taxonomy four levels deep (`catalog` → departments → families → leaf
//!   types), about one leaf type per 50 products (at least 4), `skos:notation` slugs and
//!   `skos:prefLabel`s in English and French;
//! - `product/{n}` (`n` = 1…N): a `schema:Product` with `sku` `BSBM-{n:08}`, a `gtin13` in the
//!   GS1 internal-use range `20…` with its check digit, English and French names built from word
//!   lists, an English description of 20–60 words, `brand` and `manufacturer` (its producer),
//!   `category` (a leaf type; products come in one block per type, as in BSBM), colour, size,
//!   material, `additionalProperty`: five numeric (`productPropertyNumeric1…5`, `xsd:integer`
//!   1–2000) and three textual (`productPropertyTextual1…3`) blank-node `schema:PropertyValue`s
//!   plus five shared product features (`feature/{k}`, `propertyID` `productFeature`: three of its
//!   type's six, two of its family's four), and `isSimilarTo` 0–3 other products of its type;
//! - `offer/{n}`: the brand's one offer (the product's only `schema:offers`: price in EUR with two
//!   decimals, availability, condition, seller = the producer, validity dates, delivery lead
//!   time); `offer/{n}-{k}`: 13–24 vendor offers, linked to the product only by
//!   `schema:itemOffered` (never by `schema:offers`, which the gateway reads as the price of the
//!   SKU) with `schema:seller` a vendor;
//! - `review/{n}-{k}`: 5–10 `schema:Review`s (`schema:review` from the product), each with an
//!   author (`person/{k}`), a date, a title and a body of 20–50 words (70 % English, 15 % French,
//!   15 % German language tags, BSBM-style), and a `schema:Rating` from 1 to 10;
//! - `producer/{k}` (about N/100, `schema:Organization` and `schema:Brand`), `vendor/{k}` (about
//!   N/50), `person/{k}` (about 3N/8 reviewers), `country/{CC}`, `lead-time/{d}`.
//!
//! That is about 350 triples per product. The output depends only on N and the seed: every
//! part (taxonomy, producers, vendors, …, each product) draws from its own ChaCha8 stream seeded
//! with `--seed`, with integer arithmetic only, so the same arguments give the same bytes on
//! every machine. Triples are streamed to the writer; nothing grows with N but the taxonomy's
//! block table (one integer per leaf type).

use std::fs::File;
use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use indicatif::{ProgressBar, ProgressStyle};
use oxigraph::io::{RdfFormat, RdfSerializer, WriterQuadSerializer};
use oxigraph::model::vocab::{rdf, xsd};
use oxigraph::model::{
    BlankNodeRef, LiteralRef, NamedNodeRef, NamedOrBlankNodeRef, TermRef, TripleRef,
};
use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::{RngCore, SeedableRng};

use crate::cli::CatalogGenerateArgs;

/// The namespace of every generated IRI.
pub(crate) const BASE: &str = "https://bsbm.example/";

/// The largest catalog `generate` writes.
pub(crate) const MAX_PRODUCTS: u64 = 10_000_000;

/// Offers are valid, and reviews dated, around this day (BSBM's "current date").
const REFERENCE_DAY: time::Date = time::macros::date!(2025 - 01 - 01);

/// schema.org and SKOS terms.
mod term {
    use oxigraph::model::NamedNodeRef;

    macro_rules! terms {
        ($ns:literal: $($name:ident = $local:literal),* $(,)?) => {
            $(pub(super) const $name: NamedNodeRef<'static> =
                NamedNodeRef::new_unchecked(concat!($ns, $local));)*
        };
    }

    terms!("https://schema.org/":
        ADDITIONAL_PROPERTY = "additionalProperty",
        ADDRESS = "address",
        ADDRESS_COUNTRY = "addressCountry",
        AUTHOR = "author",
        AVAILABILITY = "availability",
        BEST_RATING = "bestRating",
        BRAND = "brand",
        BRAND_CLASS = "Brand",
        CATEGORY = "category",
        COLOR = "color",
        COUNTRY = "Country",
        DATE_PUBLISHED = "datePublished",
        DELIVERY_LEAD_TIME = "deliveryLeadTime",
        DESCRIPTION = "description",
        GTIN13 = "gtin13",
        IDENTIFIER = "identifier",
        IS_SIMILAR_TO = "isSimilarTo",
        ITEM_CONDITION = "itemCondition",
        ITEM_OFFERED = "itemOffered",
        ITEM_REVIEWED = "itemReviewed",
        MANUFACTURER = "manufacturer",
        MATERIAL = "material",
        NAME = "name",
        NATIONALITY = "nationality",
        NEW_CONDITION = "NewCondition",
        OFFER = "Offer",
        OFFERS = "offers",
        ORGANIZATION = "Organization",
        PERSON = "Person",
        POSTAL_ADDRESS = "PostalAddress",
        PRICE = "price",
        PRICE_CURRENCY = "priceCurrency",
        PRODUCT = "Product",
        PROPERTY_ID = "propertyID",
        PROPERTY_VALUE = "PropertyValue",
        QUANTITATIVE_VALUE = "QuantitativeValue",
        RATING = "Rating",
        RATING_VALUE = "ratingValue",
        REFURBISHED_CONDITION = "RefurbishedCondition",
        REVIEW = "review",
        REVIEW_BODY = "reviewBody",
        REVIEW_CLASS = "Review",
        REVIEW_RATING = "reviewRating",
        SELLER = "seller",
        SIZE = "size",
        SKU = "sku",
        UNIT_CODE = "unitCode",
        URL = "url",
        USED_CONDITION = "UsedCondition",
        VALID_FROM = "validFrom",
        VALID_THROUGH = "validThrough",
        VALUE = "value",
        WORST_RATING = "worstRating",
    );
    terms!("http://www.w3.org/2004/02/skos/core#":
        BROADER = "broader",
        CONCEPT = "Concept",
        CONCEPT_SCHEME = "ConceptScheme",
        HAS_TOP_CONCEPT = "hasTopConcept",
        IN_SCHEME = "inScheme",
        NOTATION = "notation",
        PREF_LABEL = "prefLabel",
        TOP_CONCEPT_OF = "topConceptOf",
    );
}

// ---------------------------------------------------------------------------------------------
// Word lists. Changing any of them changes the output for every seed.

/// Departments (level 1): English, French, slug.
const DEPARTMENTS: &[(&str, &str, &str)] = &[
    ("Outdoor", "Plein air", "outdoor"),
    ("Home", "Maison", "home"),
    ("Electronics", "Électronique", "electronics"),
    ("Sports", "Sport", "sports"),
    ("Kitchen", "Cuisine", "kitchen"),
    ("Garden", "Jardin", "garden"),
    ("Travel", "Voyage", "travel"),
    ("Office", "Bureau", "office"),
    ("Clothing", "Vêtements", "clothing"),
    ("Tools", "Outillage", "tools"),
    ("Kids", "Enfants", "kids"),
    ("Audio", "Audio", "audio"),
    ("Photo", "Photo", "photo"),
    ("Furniture", "Mobilier", "furniture"),
    ("Cycling", "Cyclisme", "cycling"),
    ("Wellness", "Bien-être", "wellness"),
];

/// Families (level 2), English and French, combined with their department's name.
const FAMILIES: &[(&str, &str)] = &[
    ("essentials", "Essentiels"),
    ("equipment", "Équipement"),
    ("accessories", "Accessoires"),
    ("classics", "Classiques"),
    ("novelties", "Nouveautés"),
    ("pro range", "Gamme pro"),
    ("basics", "Basiques"),
    ("premium range", "Gamme premium"),
];

/// Product nouns of the leaf types: English singular and plural, French singular and plural.
const NOUNS: &[(&str, &str, &str, &str)] = &[
    ("backpack", "backpacks", "sac à dos", "sacs à dos"),
    ("jacket", "jackets", "veste", "vestes"),
    ("boot", "boots", "botte", "bottes"),
    ("tent", "tents", "tente", "tentes"),
    ("lamp", "lamps", "lampe", "lampes"),
    ("kettle", "kettles", "bouilloire", "bouilloires"),
    ("drill", "drills", "perceuse", "perceuses"),
    ("headset", "headsets", "casque audio", "casques audio"),
    ("speaker", "speakers", "enceinte", "enceintes"),
    ("camera", "cameras", "appareil photo", "appareils photo"),
    ("watch", "watches", "montre", "montres"),
    ("bicycle", "bicycles", "vélo", "vélos"),
    ("helmet", "helmets", "casque", "casques"),
    ("chair", "chairs", "chaise", "chaises"),
    ("table", "tables", "table", "tables"),
    ("blanket", "blankets", "couverture", "couvertures"),
    ("knife", "knives", "couteau", "couteaux"),
    ("pan", "pans", "poêle", "poêles"),
    ("mug", "mugs", "tasse", "tasses"),
    ("bottle", "bottles", "gourde", "gourdes"),
    ("glove", "gloves", "gant", "gants"),
    ("scarf", "scarves", "écharpe", "écharpes"),
    ("sweater", "sweaters", "pull", "pulls"),
    ("shirt", "shirts", "chemise", "chemises"),
    ("sneaker", "sneakers", "basket", "baskets"),
    (
        "sleeping bag",
        "sleeping bags",
        "sac de couchage",
        "sacs de couchage",
    ),
    ("stove", "stoves", "réchaud", "réchauds"),
    ("keyboard", "keyboards", "clavier", "claviers"),
    ("monitor", "monitors", "écran", "écrans"),
    ("router", "routers", "routeur", "routeurs"),
    ("printer", "printers", "imprimante", "imprimantes"),
    (
        "vacuum cleaner",
        "vacuum cleaners",
        "aspirateur",
        "aspirateurs",
    ),
    ("blender", "blenders", "mixeur", "mixeurs"),
    ("toaster", "toasters", "grille-pain", "grille-pains"),
    ("saw", "saws", "scie", "scies"),
    ("hammer", "hammers", "marteau", "marteaux"),
    ("ladder", "ladders", "échelle", "échelles"),
    ("umbrella", "umbrellas", "parapluie", "parapluies"),
    ("suitcase", "suitcases", "valise", "valises"),
    ("wallet", "wallets", "portefeuille", "portefeuilles"),
    ("sofa", "sofas", "canapé", "canapés"),
    ("mattress", "mattresses", "matelas", "matelas"),
    ("pillow", "pillows", "oreiller", "oreillers"),
    ("telescope", "telescopes", "télescope", "télescopes"),
    ("drone", "drones", "drone", "drones"),
    ("tablet", "tablets", "tablette", "tablettes"),
];

/// Qualifiers of the leaf types: English (before the noun), French (after it).
const QUALIFIERS: &[(&str, &str)] = &[
    ("Outdoor", "d'extérieur"),
    ("Travel", "de voyage"),
    ("Home", "pour la maison"),
    ("Office", "de bureau"),
    ("Garden", "de jardin"),
    ("Workshop", "d'atelier"),
    ("Sport", "de sport"),
    ("City", "de ville"),
    ("Mountain", "de montagne"),
    ("Camping", "de camping"),
    ("Kitchen", "de cuisine"),
    ("Studio", "de studio"),
    ("Beach", "de plage"),
    ("Winter", "d'hiver"),
    ("Summer", "d'été"),
    ("Expedition", "d'expédition"),
];

/// Adjectives of product names: English, French.
const ADJECTIVES: &[(&str, &str)] = &[
    ("waterproof", "imperméable"),
    ("lightweight", "léger"),
    ("compact", "compact"),
    ("durable", "durable"),
    ("classic", "classique"),
    ("premium", "premium"),
    ("ergonomic", "ergonomique"),
    ("wireless", "sans fil"),
    ("portable", "portable"),
    ("foldable", "pliable"),
    ("robust", "robuste"),
    ("silent", "silencieux"),
    ("smart", "connecté"),
    ("thermal", "thermique"),
    ("vintage", "vintage"),
    ("modern", "moderne"),
    ("rustic", "rustique"),
    ("elegant", "élégant"),
    ("rechargeable", "rechargeable"),
    ("adjustable", "réglable"),
    ("insulated", "isolé"),
    ("breathable", "respirant"),
    ("reinforced", "renforcé"),
    ("solar", "solaire"),
    ("digital", "numérique"),
    ("professional", "professionnel"),
    ("urban", "urbain"),
    ("alpine", "alpin"),
    ("nordic", "nordique"),
    ("organic", "bio"),
    ("recycled", "recyclé"),
    ("stainless", "inoxydable"),
    ("magnetic", "magnétique"),
    ("modular", "modulaire"),
    ("panoramic", "panoramique"),
    ("ultralight", "ultraléger"),
];

/// Colours: English, French.
const COLORS: &[(&str, &str)] = &[
    ("black", "noir"),
    ("white", "blanc"),
    ("red", "rouge"),
    ("blue", "bleu"),
    ("green", "vert"),
    ("yellow", "jaune"),
    ("orange", "orange"),
    ("grey", "gris"),
    ("brown", "marron"),
    ("navy", "bleu marine"),
    ("olive", "olive"),
    ("burgundy", "bordeaux"),
    ("beige", "beige"),
    ("purple", "violet"),
    ("turquoise", "turquoise"),
    ("silver", "argent"),
];

const SIZES: &[&str] = &[
    "XS", "S", "M", "L", "XL", "XXL", "one size", "small", "medium", "large",
];

const MATERIALS: &[&str] = &[
    "recycled polyester",
    "polyamide",
    "merino wool",
    "organic cotton",
    "leather",
    "stainless steel",
    "aluminium",
    "oak",
    "beech",
    "bamboo",
    "ABS plastic",
    "glass",
    "ceramic",
    "carbon fibre",
    "silicone",
    "cast iron",
];

/// Names of the five numeric and three textual properties (`productPropertyNumeric1…5`,
/// `productPropertyTextual1…3`).
const NUMERIC_NAMES: [&str; 5] = ["weight", "width", "height", "depth", "power"];
const TEXTUAL_NAMES: [&str; 3] = ["finish", "style", "pattern"];

/// Countries: ISO 3166 code, English name.
const COUNTRIES: &[(&str, &str)] = &[
    ("US", "United States"),
    ("DE", "Germany"),
    ("FR", "France"),
    ("GB", "United Kingdom"),
    ("JP", "Japan"),
    ("CN", "China"),
    ("ES", "Spain"),
    ("IT", "Italy"),
    ("AT", "Austria"),
    ("KR", "South Korea"),
];

const SYLLABLES: &[&str] = &[
    "val", "tor", "mi", "ka", "ren", "do", "lux", "ber", "sa", "no", "vi", "ta", "gor", "el", "an",
    "fi", "zen", "ro", "mar", "ko",
];
const COMPANY_SUFFIXES: &[&str] = &[
    "Industries",
    "Works",
    "Labs",
    "Outfitters",
    "Manufacturing",
    "Group",
    "Design",
    "Company",
];
const FIRST_NAMES: &[&str] = &[
    "Anna", "Ben", "Chloé", "David", "Emma", "Felix", "Gabriel", "Hanna", "Ines", "Jonas", "Karin",
    "Louis", "Maria", "Noah", "Olga", "Paul", "Rosa", "Sami", "Tara", "Ugo", "Vera", "Yuki", "Zoé",
    "Li", "Mehdi", "Nina", "Oscar", "Pia", "Raj", "Sofia",
];
const LAST_NAMES: &[&str] = &[
    "Martin", "Müller", "Smith", "Rossi", "García", "Dubois", "Tanaka", "Kim", "Wang", "Novak",
    "Schmidt", "Bernard", "Brown", "Ricci", "López", "Moreau", "Sato", "Park", "Chen", "Horvat",
    "Weber", "Petit", "Taylor", "Greco", "Ruiz", "Laurent", "Ito", "Lee", "Zhang", "Kovač",
];

/// The vocabulary of descriptions, review titles and bodies, and textual properties.
const WORDS: &[&str] = &[
    "quality",
    "design",
    "comfort",
    "solid",
    "easy",
    "use",
    "daily",
    "great",
    "value",
    "price",
    "light",
    "strong",
    "fast",
    "quiet",
    "warm",
    "cool",
    "soft",
    "hard",
    "bright",
    "dark",
    "simple",
    "clever",
    "practical",
    "reliable",
    "sturdy",
    "smooth",
    "precise",
    "stable",
    "versatile",
    "handy",
    "clean",
    "fresh",
    "natural",
    "classic",
    "modern",
    "travel",
    "home",
    "office",
    "garden",
    "outdoor",
    "city",
    "mountain",
    "winter",
    "summer",
    "rain",
    "wind",
    "sun",
    "water",
    "battery",
    "power",
    "charge",
    "hours",
    "weeks",
    "years",
    "family",
    "friends",
    "gift",
    "colour",
    "size",
    "fit",
    "finish",
    "handle",
    "strap",
    "pocket",
    "zip",
    "lid",
    "button",
    "screen",
    "sound",
    "signal",
    "grip",
    "blade",
    "frame",
    "wheel",
    "seat",
    "cover",
    "case",
    "box",
    "bag",
    "kit",
    "set",
    "pack",
    "spare",
    "part",
    "repair",
    "warranty",
    "delivery",
    "service",
    "support",
    "manual",
    "assembly",
    "storage",
    "space",
    "weight",
    "width",
    "height",
    "depth",
    "steel",
    "wood",
    "cotton",
    "wool",
    "leather",
    "plastic",
    "glass",
    "metal",
    "fabric",
    "recommended",
    "perfect",
    "excellent",
    "good",
    "decent",
    "average",
    "poor",
    "expensive",
    "cheap",
    "worth",
    "every",
    "penny",
    "works",
    "well",
    "broke",
    "after",
    "month",
    "returned",
    "replaced",
    "arrived",
    "quickly",
    "late",
    "packaging",
    "sturdy",
    "elegant",
    "compact",
    "waterproof",
    "lightweight",
    "durable",
    "portable",
    "wireless",
    "silent",
    "efficient",
    "generous",
    "comfortable",
    "flexible",
    "adjustable",
    "removable",
    "washable",
    "foldable",
];

/// BSBM-like shares of availabilities (percent, cumulative order).
const AVAILABILITIES: &[(u64, &str)] = &[
    (80, "https://schema.org/InStock"),
    (8, "https://schema.org/LimitedAvailability"),
    (5, "https://schema.org/BackOrder"),
    (4, "https://schema.org/OutOfStock"),
    (3, "https://schema.org/PreOrder"),
];

// ---------------------------------------------------------------------------------------------
// Deterministic randomness.

/// Streams of the generator's parts; product `i` (0-based) uses `PRODUCT_STREAMS + i`.
const TAXONOMY_STREAM: u64 = 0;
const PRODUCER_STREAM: u64 = 1;
const VENDOR_STREAM: u64 = 2;
const PERSON_STREAM: u64 = 3;
const FEATURE_STREAM: u64 = 4;
const PRODUCT_STREAMS: u64 = 1 << 32;

/// A ChaCha8 stream with integer-only helpers (portable: no floating point, no
/// version-dependent distribution code).
struct Rng(ChaCha8Rng);

impl Rng {
    fn new(seed: u64, stream: u64) -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        rng.set_stream(stream);
        Self(rng)
    }

    /// Uniform in `0..n` (multiply-shift; `0` when `n` is 0).
    fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.0.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// Uniform in `lo..=hi`.
    fn between(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi - lo + 1)
    }

    fn index(&mut self, len: usize) -> usize {
        self.below(len as u64) as usize
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.index(items.len())]
    }

    /// `count` distinct values of `0..n` (partial Fisher–Yates over a small `n`).
    fn distinct(&mut self, n: usize, count: usize) -> Vec<usize> {
        let mut all: Vec<usize> = (0..n).collect();
        for i in 0..count.min(n) {
            let j = i + self.index(n - i);
            all.swap(i, j);
        }
        all.truncate(count.min(n));
        all
    }

    /// `lo..=hi` words of [`WORDS`], space-separated.
    fn words(&mut self, lo: u64, hi: u64) -> String {
        let n = self.between(lo, hi);
        let mut out = String::new();
        for i in 0..n {
            if i > 0 {
                out.push(' ');
            }
            out.push_str(self.pick::<&str>(WORDS));
        }
        out
    }

    /// A sentence of `lo..=hi` words: capitalized, ending with a full stop.
    fn sentence(&mut self, lo: u64, hi: u64) -> String {
        let mut s = capitalized(&self.words(lo, hi));
        s.push('.');
        s
    }

    fn availability(&mut self) -> &'static str {
        let mut roll = self.below(100);
        for (share, iri) in AVAILABILITIES {
            if roll < *share {
                return iri;
            }
            roll -= share;
        }
        AVAILABILITIES[0].1
    }

    /// A day from `from` to `to` days after [`REFERENCE_DAY`] (`from <= to`), as `YYYY-MM-DD`.
    fn day(&mut self, from: i64, to: i64) -> String {
        day(from + self.below(to.abs_diff(from) + 1) as i64)
    }
}

fn day(offset: i64) -> String {
    let d = REFERENCE_DAY
        .checked_add(time::Duration::days(offset))
        .unwrap_or(REFERENCE_DAY);
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

fn capitalized(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn slug(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect()
}

/// The GTIN-13 of product `n`: GS1 prefix `20` (internal use), ten digits of `n`, check digit.
pub(crate) fn gtin13(n: u64) -> String {
    let body = format!("20{:010}", n % 10_000_000_000);
    let sum: u32 = body
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 0 { d * 3 } else { d }
        })
        .sum();
    format!("{body}{}", (10 - sum % 10) % 10)
}

/// The SKU of product `n`.
pub(crate) fn sku(n: u64) -> String {
    format!("BSBM-{n:08}")
}

fn price(cents: u64) -> String {
    format!("{}.{:02}", cents / 100, cents % 100)
}

// ---------------------------------------------------------------------------------------------
// Output.

/// Counts triples on their way to the serializer.
struct Sink<W: Write> {
    ser: WriterQuadSerializer<W>,
    triples: u64,
}

impl<W: Write> Sink<W> {
    fn t<'a>(
        &mut self,
        s: impl Into<NamedOrBlankNodeRef<'a>>,
        p: NamedNodeRef<'a>,
        o: impl Into<TermRef<'a>>,
    ) -> io::Result<()> {
        self.triples += 1;
        self.ser.serialize_triple(TripleRef::new(s, p, o))
    }

    fn a<'a>(
        &mut self,
        s: impl Into<NamedOrBlankNodeRef<'a>>,
        class: NamedNodeRef<'a>,
    ) -> io::Result<()> {
        self.t(s, rdf::TYPE, class)
    }

    fn text<'a>(
        &mut self,
        s: impl Into<NamedOrBlankNodeRef<'a>>,
        p: NamedNodeRef<'a>,
        value: &'a str,
    ) -> io::Result<()> {
        self.t(s, p, LiteralRef::new_simple_literal(value))
    }

    fn lang<'a>(
        &mut self,
        s: impl Into<NamedOrBlankNodeRef<'a>>,
        p: NamedNodeRef<'a>,
        value: &'a str,
        lang: &'a str,
    ) -> io::Result<()> {
        self.t(
            s,
            p,
            LiteralRef::new_language_tagged_literal_unchecked(value, lang),
        )
    }

    fn typed<'a>(
        &mut self,
        s: impl Into<NamedOrBlankNodeRef<'a>>,
        p: NamedNodeRef<'a>,
        value: &'a str,
        datatype: NamedNodeRef<'a>,
    ) -> io::Result<()> {
        self.t(s, p, LiteralRef::new_typed_literal(value, datatype))
    }

    fn iri<'a>(
        &mut self,
        s: impl Into<NamedOrBlankNodeRef<'a>>,
        p: NamedNodeRef<'a>,
        o: &'a str,
    ) -> io::Result<()> {
        self.t(s, p, NamedNodeRef::new_unchecked(o))
    }
}

fn node(iri: &str) -> NamedNodeRef<'_> {
    NamedNodeRef::new_unchecked(iri)
}

fn blank(id: &str) -> BlankNodeRef<'_> {
    BlankNodeRef::new_unchecked(id)
}

// ---------------------------------------------------------------------------------------------
// The catalog.

/// Sizes derived from the number of products.
struct Shape {
    products: u64,
    seed: u64,
    /// Departments, and families per department.
    fanout: u64,
    /// Leaf types.
    leaves: u64,
    /// `starts[t]`: the first product (0-based) of leaf type `t`; `starts[leaves]` = products.
    starts: Vec<u64>,
    producers: u64,
    vendors: u64,
    persons: u64,
}

/// Own features per leaf type, and per family.
const LEAF_FEATURES: u64 = 6;
const FAMILY_FEATURES: u64 = 4;
/// Lead times of offers, in days.
const MAX_LEAD_DAYS: u64 = 14;

impl Shape {
    fn new(products: u64, seed: u64) -> Self {
        let leaves = (products / 50).max(4);
        let mut fanout = 2;
        while (fanout + 1) * (fanout + 1) * (fanout + 1) <= leaves {
            fanout += 1;
        }
        // Products come in one block per leaf type (as in BSBM), of weight 1 to 3.
        let mut rng = Rng::new(seed, TAXONOMY_STREAM);
        let weights: Vec<u64> = (0..leaves).map(|_| rng.between(1, 3)).collect();
        let total: u64 = weights.iter().sum();
        let mut starts = Vec::with_capacity(weights.len() + 1);
        let mut cumulative = 0_u64;
        for w in &weights {
            starts.push((u128::from(products) * u128::from(cumulative) / u128::from(total)) as u64);
            cumulative += w;
        }
        starts.push(products);
        Self {
            products,
            seed,
            fanout,
            leaves,
            starts,
            producers: (products / 100).max(2),
            vendors: (products / 50).max(2),
            persons: (products * 3 / 8).max(10),
        }
    }

    fn families(&self) -> u64 {
        self.fanout * self.fanout
    }

    /// The leaf type of product `i` (0-based).
    fn leaf_of(&self, i: u64) -> u64 {
        (self.starts.partition_point(|&s| s <= i) as u64).saturating_sub(1)
    }

    /// The products (0-based) of leaf type `t`.
    fn block(&self, t: u64) -> (u64, u64) {
        let t = t as usize;
        (self.starts[t], self.starts[t + 1])
    }

    fn family_of(&self, leaf: u64) -> u64 {
        leaf % self.families()
    }

    fn department_slug(&self, d: u64) -> String {
        let (_, _, s) = DEPARTMENTS[(d as usize) % DEPARTMENTS.len()];
        format!("{BASE}type/d{d}-{s}")
    }

    fn family_iri(&self, f: u64) -> String {
        format!("{BASE}type/f{f}")
    }

    fn leaf_iri(&self, t: u64) -> String {
        let (_, plural, _, _) = NOUNS[(t as usize) % NOUNS.len()];
        format!("{BASE}type/t{t}-{}", slug(plural))
    }

    fn feature_iri(&self, k: u64) -> String {
        format!("{BASE}feature/{k}")
    }

    /// The features a product of leaf type `t` draws from: its own six, then its family's four.
    fn features_of_leaf(&self, t: u64) -> Vec<u64> {
        let own = (0..LEAF_FEATURES).map(|k| t * LEAF_FEATURES + k);
        let family = self.family_of(t);
        let shared = (0..FAMILY_FEATURES)
            .map(|k| self.leaves * LEAF_FEATURES + family * FAMILY_FEATURES + k);
        own.chain(shared).collect()
    }
}

fn suffix(i: u64, len: usize) -> String {
    let round = i / len as u64;
    if round == 0 {
        String::new()
    } else {
        format!(" {}", round + 1)
    }
}

fn write_header<W: Write>(shape: &Shape, out: &mut Sink<W>) -> io::Result<()> {
    for (code, name) in COUNTRIES {
        let c = format!("{BASE}country/{code}");
        out.a(node(&c), term::COUNTRY)?;
        out.lang(node(&c), term::NAME, name, "en")?;
        out.text(node(&c), term::IDENTIFIER, code)?;
    }
    for d in 1..=MAX_LEAD_DAYS {
        let iri = format!("{BASE}lead-time/{d}");
        let days = d.to_string();
        out.a(node(&iri), term::QUANTITATIVE_VALUE)?;
        out.typed(node(&iri), term::VALUE, &days, xsd::INTEGER)?;
        out.text(node(&iri), term::UNIT_CODE, "DAY")?;
    }
    write_taxonomy(shape, out)?;
    write_features(shape, out)?;
    write_organizations(shape, out)?;
    let mut rng = Rng::new(shape.seed, PERSON_STREAM);
    for k in 1..=shape.persons {
        let iri = format!("{BASE}person/{k}");
        let name = format!("{} {}", rng.pick(FIRST_NAMES), rng.pick(LAST_NAMES));
        let (code, _) = rng.pick(COUNTRIES);
        out.a(node(&iri), term::PERSON)?;
        out.text(node(&iri), term::NAME, &name)?;
        out.iri(
            node(&iri),
            term::NATIONALITY,
            &format!("{BASE}country/{code}"),
        )?;
    }
    Ok(())
}

fn concept<W: Write>(
    out: &mut Sink<W>,
    iri: &str,
    notation: &str,
    en: &str,
    fr: &str,
    scheme: &str,
    broader: Option<&str>,
) -> io::Result<()> {
    out.a(node(iri), term::CONCEPT)?;
    out.text(node(iri), term::NOTATION, notation)?;
    out.lang(node(iri), term::PREF_LABEL, en, "en")?;
    out.lang(node(iri), term::PREF_LABEL, fr, "fr")?;
    out.iri(node(iri), term::IN_SCHEME, scheme)?;
    match broader {
        Some(b) => out.iri(node(iri), term::BROADER, b),
        None => out.iri(node(iri), term::TOP_CONCEPT_OF, scheme),
    }
}

fn write_taxonomy<W: Write>(shape: &Shape, out: &mut Sink<W>) -> io::Result<()> {
    let scheme = format!("{BASE}taxonomy");
    let root = format!("{BASE}type/catalog");
    out.a(node(&scheme), term::CONCEPT_SCHEME)?;
    out.lang(node(&scheme), term::PREF_LABEL, "BSBM catalog", "en")?;
    out.lang(node(&scheme), term::PREF_LABEL, "Catalogue BSBM", "fr")?;
    out.iri(node(&scheme), term::HAS_TOP_CONCEPT, &root)?;
    concept(out, &root, "catalog", "Catalog", "Catalogue", &scheme, None)?;
    for d in 0..shape.fanout {
        let (en, fr, s) = DEPARTMENTS[(d as usize) % DEPARTMENTS.len()];
        let more = suffix(d, DEPARTMENTS.len());
        let iri = shape.department_slug(d);
        concept(
            out,
            &iri,
            &format!("d{d}-{s}"),
            &format!("{en}{more}"),
            &format!("{fr}{more}"),
            &scheme,
            Some(&root),
        )?;
    }
    for f in 0..shape.families() {
        let d = f / shape.fanout;
        let (den, dfr, _) = DEPARTMENTS[(d as usize) % DEPARTMENTS.len()];
        let more = suffix(d, DEPARTMENTS.len());
        let (fen, ffr) = FAMILIES[(f as usize) % FAMILIES.len()];
        concept(
            out,
            &shape.family_iri(f),
            &format!("f{f}"),
            &format!("{den}{more} {fen}"),
            &format!("{ffr} {}{more}", dfr.to_lowercase()),
            &scheme,
            Some(&shape.department_slug(d)),
        )?;
    }
    for t in 0..shape.leaves {
        let (_, plural, _, plural_fr) = NOUNS[(t as usize) % NOUNS.len()];
        let q = (t as usize / NOUNS.len()) % QUALIFIERS.len();
        let (qen, qfr) = QUALIFIERS[q];
        let more = suffix(t, NOUNS.len() * QUALIFIERS.len());
        concept(
            out,
            &shape.leaf_iri(t),
            &format!("t{t}-{}", slug(plural)),
            &format!("{qen} {plural}{more}"),
            &format!("{} {qfr}{more}", capitalized(plural_fr)),
            &scheme,
            Some(&shape.family_iri(shape.family_of(t))),
        )?;
    }
    Ok(())
}

fn write_features<W: Write>(shape: &Shape, out: &mut Sink<W>) -> io::Result<()> {
    let mut rng = Rng::new(shape.seed, FEATURE_STREAM);
    let count = shape.leaves * LEAF_FEATURES + shape.families() * FAMILY_FEATURES;
    for k in 0..count {
        let iri = shape.feature_iri(k);
        let value = rng.words(2, 3);
        out.a(node(&iri), term::PROPERTY_VALUE)?;
        out.text(node(&iri), term::PROPERTY_ID, "productFeature")?;
        out.text(node(&iri), term::NAME, "feature")?;
        out.text(node(&iri), term::VALUE, &value)?;
    }
    Ok(())
}

fn company_name(rng: &mut Rng) -> String {
    let parts = rng.between(2, 3);
    let mut name = String::new();
    for _ in 0..parts {
        name.push_str(rng.pick::<&str>(SYLLABLES));
    }
    capitalized(&name)
}

fn write_organizations<W: Write>(shape: &Shape, out: &mut Sink<W>) -> io::Result<()> {
    let mut rng = Rng::new(shape.seed, PRODUCER_STREAM);
    for k in 1..=shape.producers {
        let iri = format!("{BASE}producer/{k}");
        let name = format!("{} {}", company_name(&mut rng), rng.pick(COMPANY_SUFFIXES));
        let url = format!("https://producer{k}.bsbm.example/");
        let address = format!("ap{k}");
        let (code, _) = rng.pick(COUNTRIES);
        out.a(node(&iri), term::ORGANIZATION)?;
        out.a(node(&iri), term::BRAND_CLASS)?;
        out.text(node(&iri), term::NAME, &name)?;
        out.iri(node(&iri), term::URL, &url)?;
        out.t(node(&iri), term::ADDRESS, blank(&address))?;
        out.a(blank(&address), term::POSTAL_ADDRESS)?;
        out.text(blank(&address), term::ADDRESS_COUNTRY, code)?;
    }
    let mut rng = Rng::new(shape.seed, VENDOR_STREAM);
    for k in 1..=shape.vendors {
        let iri = format!("{BASE}vendor/{k}");
        let name = format!("{} Shop", company_name(&mut rng));
        let url = format!("https://vendor{k}.bsbm.example/");
        let address = format!("av{k}");
        let (code, _) = rng.pick(COUNTRIES);
        out.a(node(&iri), term::ORGANIZATION)?;
        out.text(node(&iri), term::NAME, &name)?;
        out.iri(node(&iri), term::URL, &url)?;
        out.t(node(&iri), term::ADDRESS, blank(&address))?;
        out.a(blank(&address), term::POSTAL_ADDRESS)?;
        out.text(blank(&address), term::ADDRESS_COUNTRY, code)?;
    }
    Ok(())
}

/// One offer's statements (the brand's, or a vendor's).
struct OfferSpec<'a> {
    iri: &'a str,
    product: &'a str,
    seller: &'a str,
    cents: u64,
}

fn write_offer<W: Write>(rng: &mut Rng, out: &mut Sink<W>, o: &OfferSpec<'_>) -> io::Result<()> {
    let s = node(o.iri);
    let price = price(o.cents.max(1));
    // Valid from up to 90 days before the reference day, for 30 to 240 days: some have expired.
    let from = rng.below(90) as i64;
    let valid_from = day(-from);
    let valid_through = day(rng.between(30, 240) as i64 - from);
    let condition = match rng.below(20) {
        0 => term::USED_CONDITION,
        1 => term::REFURBISHED_CONDITION,
        _ => term::NEW_CONDITION,
    };
    let lead = format!("{BASE}lead-time/{}", rng.between(1, MAX_LEAD_DAYS));
    out.a(s, term::OFFER)?;
    out.iri(s, term::ITEM_OFFERED, o.product)?;
    out.iri(s, term::SELLER, o.seller)?;
    out.typed(s, term::PRICE, &price, xsd::DECIMAL)?;
    out.text(s, term::PRICE_CURRENCY, "EUR")?;
    out.iri(s, term::AVAILABILITY, rng.availability())?;
    out.t(s, term::ITEM_CONDITION, condition)?;
    out.typed(s, term::VALID_FROM, &valid_from, xsd::DATE)?;
    out.typed(s, term::VALID_THROUGH, &valid_through, xsd::DATE)?;
    out.iri(s, term::DELIVERY_LEAD_TIME, &lead)?;
    Ok(())
}

/// Writes product `i` (0-based) with its property values, offers and reviews.
fn write_product<W: Write>(shape: &Shape, i: u64, out: &mut Sink<W>) -> io::Result<()> {
    let mut rng = Rng::new(shape.seed, PRODUCT_STREAMS + i);
    let n = i + 1;
    let product = format!("{BASE}product/{n}");
    let p = node(&product);
    let leaf = shape.leaf_of(i);
    let (noun, _, noun_fr, _) = NOUNS[(leaf as usize) % NOUNS.len()];
    let first = rng.index(ADJECTIVES.len());
    let second = (first + 1 + rng.index(ADJECTIVES.len() - 1)) % ADJECTIVES.len();
    let (a1, a1_fr) = ADJECTIVES[first];
    let (a2, a2_fr) = ADJECTIVES[second];
    let model = format!(
        "{}{}-{}",
        char::from(b'A' + rng.below(26) as u8),
        char::from(b'A' + rng.below(26) as u8),
        rng.between(100, 999)
    );
    let name_en = format!("{} {a2} {noun} {model}", capitalized(a1));
    let name_fr = format!("{} {a1_fr} {a2_fr} {model}", capitalized(noun_fr));
    let description = rng.sentence(20, 60);
    let producer = format!("{BASE}producer/{}", 1 + rng.below(shape.producers));
    let (color, color_fr) = *rng.pick(COLORS);
    let size = *rng.pick(SIZES);
    let material = *rng.pick(MATERIALS);
    let sku = sku(n);
    let gtin = gtin13(n);

    out.a(p, term::PRODUCT)?;
    out.text(p, term::SKU, &sku)?;
    out.text(p, term::GTIN13, &gtin)?;
    out.lang(p, term::NAME, &name_en, "en")?;
    out.lang(p, term::NAME, &name_fr, "fr")?;
    out.lang(p, term::DESCRIPTION, &description, "en")?;
    out.iri(p, term::BRAND, &producer)?;
    out.iri(p, term::MANUFACTURER, &producer)?;
    out.iri(p, term::CATEGORY, &shape.leaf_iri(leaf))?;
    out.lang(p, term::COLOR, color, "en")?;
    out.lang(p, term::COLOR, color_fr, "fr")?;
    out.text(p, term::SIZE, size)?;
    out.lang(p, term::MATERIAL, material, "en")?;

    // Features: three of the type's own six, two of its family's four.
    let pool = shape.features_of_leaf(leaf);
    let own = LEAF_FEATURES as usize;
    let mut chosen: Vec<u64> = rng.distinct(own, 3).into_iter().map(|k| pool[k]).collect();
    chosen.extend(
        rng.distinct(pool.len() - own, 2)
            .into_iter()
            .map(|k| pool[own + k]),
    );
    chosen.sort_unstable();
    for f in &chosen {
        out.iri(p, term::ADDITIONAL_PROPERTY, &shape.feature_iri(*f))?;
    }
    // Numeric and textual properties, as blank-node PropertyValues.
    let mut values = Vec::with_capacity(8);
    for (k, name) in NUMERIC_NAMES.iter().enumerate() {
        let v = rng.between(1, 2000).to_string();
        values.push((format!("productPropertyNumeric{}", k + 1), *name, v, true));
    }
    for (k, name) in TEXTUAL_NAMES.iter().enumerate() {
        let v = rng.words(2, 5);
        values.push((format!("productPropertyTextual{}", k + 1), *name, v, false));
    }
    let ids: Vec<String> = (1..=values.len()).map(|k| format!("pv{n}-{k}")).collect();
    for id in &ids {
        out.t(p, term::ADDITIONAL_PROPERTY, blank(id))?;
    }

    // Similar products: up to three others of the same type.
    let (start, end) = shape.block(leaf);
    let mut similar: Vec<u64> = Vec::new();
    let others = end.saturating_sub(start).saturating_sub(1);
    for _ in 0..rng.below(4) {
        if others == 0 {
            break;
        }
        let mut j = start + rng.below(others);
        if j >= i {
            j += 1;
        }
        if !similar.contains(&j) {
            similar.push(j);
        }
    }
    for j in &similar {
        out.iri(p, term::IS_SIMILAR_TO, &format!("{BASE}product/{}", j + 1))?;
    }
    let brand_offer = format!("{BASE}offer/{n}");
    out.iri(p, term::OFFERS, &brand_offer)?;
    let reviews = rng.between(5, 10);
    let review_iris: Vec<String> = (1..=reviews)
        .map(|k| format!("{BASE}review/{n}-{k}"))
        .collect();
    for r in &review_iris {
        out.iri(p, term::REVIEW, r)?;
    }

    for ((id, name, value, numeric), bnode) in values.iter().zip(&ids) {
        let b = blank(bnode);
        out.a(b, term::PROPERTY_VALUE)?;
        out.text(b, term::PROPERTY_ID, id)?;
        out.text(b, term::NAME, name)?;
        if *numeric {
            out.typed(b, term::VALUE, value, xsd::INTEGER)?;
        } else {
            out.text(b, term::VALUE, value)?;
        }
    }

    // The brand's offer, then the vendors'.
    let cents = rng.between(500, 1_000_000);
    write_offer(
        &mut rng,
        out,
        &OfferSpec {
            iri: &brand_offer,
            product: &product,
            seller: &producer,
            cents,
        },
    )?;
    for k in 1..=rng.between(13, 24) {
        let iri = format!("{BASE}offer/{n}-{k}");
        let vendor = format!("{BASE}vendor/{}", 1 + rng.below(shape.vendors));
        let vendor_cents = cents * rng.between(80, 120) / 100;
        write_offer(
            &mut rng,
            out,
            &OfferSpec {
                iri: &iri,
                product: &product,
                seller: &vendor,
                cents: vendor_cents,
            },
        )?;
    }

    for (k, r) in review_iris.iter().enumerate() {
        let s = node(r);
        let lang = match rng.below(20) {
            0..=13 => "en",
            14..=16 => "fr",
            _ => "de",
        };
        let author = format!("{BASE}person/{}", 1 + rng.below(shape.persons));
        let date = rng.day(-730, -1);
        let title = capitalized(&rng.words(3, 6));
        let body = rng.sentence(20, 50);
        let rating = format!("rt{n}-{}", k + 1);
        let value = rng.between(1, 10).to_string();
        out.a(s, term::REVIEW_CLASS)?;
        out.iri(s, term::ITEM_REVIEWED, &product)?;
        out.iri(s, term::AUTHOR, &author)?;
        out.typed(s, term::DATE_PUBLISHED, &date, xsd::DATE)?;
        out.lang(s, term::NAME, &title, lang)?;
        out.lang(s, term::REVIEW_BODY, &body, lang)?;
        out.t(s, term::REVIEW_RATING, blank(&rating))?;
        out.a(blank(&rating), term::RATING)?;
        out.typed(blank(&rating), term::RATING_VALUE, &value, xsd::INTEGER)?;
        out.typed(blank(&rating), term::BEST_RATING, "10", xsd::INTEGER)?;
        out.typed(blank(&rating), term::WORST_RATING, "1", xsd::INTEGER)?;
    }
    Ok(())
}

/// The serializer for `format`, with prefixes for Turtle.
fn serializer(format: RdfFormat) -> io::Result<RdfSerializer> {
    let mut ser = RdfSerializer::from_format(format);
    if format == RdfFormat::Turtle {
        for (prefix, iri) in [
            ("schema", "https://schema.org/"),
            ("skos", "http://www.w3.org/2004/02/skos/core#"),
            ("xsd", "http://www.w3.org/2001/XMLSchema#"),
            ("bsbm", BASE),
        ] {
            ser = ser
                .with_prefix(prefix, iri)
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
        }
    }
    Ok(ser)
}

/// Writes a catalog of `products` products to `writer` (flushed at the end) in `format`
/// (N-Triples or Turtle), calling `progress` with the number of products written from time to
/// time. Returns the number of triples written.
pub(crate) fn write_catalog<W: Write>(
    products: u64,
    seed: u64,
    format: RdfFormat,
    writer: W,
    mut progress: impl FnMut(u64),
) -> io::Result<u64> {
    if !(1..=MAX_PRODUCTS).contains(&products) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("the number of products must be 1 to {MAX_PRODUCTS}"),
        ));
    }
    let shape = Shape::new(products, seed);
    let mut out = Sink {
        ser: serializer(format)?.for_writer(writer),
        triples: 0,
    };
    write_header(&shape, &mut out)?;
    for i in 0..shape.products {
        write_product(&shape, i, &mut out)?;
        if i % 1024 == 1023 {
            progress(i + 1);
        }
    }
    progress(shape.products);
    let triples = out.triples;
    out.ser.finish()?.flush()?;
    Ok(triples)
}

/// The syntax to write, from the output file's extension.
fn output_format(path: &Path) -> anyhow::Result<RdfFormat> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    match ext.as_deref() {
        Some("nt") => Ok(RdfFormat::NTriples),
        Some("ttl") => Ok(RdfFormat::Turtle),
        _ => bail!(
            "{}: the output file must end in .nt (N-Triples) or .ttl (Turtle)",
            path.display()
        ),
    }
}

fn progress_bar(products: u64) -> ProgressBar {
    if !io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(products);
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} products ({per_sec}, {eta} left)",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}

/// `b2a catalog generate`. Blocking.
pub(crate) fn run(a: CatalogGenerateArgs) -> anyhow::Result<()> {
    let format = output_format(&a.out)?;
    let file = File::create(&a.out).with_context(|| format!("creating {}", a.out.display()))?;
    let bar = progress_bar(a.products);
    let started = Instant::now();
    let tick = bar.clone();
    let written = write_catalog(
        a.products,
        a.seed,
        format,
        BufWriter::with_capacity(1 << 20, file),
        move |done| tick.set_position(done),
    );
    bar.finish_and_clear();
    let triples = match written {
        Ok(t) => t,
        Err(e) => {
            // Leave no truncated catalog behind.
            let _ = std::fs::remove_file(&a.out);
            return Err(e).with_context(|| format!("writing {}", a.out.display()));
        }
    };
    let secs = started.elapsed().as_secs_f64();
    let noun = if a.products == 1 {
        "product"
    } else {
        "products"
    };
    println!(
        "wrote {} {noun}, {triples} triples to {} in {secs:.2} s ({:.0} triples/s)",
        a.products,
        a.out.display(),
        triples as f64 / secs.max(1e-6)
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::collections::{HashMap, HashSet};

    use b2a_model::Gtin;
    use oxigraph::io::RdfParser;
    use oxigraph::model::{Term, Triple};

    use super::*;

    fn catalog(products: u64, seed: u64, format: RdfFormat) -> Vec<u8> {
        let mut buf = Vec::new();
        write_catalog(products, seed, format, &mut buf, |_| ()).expect("generates");
        buf
    }

    fn triples(bytes: &[u8], format: RdfFormat) -> Vec<Triple> {
        RdfParser::from_format(format)
            .for_slice(bytes)
            .map(|q| Triple::from(q.expect("parses")))
            .collect()
    }

    fn schema(local: &str) -> String {
        format!("https://schema.org/{local}")
    }

    #[test]
    fn gtins_have_valid_check_digits() {
        for n in [1, 2, 9, 10, 99, 1234, 99_999, MAX_PRODUCTS] {
            let g = gtin13(n);
            assert_eq!(g.len(), 13, "{g}");
            assert!(Gtin::parse(&g).is_ok(), "{g} has a wrong check digit");
        }
        // Every GTIN of a generated catalog, read back from the RDF.
        let bytes = catalog(120, 7, RdfFormat::NTriples);
        let gtins: Vec<String> = triples(&bytes, RdfFormat::NTriples)
            .into_iter()
            .filter(|t| t.predicate.as_str() == schema("gtin13"))
            .map(|t| match t.object {
                Term::Literal(l) => l.value().to_owned(),
                other => panic!("gtin13 is not a literal: {other}"),
            })
            .collect();
        assert_eq!(gtins.len(), 120);
        assert_eq!(gtins.iter().collect::<HashSet<_>>().len(), 120, "unique");
        for g in &gtins {
            assert!(Gtin::parse(g).is_ok(), "{g} has a wrong check digit");
        }
        // A corrupted check digit is caught by the same check.
        let g = gtin13(42);
        let last = g.as_bytes()[12] - b'0';
        let bad = format!("{}{}", &g[..12], (last + 1) % 10);
        assert!(Gtin::parse(&bad).is_err());
    }

    #[test]
    fn same_seed_same_bytes_other_seed_other_bytes() {
        let a = catalog(60, 1, RdfFormat::NTriples);
        assert_eq!(a, catalog(60, 1, RdfFormat::NTriples));
        assert_ne!(a, catalog(60, 2, RdfFormat::NTriples));
    }

    #[test]
    fn turtle_and_n_triples_hold_the_same_triples() {
        let nt = triples(&catalog(30, 3, RdfFormat::NTriples), RdfFormat::NTriples);
        let ttl = triples(&catalog(30, 3, RdfFormat::Turtle), RdfFormat::Turtle);
        assert_eq!(nt.len(), ttl.len());
        // Blank node labels may differ: compare the triples without blank nodes.
        let named = |ts: &[Triple]| -> HashSet<String> {
            ts.iter()
                .filter(|t| !t.subject.is_blank_node() && !t.object.is_blank_node())
                .map(ToString::to_string)
                .collect()
        };
        assert_eq!(named(&nt), named(&ttl));
    }

    #[test]
    fn shape_of_the_catalog() {
        let n = 500;
        let ts = triples(&catalog(n, 11, RdfFormat::NTriples), RdfFormat::NTriples);
        let per_product = ts.len() as u64 / n;
        assert!(
            (250..=450).contains(&per_product),
            "{per_product} triples/product"
        );
        let mut by_pred: HashMap<String, Vec<&Triple>> = HashMap::new();
        for t in &ts {
            by_pred
                .entry(t.predicate.as_str().to_owned())
                .or_default()
                .push(t);
        }
        let count = |local: &str| by_pred.get(&schema(local)).map_or(0, Vec::len);
        assert_eq!(count("sku"), n as usize);
        assert_eq!(
            count("offers"),
            n as usize,
            "exactly one schema:offers per product"
        );
        let offered = count("itemOffered");
        assert!(offered >= 14 * n as usize, "{offered} offers");
        let reviews = count("reviewBody");
        assert!(
            (5 * n as usize..=10 * n as usize).contains(&reviews),
            "{reviews} reviews"
        );
        // Prices: two decimals, positive.
        for t in &by_pred[&schema("price")] {
            let Term::Literal(l) = &t.object else {
                panic!("price")
            };
            let (units, cents) = l.value().split_once('.').expect("decimal point");
            assert_eq!(cents.len(), 2, "{}", l.value());
            assert!(units.parse::<u64>().expect("units") > 0 || cents != "00");
        }
        // Every isSimilarTo target is a product of the same category.
        let category: HashMap<String, String> = by_pred[&schema("category")]
            .iter()
            .map(|t| (t.subject.to_string(), t.object.to_string()))
            .collect();
        for t in by_pred.get(&schema("isSimilarTo")).into_iter().flatten() {
            let target = t.object.to_string();
            assert_ne!(t.subject.to_string(), target);
            assert_eq!(category.get(&target), category.get(&t.subject.to_string()));
        }
        // Five numeric properties per product, integers from 1 to 2000.
        let numeric = ts
            .iter()
            .filter(|t| {
                t.predicate.as_str() == schema("propertyID")
                    && matches!(&t.object, Term::Literal(l) if l.value().starts_with("productPropertyNumeric"))
            })
            .count();
        assert_eq!(numeric, 5 * n as usize);
    }

    #[test]
    fn products_fill_every_block_in_order() {
        for n in [1, 3, 49, 50, 200, 1000] {
            let shape = Shape::new(n, 5);
            assert!(shape.leaves >= 4);
            assert!(shape.families() <= shape.leaves);
            let mut last = 0;
            for i in 0..n {
                let leaf = shape.leaf_of(i);
                assert!(leaf < shape.leaves);
                assert!(leaf >= last, "blocks are contiguous");
                let (start, end) = shape.block(leaf);
                assert!((start..end).contains(&i));
                last = leaf;
            }
        }
    }

    #[test]
    fn dates_are_iso_days() {
        assert_eq!(day(0), "2025-01-01");
        assert_eq!(day(-1), "2024-12-31");
        assert_eq!(day(59), "2025-03-01");
    }

    #[test]
    fn bad_sizes_and_extensions_are_refused() {
        let mut buf = Vec::new();
        assert!(write_catalog(0, 1, RdfFormat::NTriples, &mut buf, |_| ()).is_err());
        assert!(write_catalog(MAX_PRODUCTS + 1, 1, RdfFormat::NTriples, &mut buf, |_| ()).is_err());
        assert!(output_format(Path::new("x.nt")).is_ok());
        assert!(output_format(Path::new("x.TTL")).is_ok());
        assert!(output_format(Path::new("x.jsonld")).is_err());
        assert!(output_format(Path::new("x")).is_err());
    }
}
