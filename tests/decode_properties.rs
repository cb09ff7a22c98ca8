//! Response decoding never panics on server data.
//!
//! Every JSON operation of every service (the `OPERATIONS` tables, decoded
//! through the generated `decode_success`, and the one hand-written operation
//! through its own response type) is fed:
//!
//! - arbitrary bytes and byte-level mutations of its schema sample (proptest,
//!   a fixed seed and a bounded number of cases per operation): no panic, and
//!   anything that is not JSON at all is an error;
//! - schema-shaped-but-wrong JSON made from its schema sample: a value of the
//!   wrong type, a missing required field, huge numbers, deep nesting,
//!   invalid UTF-8 inside a string. Each must be an error wherever the schema
//!   really forbids it (the mutation sites are found by walking the sample and
//!   the schema in `specs/` together, resolving `$ref` and single `allOf`);
//!   elsewhere (free-form values, nullable and optional fields, open enums) it
//!   must at least not panic.
//!
//! The facade is then checked end to end for every facade method with a JSON
//! response: a loopback server answers with an undecodable body and the call
//! must fail with `Error::Decode` naming the operation.
//!
//! `cargo test --test decode_properties -- --ignored write_fuzz_seed_corpus`
//! writes the schema samples as the seed corpus of the `decode_responses`
//! fuzz target (see `FUZZING.md`).

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::panic::{AssertUnwindSafe, catch_unwind};

use common::cases::all_cases;
use common::deployment::MockDeployment;
use common::recorder::Reply;
use common::specs;
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestRng, TestRunner};
use provena_client::raw::{self, Operation};
use serde_json::{Value, json};

/// Proptest cases per operation and strategy; with a fixed seed, every run
/// feeds the same inputs.
const CASES_PER_OPERATION: u32 = 24;

/// Numbers no 64-bit integer holds, as raw JSON text.
const HUGE_NUMBERS: [&str; 3] = ["1e400", "18446744073709551616", "-9223372036854775809"];

/// Far deeper than serde_json's recursion limit (128).
const DEEP: usize = 100_000;

/// Nesting put inside a member of a sample: still far beyond the limit.
const DEEP_IN_MEMBER: usize = 2_000;

/// Byte sequences that are not UTF-8: a stray byte, a bad continuation, an
/// encoded surrogate, a truncated four-byte sequence.
const INVALID_UTF8: [&[u8]; 4] = [b"\xff", b"\xc3\x28", b"\xed\xa0\x80", b"\xf0\x9f\x98"];

type Decoder = fn(&str, &[u8]) -> Option<Result<(), serde_json::Error>>;

/// Each service's operation table and generated decoder, in `SERVICES` order.
const SERVICES: [(&str, &[Operation], Decoder); 7] = [
    ("auth", raw::auth::OPERATIONS, raw::auth::decode_success),
    (
        "registry",
        raw::registry::OPERATIONS,
        raw::registry::decode_success,
    ),
    (
        "datastore",
        raw::datastore::OPERATIONS,
        raw::datastore::decode_success,
    ),
    (
        "search",
        raw::search::OPERATIONS,
        raw::search::decode_success,
    ),
    ("prov", raw::prov::OPERATIONS, raw::prov::decode_success),
    ("job", raw::job::OPERATIONS, raw::job::decode_success),
    (
        "id-service",
        raw::id_service::OPERATIONS,
        raw::id_service::decode_success,
    ),
];

/// The only hand-written operation; the facade decodes its response itself.
const HANDWRITTEN: (&str, &str) = ("prov", "convert_model_runs_csv");

/// One JSON operation with its response schema and a schema-valid sample.
struct Target {
    service: &'static str,
    operation: &'static Operation,
    decoder: Decoder,
    document: std::rc::Rc<Value>,
    schema: Value,
    sample: Value,
}

impl Target {
    /// `service.operation_id`, for messages.
    fn name(&self) -> String {
        format!("{}.{}", self.service, self.operation.operation_id)
    }

    /// Decodes `body` as this operation's success response, as the client
    /// does, turning a panic into a message that names the operation and the
    /// input.
    fn decode(&self, body: &[u8], mutation: &str) -> Result<Result<(), String>, String> {
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            if self.operation.handwritten {
                Some(
                    serde_json::from_slice::<provena_client::models::ConvertModelRunsResponse>(
                        body,
                    )
                    .map(drop),
                )
            } else {
                (self.decoder)(self.operation.operation_id, body)
            }
        }));
        match outcome {
            Ok(Some(result)) => Ok(result.map_err(|e| e.to_string())),
            Ok(None) => Err(format!(
                "{}: decode_success has no decoder for a JSON operation",
                self.name()
            )),
            Err(_) => Err(format!(
                "{}: decoding PANICKED on {mutation}; body: {}",
                self.name(),
                excerpt(body)
            )),
        }
    }

    fn sample_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(&self.sample).expect("a sample serialises")
    }
}

/// Every JSON operation of every service, with its sample.
fn targets() -> Vec<Target> {
    let mut out = Vec::new();
    for (service, operations, decode) in SERVICES {
        let document = std::rc::Rc::new(specs::document(service));
        for operation in operations {
            if operation.response_media != "application/json" {
                continue;
            }
            let pointer = format!(
                "/paths/{}/{}/responses/200/content/application~1json/schema",
                operation.path.replace('~', "~0").replace('/', "~1"),
                operation.method.to_lowercase()
            );
            let schema = document
                .pointer(&pointer)
                .unwrap_or_else(|| panic!("{service}: no JSON schema at {pointer}"))
                .clone();
            let sample = specs::sample(&document, &schema);
            out.push(Target {
                service,
                operation,
                decoder: decode,
                document: document.clone(),
                schema,
                sample,
            });
        }
    }
    out
}

/// At most 160 bytes of a body, lossily, for messages.
fn excerpt(body: &[u8]) -> String {
    let cut = body.len().min(160);
    let mut text = String::from_utf8_lossy(&body[..cut]).into_owned();
    if body.len() > cut {
        text.push_str(&format!("… ({} bytes)", body.len()));
    }
    text
}

/// The cases of one check, and its failures.
#[derive(Default)]
struct Tally {
    cases: usize,
    must_fail: usize,
    failures: Vec<String>,
}

impl Tally {
    /// Decodes `body` as `target`'s response: it must never panic, and must be
    /// rejected when `must_fail`.
    fn check(&mut self, target: &Target, body: &[u8], mutation: &str, must_fail: bool) {
        self.cases += 1;
        self.must_fail += usize::from(must_fail);
        match target.decode(body, mutation) {
            Err(failure) => self.failures.push(failure),
            Ok(Ok(())) if must_fail => self.failures.push(format!(
                "{}: {mutation} decoded successfully; body: {}",
                target.name(),
                excerpt(body)
            )),
            Ok(_) => {}
        }
    }

    /// Counts a case checked elsewhere, with its failure if any.
    fn record(&mut self, failure: Option<String>) {
        self.cases += 1;
        self.failures.extend(failure);
    }

    /// Prints the one-line summary and fails with every failure.
    fn report(self, check: &str, operations: usize) {
        let strict = match self.must_fail {
            0 => String::new(),
            n if n == self.cases => " (all must be errors)".to_string(),
            n => format!(" ({n} must be errors, the rest only must not panic)"),
        };
        println!(
            "decode_properties: {check}: {operations} operations, {} cases{strict}",
            self.cases
        );
        assert!(
            self.failures.is_empty(),
            "{check}: {} of {} cases failed:\n{}",
            self.failures.len(),
            self.cases,
            self.failures.join("\n")
        );
    }
}

// ---------------------------------------------------------------------------
// What the schema allows where: mutation sites.

/// JSON kinds a schema lets through, as a bit set.
mod kind {
    pub const NULL: u8 = 1;
    pub const BOOL: u8 = 2;
    pub const INTEGER: u8 = 4;
    pub const FLOAT: u8 = 8;
    pub const STRING: u8 = 16;
    pub const ARRAY: u8 = 32;
    pub const OBJECT: u8 = 64;
}

fn kind_of(value: &Value) -> u8 {
    match value {
        Value::Null => kind::NULL,
        Value::Bool(_) => kind::BOOL,
        Value::Number(n) if n.is_f64() => kind::FLOAT,
        Value::Number(_) => kind::INTEGER,
        Value::String(_) => kind::STRING,
        Value::Array(_) => kind::ARRAY,
        Value::Object(_) => kind::OBJECT,
    }
}

/// A schema with `$ref`s and single-member `allOf`s followed, and whether
/// any layer on the way made it nullable or gave it a default.
struct Resolved<'a> {
    schema: &'a Value,
    nullable: bool,
    has_default: bool,
}

fn resolve<'a>(document: &'a Value, mut schema: &'a Value) -> Resolved<'a> {
    let mut nullable = false;
    let mut has_default = false;
    for _ in 0..32 {
        nullable |= schema.get("nullable") == Some(&Value::Bool(true));
        has_default |= schema.get("default").is_some();
        if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
            schema = document
                .pointer(reference.trim_start_matches('#'))
                .unwrap_or_else(|| panic!("dangling $ref {reference}"));
        } else if let Some([only]) = schema
            .get("allOf")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
        {
            schema = only;
        } else {
            break;
        }
    }
    Resolved {
        schema,
        nullable,
        has_default,
    }
}

/// The kinds of JSON value a schema's generated type may accept, erring on
/// the side of "accepts": `None` when it accepts anything. Structs also accept
/// arrays (serde's sequence form) and enums objects (`{"Variant": ..}`).
fn accepted(document: &Value, schema: &Value) -> Option<u8> {
    let resolved = resolve(document, schema);
    let schema = resolved.schema;
    let mut kinds = if resolved.nullable { kind::NULL } else { 0 };
    if let Some(values) = schema
        .get("enum")
        .and_then(Value::as_array)
        .map(|v| v.iter().collect::<Vec<_>>())
        .or_else(|| schema.get("const").map(|v| vec![v]))
    {
        return Some(
            values
                .into_iter()
                .fold(kinds | kind::OBJECT, |k, v| k | kind_of(v)),
        );
    }
    for key in ["anyOf", "oneOf"] {
        if let Some(branches) = schema.get(key).and_then(Value::as_array) {
            for branch in branches {
                kinds |= accepted(document, branch)?;
            }
            return Some(kinds);
        }
    }
    if schema.get("allOf").is_some() {
        return None;
    }
    kinds |= match schema.get("type").and_then(Value::as_str) {
        Some("string") => kind::STRING,
        Some("integer") => kind::INTEGER,
        Some("number") => kind::INTEGER | kind::FLOAT,
        Some("boolean") => kind::BOOL,
        Some("array") => kind::ARRAY,
        Some("object") => kind::OBJECT | kind::ARRAY,
        None if schema.get("properties").is_some() => kind::OBJECT | kind::ARRAY,
        _ => return None,
    };
    Some(kinds)
}

/// `anyOf: [Known(enum), Unknown(string)]`, the sync tool's open enum.
fn is_open_enum(document: &Value, schema: &Value) -> bool {
    let schema = resolve(document, schema).schema;
    schema
        .get("anyOf")
        .and_then(Value::as_array)
        .is_some_and(|branches| {
            branches.iter().any(|branch| {
                branch.get("title") == Some(&json!("Unknown"))
                    && branch.get("type") == Some(&json!("string"))
            })
        })
}

/// One value in a sample that a mutation can replace or remove.
#[derive(Debug, Clone)]
struct Site {
    /// JSON pointer to the value ("" for the whole body).
    pointer: String,
    /// The member name, if the value is a member of a struct.
    member: Option<String>,
    /// A member the schema lists as required.
    required: bool,
    /// The schema gives the value a default.
    has_default: bool,
    /// What the generated type accepts there (`None`: anything).
    accepts: Option<u8>,
    /// The value is an open enum (any string decodes).
    open_enum: bool,
}

impl Site {
    fn describe(&self) -> String {
        if self.pointer.is_empty() {
            "the whole body".to_string()
        } else {
            format!("`{}`", self.pointer)
        }
    }
}

/// Every place in the sample whose schema is known exactly: the body itself,
/// struct members, map values and array items, descending through structs,
/// maps and arrays but never into unions (`anyOf`/`oneOf`), where another
/// branch might take a mutated value.
fn sites(target: &Target) -> Vec<Site> {
    let document = target.document.as_ref();
    let mut out = vec![Site {
        pointer: String::new(),
        member: None,
        required: true,
        has_default: false,
        accepts: accepted(document, &target.schema),
        open_enum: is_open_enum(document, &target.schema),
    }];
    collect_sites(document, &target.schema, &target.sample, "", &mut out);
    out
}

fn collect_sites(
    document: &Value,
    schema: &Value,
    value: &Value,
    pointer: &str,
    out: &mut Vec<Site>,
) {
    let schema = resolve(document, schema).schema;
    if ["anyOf", "oneOf", "allOf", "enum"]
        .iter()
        .any(|key| schema.get(key).is_some())
    {
        return;
    }
    match value {
        Value::Object(fields) => {
            if let Some(properties) = schema.get("properties").and_then(Value::as_object) {
                let required: Vec<&str> = schema
                    .get("required")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .collect();
                for (name, property) in properties {
                    let Some(child) = fields.get(name) else {
                        continue;
                    };
                    let required = required.contains(&name.as_str());
                    let child_pointer = format!("{pointer}/{}", escape(name));
                    out.push(Site {
                        pointer: child_pointer.clone(),
                        member: Some(name.clone()),
                        required,
                        has_default: resolve(document, property).has_default,
                        // An optional member decodes into an `Option`: null is fine.
                        accepts: accepted(document, property)
                            .map(|k| if required { k } else { k | kind::NULL }),
                        open_enum: is_open_enum(document, property),
                    });
                    collect_sites(document, property, child, &child_pointer, out);
                }
            } else if let Some(values) =
                schema.get("additionalProperties").filter(|v| v.is_object())
            {
                for (name, child) in fields {
                    let child_pointer = format!("{pointer}/{}", escape(name));
                    out.push(Site {
                        pointer: child_pointer.clone(),
                        member: None,
                        required: false,
                        has_default: false,
                        accepts: accepted(document, values),
                        open_enum: is_open_enum(document, values),
                    });
                    collect_sites(document, values, child, &child_pointer, out);
                }
            }
        }
        Value::Array(items) => {
            if let (Some(item), Some(first)) = (schema.get("items"), items.first()) {
                let child_pointer = format!("{pointer}/0");
                out.push(Site {
                    pointer: child_pointer.clone(),
                    member: None,
                    required: false,
                    has_default: false,
                    accepts: accepted(document, item),
                    open_enum: is_open_enum(document, item),
                });
                collect_sites(document, item, first, &child_pointer, out);
            }
        }
        _ => {}
    }
}

fn escape(name: &str) -> String {
    name.replace('~', "~0").replace('/', "~1")
}

/// A value the site's type cannot take, if there is one: the first kind in
/// a fixed order that the schema does not let through.
fn wrong_value(accepts: u8) -> Option<Value> {
    [
        (kind::BOOL, json!(true)),
        (kind::INTEGER, json!(12345)),
        (kind::STRING, json!("a value of the wrong type")),
        (kind::FLOAT, json!(0.5)),
        (kind::OBJECT, json!({"wrong": "type"})),
        (kind::ARRAY, json!(["wrong", "type"])),
    ]
    .into_iter()
    .find(|(kind, _)| accepts & kind == 0)
    .map(|(_, value)| value)
}

/// The sample with the value at `site` replaced.
fn replaced(sample: &Value, site: &Site, value: Value) -> Value {
    let mut body = sample.clone();
    *body
        .pointer_mut(&site.pointer)
        .unwrap_or_else(|| panic!("no value at {}", site.pointer)) = value;
    body
}

/// The sample serialised with the value at `site` replaced by raw JSON text
/// (which may be something `Value` cannot hold, such as `1e400`).
fn replaced_raw(sample: &Value, site: &Site, text: &[u8]) -> Vec<u8> {
    const MARKER: &str = "\u{1}provena-placeholder\u{1}";
    let body = serde_json::to_vec(&replaced(sample, site, json!(MARKER))).expect("serialises");
    let marker = serde_json::to_vec(&json!(MARKER)).expect("serialises");
    let at = body
        .windows(marker.len())
        .position(|w| w == marker.as_slice())
        .expect("the placeholder is in the body");
    [&body[..at], text, &body[at + marker.len()..]].concat()
}

/// Byte offsets just after the opening quote of each string (keys and values)
/// in serialised JSON.
fn string_starts(body: &[u8]) -> Vec<usize> {
    let mut starts = Vec::new();
    let mut in_string = false;
    let mut escaped = false;
    for (at, byte) in body.iter().enumerate() {
        if in_string {
            if escaped {
                escaped = false;
            } else if *byte == b'\\' {
                escaped = true;
            } else if *byte == b'"' {
                in_string = false;
            }
        } else if *byte == b'"' {
            in_string = true;
            starts.push(at + 1);
        }
    }
    starts
}

// ---------------------------------------------------------------------------
// The decoders and their inputs.

#[test]
fn every_json_operation_has_a_decoder_that_accepts_its_schema_sample() {
    let mut tally = Tally::default();
    for (service, operations, decode) in SERVICES {
        for operation in operations {
            let json = operation.response_media == "application/json";
            let decoded = decode(operation.operation_id, b"{}");
            let name = format!("{service}.{}", operation.operation_id);
            let failure = if operation.handwritten {
                ((service, operation.operation_id) != HANDWRITTEN || decoded.is_some()).then(|| {
                    format!("{name}: hand-written, yet not the one this test decodes itself")
                })
            } else {
                (json != decoded.is_some()).then(|| {
                    format!(
                        "{name}: response {:?}, yet decode_success {}",
                        operation.response_media,
                        if json { "has no decoder" } else { "decodes it" }
                    )
                })
            };
            tally.record(failure);
        }
    }
    let targets = targets();
    for target in &targets {
        let failure = match target.decode(&target.sample_bytes(), "the schema sample") {
            Ok(Ok(())) => None,
            Ok(Err(error)) => Some(format!(
                "{}: the schema sample does not decode: {error}",
                target.name()
            )),
            Err(failure) => Some(failure),
        };
        tally.record(failure);
    }
    assert!(
        targets
            .iter()
            .any(|t| (t.service, t.operation.operation_id) == HANDWRITTEN),
        "the hand-written operation is among the targets"
    );
    tally.report("decoders and samples", targets.len());
}

/// A deterministic runner: the same inputs on every run, no files written.
fn runner() -> TestRunner {
    TestRunner::new_with_rng(
        Config {
            cases: CASES_PER_OPERATION,
            failure_persistence: None,
            ..Config::default()
        },
        TestRng::deterministic_rng(RngAlgorithm::ChaCha),
    )
}

/// Is `body` JSON at all (syntax only: any value, any depth)?
fn is_json(body: &[u8]) -> bool {
    serde_json::from_slice::<serde::de::IgnoredAny>(body).is_ok()
}

/// Decodes `body`: never a panic, and an error whenever it is not JSON.
fn check_bytes(target: &Target, body: &[u8], what: &str) -> Result<(), TestCaseError> {
    let outcome = target.decode(body, what).map_err(TestCaseError::fail)?;
    if outcome.is_ok() && !is_json(body) {
        return Err(TestCaseError::fail(format!(
            "{}: {what} is not JSON, yet decoded successfully",
            target.name()
        )));
    }
    Ok(())
}

/// Runs `strategy` against every target, `CASES_PER_OPERATION` times each.
fn run_property<S: Strategy>(
    check: &str,
    strategy: impl Fn(&Target) -> S,
    property: impl Fn(&Target, S::Value) -> Result<(), TestCaseError>,
) {
    let targets = targets();
    let mut tally = Tally::default();
    for target in &targets {
        let result = runner().run(&strategy(target), |input| property(target, input));
        // Shrunk to a minimal failing input by proptest.
        let failure = result.err().map(|e| format!("{}: {e}", target.name()));
        tally.cases += CASES_PER_OPERATION as usize - 1;
        tally.record(failure);
    }
    tally.report(check, targets.len());
}

/// Bytes of every kind, and bytes drawn from JSON's own alphabet (which reach
/// further into the parser).
fn arbitrary_bytes() -> impl Strategy<Value = Vec<u8>> {
    let json_alphabet: Vec<u8> = b"{}[]\":,-+.0123456789eEtrufalsn \\u\xff".to_vec();
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..256),
        proptest::collection::vec(proptest::sample::select(json_alphabet), 0..64),
    ]
}

#[test]
fn arbitrary_bytes_never_panic_and_non_json_is_an_error() {
    run_property(
        "arbitrary bytes",
        |_| arbitrary_bytes(),
        |target, body| check_bytes(target, &body, "arbitrary bytes"),
    );
}

/// Edits to a body, applied in order: (where, insert/overwrite/remove/cut, byte).
fn byte_edits() -> impl Strategy<Value = Vec<(Index, u8, u8)>> {
    proptest::collection::vec((any::<Index>(), 0u8..4, any::<u8>()), 1..8)
}

fn apply_edits(body: &[u8], edits: &[(Index, u8, u8)]) -> Vec<u8> {
    let mut body = body.to_vec();
    for (at, edit, byte) in edits {
        let at = at.index(body.len() + 1);
        match edit {
            0 => body.insert(at, *byte),
            1 if at < body.len() => body[at] = *byte,
            2 if at < body.len() => {
                body.remove(at);
            }
            _ => body.truncate(at),
        }
    }
    body
}

#[test]
fn byte_edits_of_a_schema_sample_never_panic_and_non_json_is_an_error() {
    run_property(
        "byte edits of samples",
        |_| byte_edits(),
        |target, edits| {
            let body = apply_edits(&target.sample_bytes(), &edits);
            check_bytes(target, &body, &format!("the sample with edits {edits:?}"))
        },
    );
}

#[test]
fn a_value_of_the_wrong_type_is_an_error() {
    let targets = targets();
    let mut tally = Tally::default();
    for target in &targets {
        for site in sites(target) {
            let Some(accepts) = site.accepts else {
                continue; // a free-form value takes anything
            };
            let mut wrong: Vec<Value> = wrong_value(accepts).into_iter().collect();
            if accepts & kind::NULL == 0 {
                wrong.push(Value::Null);
            }
            for value in wrong {
                let mutation = format!("{value} at {}", site.describe());
                let body = serde_json::to_vec(&replaced(&target.sample, &site, value))
                    .expect("serialises");
                tally.check(target, &body, &mutation, true);
            }
        }
    }
    tally.report("wrong types", targets.len());
}

#[test]
fn a_missing_required_member_is_an_error() {
    let targets = targets();
    let mut tally = Tally::default();
    for target in &targets {
        for site in sites(target) {
            let Some(member) = &site.member else {
                continue;
            };
            // An optional, nullable or defaulted member decodes when absent;
            // so may one that takes anything.
            let must_fail = site.required
                && !site.has_default
                && site.accepts.is_some_and(|k| k & kind::NULL == 0);
            let parent = &site.pointer[..site.pointer.rfind('/').expect("a member has a parent")];
            let mut body = target.sample.clone();
            body.pointer_mut(parent)
                .and_then(Value::as_object_mut)
                .expect("the parent is an object")
                .remove(member);
            let body = serde_json::to_vec(&body).expect("serialises");
            let mutation = format!("removing {}", site.describe());
            tally.check(target, &body, &mutation, must_fail);
        }
    }
    tally.report("missing members", targets.len());
}

#[test]
fn huge_numbers_are_errors_in_integer_fields_and_never_panic_elsewhere() {
    let targets = targets();
    let mut tally = Tally::default();
    for target in &targets {
        for site in sites(target) {
            let integer_only = site
                .accepts
                .is_some_and(|k| k & !kind::NULL == kind::INTEGER);
            for number in HUGE_NUMBERS {
                // 1e400 does not fit an f64 either: nothing may take it.
                let must_fail = integer_only || number == "1e400";
                let body = replaced_raw(&target.sample, &site, number.as_bytes());
                let mutation = format!("{number} at {}", site.describe());
                tally.check(target, &body, &mutation, must_fail);
            }
        }
    }
    tally.report("huge numbers", targets.len());
}

#[test]
fn deep_nesting_is_an_error_without_overflowing_the_stack() {
    let nested = |depth: usize| {
        (
            format!("{}{}", "[".repeat(depth), "]".repeat(depth)),
            format!("{}null{}", "{\"a\":".repeat(depth), "}".repeat(depth)),
        )
    };
    let unclosed = "[".repeat(DEEP);
    let (arrays, objects) = nested(DEEP);
    // Inside the body, a shallower (but still far too deep) nesting keeps
    // the many cases quick.
    let (member_arrays, member_objects) = nested(DEEP_IN_MEMBER);
    let targets = targets();
    let mut tally = Tally::default();
    for target in &targets {
        let what = format!("{DEEP} unclosed `[`");
        tally.check(target, unclosed.as_bytes(), &what, true);
        for site in sites(target) {
            let takes_objects = site.accepts.is_none_or(|k| k & kind::OBJECT != 0);
            let takes_any = site.accepts.is_none();
            let mutations = [
                ("nested arrays", &arrays, &member_arrays, true),
                // A struct skips an unknown member (`"a"`) without descending
                // (serde_json skips iteratively), so it may decode; anything
                // that parses the value (`Value`, maps) must hit the limit.
                (
                    "nested objects",
                    &objects,
                    &member_objects,
                    takes_any || !takes_objects,
                ),
            ];
            for (what, whole, member, must_fail) in mutations {
                // The whole body at full depth, except where a struct merely
                // skips it (slow in debug builds, and no deeper a check).
                let (body, mutation) = if site.pointer.is_empty() && must_fail {
                    (whole.as_bytes().to_vec(), format!("{DEEP} {what}"))
                } else if site.pointer.is_empty() {
                    (
                        member.as_bytes().to_vec(),
                        format!("{DEEP_IN_MEMBER} {what}"),
                    )
                } else {
                    (
                        replaced_raw(&target.sample, &site, member.as_bytes()),
                        format!("{DEEP_IN_MEMBER} {what} at {}", site.describe()),
                    )
                };
                tally.check(target, &body, &mutation, must_fail);
            }
        }
    }
    tally.report("deep nesting", targets.len());
}

#[test]
fn invalid_utf8_inside_a_string_is_an_error() {
    let targets = targets();
    let mut tally = Tally::default();
    for target in &targets {
        let whole = [b"\"".as_slice(), INVALID_UTF8[0], b"\""].concat();
        tally.check(target, &whole, "a body that is one invalid string", true);
        // Every string of the sample, key or value, is decoded (samples hold
        // no member that the types would skip unread), so each must be checked.
        let sample = target.sample_bytes();
        for (n, at) in string_starts(&sample).into_iter().enumerate() {
            let bad = INVALID_UTF8[n % INVALID_UTF8.len()];
            let body = [&sample[..at], bad, &sample[at..]].concat();
            let mutation = format!("{bad:x?} at byte {at} of the sample (string #{n})");
            tally.check(target, &body, &mutation, true);
        }
    }
    tally.report("invalid UTF-8", targets.len());
}

#[test]
fn unknown_values_of_open_enums_still_decode() {
    let targets = targets();
    let mut tally = Tally::default();
    let mut operations = 0;
    for target in &targets {
        let open_enums: Vec<Site> = sites(target).into_iter().filter(|s| s.open_enum).collect();
        operations += usize::from(!open_enums.is_empty());
        for site in open_enums {
            let mutation = format!("an unknown enum value at {}", site.describe());
            let value = json!("A_VALUE_ADDED_UPSTREAM");
            let body =
                serde_json::to_vec(&replaced(&target.sample, &site, value)).expect("serialises");
            let failure = match target.decode(&body, &mutation) {
                Ok(Ok(())) => None,
                Ok(Err(error)) => Some(format!("{}: {mutation}: {error}", target.name())),
                Err(failure) => Some(failure),
            };
            tally.record(failure);
        }
    }
    assert!(
        operations > 0,
        "some operation's response holds an open enum"
    );
    tally.report("open enums", operations);
}

// ---------------------------------------------------------------------------
// Through the facade.

/// Bodies that no operation's response type takes, made from its sample.
fn undecodable_bodies(target: &Target) -> Vec<(String, Vec<u8>)> {
    let sample = target.sample_bytes();
    let mut bodies = vec![
        (
            "the sample cut short".to_string(),
            sample[..sample.len() - 1].to_vec(),
        ),
        (
            format!("{DEEP} nested arrays"),
            format!("{}{}", "[".repeat(DEEP), "]".repeat(DEEP)).into_bytes(),
        ),
    ];
    if let Some(&at) = string_starts(&sample).first() {
        bodies.push((
            "invalid UTF-8 in the first string".to_string(),
            [&sample[..at], INVALID_UTF8[0], &sample[at..]].concat(),
        ));
    }
    if let Some((site, value)) = sites(target).into_iter().find_map(|site| {
        let value = wrong_value(site.accepts?)?;
        Some((site, value))
    }) {
        bodies.push((
            format!("{value} at {}", site.describe()),
            serde_json::to_vec(&replaced(&target.sample, &site, value)).expect("serialises"),
        ));
    }
    bodies
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_facade_reports_undecodable_bodies_as_decode_errors_naming_the_operation() {
    let deployment = MockDeployment::start().await;
    let client = deployment.client();
    // Planned up front: a `Target` holds an `Rc`, which must not live across
    // an `.await`.
    let mut plans = BTreeMap::new();
    for target in targets() {
        let operation = specs::operations(target.service)
            .into_iter()
            .find(|op| op.operation_id == target.operation.operation_id)
            .expect("the operation is in its document");
        let request_body = operation
            .request_schema()
            .map(|schema| specs::sample(&target.document, schema))
            .unwrap_or(Value::Null);
        plans.insert(
            (target.service, target.operation.operation_id),
            (request_body, undecodable_bodies(&target)),
        );
    }
    let mut tally = Tally::default();
    let mut operations = BTreeSet::new();
    for case in all_cases() {
        let Some((request_body, bodies)) = plans.get(&(case.service, case.operation_id.as_str()))
        else {
            continue; // not a JSON response
        };
        operations.insert((case.service, case.operation_id.clone()));
        let name = format!("{}.{}", case.service, case.operation_id);
        for (what, body) in bodies {
            deployment.reset();
            deployment.service(case.service).push(Reply::raw(
                200,
                "application/json",
                body.clone(),
            ));
            // On a task of its own, so that a panic is reported, not fatal.
            let outcome = tokio::spawn((case.call)(client.clone(), request_body.clone())).await;
            let failure = match outcome {
                Err(join) if join.is_panic() => Some(format!("{name}: PANICKED on {what}")),
                Err(join) => Some(format!("{name}: task failed on {what}: {join}")),
                Ok(Ok(())) => Some(format!("{name}: {what} decoded successfully")),
                Ok(Err(provena_client::Error::Decode { operation, .. }))
                    if operation.service == case.service
                        && operation.operation_id == case.operation_id =>
                {
                    None
                }
                Ok(Err(error)) => Some(format!(
                    "{name}: {what} gave {error:?}, not a decode error naming the operation"
                )),
            };
            tally.record(failure);
        }
    }
    assert!(
        operations
            .iter()
            .any(|(s, o)| (*s, o.as_str()) == HANDWRITTEN),
        "the hand-written operation is among those checked through the facade"
    );
    tally.report("facade", operations.len());
}

// ---------------------------------------------------------------------------
// The fuzz target's seed corpus.

/// Writes each JSON operation's schema sample to
/// `fuzz/corpus/decode_responses/seed-{service}-{operation}`, prefixed with
/// the two bytes that make the fuzz target pick that operation (its index
/// among the JSON operations of all services, in `SERVICES` order).
#[test]
#[ignore = "writes the fuzz seed corpus; run by hand after the specs change"]
fn write_fuzz_seed_corpus() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus/decode_responses");
    std::fs::create_dir_all(&dir).expect("corpus folder");
    for entry in std::fs::read_dir(&dir).expect("corpus folder") {
        let path = entry.expect("entry").path();
        if path
            .file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with("seed-"))
        {
            std::fs::remove_file(&path).expect("remove an old seed");
        }
    }
    let targets = targets();
    for (index, target) in targets.iter().enumerate() {
        let index = u16::try_from(index).expect("fewer than 65536 operations");
        let file = dir.join(format!(
            "seed-{}-{}",
            target.service, target.operation.operation_id
        ));
        let body = [index.to_be_bytes().as_slice(), &target.sample_bytes()].concat();
        std::fs::write(&file, body).expect("write a seed");
    }
    println!("wrote {} seeds to {}", targets.len(), dir.display());
}
