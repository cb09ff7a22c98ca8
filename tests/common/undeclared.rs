//! What real responses carry that the vendored documents do not declare.
//!
//! The real-server suite records every exchange (see [`super::proxy`]) and
//! hands the responses to [`report`], which walks each JSON body against the
//! response schema of its operation in `specs/{service}.json`. The point is
//! to catch the *class* of drift, not one instance of it: a field the server
//! sends that the schema does not list (the registry's dataset items carry
//! `"version": null` inside `CollectionFormatDatasetInfo`, which the upstream
//! document closes with `additionalProperties: false`), an enum value the document does not know,
//! a value of another type than declared, a `null` where the schema is not
//! nullable. Each of these either breaks decoding (closed objects, types,
//! nulls) or is silently dropped or degraded (open objects, open enums), and
//! neither is visible from a green test run alone.
//!
//! An object that lists its properties but admits others (`additionalProperties:
//! true` or `{}`, as the sync tool's `open_objects` rule writes closed and
//! round-trip objects) still reports the members it does not list, marked
//! [`Additional::Admitted`]: the client keeps them, but they are undeclared,
//! and the finding set (and so the suite's allow-list) stays the same whether
//! the document closes or opens an object. Typed maps
//! (`additionalProperties: {schema}`) and free-form objects (no `properties`)
//! admit any key; their values are checked against the map's schema.
//!
//! The walker is a pure function of (document, schema, value). It is not a
//! validator: it ignores `required`, formats, lengths and bounds, and reports
//! only the four [`FindingKind`]s. Findings are keyed by (operation, schema,
//! path with array indices and map keys replaced by `*`, kind), so that a
//! field missing from every item of a 500-item list is one finding, and the
//! same finding seen on many responses stays one.
#![allow(dead_code)] // each test binary uses a different part of it

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::Path;

use serde_json::{Map, Value};

use super::proxy::Exchange;

/// The name findings carry when no `$ref` was crossed on the way (a response
/// schema written inline in the operation).
pub const INLINE: &str = "(inline)";

/// How many `$ref`/`allOf`/`anyOf` hops the walker follows at one value
/// without consuming any of it. Real documents need a handful; the bound only
/// stops a document whose schemas refer to each other in a circle.
const MAX_SCHEMA_HOPS: usize = 64;

/// How much of a value a finding quotes.
const EXCERPT_CHARS: usize = 80;

/// How many enum values an `expected` text lists before eliding the rest.
const ENUM_VALUES_SHOWN: usize = 8;

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "patch", "head", "options", "trace",
];

/// What kind of drift a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FindingKind {
    /// An object member the schema does not list (and whose
    /// `additionalProperties` does not admit it).
    UndeclaredField,
    /// A value outside the schema's `enum` (for an open enum, outside its
    /// `Known` branch), or a discriminator tag no branch is mapped to.
    UndeclaredEnumValue,
    /// A value of another JSON type than the schema declares.
    TypeMismatch,
    /// A `null` where the schema is not nullable.
    UnexpectedNull,
}

impl FindingKind {
    /// Stable text used in keys and allow-lists.
    pub fn as_str(self) -> &'static str {
        match self {
            FindingKind::UndeclaredField => "UndeclaredField",
            FindingKind::UndeclaredEnumValue => "UndeclaredEnumValue",
            FindingKind::TypeMismatch => "TypeMismatch",
            FindingKind::UnexpectedNull => "UnexpectedNull",
        }
    }
}

impl fmt::Display for FindingKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What an object schema says about members it does not list, which decides
/// what the generated client does with an undeclared field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Additional {
    /// `additionalProperties: false`: typify derives `deny_unknown_fields`,
    /// so the whole response fails to decode.
    Forbidden,
    /// Nothing said: the member decodes and is dropped.
    Unspecified,
    /// `true` or `{}` next to listed properties: kept (typify's flattened
    /// map of extra members), but not declared by name.
    Admitted,
}

/// One place where a value is not what the document declares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// What is wrong.
    pub kind: FindingKind,
    /// JSON pointer of the first occurrence, e.g. `/items/3/version`.
    pub path: String,
    /// The pointer with array indices and map keys as `*`, e.g.
    /// `/items/*/version`: the part of the de-duplication key.
    pub normalized_path: String,
    /// The nearest `$ref` name the value was checked against (for an
    /// undeclared field: the object's schema), or [`INLINE`].
    pub schema: String,
    /// What the schema declares there (`string`, `VersioningInfo`,
    /// `one of "A", "B"`); empty for undeclared fields.
    pub expected: String,
    /// The value seen, as JSON, cut to a few dozen characters.
    pub seen: String,
    /// For an undeclared field: what the object says about unlisted members
    /// (`None` for the other kinds).
    pub additional: Option<Additional>,
}

impl Finding {
    /// The de-duplication key within one operation: (kind, schema,
    /// normalised path).
    pub fn key(&self) -> (FindingKind, &str, &str) {
        (self.kind, &self.schema, &self.normalized_path)
    }

    /// One line without the operation, e.g. `undeclared field
    /// /item/version in CollectionFormatDatasetInfo (seen: null)`.
    pub fn describe(&self) -> String {
        let (path, schema, seen) = (&self.normalized_path, &self.schema, &self.seen);
        match self.kind {
            FindingKind::UndeclaredField => {
                let note = match self.additional {
                    Some(Additional::Forbidden) => " [additionalProperties: false]",
                    Some(Additional::Admitted) => " [admitted by additionalProperties]",
                    Some(Additional::Unspecified) | None => "",
                };
                format!("undeclared field {path} in {schema} (seen: {seen}){note}")
            }
            FindingKind::UndeclaredEnumValue => format!(
                "undeclared enum value at {path} in {schema}: expected {} (seen: {seen})",
                self.expected
            ),
            FindingKind::TypeMismatch => format!(
                "type mismatch at {path} in {schema}: expected {} (seen: {seen})",
                self.expected
            ),
            FindingKind::UnexpectedNull => format!(
                "unexpected null at {path} in {schema}: expected {} (not nullable)",
                self.expected
            ),
        }
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.describe())
    }
}

/// Walks `value` against `schema`, whose `$ref`s point into `document` (an
/// OpenAPI 3.0 document). Returns the findings de-duplicated by
/// [`Finding::key`] (the first occurrence kept) and sorted by path, kind and
/// schema, so that the result does not depend on member order.
pub fn walk(document: &Value, schema: &Value, value: &Value) -> Vec<Finding> {
    let mut walker = Walker {
        document,
        findings: Vec::new(),
    };
    walker.check(schema, value, INLINE, &mut Vec::new(), 0);
    dedup(walker.findings)
}

fn dedup(findings: Vec<Finding>) -> Vec<Finding> {
    let mut seen = BTreeSet::new();
    let mut out: Vec<Finding> = findings
        .into_iter()
        .filter(|f| seen.insert((f.kind, f.schema.clone(), f.normalized_path.clone())))
        .collect();
    out.sort_by(|a, b| {
        (&a.normalized_path, a.kind, &a.schema).cmp(&(&b.normalized_path, b.kind, &b.schema))
    });
    out
}

/// One step of a JSON pointer. Array indices and the keys of maps (objects
/// checked against `additionalProperties`) vary from response to response,
/// so they are kept apart from declared member names and normalised to `*`.
#[derive(Debug, Clone)]
enum Segment {
    Field(String),
    Index(usize),
    MapKey(String),
}

fn pointer(path: &[Segment], normalized: bool) -> String {
    let mut out = String::new();
    for segment in path {
        out.push('/');
        match segment {
            Segment::Index(_) | Segment::MapKey(_) if normalized => out.push('*'),
            Segment::Index(index) => out.push_str(&index.to_string()),
            Segment::Field(name) | Segment::MapKey(name) => {
                out.push_str(&name.replace('~', "~0").replace('/', "~1"))
            }
        }
    }
    out
}

fn excerpt(value: &Value) -> String {
    let text = value.to_string();
    if text.chars().count() <= EXCERPT_CHARS {
        return text;
    }
    let cut: String = text.chars().take(EXCERPT_CHARS).collect();
    format!("{cut}…")
}

/// What a schema part says about the members outside its `properties`.
enum Extra<'a> {
    /// Any key: a free-form object, which lists no properties at all.
    Any,
    /// Each extra member is checked against this schema (a typed map).
    Schema(&'a Value, &'a str),
    /// Extra members are undeclared, in the named schema.
    Undeclared {
        schema: &'a str,
        additional: Additional,
    },
}

struct Walker<'a> {
    document: &'a Value,
    findings: Vec<Finding>,
}

impl<'a> Walker<'a> {
    fn push(
        &mut self,
        kind: FindingKind,
        path: &[Segment],
        schema: &str,
        expected: String,
        value: &Value,
        additional: Option<Additional>,
    ) {
        self.findings.push(Finding {
            kind,
            path: pointer(path, false),
            normalized_path: pointer(path, true),
            schema: schema.to_string(),
            expected,
            seen: excerpt(value),
            additional,
        });
    }

    /// The target of a local `$ref` and its name; `None` for a schema without
    /// one, or a reference the walker cannot follow (then nothing is checked
    /// against it rather than guessing).
    fn follow(&self, schema: &'a Value) -> Option<(&'a Value, &'a str)> {
        let reference = schema.get("$ref")?.as_str()?;
        let target = self.document.pointer(reference.strip_prefix('#')?)?;
        let name = reference.rsplit('/').next().unwrap_or(reference);
        Some((target, name))
    }

    /// Checks one value: `null` first (nullability is a property of the
    /// referring schema in OpenAPI 3.0, so it is decided before following
    /// `$ref`s and the finding names the schema holding the member), then
    /// `$ref`s, unions, and the flattened `allOf` parts.
    fn check(
        &mut self,
        schema: &'a Value,
        value: &Value,
        name: &'a str,
        path: &mut Vec<Segment>,
        hops: usize,
    ) {
        if hops > MAX_SCHEMA_HOPS {
            return;
        }
        if value.is_null() {
            if !self.accepts_null(schema, 0) {
                let expected = self.describe(schema, 0);
                self.push(
                    FindingKind::UnexpectedNull,
                    path,
                    name,
                    expected,
                    value,
                    None,
                );
            }
            return;
        }
        if let Some((target, target_name)) = self.follow(schema) {
            return self.check(target, value, target_name, path, hops + 1);
        }
        let mut parts = Vec::new();
        self.flatten(schema, name, &mut parts, hops);
        // Wrappers such as `{allOf: [{$ref}], nullable: true, default: ..}`
        // constrain nothing themselves; keeping them would make the merged
        // object look free-form.
        parts.retain(|(part, _)| constrains(part));
        match parts.as_slice() {
            [] => {}
            [(part, part_name)] => self.check_part(part, value, part_name, path, hops),
            _ => match value {
                // `allOf` of object schemas: the members are the union of
                // the parts' members (what the server's models inherit), not
                // what each part admits on its own.
                Value::Object(members) if parts.iter().all(|(p, _)| object_part(p)) => {
                    self.check_object(&parts, members, path)
                }
                _ => {
                    for (part, part_name) in parts {
                        self.check_part(part, value, part_name, path, hops);
                    }
                }
            },
        }
    }

    /// `schema` and its `allOf` parts, recursively, with `$ref`s followed:
    /// each with the name findings against it carry.
    fn flatten(
        &self,
        schema: &'a Value,
        name: &'a str,
        out: &mut Vec<(&'a Value, &'a str)>,
        hops: usize,
    ) {
        if hops > MAX_SCHEMA_HOPS {
            return;
        }
        if let Some((target, target_name)) = self.follow(schema) {
            return self.flatten(target, target_name, out, hops + 1);
        }
        out.push((schema, name));
        for part in schema
            .get("allOf")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            self.flatten(part, name, out, hops + 1);
        }
    }

    /// Checks a value against one schema part's own keywords (its `allOf`
    /// and `$ref` were flattened by the caller).
    fn check_part(
        &mut self,
        part: &'a Value,
        value: &Value,
        name: &'a str,
        path: &mut Vec<Segment>,
        hops: usize,
    ) {
        if let Some(branches) = alternatives(part) {
            return self.check_alternatives(part, branches, value, name, path, hops);
        }
        if let Some(kind) = declared_type(part)
            && !type_matches(kind, value)
        {
            let expected = self.describe(part, 0);
            self.push(FindingKind::TypeMismatch, path, name, expected, value, None);
            return;
        }
        if let Some(values) = part.get("enum").and_then(Value::as_array)
            && !values.contains(value)
        {
            let expected = self.describe(part, 0);
            self.push(
                FindingKind::UndeclaredEnumValue,
                path,
                name,
                expected,
                value,
                None,
            );
            return;
        }
        match value {
            Value::Object(members) => self.check_object(&[(part, name)], members, path),
            Value::Array(items) => {
                let Some(item_schema) = part.get("items").filter(|s| s.is_object()) else {
                    return;
                };
                for (index, item) in items.iter().enumerate() {
                    path.push(Segment::Index(index));
                    self.check(item_schema, item, name, path, 0);
                    path.pop();
                }
            }
            _ => {}
        }
    }

    /// Checks an object's members against the union of the parts' members.
    fn check_object(
        &mut self,
        parts: &[(&'a Value, &'a str)],
        members: &Map<String, Value>,
        path: &mut Vec<Segment>,
    ) {
        let mut properties: BTreeMap<&'a str, (&'a Value, &'a str)> = BTreeMap::new();
        let mut lists_properties = false;
        let mut typed_map = None;
        // The explicit `additionalProperties` word on unlisted members, and
        // the part that says it.
        let mut explicit: Option<(Additional, &'a str)> = None;
        for &(part, name) in parts {
            if let Some(declared) = part.get("properties").and_then(Value::as_object) {
                lists_properties = true;
                for (member, schema) in declared {
                    properties.entry(member.as_str()).or_insert((schema, name));
                }
            }
            let said = match part.get("additionalProperties") {
                Some(Value::Bool(false)) => Additional::Forbidden,
                Some(Value::Bool(true)) => Additional::Admitted,
                Some(Value::Object(schema)) if schema.is_empty() => Additional::Admitted,
                Some(schema @ Value::Object(_)) => {
                    typed_map.get_or_insert((schema, name));
                    continue;
                }
                _ => continue,
            };
            // Whichever part admits extra members wins: the parts of an
            // `allOf` describe one model, and a closed base part is not meant
            // to reject what a sibling part adds.
            if explicit.is_none_or(|(kind, _)| said == Additional::Admitted && kind != said) {
                explicit = Some((said, name));
            }
        }
        let extra = match (typed_map, explicit) {
            (Some((schema, name)), _) => Extra::Schema(schema, name),
            // A free-form object (typify: `Map<String, Value>`) declares no
            // names, so no key is undeclared; `{}` with `false` is the
            // empty object, where every key is.
            (None, Some((Additional::Forbidden, name))) if !lists_properties => Extra::Undeclared {
                schema: name,
                additional: Additional::Forbidden,
            },
            _ if !lists_properties => Extra::Any,
            (None, Some((additional, name))) => Extra::Undeclared {
                schema: name,
                additional,
            },
            (None, None) => Extra::Undeclared {
                schema: parts[0].1,
                additional: Additional::Unspecified,
            },
        };
        // Sorted, whatever order the JSON map keeps (serde_json's
        // `preserve_order` may be on through another dependency).
        let mut keys: Vec<&String> = members.keys().collect();
        keys.sort();
        for key in keys {
            let member = &members[key];
            if let Some(&(schema, owner)) = properties.get(key.as_str()) {
                path.push(Segment::Field(key.clone()));
                self.check(schema, member, owner, path, 0);
                path.pop();
                continue;
            }
            match extra {
                Extra::Any => {}
                Extra::Schema(schema, owner) => {
                    path.push(Segment::MapKey(key.clone()));
                    self.check(schema, member, owner, path, 0);
                    path.pop();
                }
                Extra::Undeclared { schema, additional } => {
                    path.push(Segment::Field(key.clone()));
                    self.push(
                        FindingKind::UndeclaredField,
                        path,
                        schema,
                        String::new(),
                        member,
                        Some(additional),
                    );
                    path.pop();
                }
            }
        }
    }

    /// `anyOf`/`oneOf`: the value is wrong only where no branch declares it,
    /// so the findings are those of the best-matching branch.
    fn check_alternatives(
        &mut self,
        schema: &'a Value,
        branches: &'a [Value],
        value: &Value,
        name: &'a str,
        path: &mut Vec<Segment>,
        hops: usize,
    ) {
        // An open enum (`anyOf: [{title: Known, ..}, {title: Unknown, type:
        // string}]`, written by the sync tool) admits every string; what we
        // want to know is whether the value is one the document names.
        if let Some(known) = open_enum_known_branch(branches) {
            return self.check(known, value, name, path, hops + 1);
        }
        if let Some((branch, branch_name)) = self.discriminated(schema, branches, value, name, path)
        {
            return self.check(branch, value, branch_name, path, hops + 1);
        }
        let here = pointer(path, false);
        let mut best: Option<((bool, usize), Vec<Finding>)> = None;
        for branch in branches {
            let mut trial = Walker {
                document: self.document,
                findings: Vec::new(),
            };
            trial.check(branch, value, name, path, hops + 1);
            // A branch of another type entirely is a worse match than one
            // whose members merely differ, however many the members.
            let wrong_type = trial.findings.iter().any(|f| {
                f.path == here
                    && matches!(
                        f.kind,
                        FindingKind::TypeMismatch | FindingKind::UnexpectedNull
                    )
            });
            let score = (wrong_type, trial.findings.len());
            let better = best
                .as_ref()
                .is_none_or(|(best_score, _)| score < *best_score);
            if better {
                best = Some((score, trial.findings));
            }
            if score == (false, 0) {
                break;
            }
        }
        let Some(((wrong_type, _), findings)) = best else {
            return;
        };
        if wrong_type {
            // No branch has the value's type: say so once, with all of them.
            let expected = self.describe(schema, 0);
            self.push(FindingKind::TypeMismatch, path, name, expected, value, None);
        } else {
            self.findings.extend(findings);
        }
    }

    /// The branch a `discriminator` picks, if the schema has one and the
    /// value carries the tag. A tag no branch is mapped to is itself an
    /// undeclared enum value (and the best match is used after it).
    fn discriminated(
        &mut self,
        schema: &'a Value,
        branches: &'a [Value],
        value: &Value,
        name: &'a str,
        path: &mut Vec<Segment>,
    ) -> Option<(&'a Value, &'a str)> {
        let property = schema.pointer("/discriminator/propertyName")?.as_str()?;
        let tag = value.get(property)?.as_str()?;
        let mapping = schema.pointer("/discriminator/mapping");
        let reference = match mapping.and_then(|m| m.get(tag)).and_then(Value::as_str) {
            Some(reference) => Some(reference),
            // Without a mapping entry the tag is the schema name.
            None => branches
                .iter()
                .filter_map(|b| b.get("$ref").and_then(Value::as_str))
                .find(|r| r.rsplit('/').next() == Some(tag)),
        };
        if let Some(target) = reference.and_then(|r| self.document.pointer(r.strip_prefix('#')?)) {
            let target_name = reference.and_then(|r| r.rsplit('/').next()).unwrap_or(name);
            return Some((target, target_name));
        }
        let mut tags: Vec<String> = mapping
            .and_then(Value::as_object)
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default();
        tags.extend(
            branches
                .iter()
                .filter_map(|b| b.get("$ref").and_then(Value::as_str))
                .filter_map(|r| r.rsplit('/').next().map(str::to_string)),
        );
        path.push(Segment::Field(property.to_string()));
        let expected = enum_text(tags.iter().map(|t| Value::String(t.clone())));
        self.push(
            FindingKind::UndeclaredEnumValue,
            path,
            name,
            expected,
            &Value::String(tag.to_string()),
            None,
        );
        path.pop();
        None
    }

    /// Whether `null` is a value of `schema`.
    fn accepts_null(&self, schema: &'a Value, hops: usize) -> bool {
        if hops > MAX_SCHEMA_HOPS || schema.get("nullable") == Some(&Value::Bool(true)) {
            return true;
        }
        if let Some((target, _)) = self.follow(schema) {
            return self.accepts_null(target, hops + 1);
        }
        if let Some(values) = schema.get("enum").and_then(Value::as_array) {
            return values.contains(&Value::Null);
        }
        if let Some(branches) = alternatives(schema) {
            return branches.iter().any(|b| self.accepts_null(b, hops + 1));
        }
        if declared_type(schema).is_some() {
            return false;
        }
        schema
            .get("allOf")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .all(|part| self.accepts_null(part, hops + 1))
    }

    /// A short text for what a schema admits, for `expected`.
    fn describe(&self, schema: &'a Value, hops: usize) -> String {
        if hops > MAX_SCHEMA_HOPS {
            return "…".into();
        }
        if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
            return reference
                .rsplit('/')
                .next()
                .unwrap_or(reference)
                .to_string();
        }
        if let Some(branches) = alternatives(schema) {
            if let Some(known) = open_enum_known_branch(branches) {
                return self.describe(known, hops + 1);
            }
            let texts: Vec<String> = branches
                .iter()
                .map(|b| self.describe(b, hops + 1))
                .collect();
            return texts.join(" | ");
        }
        if let Some(values) = schema.get("enum").and_then(Value::as_array) {
            return enum_text(values.iter().cloned());
        }
        if let Some(kind) = declared_type(schema) {
            return kind.to_string();
        }
        let parts: Vec<String> = schema
            .get("allOf")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(|p| self.describe(p, hops + 1))
            .collect();
        if parts.is_empty() {
            "any".into()
        } else {
            parts.join(" & ")
        }
    }
}

fn enum_text(values: impl Iterator<Item = Value>) -> String {
    let values: Vec<Value> = values.collect();
    let mut shown: Vec<String> = values
        .iter()
        .take(ENUM_VALUES_SHOWN)
        .map(Value::to_string)
        .collect();
    if values.len() > ENUM_VALUES_SHOWN {
        shown.push(format!("… ({} in all)", values.len()));
    }
    format!("one of {}", shown.join(", "))
}

fn alternatives(schema: &Value) -> Option<&[Value]> {
    schema
        .get("anyOf")
        .or_else(|| schema.get("oneOf"))
        .and_then(Value::as_array)
        .map(Vec::as_slice)
}

/// The `Known` branch of an open enum, as the sync tool writes them (and
/// build.rs recognises them): exactly the titles `Known` then `Unknown`.
fn open_enum_known_branch(branches: &[Value]) -> Option<&Value> {
    let titles: Vec<Option<&str>> = branches
        .iter()
        .map(|b| b.get("title").and_then(Value::as_str))
        .collect();
    (titles == [Some("Known"), Some("Unknown")]).then(|| &branches[0])
}

/// Whether a schema part says anything the walker checks.
fn constrains(part: &Value) -> bool {
    [
        "type",
        "properties",
        "additionalProperties",
        "items",
        "enum",
        "anyOf",
        "oneOf",
    ]
    .iter()
    .any(|keyword| part.get(keyword).is_some())
}

/// Whether an `allOf` part can be merged member-wise into an object.
fn object_part(part: &Value) -> bool {
    alternatives(part).is_none()
        && part.get("enum").is_none()
        && declared_type(part).is_none_or(|t| t == "object")
}

/// The JSON type a part declares, or implies by its keywords.
fn declared_type(part: &Value) -> Option<&str> {
    if let Some(kind) = part.get("type").and_then(Value::as_str) {
        return Some(kind);
    }
    if part.get("properties").is_some() || part.get("additionalProperties").is_some() {
        Some("object")
    } else if part.get("items").is_some() {
        Some("array")
    } else {
        None
    }
}

fn type_matches(kind: &str, value: &Value) -> bool {
    match kind {
        "string" => value.is_string(),
        // 1.0 is not an integer to serde: the generated i64 would not decode.
        "integer" => value.is_i64() || value.is_u64(),
        "number" => value.is_number(),
        "boolean" => value.is_boolean(),
        "array" => value.is_array(),
        "object" => value.is_object(),
        _ => true,
    }
}

/// An operation of a document matched by a concrete request.
#[derive(Debug, Clone, Copy)]
pub struct MatchedOperation<'a> {
    /// The path template, e.g. `/job/fetch/{id}`.
    pub template: &'a str,
    /// `operationId` (empty if the document gives none).
    pub operation_id: &'a str,
    /// The operation object.
    pub operation: &'a Value,
}

/// The operation of `document` that a request with `method` on
/// `concrete_path` (query ignored) reaches. Path parameters `{x}` match one
/// non-empty segment; when several templates match, the one with the most
/// literal segments wins (`/job/fetch/all` over `/job/fetch/{id}`), as in the
/// servers' routers. A trailing `/` is ignored.
pub fn find_operation<'a>(
    document: &'a Value,
    method: &str,
    concrete_path: &str,
) -> Option<MatchedOperation<'a>> {
    let method = method.to_ascii_lowercase();
    if !METHODS.contains(&method.as_str()) {
        return None;
    }
    let concrete = concrete_path.split('?').next().unwrap_or_default();
    let mut best: Option<(usize, MatchedOperation<'a>)> = None;
    for (template, item) in document.get("paths")?.as_object()? {
        let Some(operation) = item.get(&method) else {
            continue;
        };
        let Some(score) = template_score(template, concrete) else {
            continue;
        };
        if best
            .as_ref()
            .is_none_or(|(best_score, _)| score > *best_score)
        {
            let operation_id = operation
                .get("operationId")
                .and_then(Value::as_str)
                .unwrap_or_default();
            best = Some((
                score,
                MatchedOperation {
                    template,
                    operation_id,
                    operation,
                },
            ));
        }
    }
    best.map(|(_, matched)| matched)
}

/// How many literal segments of `template` match `concrete`, or `None` if it
/// does not match.
fn template_score(template: &str, concrete: &str) -> Option<usize> {
    let trim = |p: &str| -> String {
        let p = p.strip_suffix('/').filter(|p| !p.is_empty()).unwrap_or(p);
        p.to_string()
    };
    let (template, concrete) = (trim(template), trim(concrete));
    let template: Vec<&str> = template.split('/').collect();
    let concrete: Vec<&str> = concrete.split('/').collect();
    if template.len() != concrete.len() {
        return None;
    }
    let mut literal = 0;
    for (pattern, segment) in template.iter().zip(&concrete) {
        match (pattern.find('{'), pattern.rfind('}')) {
            (Some(open), Some(close)) if open < close => {
                // `{id}`, or `{id}.json`: the text around the parameter must
                // be there and the parameter must not be empty.
                let (prefix, suffix) = (&pattern[..open], &pattern[close + 1..]);
                let fits = segment.len() > prefix.len() + suffix.len()
                    && segment.starts_with(prefix)
                    && segment.ends_with(suffix);
                if !fits {
                    return None;
                }
            }
            _ if pattern == segment => literal += 1,
            _ => return None,
        }
    }
    Some(literal)
}

/// The JSON schema of an operation's response with `status`: the exact code,
/// else its range (`4XX`), else `default`. `None` when none is declared or it
/// has no JSON content.
pub fn response_schema(operation: &Value, status: u16) -> Option<&Value> {
    let responses = operation.get("responses")?;
    let range = format!("{}XX", status / 100);
    let response = [status.to_string(), range, "default".to_string()]
        .iter()
        .find_map(|key| responses.get(key))?;
    let content = response.get("content")?.as_object()?;
    let media = content.get("application/json").or_else(|| {
        content
            .iter()
            .find(|(media, _)| media.contains("json"))
            .map(|(_, entry)| entry)
    })?;
    media.get("schema")
}

/// Matches a response to its operation in `spec_doc` and walks `body`
/// against the schema declared for `status`. `None` if no operation matches
/// `method` and `concrete_path`; no findings if the status has no declared
/// JSON schema (nothing to compare with).
pub fn findings_for_response(
    spec_doc: &Value,
    method: &str,
    concrete_path: &str,
    status: u16,
    body: &Value,
) -> Option<(String, Vec<Finding>)> {
    let matched = find_operation(spec_doc, method, concrete_path)?;
    let findings = response_schema(matched.operation, status)
        .map(|schema| walk(spec_doc, schema, body))
        .unwrap_or_default();
    Some((matched.operation_id.to_string(), findings))
}

/// A finding on one operation, merged over every response that showed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportedFinding {
    /// Service name (the spec file stem).
    pub service: String,
    /// `operationId`.
    pub operation_id: String,
    /// The status of the first response that showed it.
    pub status: u16,
    /// In how many responses it was seen.
    pub occurrences: usize,
    /// The first occurrence.
    pub finding: Finding,
}

impl ReportedFinding {
    /// The allow-list key: `service.operation Kind Schema /normalised/path`,
    /// e.g. `registry.fetch_entity_dataset UndeclaredField
    /// CollectionFormatDatasetInfo /item/collection_format/dataset_info/version`.
    pub fn key(&self) -> String {
        format!(
            "{}.{} {} {} {}",
            self.service,
            self.operation_id,
            self.finding.kind,
            self.finding.schema,
            self.finding.normalized_path
        )
    }

    /// One human-readable line.
    pub fn render(&self) -> String {
        let status = if self.status == 200 {
            String::new()
        } else {
            format!(" [HTTP {}]", self.status)
        };
        format!(
            "{}.{}: {}{status}",
            self.service,
            self.operation_id,
            self.finding.describe()
        )
    }
}

/// What the recorded responses showed.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// De-duplicated findings, sorted by service, operation, path, kind and
    /// schema.
    pub findings: Vec<ReportedFinding>,
    /// Every (service, operation) a response was recorded for, with the
    /// statuses seen: the coverage of the run.
    pub observed: BTreeMap<(String, String), BTreeSet<u16>>,
    /// Exchanges that could not be checked, one line per cause (no matching
    /// operation, no document, body over the recording limit, invalid JSON,
    /// upstream unreachable).
    pub unchecked: BTreeSet<String>,
}

impl Report {
    /// One line per finding, then one per unchecked cause.
    pub fn render(&self) -> String {
        let mut lines: Vec<String> = self.findings.iter().map(ReportedFinding::render).collect();
        lines.extend(
            self.unchecked
                .iter()
                .map(|cause| format!("not checked: {cause}")),
        );
        if lines.is_empty() {
            return "no undeclared fields, enum values, types or nulls".to_string();
        }
        lines.join("\n")
    }

    /// The findings whose [`ReportedFinding::key`] is not in `allowed`: the
    /// ones that should fail the suite.
    pub fn unexplained(&self, allowed: &[&str]) -> Vec<&ReportedFinding> {
        self.findings
            .iter()
            .filter(|f| !allowed.contains(&f.key().as_str()))
            .collect()
    }
}

/// Walks every recorded JSON response against `specs_dir/{service}.json`.
pub fn report(specs_dir: &Path, exchanges: &[Exchange]) -> Report {
    let mut documents: BTreeMap<&str, Option<Value>> = BTreeMap::new();
    type Key = (String, String, String, FindingKind, String);
    let mut merged: BTreeMap<Key, ReportedFinding> = BTreeMap::new();
    let mut report = Report::default();
    for exchange in exchanges {
        let request = format!("{} {} {}", exchange.service, exchange.method, exchange.path);
        if let Some(error) = &exchange.error {
            report
                .unchecked
                .insert(format!("{request}: upstream error: {error}"));
            continue;
        }
        let document = documents.entry(exchange.service).or_insert_with(|| {
            let file = specs_dir.join(format!("{}.json", exchange.service));
            std::fs::read_to_string(file)
                .ok()
                .and_then(|text| serde_json::from_str(&text).ok())
        });
        let Some(document) = document.as_ref() else {
            report.unchecked.insert(format!(
                "{}: no readable {}/{}.json",
                exchange.service,
                specs_dir.display(),
                exchange.service
            ));
            continue;
        };
        let Some(matched) = find_operation(document, &exchange.method, &exchange.path) else {
            report
                .unchecked
                .insert(format!("{request}: no such operation in the document"));
            continue;
        };
        let operation_id = matched.operation_id.to_string();
        report
            .observed
            .entry((exchange.service.to_string(), operation_id.clone()))
            .or_default()
            .insert(exchange.status);
        let is_json = exchange
            .content_type
            .as_deref()
            .is_some_and(|t| t.to_ascii_lowercase().contains("json"));
        if !is_json || exchange.response_body.is_empty() {
            continue;
        }
        if exchange.response_truncated {
            report.unchecked.insert(format!(
                "{request} ({}): response over the recording limit",
                exchange.status
            ));
            continue;
        }
        let body: Value = match serde_json::from_slice(&exchange.response_body) {
            Ok(body) => body,
            Err(error) => {
                report.unchecked.insert(format!(
                    "{request} ({}): response is not JSON: {error}",
                    exchange.status
                ));
                continue;
            }
        };
        let Some(schema) = response_schema(matched.operation, exchange.status) else {
            continue;
        };
        for finding in walk(document, schema, &body) {
            let key = (
                exchange.service.to_string(),
                operation_id.clone(),
                finding.normalized_path.clone(),
                finding.kind,
                finding.schema.clone(),
            );
            merged
                .entry(key)
                .and_modify(|f| f.occurrences += 1)
                .or_insert_with(|| ReportedFinding {
                    service: exchange.service.to_string(),
                    operation_id: operation_id.clone(),
                    status: exchange.status,
                    occurrences: 1,
                    finding,
                });
        }
    }
    report.findings = merged.into_values().collect();
    report
}
