//! Product feeds: CSV (with a header row) and JSON Lines (one JSON object per line, same field
//! names), mapped to the schema.org and SKOS shape the rest of the gateway reads.
//!
//! Pure: rows in, triples out. Every row is checked and every fault is reported (up to
//! [`MAX_ISSUES`] listed, all counted), each naming the source, the file line and the field.
//! The `stock` column never becomes a triple: it is returned to the caller for the ledger.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Read};

use b2a_model::{Availability, Currency, Money, ProductId, Sku};
use oxigraph::io::{RdfFormat, RdfSerializer};
use oxigraph::model::vocab::{rdf, xsd};
use oxigraph::model::{BlankNode, Literal, NamedNode, NamedOrBlankNode, Term, Triple};
use serde_json::Value;
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

use crate::{GraphError, MAX_ISSUES};

const SCHEMA: &str = "https://schema.org/";
const SKOS: &str = "http://www.w3.org/2004/02/skos/core#";

/// The syntax of a product feed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FeedFormat {
    /// Comma-separated values with a header row (RFC 4180 quoting), UTF-8.
    Csv,
    /// JSON Lines: one JSON object per line, with the CSV column names as keys.
    JsonLines,
}

impl FeedFormat {
    /// The feed syntax of a media type: `text/csv`; `application/jsonl`,
    /// `application/x-ndjson`, `application/ndjson` or `application/jsonlines`.
    pub fn from_media_type(media_type: &str) -> Option<Self> {
        let media_type = media_type
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        match media_type.as_str() {
            "text/csv" => Some(Self::Csv),
            "application/jsonl"
            | "application/x-jsonl"
            | "application/jsonlines"
            | "application/x-jsonlines"
            | "application/ndjson"
            | "application/x-ndjson" => Some(Self::JsonLines),
            _ => None,
        }
    }
}

/// The IRI a feed's nodes are named under: `{base}product/{id}`, `{base}offer/{id}`,
/// `{base}brand/{slug}`, `{base}taxonomy/{slug}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FeedBase(String);

impl FeedBase {
    /// The base used when none is given.
    pub const DEFAULT: &'static str = "https://brand.example/";

    /// Checks an absolute IRI without a query; a `/` is appended unless it ends with `/`, `#`
    /// or `:` (`https://vercors.example` → `https://vercors.example/`).
    pub fn parse(text: &str) -> Result<Self, GraphError> {
        let bad = || {
            GraphError::Parse(format!(
                "the feed base {text:?} is not an absolute IRI such as https://brand.example/"
            ))
        };
        let text = text.trim();
        if text.contains('?') || NamedNode::new(text).is_err() {
            return Err(bad());
        }
        let mut base = text.to_owned();
        if !(base.ends_with('/') || base.ends_with('#') || base.ends_with(':')) {
            base.push('/');
        }
        // Everything appended later is unreserved characters or percent-escapes.
        NamedNode::new(format!("{base}product/x")).map_err(|_| bad())?;
        Ok(Self(base))
    }

    /// The base IRI, ending with `/`, `#` or `:`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for FeedBase {
    fn default() -> Self {
        Self(Self::DEFAULT.to_owned())
    }
}

impl std::fmt::Display for FeedBase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A feed mapped to RDF.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Feed {
    /// The schema.org and SKOS triples, brands first, then categories (parents first), then
    /// each product (after its group, for the first variant) and its offer.
    pub triples: Vec<Triple>,
    /// The `stock` column (brand-private: never in the graph), in feed order.
    pub stock: Vec<(Sku, u32)>,
    /// Every product id with its line, for checks across the sources of one load.
    pub(crate) ids: Vec<(Sku, u64)>,
    base: FeedBase,
}

impl Feed {
    /// The triples as Turtle, with `schema:`, `skos:`, `xsd:` and the base's `brand:`,
    /// `product:`, `offer:`, `taxonomy:` prefixes.
    pub fn to_turtle(&self) -> Result<String, GraphError> {
        let fail = |e: &dyn std::fmt::Display| GraphError::Query(format!("turtle: {e}"));
        let base = self.base.as_str();
        let mut serializer = RdfSerializer::from_format(RdfFormat::Turtle);
        for (prefix, iri) in [
            ("schema", SCHEMA.to_owned()),
            ("skos", SKOS.to_owned()),
            ("xsd", "http://www.w3.org/2001/XMLSchema#".to_owned()),
            ("brand", format!("{base}brand/")),
            ("product", format!("{base}product/")),
            ("offer", format!("{base}offer/")),
            ("taxonomy", format!("{base}taxonomy/")),
        ] {
            serializer = serializer.with_prefix(prefix, iri).map_err(|e| fail(&e))?;
        }
        let mut writer = serializer.for_writer(Vec::new());
        for t in &self.triples {
            writer.serialize_triple(t).map_err(|e| fail(&e))?;
        }
        let bytes = writer.finish().map_err(|e| fail(&e))?;
        String::from_utf8(bytes).map_err(|e| fail(&e))
    }
}

/// The columns of a feed, in documentation order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Col {
    Id,
    ItemGroupId,
    Title,
    Description,
    Brand,
    Gtin,
    Mpn,
    Category,
    Price,
    ListPrice,
    Currency,
    Availability,
    Stock,
    Color,
    Size,
    Material,
    Image,
    Url,
    Language,
}

const COLUMN_COUNT: usize = 19;

impl Col {
    const ALL: [Col; COLUMN_COUNT] = [
        Col::Id,
        Col::ItemGroupId,
        Col::Title,
        Col::Description,
        Col::Brand,
        Col::Gtin,
        Col::Mpn,
        Col::Category,
        Col::Price,
        Col::ListPrice,
        Col::Currency,
        Col::Availability,
        Col::Stock,
        Col::Color,
        Col::Size,
        Col::Material,
        Col::Image,
        Col::Url,
        Col::Language,
    ];

    fn name(self) -> &'static str {
        match self {
            Col::Id => "id",
            Col::ItemGroupId => "item_group_id",
            Col::Title => "title",
            Col::Description => "description",
            Col::Brand => "brand",
            Col::Gtin => "gtin",
            Col::Mpn => "mpn",
            Col::Category => "category",
            Col::Price => "price",
            Col::ListPrice => "list_price",
            Col::Currency => "currency",
            Col::Availability => "availability",
            Col::Stock => "stock",
            Col::Color => "color",
            Col::Size => "size",
            Col::Material => "material",
            Col::Image => "image",
            Col::Url => "url",
            Col::Language => "language",
        }
    }

    fn required(self) -> bool {
        matches!(
            self,
            Col::Id | Col::Title | Col::Price | Col::Currency | Col::Availability
        )
    }

    fn parse(name: &str) -> Option<Col> {
        Self::ALL.into_iter().find(|c| c.name() == name)
    }

    fn list() -> String {
        Self::ALL.map(Col::name).join(", ")
    }
}

/// A field name as it appears in a message: plain when it is a simple word, quoted otherwise.
fn shown(name: &str) -> String {
    if !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | ' '))
    {
        name.to_owned()
    } else {
        format!("{name:?}")
    }
}

/// Faults of a feed, each with its line and field; at most [`MAX_ISSUES`] listed, all counted.
struct Issues<'a> {
    source: &'a str,
    listed: Vec<(u64, String)>,
    total: usize,
}

impl<'a> Issues<'a> {
    fn new(source: &'a str) -> Self {
        Self {
            source,
            listed: Vec::new(),
            total: 0,
        }
    }

    fn push(&mut self, line: u64, field: Option<&str>, message: impl std::fmt::Display) {
        self.total += 1;
        if self.listed.len() < MAX_ISSUES {
            let field = field.map(|f| format!("{}: ", shown(f))).unwrap_or_default();
            self.listed.push((
                line,
                format!("{}: line {line}: {field}{message}", self.source),
            ));
        }
    }

    fn finish(self) -> Result<(), GraphError> {
        if self.total == 0 {
            return Ok(());
        }
        let plural = if self.total == 1 { "" } else { "s" };
        let mut text = format!("{}: {} error{plural} in the feed", self.source, self.total);
        let mut listed = self.listed;
        listed.sort_by_key(|(line, _)| *line);
        for (_, line) in &listed {
            text.push('\n');
            text.push_str(line);
        }
        if self.total > listed.len() {
            let _ = write!(text, "\nand {} more", self.total - listed.len());
        }
        Err(GraphError::Parse(text))
    }
}

/// One row: its file line and its non-empty cells (trimmed).
struct Row {
    line: u64,
    cells: [Option<String>; COLUMN_COUNT],
    /// Columns whose cell was refused while reading (a JSON value of the wrong type).
    refused: Vec<Col>,
}

impl Row {
    fn new(line: u64) -> Self {
        Self {
            line,
            cells: Default::default(),
            refused: Vec::new(),
        }
    }

    fn get(&self, c: Col) -> Option<&str> {
        self.cells.get(c as usize).and_then(Option::as_deref)
    }

    fn set(&mut self, c: Col, text: &str) {
        let text = text.trim();
        if let Some(cell) = self.cells.get_mut(c as usize) {
            *cell = (!text.is_empty()).then(|| text.to_owned());
        }
    }

    fn is_blank(&self) -> bool {
        self.cells.iter().all(Option::is_none)
    }
}

fn csv_rows<R: Read>(
    reader: R,
    issues: &mut Issues<'_>,
    mut on_row: impl FnMut(Row, &mut Issues<'_>),
) {
    let mut csv = csv::ReaderBuilder::new()
        .has_headers(true)
        .trim(csv::Trim::All)
        .from_reader(reader);
    let headers = match csv.headers() {
        Ok(h) => h.clone(),
        Err(e) => {
            issues.push(csv_line(&e).unwrap_or(1), None, csv_message(&e));
            return;
        }
    };
    if headers.iter().all(str::is_empty) {
        issues.push(
            1,
            None,
            "the feed is empty: a CSV feed starts with a header row such as \
             id,title,price,currency,availability",
        );
        return;
    }
    let mut columns: Vec<Option<Col>> = Vec::with_capacity(headers.len());
    let mut header_faults = false;
    for (i, name) in headers.iter().enumerate() {
        let name = name.to_ascii_lowercase();
        let col = Col::parse(&name);
        match col {
            _ if name.is_empty() => {
                issues.push(1, None, format!("column {} has no name", i + 1));
                header_faults = true;
            }
            None => {
                issues.push(
                    1,
                    Some(&name),
                    format!("unknown column; the columns are {}", Col::list()),
                );
                header_faults = true;
            }
            Some(c) if columns.contains(&Some(c)) => {
                issues.push(1, Some(c.name()), "the column appears twice");
                header_faults = true;
            }
            Some(_) => {}
        }
        columns.push(col);
    }
    for c in Col::ALL.into_iter().filter(|c| c.required()) {
        if !columns.contains(&Some(c)) {
            issues.push(1, Some(c.name()), "this required column is missing");
            header_faults = true;
        }
    }
    if header_faults {
        return;
    }
    let mut record = csv::StringRecord::new();
    loop {
        match csv.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {
                let mut row = Row::new(record.position().map_or(0, csv::Position::line));
                for (col, text) in columns.iter().zip(record.iter()) {
                    if let Some(col) = col {
                        row.set(*col, text);
                    }
                }
                if !row.is_blank() {
                    on_row(row, issues);
                }
            }
            Err(e) => {
                let line = csv_line(&e).unwrap_or(0);
                issues.push(line, None, csv_message(&e));
                if matches!(e.kind(), csv::ErrorKind::Io(_)) {
                    break;
                }
            }
        }
    }
}

fn csv_line(e: &csv::Error) -> Option<u64> {
    e.position().map(csv::Position::line)
}

fn csv_message(e: &csv::Error) -> String {
    match e.kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => format!("the row has {len} cells, the header has {expected_len}"),
        csv::ErrorKind::Utf8 { .. } => "the row is not UTF-8 text".to_owned(),
        csv::ErrorKind::Io(io) => format!("the feed could not be read: {io}"),
        _ => e.to_string(),
    }
}

fn jsonl_rows<R: Read>(
    reader: R,
    issues: &mut Issues<'_>,
    mut on_row: impl FnMut(Row, &mut Issues<'_>),
) {
    let mut reader = BufReader::new(reader);
    let mut bytes = Vec::new();
    let mut line: u64 = 0;
    loop {
        bytes.clear();
        match reader.read_until(b'\n', &mut bytes) {
            Ok(0) => break,
            Ok(_) => line += 1,
            Err(e) => {
                issues.push(line + 1, None, format!("the feed could not be read: {e}"));
                break;
            }
        }
        let Ok(text) = std::str::from_utf8(&bytes) else {
            issues.push(line, None, "the line is not UTF-8 text");
            continue;
        };
        let text = text.trim_start_matches('\u{feff}').trim();
        if text.is_empty() {
            continue;
        }
        let object = match serde_json::from_str::<Value>(text) {
            Ok(Value::Object(object)) => object,
            Ok(_) => {
                issues.push(
                    line,
                    None,
                    "expected a JSON object such as {\"id\": \"SKU-1\", ...}",
                );
                continue;
            }
            Err(e) => {
                issues.push(line, None, format!("invalid JSON: {e}"));
                continue;
            }
        };
        let mut row = Row::new(line);
        for (key, value) in &object {
            let Some(col) = Col::parse(key) else {
                issues.push(
                    line,
                    Some(key),
                    format!("unknown field; the fields are {}", Col::list()),
                );
                continue;
            };
            match value {
                Value::Null => {}
                Value::String(s) => row.set(col, s),
                Value::Number(n) => row.set(col, &n.to_string()),
                Value::Bool(_) | Value::Array(_) | Value::Object(_) => {
                    issues.push(line, Some(col.name()), "expected a string or a number");
                    row.refused.push(col);
                }
            }
        }
        on_row(row, issues);
    }
}

/// A row whose every cell is valid.
struct Item {
    line: u64,
    id: Sku,
    group: Option<ProductId>,
    title: String,
    description: Option<String>,
    brand: Option<String>,
    /// The GTIN property (`gtin8` … `gtin14`) and the digits.
    gtin: Option<(&'static str, String)>,
    mpn: Option<String>,
    /// Category labels from the root; empty when none.
    category: Vec<String>,
    price: Money,
    list_price: Option<Money>,
    availability: Availability,
    stock: Option<u32>,
    color: Option<String>,
    size: Option<String>,
    material: Option<String>,
    image: Option<NamedNode>,
    url: Option<NamedNode>,
    language: String,
}

/// Collects the faults of one row.
struct RowCheck<'r, 'i, 's> {
    row: &'r Row,
    issues: &'i mut Issues<'s>,
    ok: bool,
}

impl<'r> RowCheck<'r, '_, '_> {
    fn fail(&mut self, col: Col, message: impl std::fmt::Display) {
        self.issues.push(self.row.line, Some(col.name()), message);
        self.ok = false;
    }

    fn required(&mut self, col: Col) -> Option<&'r str> {
        let value = self.row.get(col);
        if value.is_none() {
            if self.row.refused.contains(&col) {
                self.ok = false;
            } else {
                self.fail(col, "a value is required");
            }
        }
        value
    }

    fn optional(&self, col: Col) -> Option<&'r str> {
        self.row.get(col)
    }

    fn parsed<T>(
        &mut self,
        col: Col,
        value: Option<&str>,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Option<T> {
        let value = value?;
        match parse(value) {
            Ok(v) => Some(v),
            Err(message) => {
                self.fail(col, message);
                None
            }
        }
    }

    fn money(&mut self, col: Col, currency: Option<Currency>) -> Option<Money> {
        let text = if col == Col::Price {
            self.required(col)?
        } else {
            self.optional(col)?
        };
        if !is_decimal(text) {
            self.fail(
                col,
                format!("{text:?} is not a decimal number such as 12.50"),
            );
            return None;
        }
        let currency = currency?;
        match Money::parse_decimal(text, currency) {
            Ok(m) => Some(m),
            Err(b2a_model::ModelError::Overflow) => {
                self.fail(col, format!("{text:?} is too large"));
                None
            }
            Err(
                b2a_model::ModelError::Invalid { .. }
                | b2a_model::ModelError::CurrencyMismatch { .. },
            ) => {
                self.fail(
                    col,
                    format!(
                        "{text:?} has more decimal places than {currency} allows ({})",
                        currency.exponent()
                    ),
                );
                None
            }
        }
    }

    fn iri(&mut self, col: Col) -> Option<NamedNode> {
        let text = self.optional(col)?;
        self.parsed(col, Some(text), |t| {
            NamedNode::new(t).map_err(|_| {
                format!("{t:?} is not an absolute IRI such as https://brand.example/coat.jpg")
            })
        })
    }
}

/// Digits, optionally a point and more digits: `249`, `249.00`.
fn is_decimal(text: &str) -> bool {
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    match text.split_once('.') {
        Some((int, frac)) => digits(int) && digits(frac),
        None => digits(text),
    }
}

fn availability(text: &str) -> Option<Availability> {
    let feed_name = match text.to_ascii_lowercase().as_str() {
        "in_stock" => Some(Availability::InStock),
        "out_of_stock" => Some(Availability::OutOfStock),
        "preorder" => Some(Availability::PreOrder),
        "backorder" => Some(Availability::BackOrder),
        "limited_availability" => Some(Availability::LimitedAvailability),
        "discontinued" => Some(Availability::Discontinued),
        _ => None,
    };
    feed_name.or_else(|| Availability::from_schema_org(text))
}

fn check_row(row: &Row, issues: &mut Issues<'_>) -> Option<Item> {
    let mut c = RowCheck {
        row,
        issues,
        ok: true,
    };
    let id = c.required(Col::Id);
    let id = c.parsed(Col::Id, id, |t| {
        Sku::parse(t).map_err(|_| {
            format!("{t:?} is not a SKU: 1 to 40 uppercase letters, digits and hyphens")
        })
    });
    let group = c.optional(Col::ItemGroupId);
    let group = c.parsed(Col::ItemGroupId, group, |t| {
        ProductId::parse(t).map_err(|_| {
            format!("{t:?} is not a product id: 1 to 64 letters, digits, hyphens and underscores")
        })
    });
    let title = c.required(Col::Title);
    let gtin = c.optional(Col::Gtin);
    let gtin = c.parsed(Col::Gtin, gtin, |t| {
        let property = match t.len() {
            8 => "gtin8",
            12 => "gtin12",
            13 => "gtin13",
            14 => "gtin14",
            _ => "",
        };
        if property.is_empty() || !t.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!("{t:?} is not a GTIN: 8, 12, 13 or 14 digits"));
        }
        Ok((property, t.to_owned()))
    });
    let category = c.optional(Col::Category);
    let category = c
        .parsed(Col::Category, category, |t| {
            let levels: Vec<String> = t.split('>').map(|l| l.trim().to_owned()).collect();
            if levels.iter().any(String::is_empty) {
                return Err(format!(
                    "{t:?} has an empty level; write a path such as `Clothing > Coats & jackets`"
                ));
            }
            Ok(levels)
        })
        .unwrap_or_default();
    let currency = c.required(Col::Currency);
    let currency = c.parsed(Col::Currency, currency, |t| {
        Currency::parse(t).map_err(|_| {
            format!("{t:?} is not an ISO 4217 currency code with a minor unit, such as EUR")
        })
    });
    let price = c.money(Col::Price, currency);
    let list_price = c.money(Col::ListPrice, currency);
    if let (Some(p), Some(l)) = (price, list_price)
        && l.amount() < p.amount()
    {
        c.fail(
            Col::ListPrice,
            "the list price is lower than the price; list_price is the price before a reduction",
        );
    }
    let availability_text = c.required(Col::Availability);
    let availability = c.parsed(Col::Availability, availability_text, |t| {
        availability(t).ok_or_else(|| {
            format!(
                "{t:?} is not an availability: in_stock, out_of_stock, preorder, backorder, \
                 limited_availability, discontinued (or a schema.org ItemAvailability)"
            )
        })
    });
    let stock = c.optional(Col::Stock);
    let stock = c.parsed(Col::Stock, stock, |t| {
        t.bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| t.parse::<u32>().ok())
            .flatten()
            .ok_or_else(|| format!("{t:?} is not a whole number of units (0 to 4294967295)"))
    });
    let image = c.iri(Col::Image);
    let url = c.iri(Col::Url);
    let language = c.optional(Col::Language).unwrap_or("en");
    let language = c.parsed(Col::Language, Some(language), |t| {
        Literal::new_language_tagged_literal("", t)
            .ok()
            .and_then(|l| l.language().map(str::to_owned))
            .ok_or_else(|| format!("{t:?} is not a BCP 47 language tag such as en or fr-CA"))
    });
    let text = |col: Col| row.get(col).map(str::to_owned);
    if !c.ok {
        return None;
    }
    Some(Item {
        line: row.line,
        id: id?,
        group,
        title: title?.to_owned(),
        description: text(Col::Description),
        brand: text(Col::Brand),
        gtin,
        mpn: text(Col::Mpn),
        category,
        price: price?,
        list_price,
        availability: availability?,
        stock,
        color: text(Col::Color),
        size: text(Col::Size),
        material: text(Col::Material),
        image,
        url,
        language: language?,
    })
}

/// A slug of a label: lowercase ASCII letters and digits, words joined by hyphens, accents
/// folded (`Sacs à dos` → `sacs-a-dos`, `Coats & jackets` → `coats-jackets`).
pub(crate) fn slug(label: &str) -> String {
    let mut out = String::with_capacity(label.len());
    let mut gap = false;
    for c in label.nfkd().filter(|c| !is_combining_mark(*c)) {
        let folded = match c {
            'ß' => "ss",
            'æ' | 'Æ' => "ae",
            'œ' | 'Œ' => "oe",
            'ø' | 'Ø' => "o",
            'đ' | 'Đ' | 'ð' | 'Ð' => "d",
            'ł' | 'Ł' => "l",
            'þ' | 'Þ' => "th",
            'ı' => "i",
            _ if c.is_ascii_alphanumeric() => "",
            _ => {
                gap = true;
                continue;
            }
        };
        if gap && !out.is_empty() {
            out.push('-');
        }
        gap = false;
        if folded.is_empty() {
            out.push(c.to_ascii_lowercase());
        } else {
            out.push_str(folded);
        }
    }
    out
}

/// A slug not yet taken: the label's, else qualified by `qualifier`, else numbered.
fn unique_slug(
    taken: &mut HashSet<String>,
    label: &str,
    qualifier: Option<&str>,
    fallback: &str,
) -> String {
    let mut plain = slug(label);
    if plain.is_empty() {
        plain = fallback.to_owned();
    }
    let mut candidates = vec![plain.clone()];
    if let Some(q) = qualifier {
        candidates.push(format!("{q}-{plain}"));
    }
    let chosen = candidates
        .into_iter()
        .find(|s| !taken.contains(s))
        .unwrap_or_else(|| {
            (2..)
                .map(|n| format!("{plain}-{n}"))
                .find(|s| !taken.contains(s))
                .unwrap_or(plain)
        });
    taken.insert(chosen.clone());
    chosen
}

/// An IRI path segment: unreserved characters kept, every other byte percent-encoded.
fn segment(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

fn schema(local: &str) -> NamedNode {
    NamedNode::new_unchecked(format!("{SCHEMA}{local}"))
}

fn skos(local: &str) -> NamedNode {
    NamedNode::new_unchecked(format!("{SKOS}{local}"))
}

fn text_in(value: &str, language: &str) -> Literal {
    Literal::new_language_tagged_literal(value, language)
        .unwrap_or_else(|_| Literal::new_simple_literal(value))
}

/// Decimal text of an amount with the currency's decimals: `249.00`, `1500` for JPY.
fn decimal(m: Money) -> Literal {
    let exp = u32::from(m.currency().exponent());
    let scale = 10_u64.pow(exp);
    let abs = m.amount().unsigned_abs();
    let sign = if m.amount() < 0 { "-" } else { "" };
    let text = if exp == 0 {
        format!("{sign}{abs}")
    } else {
        format!(
            "{sign}{}.{:0w$}",
            abs / scale,
            abs % scale,
            w = exp as usize
        )
    };
    Literal::new_typed_literal(text, xsd::DECIMAL)
}

struct Concept {
    slug: String,
    label: String,
    language: String,
    parent: Option<usize>,
}

/// The SKOS taxonomy of a feed: one concept per distinct category path prefix.
#[derive(Default)]
struct Taxonomy {
    concepts: Vec<Concept>,
    by_path: HashMap<Vec<String>, usize>,
    slugs: HashSet<String>,
}

impl Taxonomy {
    /// The leaf concept of `path`, creating it and its ancestors as needed.
    fn intern(&mut self, path: &[String], language: &str) -> Option<usize> {
        let mut parent = None;
        for depth in 1..=path.len() {
            let prefix = path.get(..depth)?;
            if let Some(&i) = self.by_path.get(prefix) {
                parent = Some(i);
                continue;
            }
            let label = prefix.last()?.clone();
            let qualifier =
                parent.and_then(|p: usize| self.concepts.get(p).map(|c| c.slug.clone()));
            let slug = unique_slug(&mut self.slugs, &label, qualifier.as_deref(), "category");
            self.concepts.push(Concept {
                slug,
                label,
                language: language.to_owned(),
                parent,
            });
            let i = self.concepts.len() - 1;
            self.by_path.insert(prefix.to_vec(), i);
            parent = Some(i);
        }
        parent
    }
}

struct Group {
    id: ProductId,
    members: Vec<usize>,
}

struct Builder<'a> {
    base: &'a FeedBase,
    triples: Vec<Triple>,
}

impl Builder<'_> {
    fn node(&self, kind: &str, key: &str) -> NamedNode {
        NamedNode::new_unchecked(format!("{}{kind}/{}", self.base.as_str(), segment(key)))
    }

    fn add(
        &mut self,
        subject: impl Into<NamedOrBlankNode>,
        predicate: NamedNode,
        object: impl Into<Term>,
    ) {
        self.triples
            .push(Triple::new(subject.into(), predicate, object.into()));
    }
}

/// Reads a feed and maps it to schema.org and SKOS triples with IRIs under `base`. `name`
/// names the source in errors. Every faulty row is reported, with its line and field, in one
/// [`GraphError::Parse`].
pub fn read_feed<R: Read>(
    name: &str,
    format: FeedFormat,
    base: &FeedBase,
    reader: R,
) -> Result<Feed, GraphError> {
    let mut issues = Issues::new(name);
    let mut first_line: HashMap<String, u64> = HashMap::new();
    let mut items = Vec::new();
    let on_row = |row: Row, issues: &mut Issues<'_>| {
        if let Some(id) = row.get(Col::Id) {
            match first_line.get(id) {
                Some(first) => issues.push(
                    row.line,
                    Some(Col::Id.name()),
                    format!("{id:?} is already the id of line {first}"),
                ),
                None => {
                    first_line.insert(id.to_owned(), row.line);
                }
            }
        }
        if let Some(item) = check_row(&row, issues) {
            items.push(item);
        }
    };
    match format {
        FeedFormat::Csv => csv_rows(reader, &mut issues, on_row),
        FeedFormat::JsonLines => jsonl_rows(reader, &mut issues, on_row),
    }
    let mut reported = HashSet::new();
    for item in &items {
        let Some(group) = &item.group else { continue };
        if let Some(line) = first_line.get(group.as_str())
            && reported.insert(group.clone())
        {
            issues.push(
                item.line,
                Some(Col::ItemGroupId.name()),
                format!(
                    "{:?} is also the id of the product on line {line}; a group needs an id of its own",
                    group.as_str()
                ),
            );
        }
    }
    issues.finish()?;
    Ok(build(items, base))
}

fn build(items: Vec<Item>, base: &FeedBase) -> Feed {
    let mut b = Builder {
        base,
        triples: Vec::new(),
    };

    // Brands, one per distinct name.
    let mut brand_slugs = HashSet::new();
    let mut brands: HashMap<&str, NamedNode> = HashMap::new();
    for brand in items.iter().filter_map(|i| i.brand.as_deref()) {
        if brands.contains_key(brand) {
            continue;
        }
        let node = b.node(
            "brand",
            &unique_slug(&mut brand_slugs, brand, None, "brand"),
        );
        b.add(node.clone(), rdf::TYPE.into_owned(), schema("Brand"));
        b.add(
            node.clone(),
            schema("name"),
            Literal::new_simple_literal(brand),
        );
        brands.insert(brand, node);
    }

    // The taxonomy, parents first.
    let mut taxonomy = Taxonomy::default();
    let leaves: Vec<Option<usize>> = items
        .iter()
        .map(|i| taxonomy.intern(&i.category, &i.language))
        .collect();
    let concepts: Vec<NamedNode> = taxonomy
        .concepts
        .iter()
        .map(|c| b.node("taxonomy", &c.slug))
        .collect();
    for (c, node) in taxonomy.concepts.iter().zip(&concepts) {
        b.add(node.clone(), rdf::TYPE.into_owned(), skos("Concept"));
        b.add(
            node.clone(),
            skos("notation"),
            Literal::new_simple_literal(&c.slug),
        );
        b.add(
            node.clone(),
            skos("prefLabel"),
            text_in(&c.label, &c.language),
        );
        if let Some(parent) = c.parent.and_then(|p| concepts.get(p)) {
            b.add(node.clone(), skos("broader"), parent.clone());
        }
    }
    let category = |i: usize| -> Option<NamedNode> {
        leaves
            .get(i)
            .copied()
            .flatten()
            .and_then(|c| concepts.get(c))
            .cloned()
    };

    // Variant groups, in order of their first row.
    let mut groups: Vec<Group> = Vec::new();
    let mut group_of: HashMap<&ProductId, usize> = HashMap::new();
    for (i, item) in items.iter().enumerate() {
        if let Some(g) = &item.group {
            let index = *group_of.entry(g).or_insert_with(|| {
                groups.push(Group {
                    id: g.clone(),
                    members: Vec::new(),
                });
                groups.len() - 1
            });
            if let Some(group) = groups.get_mut(index) {
                group.members.push(i);
            }
        }
    }

    for (i, item) in items.iter().enumerate() {
        let product = b.node("product", item.id.as_str());
        let brand = item.brand.as_deref().and_then(|n| brands.get(n)).cloned();
        let group = item
            .group
            .as_ref()
            .and_then(|g| group_of.get(g))
            .and_then(|&g| groups.get(g));
        if let Some(group) = group
            && group.members.first() == Some(&i)
        {
            emit_group(&mut b, group, &items, brand.clone(), category(i));
        }
        let lang = item.language.as_str();
        b.add(product.clone(), rdf::TYPE.into_owned(), schema("Product"));
        b.add(
            product.clone(),
            schema("sku"),
            Literal::new_simple_literal(item.id.as_str()),
        );
        if let Some((property, digits)) = &item.gtin {
            b.add(
                product.clone(),
                schema(property),
                Literal::new_simple_literal(digits),
            );
        }
        if let Some(mpn) = &item.mpn {
            b.add(
                product.clone(),
                schema("mpn"),
                Literal::new_simple_literal(mpn),
            );
        }
        b.add(product.clone(), schema("name"), text_in(&item.title, lang));
        if let Some(d) = &item.description {
            b.add(product.clone(), schema("description"), text_in(d, lang));
        }
        if let Some(brand) = &brand {
            b.add(product.clone(), schema("brand"), brand.clone());
        }
        if let Some(leaf) = category(i) {
            b.add(product.clone(), schema("category"), leaf);
        }
        if let Some(color) = &item.color {
            b.add(product.clone(), schema("color"), text_in(color, lang));
        }
        if let Some(size) = &item.size {
            b.add(
                product.clone(),
                schema("size"),
                Literal::new_simple_literal(size),
            );
        }
        if let Some(material) = &item.material {
            b.add(product.clone(), schema("material"), text_in(material, lang));
        }
        if let Some(group) = group {
            b.add(
                product.clone(),
                schema("isVariantOf"),
                b.node("product", group.id.as_str()),
            );
        }
        if let Some(image) = &item.image {
            b.add(product.clone(), schema("image"), image.clone());
        }
        if let Some(url) = &item.url {
            b.add(product.clone(), schema("url"), url.clone());
        }
        let offer = b.node("offer", item.id.as_str());
        b.add(product, schema("offers"), offer.clone());
        b.add(offer.clone(), rdf::TYPE.into_owned(), schema("Offer"));
        b.add(offer.clone(), schema("price"), decimal(item.price));
        b.add(
            offer.clone(),
            schema("priceCurrency"),
            Literal::new_simple_literal(item.price.currency().code()),
        );
        b.add(
            offer.clone(),
            schema("availability"),
            schema(item.availability.as_str()),
        );
        b.add(
            offer.clone(),
            schema("itemCondition"),
            schema("NewCondition"),
        );
        if let Some(brand) = brand {
            b.add(offer.clone(), schema("seller"), brand);
        }
        if let Some(list) = item.list_price.filter(|l| *l != item.price) {
            let spec = BlankNode::new(format!("list-price-{}", item.id)).unwrap_or_default();
            b.add(offer, schema("priceSpecification"), spec.clone());
            b.add(
                spec.clone(),
                rdf::TYPE.into_owned(),
                schema("UnitPriceSpecification"),
            );
            b.add(spec.clone(), schema("priceType"), schema("ListPrice"));
            b.add(spec.clone(), schema("price"), decimal(list));
            b.add(
                spec,
                schema("priceCurrency"),
                Literal::new_simple_literal(list.currency().code()),
            );
        }
    }

    let stock = items
        .iter()
        .filter_map(|i| i.stock.map(|n| (i.id.clone(), n)))
        .collect();
    let ids = items.iter().map(|i| (i.id.clone(), i.line)).collect();
    Feed {
        triples: b.triples,
        stock,
        ids,
        base: base.clone(),
    }
}

/// A `schema:ProductGroup` with the title, description, brand and category of its first row,
/// `variesBy` the properties whose values differ among its variants, and its variants.
fn emit_group(
    b: &mut Builder<'_>,
    group: &Group,
    items: &[Item],
    brand: Option<NamedNode>,
    category: Option<NamedNode>,
) {
    let members: Vec<&Item> = group.members.iter().filter_map(|&i| items.get(i)).collect();
    let Some(first) = members.first() else {
        return;
    };
    let node = b.node("product", group.id.as_str());
    let lang = first.language.as_str();
    b.add(node.clone(), rdf::TYPE.into_owned(), schema("ProductGroup"));
    b.add(
        node.clone(),
        schema("productGroupID"),
        Literal::new_simple_literal(group.id.as_str()),
    );
    b.add(node.clone(), schema("name"), text_in(&first.title, lang));
    if let Some(d) = &first.description {
        b.add(node.clone(), schema("description"), text_in(d, lang));
    }
    if let Some(brand) = brand {
        b.add(node.clone(), schema("brand"), brand);
    }
    if let Some(category) = category {
        b.add(node.clone(), schema("category"), category);
    }
    let varies = |value: fn(&Item) -> Option<&str>| {
        members
            .iter()
            .map(|i| value(i))
            .collect::<HashSet<_>>()
            .len()
            > 1
    };
    for (property, differs) in [
        ("color", varies(|i| i.color.as_deref())),
        ("size", varies(|i| i.size.as_deref())),
        ("material", varies(|i| i.material.as_deref())),
    ] {
        if differs {
            b.add(node.clone(), schema("variesBy"), schema(property));
        }
    }
    for member in &members {
        let variant = b.node("product", member.id.as_str());
        b.add(node.clone(), schema("hasVariant"), variant);
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    const HEADER: &str = "id,item_group_id,title,description,brand,gtin,mpn,category,price,list_price,currency,availability,stock,color,size,material,image,url,language";

    fn csv(rows: &[&str]) -> String {
        let mut text = HEADER.to_owned();
        for r in rows {
            text.push('\n');
            text.push_str(r);
        }
        text.push('\n');
        text
    }

    fn read(format: FeedFormat, text: &str) -> Result<Feed, GraphError> {
        read_feed("feed", format, &FeedBase::default(), text.as_bytes())
    }

    fn ok(text: &str) -> Feed {
        match read(FeedFormat::Csv, text) {
            Ok(feed) => feed,
            Err(e) => panic!("the feed should read: {e}"),
        }
    }

    fn errors(format: FeedFormat, text: &str) -> Vec<String> {
        match read(format, text) {
            Ok(_) => panic!("the feed should be refused"),
            Err(GraphError::Parse(msg)) => msg.lines().skip(1).map(str::to_owned).collect(),
            Err(other) => panic!("expected a parse error, got {other:?}"),
        }
    }

    /// Triples as `(subject, predicate, object)` text with the base and vocabularies shortened.
    fn rendered(feed: &Feed) -> BTreeSet<String> {
        feed.triples
            .iter()
            .map(|t| {
                t.to_string()
                    .replace("https://brand.example/", "")
                    .replace(SCHEMA, "schema:")
                    .replace(SKOS, "skos:")
                    .replace("http://www.w3.org/1999/02/22-rdf-syntax-ns#type", "a")
                    .replace("^^<http://www.w3.org/2001/XMLSchema#decimal>", "^^decimal")
            })
            .collect()
    }

    fn has(feed: &Feed, triple: &str) -> bool {
        rendered(feed).contains(triple)
    }

    const COAT: &str = "CT-1,,Rain coat,\"Light, packable\",Acme,4006381333931,AC-77,Clothing > Coats & jackets,99.00,,EUR,in_stock,5,Black,M,Polyamide,https://img.example/ct.jpg,https://shop.example/ct,en";

    #[test]
    fn every_column_is_mapped() {
        let feed = ok(&csv(&[COAT]));
        for t in [
            "<product/CT-1> <a> <schema:Product>",
            "<product/CT-1> <schema:sku> \"CT-1\"",
            "<product/CT-1> <schema:gtin13> \"4006381333931\"",
            "<product/CT-1> <schema:mpn> \"AC-77\"",
            "<product/CT-1> <schema:name> \"Rain coat\"@en",
            "<product/CT-1> <schema:description> \"Light, packable\"@en",
            "<product/CT-1> <schema:brand> <brand/acme>",
            "<product/CT-1> <schema:category> <taxonomy/coats-jackets>",
            "<product/CT-1> <schema:color> \"Black\"@en",
            "<product/CT-1> <schema:size> \"M\"",
            "<product/CT-1> <schema:material> \"Polyamide\"@en",
            "<product/CT-1> <schema:image> <https://img.example/ct.jpg>",
            "<product/CT-1> <schema:url> <https://shop.example/ct>",
            "<product/CT-1> <schema:offers> <offer/CT-1>",
            "<offer/CT-1> <a> <schema:Offer>",
            "<offer/CT-1> <schema:price> \"99.00\"^^decimal",
            "<offer/CT-1> <schema:priceCurrency> \"EUR\"",
            "<offer/CT-1> <schema:availability> <schema:InStock>",
            "<offer/CT-1> <schema:itemCondition> <schema:NewCondition>",
            "<offer/CT-1> <schema:seller> <brand/acme>",
            "<brand/acme> <a> <schema:Brand>",
            "<brand/acme> <schema:name> \"Acme\"",
        ] {
            assert!(has(&feed, t), "missing {t} in {:#?}", rendered(&feed));
        }
        assert_eq!(
            feed.stock,
            vec![(Sku::parse("CT-1").expect("sku"), 5)],
            "stock goes to the caller"
        );
        assert!(
            !rendered(&feed).iter().any(|t| t.contains("stock")),
            "stock never reaches the graph"
        );
        assert!(
            !rendered(&feed).iter().any(|t| t.contains("isVariantOf")),
            "a row without item_group_id is a standalone product"
        );
    }

    #[test]
    fn gtins_map_by_length_and_prices_take_the_currency_decimals() {
        let feed = ok(&csv(&[
            "A-1,,A,,,96385074,,,5,,EUR,in_stock,,,,,,,",
            "A-2,,A,,,036000291452,,,5.5,,EUR,InStock,,,,,,,",
            "A-3,,A,,,10012345678902,,,1500,,JPY,https://schema.org/PreOrder,,,,,,,",
        ]));
        assert!(has(&feed, "<product/A-1> <schema:gtin8> \"96385074\""));
        assert!(has(&feed, "<product/A-2> <schema:gtin12> \"036000291452\""));
        assert!(has(
            &feed,
            "<product/A-3> <schema:gtin14> \"10012345678902\""
        ));
        assert!(has(&feed, "<offer/A-1> <schema:price> \"5.00\"^^decimal"));
        assert!(has(&feed, "<offer/A-2> <schema:price> \"5.50\"^^decimal"));
        assert!(has(&feed, "<offer/A-3> <schema:price> \"1500\"^^decimal"));
        assert!(has(
            &feed,
            "<offer/A-2> <schema:availability> <schema:InStock>"
        ));
        assert!(has(
            &feed,
            "<offer/A-3> <schema:availability> <schema:PreOrder>"
        ));
        assert!(
            has(&feed, "<product/A-1> <schema:name> \"A\"@en"),
            "English by default"
        );
        assert!(feed.stock.is_empty());
    }

    #[test]
    fn every_availability_name_is_understood() {
        for (text, expected) in [
            ("in_stock", "InStock"),
            ("out_of_stock", "OutOfStock"),
            ("preorder", "PreOrder"),
            ("backorder", "BackOrder"),
            ("limited_availability", "LimitedAvailability"),
            ("discontinued", "Discontinued"),
            ("IN_STOCK", "InStock"),
            ("Discontinued", "Discontinued"),
            ("http://schema.org/BackOrder", "BackOrder"),
        ] {
            assert_eq!(
                availability(text).map(Availability::as_str),
                Some(expected),
                "{text}"
            );
        }
        assert_eq!(availability("sold"), None);
    }

    #[test]
    fn rows_sharing_an_item_group_id_become_variants_of_a_group() {
        let feed = ok(&csv(&[
            "J-BLK-M,J,Jacket black M,Warm,Acme,,,Clothing > Coats,100.00,,EUR,in_stock,1,Black,M,Wool,,,en",
            "J-BLK-L,J,Jacket black L,Warm too,Other,,,Clothing,100.00,,EUR,in_stock,2,Black,L,Wool,,,en",
            "SOLO-1,,Solo,,Acme,,,,1.00,,EUR,in_stock,,,,,,,",
            "J-RED-M,J,Jacket red M,,Acme,,,Clothing > Coats,100.00,,EUR,in_stock,3,Red,M,Wool,,,en",
        ]));
        for t in [
            "<product/J> <a> <schema:ProductGroup>",
            "<product/J> <schema:productGroupID> \"J\"",
            "<product/J> <schema:name> \"Jacket black M\"@en",
            "<product/J> <schema:description> \"Warm\"@en",
            "<product/J> <schema:brand> <brand/acme>",
            "<product/J> <schema:category> <taxonomy/coats>",
            "<product/J> <schema:variesBy> <schema:color>",
            "<product/J> <schema:variesBy> <schema:size>",
            "<product/J> <schema:hasVariant> <product/J-BLK-M>",
            "<product/J> <schema:hasVariant> <product/J-BLK-L>",
            "<product/J> <schema:hasVariant> <product/J-RED-M>",
            "<product/J-BLK-M> <schema:isVariantOf> <product/J>",
            "<product/J-RED-M> <schema:isVariantOf> <product/J>",
            "<product/J-BLK-L> <schema:brand> <brand/other>",
        ] {
            assert!(has(&feed, t), "missing {t} in {:#?}", rendered(&feed));
        }
        let all = rendered(&feed);
        assert!(
            !all.contains("<product/J> <schema:variesBy> <schema:material>"),
            "the material is the same in every variant"
        );
        assert!(!all.contains("<product/J> <schema:brand> <brand/other>"));
        assert!(
            !all.iter()
                .any(|t| t.starts_with("<product/SOLO-1> <schema:isVariantOf>"))
        );
        assert_eq!(
            all.iter()
                .filter(|t| t.ends_with("<schema:ProductGroup>"))
                .count(),
            1
        );
        // The group comes before its first variant, so Turtle reads top-down.
        let position = |s: &str| {
            feed.triples
                .iter()
                .position(|t| t.subject.to_string().contains(s))
        };
        assert!(position("product/J>") < position("product/J-BLK-M>"));
    }

    #[test]
    fn a_list_price_above_the_price_becomes_a_price_specification() {
        let feed = ok(&csv(&[
            "LP-1,,Sale,,,,,,79.90,99.90,EUR,in_stock,,,,,,,",
            "LP-2,,Same,,,,,,10.00,10.00,EUR,in_stock,,,,,,,",
        ]));
        for t in [
            "<offer/LP-1> <schema:price> \"79.90\"^^decimal",
            "<offer/LP-1> <schema:priceSpecification> _:list-price-LP-1",
            "_:list-price-LP-1 <a> <schema:UnitPriceSpecification>",
            "_:list-price-LP-1 <schema:priceType> <schema:ListPrice>",
            "_:list-price-LP-1 <schema:price> \"99.90\"^^decimal",
            "_:list-price-LP-1 <schema:priceCurrency> \"EUR\"",
        ] {
            assert!(has(&feed, t), "missing {t} in {:#?}", rendered(&feed));
        }
        assert!(
            !rendered(&feed)
                .iter()
                .any(|t| t.starts_with("<offer/LP-2> <schema:priceSpecification>")),
            "a list price equal to the price adds nothing"
        );
    }

    #[test]
    fn categories_become_a_skos_tree_with_folded_unique_slugs() {
        let feed = ok(&csv(&[
            "C-1,,Sac,,,,,Équipement > Sacs à dos,1.00,,EUR,in_stock,,,,,,,fr",
            "C-2,,Veste,,,,,Équipement > Vestes & manteaux,1.00,,EUR,in_stock,,,,,,,fr",
            "C-3,,Shoes,,,,,Men > Shoes,1.00,,EUR,in_stock,,,,,,,en",
            "C-4,,Shoes,,,,,Women > Shoes,1.00,,EUR,in_stock,,,,,,,en",
            "C-5,,Œuf,,,,,Cœur > Straße,1.00,,EUR,in_stock,,,,,,,de",
        ]));
        for t in [
            "<taxonomy/equipement> <a> <skos:Concept>",
            "<taxonomy/equipement> <skos:notation> \"equipement\"",
            "<taxonomy/equipement> <skos:prefLabel> \"Équipement\"@fr",
            "<taxonomy/sacs-a-dos> <skos:broader> <taxonomy/equipement>",
            "<taxonomy/sacs-a-dos> <skos:prefLabel> \"Sacs à dos\"@fr",
            "<taxonomy/vestes-manteaux> <skos:broader> <taxonomy/equipement>",
            "<product/C-1> <schema:category> <taxonomy/sacs-a-dos>",
            "<taxonomy/shoes> <skos:broader> <taxonomy/men>",
            "<taxonomy/women-shoes> <skos:broader> <taxonomy/women>",
            "<taxonomy/women-shoes> <skos:notation> \"women-shoes\"",
            "<product/C-4> <schema:category> <taxonomy/women-shoes>",
            "<taxonomy/strasse> <skos:broader> <taxonomy/coeur>",
        ] {
            assert!(has(&feed, t), "missing {t} in {:#?}", rendered(&feed));
        }
        let all = rendered(&feed);
        assert!(
            !all.iter()
                .any(|t| t.starts_with("<taxonomy/equipement> <skos:broader>")),
            "a root has no parent"
        );
        assert_eq!(
            all.iter().filter(|t| t.ends_with("<skos:Concept>")).count(),
            9,
            "one concept per distinct path prefix"
        );
    }

    #[test]
    fn slugs_are_lowercase_ascii_words() {
        assert_eq!(slug("Coats & jackets"), "coats-jackets");
        assert_eq!(slug("  Sacs à dos "), "sacs-a-dos");
        assert_eq!(slug("Bottes d'hiver"), "bottes-d-hiver");
        assert_eq!(slug("Ça Crée—Ñandú"), "ca-cree-nandu");
        assert_eq!(slug("ﬁne Ｗool"), "fine-wool");
        assert_eq!(slug("日本"), "");
        let mut taken = HashSet::new();
        assert_eq!(
            unique_slug(&mut taken, "日本", None, "category"),
            "category"
        );
        assert_eq!(
            unique_slug(&mut taken, "日本", None, "category"),
            "category-2"
        );
    }

    #[test]
    fn ids_are_percent_encoded_in_iris() {
        assert_eq!(segment("VC-1_a.b~c"), "VC-1_a.b~c");
        assert_eq!(segment("a b/é"), "a%20b%2F%C3%A9");
    }

    #[test]
    fn the_language_column_tags_texts() {
        let feed = ok(&csv(&[
            "L-1,,Veste,Chaude,,,,,1.00,,EUR,in_stock,,Noir,,Laine,,,fr-CA",
        ]));
        for t in [
            "<product/L-1> <schema:name> \"Veste\"@fr-ca",
            "<product/L-1> <schema:description> \"Chaude\"@fr-ca",
            "<product/L-1> <schema:color> \"Noir\"@fr-ca",
            "<product/L-1> <schema:material> \"Laine\"@fr-ca",
        ] {
            assert!(has(&feed, t), "missing {t} in {:#?}", rendered(&feed));
        }
    }

    #[test]
    fn every_faulty_cell_is_reported_with_its_line_and_field() {
        let text = csv(&[
            COAT,                                                          // line 2
            "CT-1,,Again,,,,,,1.00,,EUR,in_stock,,,,,,,",                  // 3: duplicate id
            "lower,,x,,,,,,12.50,,EUR,in_stock,,,,,,,",                    // 4: id
            ",,x,,,,,,12.50,,EUR,in_stock,,,,,,,",                         // 5: id missing
            "P-5,,x,,,,,,\"12,50\",,EUR,in_stock,,,,,,,",                  // 6: price
            "P-6,,x,,,,,,1.001,,EUR,in_stock,,,,,,,",                      // 7: decimals
            "P-7,,x,,,,,,1.00,,EURO,in_stock,,,,,,,",                      // 8: currency
            "P-8,,x,,,,,,1.00,,EUR,sold,,,,,,,",                           // 9: availability
            "P-9,,x,,,,,,1.00,,EUR,in_stock,-3,,,,,,",                     // 10: stock
            "P-10,,x,,,,,,1.00,,EUR,in_stock,,,,,not an iri,,",            // 11: image
            "P-11,,x,,,,,,1.00,,EUR,in_stock,,,,,,,xx_YY!",                // 12: language
            "P-12,,x,,,12345,,,1.00,,EUR,in_stock,,,,,,,",                 // 13: gtin
            "P-13,,,,,,,A > > B,,,EUR,,,,,,,,", // 14: title, category, price, availability
            "P-14,,x,,,,,,10.00,9.00,EUR,in_stock,,,,,,,", // 15: list price below price
            "P-15,P-5,x,,,,,,1.00,,EUR,in_stock,,,,,,,", // 16: group id is a product id
            "P-16,,x,,,,,,1.00,,EUR,in_stock,,,,,,https://ok.example/ x,", // 17: url
        ]);
        let found = errors(FeedFormat::Csv, &text);
        let expected = [
            "feed: line 3: id: \"CT-1\" is already the id of line 2",
            "feed: line 4: id: \"lower\" is not a SKU: 1 to 40 uppercase letters, digits and hyphens",
            "feed: line 5: id: a value is required",
            "feed: line 6: price: \"12,50\" is not a decimal number such as 12.50",
            "feed: line 7: price: \"1.001\" has more decimal places than EUR allows (2)",
            "feed: line 8: currency: \"EURO\" is not an ISO 4217 currency code",
            "feed: line 9: availability: \"sold\" is not an availability",
            "feed: line 10: stock: \"-3\" is not a whole number",
            "feed: line 11: image: \"not an iri\" is not an absolute IRI",
            "feed: line 12: language: \"xx_YY!\" is not a BCP 47 language tag",
            "feed: line 13: gtin: \"12345\" is not a GTIN",
            "feed: line 14: title: a value is required",
            "feed: line 14: category: \"A > > B\" has an empty level",
            "feed: line 14: price: a value is required",
            "feed: line 14: availability: a value is required",
            "feed: line 15: list_price: the list price is lower than the price",
            "feed: line 16: item_group_id: \"P-5\" is also the id of the product on line 6",
            "feed: line 17: url: \"https://ok.example/ x\" is not an absolute IRI",
        ];
        for e in expected {
            assert!(
                found.iter().any(|f| f.starts_with(e)),
                "missing `{e}` in {found:#?}"
            );
        }
        assert_eq!(found.len(), expected.len(), "{found:#?}");
        match read(FeedFormat::Csv, &text) {
            Err(e) => assert!(
                e.to_string()
                    .starts_with("catalog does not parse: feed: 18 errors in the feed\n"),
                "{e}"
            ),
            Ok(_) => panic!("refused"),
        }
    }

    #[test]
    fn header_faults_are_reported_once_on_line_one() {
        let found = errors(
            FeedFormat::Csv,
            "id,titel,price,currency,Price\nA-1,x,1.00,EUR\n",
        );
        assert_eq!(
            found,
            [
                format!(
                    "feed: line 1: titel: unknown column; the columns are {}",
                    Col::list()
                ),
                "feed: line 1: price: the column appears twice".to_owned(),
                "feed: line 1: title: this required column is missing".to_owned(),
                "feed: line 1: availability: this required column is missing".to_owned(),
            ]
        );
        assert_eq!(
            errors(FeedFormat::Csv, ""),
            [
                "feed: line 1: the feed is empty: a CSV feed starts with a header row such as id,title,price,currency,availability"
            ]
        );
    }

    #[test]
    fn malformed_csv_rows_are_reported_and_the_rest_still_checked() {
        let text = "id,title,price,currency,availability\n\
                    A-1,\"multi\nline\",1.00,EUR,in_stock\n\
                    A-2,short\n\
                    A-3,x,bad,EUR,in_stock\n";
        let found = errors(FeedFormat::Csv, text);
        assert_eq!(
            found,
            [
                "feed: line 4: the row has 2 cells, the header has 5",
                "feed: line 5: price: \"bad\" is not a decimal number such as 12.50",
            ]
        );
        let mut bytes = b"id,title,price,currency,availability\nA-1,".to_vec();
        bytes.extend_from_slice(&[0xff, 0xfe]);
        bytes.extend_from_slice(b",1.00,EUR,in_stock\n");
        match read_feed("f", FeedFormat::Csv, &FeedBase::default(), &bytes[..]) {
            Err(e) => assert!(
                e.to_string()
                    .contains("f: line 2: the row is not UTF-8 text"),
                "{e}"
            ),
            Ok(_) => panic!("refused"),
        }
    }

    #[test]
    fn a_bom_blank_lines_and_header_case_are_tolerated() {
        let feed =
            ok("\u{feff}ID,Title,PRICE,currency,availability\n\nA-1,x,1.00,EUR,in_stock\n,,,,\n");
        assert!(has(&feed, "<product/A-1> <schema:sku> \"A-1\""));
    }

    #[test]
    fn errors_are_capped_and_counted() {
        let rows: Vec<String> = (0..MAX_ISSUES + 5)
            .map(|i| format!("A-{i},,x,,,,,,bad,,EUR,in_stock,,,,,,,"))
            .collect();
        let rows: Vec<&str> = rows.iter().map(String::as_str).collect();
        let found = errors(FeedFormat::Csv, &csv(&rows));
        assert_eq!(found.len(), MAX_ISSUES + 1);
        assert_eq!(found.last().map(String::as_str), Some("and 5 more"));
    }

    fn jsonl_of(csv_text: &str) -> String {
        let mut reader = csv::Reader::from_reader(csv_text.as_bytes());
        let headers = reader.headers().expect("headers").clone();
        reader
            .records()
            .map(|r| {
                let r = r.expect("record");
                let object: serde_json::Map<String, Value> = headers
                    .iter()
                    .zip(r.iter())
                    .filter(|(_, v)| !v.is_empty())
                    .map(|(k, v)| (k.to_owned(), Value::String(v.to_owned())))
                    .collect();
                Value::Object(object).to_string() + "\n"
            })
            .collect()
    }

    #[test]
    fn json_lines_give_the_same_graph_as_csv() {
        let text = csv(&[
            COAT,
            "J-BLK-M,J,Jacket,,Acme,,,Clothing > Coats,100.00,120.00,EUR,preorder,1,Black,M,,,,fr",
            "J-BLK-L,J,Jacket,,Acme,,,Clothing > Coats,100.00,,EUR,backorder,0,Black,L,,,,fr",
        ]);
        let from_csv = ok(&text);
        let from_jsonl = read(FeedFormat::JsonLines, &jsonl_of(&text)).expect("JSON Lines read");
        assert_eq!(from_csv.triples, from_jsonl.triples);
        assert_eq!(from_csv.stock, from_jsonl.stock);

        // Numbers and nulls are accepted too.
        let typed = read(
            FeedFormat::JsonLines,
            "{\"id\":\"N-1\",\"title\":\"n\",\"price\":12.5,\"currency\":\"EUR\",\"availability\":\"in_stock\",\"stock\":7,\"gtin\":null}\n",
        )
        .expect("reads");
        assert!(has(&typed, "<offer/N-1> <schema:price> \"12.50\"^^decimal"));
        assert_eq!(typed.stock, vec![(Sku::parse("N-1").expect("sku"), 7)]);
    }

    #[test]
    fn json_lines_faults_name_their_line() {
        let text = "{\"id\":\"A-1\",\"title\":\"a\",\"price\":\"1.00\",\"currency\":\"EUR\",\"availability\":\"in_stock\"}\n\
                    \n\
                    {\"id\": \"A-2\", \"title\": \n\
                    [1, 2]\n\
                    {\"id\":\"A-1\",\"colour\":\"red\",\"title\":true,\"price\":\"1.00\",\"currency\":\"EUR\",\"availability\":\"in_stock\"}\n";
        let found = errors(FeedFormat::JsonLines, text);
        assert_eq!(found.len(), 5, "{found:#?}");
        assert!(
            found[0].starts_with("feed: line 3: invalid JSON: "),
            "{found:#?}"
        );
        assert!(
            found[1].starts_with("feed: line 4: expected a JSON object"),
            "{found:#?}"
        );
        assert!(
            found[2].starts_with("feed: line 5: colour: unknown field; the fields are id, "),
            "{found:#?}"
        );
        assert!(
            found[3].starts_with("feed: line 5: title: expected a string or a number"),
            "{found:#?}"
        );
        assert!(
            found[4].starts_with("feed: line 5: id: \"A-1\" is already the id of line 1"),
            "{found:#?}"
        );
    }

    #[test]
    fn no_input_panics() {
        for text in [
            "\"",
            "id\n\"",
            "id,title,price,currency,availability\n\"unterminated",
            "id,title,price,currency,availability\nA-1,x,99999999999999999999,EUR,in_stock\n",
            "id,title,price,currency,availability,stock\nA-1,x,1,EUR,in_stock,99999999999\n",
            "\u{0}",
        ] {
            let _ = read(FeedFormat::Csv, text);
            let _ = read(FeedFormat::JsonLines, text);
        }
        let _ = read(FeedFormat::JsonLines, "{\"id\": 1e400}");
    }

    #[test]
    fn mangled_feeds_are_refused_or_read_but_never_panic() {
        let example = include_str!("../../../graph-data/examples/feed.csv");
        let jsonl = include_str!("../../../graph-data/examples/feed.jsonl");
        let alphabet = b",;\"\n\r{}[]:>.-_ 0aZ\xff\xc3";
        let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = move |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            usize::try_from(seed % (n.max(1) as u64)).unwrap_or(0)
        };
        for round in 0..400 {
            for (format, text) in [(FeedFormat::Csv, example), (FeedFormat::JsonLines, jsonl)] {
                let mut bytes = text.as_bytes().to_vec();
                for _ in 0..=(round % 8) {
                    let at = next(bytes.len());
                    match next(3) {
                        0 => bytes[at] = alphabet[next(alphabet.len())],
                        1 => {
                            bytes.remove(at);
                        }
                        _ => bytes.insert(at, alphabet[next(alphabet.len())]),
                    }
                }
                let _ = read_feed("fuzz", format, &FeedBase::default(), &bytes[..]);
            }
        }
    }

    #[test]
    fn bases_are_checked_and_completed() {
        assert_eq!(
            FeedBase::parse("https://vercors.example")
                .map(|b| b.to_string())
                .ok(),
            Some("https://vercors.example/".to_owned())
        );
        assert_eq!(
            FeedBase::parse("urn:b2a:feed:").map(|b| b.to_string()).ok(),
            Some("urn:b2a:feed:".to_owned())
        );
        assert!(FeedBase::parse("not an iri").is_err());
        assert!(FeedBase::parse("https://x.example/?q=").is_err());
        assert!(FeedBase::parse("").is_err());
    }

    #[test]
    fn media_types_name_feed_syntaxes() {
        assert_eq!(
            FeedFormat::from_media_type("text/csv; charset=utf-8"),
            Some(FeedFormat::Csv)
        );
        assert_eq!(
            FeedFormat::from_media_type("application/x-ndjson"),
            Some(FeedFormat::JsonLines)
        );
        assert_eq!(
            FeedFormat::from_media_type("Application/JSONL"),
            Some(FeedFormat::JsonLines)
        );
        assert_eq!(FeedFormat::from_media_type("text/turtle"), None);
    }

    #[test]
    fn the_turtle_rendering_uses_prefixes() {
        let turtle = ok(&csv(&[COAT])).to_turtle().expect("turtle");
        assert!(
            turtle.contains("@prefix product: <https://brand.example/product/>"),
            "{turtle}"
        );
        assert!(turtle.contains("product:CT-1 a schema:Product"), "{turtle}");
    }
}
