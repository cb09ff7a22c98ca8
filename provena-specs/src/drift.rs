//! The semantic drift report of `check`: what changed between the committed
//! specs (old) and what a sync would write now (new), in API terms rather
//! than as a text diff. Every differing keyword yields a line, so nothing
//! changes silently; unknown keywords fall through to a generic line.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value};

use crate::derive::Derived;
use crate::rules::open_enums;
use crate::walk::operations;
use crate::{canon, meta};

/// A committed file, as [`compare`] sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Committed<'a> {
    /// The file's bytes.
    Bytes(&'a [u8]),
    /// There is no such file (a sync would create it).
    Missing,
    /// The file exists but cannot be read, for this reason.
    Unreadable(&'a str),
}

/// The committed document and meta record of one service, each with the
/// name it is given in the report (e.g. `specs/job.json`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Vendored<'a> {
    /// How the document is named in the report.
    pub spec_label: &'a str,
    /// The committed document.
    pub spec: Committed<'a>,
    /// How the meta record is named in the report.
    pub meta_label: &'a str,
    /// The committed meta record.
    pub meta: Committed<'a>,
}

/// The semantic drift between a fresh derivation and the committed files of
/// the same service: one line per change, in API terms (`operation removed:
/// DELETE /x (op)`, `schema Job: field "status" removed`, `upstream sha256
/// changed: ...`). Empty when a sync would write the same bytes (the meta
/// record's `source` apart, which names where the document was read and is
/// not drift). The lines of [`compare_parts`], document first.
///
/// See the [crate documentation](crate) for an example.
pub fn compare(derived: &Derived, vendored: &Vendored<'_>) -> Vec<String> {
    let Comparison { document, record } = compare_parts(derived, vendored);
    document.into_iter().chain(record).collect()
}

/// What [`compare_parts`] found, split by the file it concerns.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Comparison {
    /// Differences of the document itself: the API a client is built from.
    /// Empty when a sync would write the same document.
    pub document: Vec<String>,
    /// Differences of the meta record only (the upstream document's hash,
    /// how often each rule applied, which overlays matched). With an empty
    /// [`Comparison::document`], the upstream document changed only in what
    /// the derivation strips or normalises away, such as descriptions.
    pub record: Vec<String>,
}

/// [`compare`], with the document's differences apart from the meta
/// record's: the first are API drift, the second alone are not.
pub fn compare_parts(derived: &Derived, vendored: &Vendored<'_>) -> Comparison {
    let mut document = Vec::new();
    let mut record = Vec::new();
    let spec_name = vendored.spec_label;
    let meta_name = vendored.meta_label;
    if let Some(old) = read(vendored.spec, spec_name, &mut document)
        && old.1 != derived.spec_text.as_bytes()
    {
        diff_spec(&old.0, &derived.spec, &mut document);
        if document.is_empty() {
            document.push(format!(
                "{spec_name}: same content, different formatting (sync would rewrite it)"
            ));
        }
    }
    if let Some(old) = read(vendored.meta, meta_name, &mut record) {
        let (old_meta, new_meta) = (
            meta::without_source(&old.0),
            meta::without_source(&derived.meta),
        );
        if old_meta != new_meta {
            diff_meta(&old_meta, &new_meta, &mut record);
            if record.is_empty() {
                record.push(format!("{meta_name}: content differs"));
            }
        } else if canon::to_string(&old.0).as_bytes() != old.1 {
            record.push(format!(
                "{meta_name}: same content, different formatting (sync would rewrite it)"
            ));
        }
    }
    Comparison { document, record }
}

fn read<'a>(file: Committed<'a>, name: &str, lines: &mut Vec<String>) -> Option<(Value, &'a [u8])> {
    let bytes = match file {
        Committed::Bytes(b) => b,
        Committed::Missing => {
            lines.push(format!("{name} is missing (sync would create it)"));
            return None;
        }
        Committed::Unreadable(e) => {
            lines.push(format!("{name} cannot be read: {e}"));
            return None;
        }
    };
    match serde_json::from_slice(bytes) {
        Ok(v) => Some((v, bytes)),
        Err(e) => {
            lines.push(format!(
                "{name} is not valid JSON ({e}); sync would rewrite it"
            ));
            None
        }
    }
}

/// A value in one short line.
fn short(v: Option<&Value>) -> String {
    let Some(v) = v else { return "(none)".into() };
    let s = v.to_string();
    if s.chars().count() > 100 {
        format!("{}...", s.chars().take(97).collect::<String>())
    } else {
        s
    }
}

fn obj(v: &Value) -> Map<String, Value> {
    v.as_object().cloned().unwrap_or_default()
}

// ---------------------------------------------------------------- meta

pub(crate) fn diff_meta(old: &Value, new: &Value, out: &mut Vec<String>) {
    let (o, n) = (obj(old), obj(new));
    for key in keys(&o, &n) {
        let (ov, nv) = (o.get(key), n.get(key));
        if ov == nv {
            continue;
        }
        match key.as_str() {
            "upstream_sha256" => out.push(format!(
                "upstream sha256 changed: {} -> {}",
                plain(ov),
                plain(nv)
            )),
            "openapi" => out.push(format!("openapi version {} -> {}", plain(ov), plain(nv))),
            "rules" => {
                let (or, nr) = (
                    ov.map(obj).unwrap_or_default(),
                    nv.map(obj).unwrap_or_default(),
                );
                for rule in keys(&or, &nr) {
                    if or.get(rule) != nr.get(rule) {
                        out.push(format!(
                            "rule {rule}: {} -> {}",
                            short(or.get(rule)),
                            short(nr.get(rule))
                        ));
                    }
                }
            }
            "overlays" => {
                for part in ["responses", "schemas"] {
                    let item = if part == "responses" {
                        "response"
                    } else {
                        "schema"
                    };
                    let (a, b) = (
                        strings(ov.and_then(|v| v.get(part))),
                        strings(nv.and_then(|v| v.get(part))),
                    );
                    for x in a.difference(&b) {
                        out.push(format!("overlay {item} \"{x}\" no longer applied"));
                    }
                    for x in b.difference(&a) {
                        out.push(format!("overlay {item} \"{x}\" now applied"));
                    }
                }
            }
            "handwritten" => {
                let render = |v: Option<&Value>| -> BTreeSet<String> {
                    v.and_then(Value::as_array)
                        .map(|a| {
                            a.iter()
                                .map(|h| {
                                    format!(
                                        "{} {} ({}, {})",
                                        plain(h.get("method")),
                                        plain(h.get("path")),
                                        plain(h.get("operationId")),
                                        plain(h.get("reason"))
                                    )
                                })
                                .collect()
                        })
                        .unwrap_or_default()
                };
                let (a, b) = (render(ov), render(nv));
                for x in a.difference(&b) {
                    out.push(format!("hand-written operation gone: {x}"));
                }
                for x in b.difference(&a) {
                    out.push(format!("hand-written operation added: {x}"));
                }
            }
            "warnings" => {
                let (a, b) = (strings(ov), strings(nv));
                for x in a.difference(&b) {
                    out.push(format!("warning gone: {x}"));
                }
                for x in b.difference(&a) {
                    out.push(format!("new warning: {x}"));
                }
            }
            _ => out.push(format!(
                "meta {key} changed: {} -> {}",
                short(ov),
                short(nv)
            )),
        }
    }
}

fn plain(v: Option<&Value>) -> String {
    match v {
        Some(Value::String(s)) => s.clone(),
        other => short(other),
    }
}

fn strings(v: Option<&Value>) -> BTreeSet<String> {
    v.and_then(Value::as_array)
        .map(|a| a.iter().map(|x| plain(Some(x))).collect())
        .unwrap_or_default()
}

fn keys<'a>(a: &'a Map<String, Value>, b: &'a Map<String, Value>) -> BTreeSet<&'a String> {
    a.keys().chain(b.keys()).collect()
}

// ---------------------------------------------------------------- spec

type Ops<'a> = BTreeMap<(String, String), &'a Map<String, Value>>;

fn ops_by_key(doc: &Value) -> Ops<'_> {
    operations(doc)
        .into_iter()
        .map(|(m, p, op)| ((p, m), op))
        .collect()
}

fn op_id(op: &Map<String, Value>) -> String {
    op.get("operationId")
        .and_then(Value::as_str)
        .unwrap_or("no operationId")
        .to_string()
}

pub(crate) fn diff_spec(old: &Value, new: &Value, out: &mut Vec<String>) {
    let (oo, no) = (ops_by_key(old), ops_by_key(new));
    for ((path, method), op) in &oo {
        if !no.contains_key(&(path.clone(), method.clone())) {
            out.push(format!(
                "operation removed: {method} {path} ({})",
                op_id(op)
            ));
        }
    }
    for ((path, method), op) in &no {
        if !oo.contains_key(&(path.clone(), method.clone())) {
            out.push(format!("operation added: {method} {path} ({})", op_id(op)));
        }
    }
    for ((path, method), o) in &oo {
        if let Some(n) = no.get(&(path.clone(), method.clone()))
            && o != n
        {
            diff_operation(&format!("operation {method} {path}"), o, n, out);
        }
    }

    // Path-level keys other than operations (shared parameters, servers).
    let (op_, np_) = (obj(&old["paths"]), obj(&new["paths"]));
    for path in keys(&op_, &np_) {
        let (a, b) = (
            op_.get(path).map(obj).unwrap_or_default(),
            np_.get(path).map(obj).unwrap_or_default(),
        );
        for key in keys(&a, &b) {
            if !crate::walk::METHODS.contains(&key.as_str()) && a.get(key) != b.get(key) {
                out.push(format!(
                    "path {path}: {key} changed: {} -> {}",
                    short(a.get(key)),
                    short(b.get(key))
                ));
            }
        }
    }

    let (oc, nc) = (obj(&old["components"]), obj(&new["components"]));
    for kind in keys(&oc, &nc) {
        let (a, b) = (
            oc.get(kind).map(obj).unwrap_or_default(),
            nc.get(kind).map(obj).unwrap_or_default(),
        );
        let singular = if kind == "schemas" {
            "schema".to_string()
        } else {
            format!("components/{kind}")
        };
        for name in a.keys().filter(|k| !b.contains_key(*k)) {
            out.push(format!("{singular} removed: {name}"));
        }
        for name in b.keys().filter(|k| !a.contains_key(*k)) {
            out.push(format!("{singular} added: {name}"));
        }
        for (name, ov) in &a {
            let Some(nv) = b.get(name) else { continue };
            if ov == nv {
                continue;
            }
            if kind == "schemas" {
                // An open enum's wrapper repeats its values (in `not`); a
                // change there is reported once, under the closed half.
                let known = format!("{name}{}", open_enums::KNOWN);
                if open_enums::open_enum_of(&known, &a).is_some()
                    && open_enums::open_enum_of(&known, &b).is_some()
                {
                    continue;
                }
                let is_enum = ov.get("enum").is_some() || nv.get("enum").is_some();
                // The closed half `XKnown` of an open enum `X` (rule
                // open_enums) holds X's values: name it as X.
                let shown = open_enums::open_enum_of(name, &b)
                    .or_else(|| open_enums::open_enum_of(name, &a))
                    .unwrap_or(name);
                let ctx = format!("{} {shown}: ", if is_enum { "enum" } else { "schema" });
                diff_schema(&ctx, "", ov, nv, out);
            } else {
                out.push(format!(
                    "{singular} {name} changed: {} -> {}",
                    short(Some(ov)),
                    short(Some(nv))
                ));
            }
        }
    }

    let (od, nd) = (obj(old), obj(new));
    for key in keys(&od, &nd) {
        if key != "paths" && key != "components" && od.get(key) != nd.get(key) {
            out.push(format!(
                "document {key} changed: {} -> {}",
                short(od.get(key)),
                short(nd.get(key))
            ));
        }
    }
}

fn diff_operation(
    label: &str,
    o: &Map<String, Value>,
    n: &Map<String, Value>,
    out: &mut Vec<String>,
) {
    let (oid, nid) = (op_id(o), op_id(n));
    if oid != nid {
        out.push(format!(
            "{label}: operationId changed \"{oid}\" -> \"{nid}\""
        ));
    }
    let label = format!("{label} ({nid})");

    let params = |op: &Map<String, Value>| -> BTreeMap<(String, String), Value> {
        op.get("parameters")
            .and_then(Value::as_array)
            .map(|ps| {
                ps.iter()
                    .map(|p| ((plain(p.get("in")), plain(p.get("name"))), p.clone()))
                    .collect()
            })
            .unwrap_or_default()
    };
    let (op_, np_) = (params(o), params(n));
    let required = |p: &Value| p.get("required").and_then(Value::as_bool).unwrap_or(false);
    for ((loc, name), p) in &op_ {
        if !np_.contains_key(&(loc.clone(), name.clone())) {
            let req = if required(p) { "required" } else { "optional" };
            out.push(format!(
                "{label}: parameter {loc} \"{name}\" removed (was {req})"
            ));
        }
    }
    for ((loc, name), p) in &np_ {
        if !op_.contains_key(&(loc.clone(), name.clone())) {
            let req = if required(p) { "required" } else { "optional" };
            let ty = p
                .get("schema")
                .map(type_name)
                .unwrap_or_else(|| "no schema".into());
            out.push(format!(
                "{label}: parameter {loc} \"{name}\" added ({ty}, {req})"
            ));
        }
    }
    for ((loc, name), a) in &op_ {
        let Some(b) = np_.get(&(loc.clone(), name.clone())) else {
            continue;
        };
        if a == b {
            continue;
        }
        let prefix = format!("{label}: parameter {loc} \"{name}\"");
        if required(a) != required(b) {
            let now = if required(b) {
                "now required"
            } else {
                "no longer required"
            };
            out.push(format!("{prefix} {now}"));
        }
        let (a, b) = (obj(a), obj(b));
        for key in keys(&a, &b) {
            match key.as_str() {
                "in" | "name" | "required" => {}
                "schema" => diff_schema(
                    &format!("{prefix} "),
                    "",
                    a.get(key).unwrap_or(&Value::Null),
                    b.get(key).unwrap_or(&Value::Null),
                    out,
                ),
                _ if a.get(key) != b.get(key) => out.push(format!(
                    "{prefix} {key} changed: {} -> {}",
                    short(a.get(key)),
                    short(b.get(key))
                )),
                _ => {}
            }
        }
    }

    match (o.get("requestBody"), n.get("requestBody")) {
        (None, None) => {}
        (Some(_), None) => out.push(format!("{label}: request body removed")),
        (None, Some(b)) => out.push(format!("{label}: request body added ({})", media_list(b))),
        (Some(a), Some(b)) if a != b => {
            let req = |v: &Value| v.get("required").and_then(Value::as_bool).unwrap_or(false);
            if req(a) != req(b) {
                let now = if req(b) {
                    "now required"
                } else {
                    "no longer optional"
                };
                out.push(format!("{label}: request body {now}"));
            }
            diff_content(&format!("{label}: request body"), a, b, out);
        }
        _ => {}
    }

    let (or, nr) = (
        o.get("responses").map(obj).unwrap_or_default(),
        n.get("responses").map(obj).unwrap_or_default(),
    );
    for code in keys(&or, &nr) {
        match (or.get(code), nr.get(code)) {
            (Some(_), None) => out.push(format!("{label}: response {code} removed")),
            (None, Some(b)) => out.push(format!(
                "{label}: response {code} added ({})",
                media_list(b)
            )),
            (Some(a), Some(b)) if a != b => {
                diff_content(&format!("{label}: response {code}"), a, b, out)
            }
            _ => {}
        }
    }

    for key in keys(o, n) {
        if !matches!(
            key.as_str(),
            "operationId" | "parameters" | "requestBody" | "responses"
        ) && o.get(key) != n.get(key)
        {
            out.push(format!(
                "{label}: {key} changed: {} -> {}",
                short(o.get(key)),
                short(n.get(key))
            ));
        }
    }
}

fn media_list(v: &Value) -> String {
    let c = v.get("content").map(obj).unwrap_or_default();
    if c.is_empty() {
        "no content".into()
    } else {
        c.keys().cloned().collect::<Vec<_>>().join(", ")
    }
}

/// Request bodies and responses: media types, their schemas, other keys.
fn diff_content(prefix: &str, a: &Value, b: &Value, out: &mut Vec<String>) {
    let (ac, bc) = (
        a.get("content").map(obj).unwrap_or_default(),
        b.get("content").map(obj).unwrap_or_default(),
    );
    for media in keys(&ac, &bc) {
        match (ac.get(media), bc.get(media)) {
            (Some(_), None) => out.push(format!("{prefix}: media type {media} removed")),
            (None, Some(_)) => out.push(format!("{prefix}: media type {media} added")),
            (Some(x), Some(y)) if x != y => {
                let (x, y) = (obj(x), obj(y));
                for key in keys(&x, &y) {
                    match (key.as_str(), x.get(key), y.get(key)) {
                        (_, p, q) if p == q => {}
                        ("schema", Some(p), Some(q)) => {
                            diff_schema(&format!("{prefix} ({media}) "), "", p, q, out)
                        }
                        (_, p, q) => out.push(format!(
                            "{prefix} ({media}): {key} changed: {} -> {}",
                            short(p),
                            short(q)
                        )),
                    }
                }
            }
            _ => {}
        }
    }
    let (a, b) = (obj(a), obj(b));
    for key in keys(&a, &b) {
        if key != "content" && key != "required" && a.get(key) != b.get(key) {
            out.push(format!(
                "{prefix}: {key} changed: {} -> {}",
                short(a.get(key)),
                short(b.get(key))
            ));
        }
    }
}

/// A schema's type in a few words, for "added" lines.
fn type_name(s: &Value) -> String {
    if let Some(r) = s.get("$ref").and_then(Value::as_str) {
        return ref_name(r).to_string();
    }
    match s.get("type").and_then(Value::as_str) {
        Some("array") => format!(
            "array of {}",
            s.get("items")
                .map(type_name)
                .unwrap_or_else(|| "any".into())
        ),
        Some(t) => t.to_string(),
        None => "untyped".into(),
    }
}

fn ref_name(r: &str) -> &str {
    r.strip_prefix("#/components/schemas/").unwrap_or(r)
}

/// How a location inside a schema is named: `field "a.b"`, `at "[]"`.
fn render_loc(loc: &str) -> String {
    if loc.is_empty() {
        String::new()
    } else if loc.starts_with(['[', '{', '(']) {
        format!("at \"{loc}\" ")
    } else {
        format!("field \"{loc}\" ")
    }
}

/// Recursive schema diff. `ctx` is the line prefix (with its separator),
/// `loc` the path inside the schema: fields joined by `.`, `[]` for items,
/// `{*}` for additionalProperties, `(anyOf[i])` for members.
pub(crate) fn diff_schema(ctx: &str, loc: &str, old: &Value, new: &Value, out: &mut Vec<String>) {
    if old == new {
        return;
    }
    let at = render_loc(loc);
    let (Some(o), Some(n)) = (old.as_object(), new.as_object()) else {
        out.push(format!(
            "{ctx}{at}changed: {} -> {}",
            short(Some(old)),
            short(Some(new))
        ));
        return;
    };
    let child = |name: &str| {
        if loc.is_empty() {
            name.to_string()
        } else {
            format!("{loc}.{name}")
        }
    };

    for key in keys(o, n) {
        let (a, b) = (o.get(key), n.get(key));
        if a == b {
            continue;
        }
        match key.as_str() {
            "$ref" => {
                let name = |v: Option<&Value>| {
                    v.and_then(Value::as_str)
                        .map(|r| ref_name(r).to_string())
                        .unwrap_or("(none)".into())
                };
                out.push(format!("{ctx}{at}$ref changed {} -> {}", name(a), name(b)));
            }
            "type" => out.push(format!("{ctx}{at}type {} -> {}", plain(a), plain(b))),
            "nullable" => {
                let flag = |v: Option<&Value>| v.and_then(Value::as_bool).unwrap_or(false);
                if flag(a) != flag(b) {
                    out.push(format!(
                        "{ctx}{at}nullable changed {} -> {}",
                        flag(a),
                        flag(b)
                    ));
                }
            }
            "enum" => {
                let list =
                    |v: Option<&Value>| v.and_then(Value::as_array).cloned().unwrap_or_default();
                let (la, lb) = (list(a), list(b));
                // A named enum component reads `enum X: value "A" added`.
                let what = if loc.is_empty() && ctx.starts_with("enum ") {
                    "value"
                } else {
                    "enum value"
                };
                let mut any = false;
                for v in la.iter().filter(|v| !lb.contains(v)) {
                    out.push(format!("{ctx}{at}{what} {v} removed"));
                    any = true;
                }
                for v in lb.iter().filter(|v| !la.contains(v)) {
                    out.push(format!("{ctx}{at}{what} {v} added"));
                    any = true;
                }
                if !any {
                    out.push(format!(
                        "{ctx}{at}enum order changed: {} -> {}",
                        short(a),
                        short(b)
                    ));
                }
            }
            "properties" => {
                let (pa, pb) = (
                    a.map(obj).unwrap_or_default(),
                    b.map(obj).unwrap_or_default(),
                );
                for name in keys(&pa, &pb) {
                    let c = child(name);
                    match (pa.get(name), pb.get(name)) {
                        (Some(_), None) => out.push(format!("{ctx}{}removed", render_loc(&c))),
                        (None, Some(s)) => {
                            out.push(format!("{ctx}{}added ({})", render_loc(&c), type_name(s)))
                        }
                        (Some(x), Some(y)) => diff_schema(ctx, &c, x, y, out),
                        (None, None) => {}
                    }
                }
            }
            "required" => {
                let (ra, rb) = (strings(a), strings(b));
                for name in rb.difference(&ra) {
                    out.push(format!("{ctx}{}now required", render_loc(&child(name))));
                }
                for name in ra.difference(&rb) {
                    out.push(format!(
                        "{ctx}{}no longer required",
                        render_loc(&child(name))
                    ));
                }
                if ra == rb {
                    out.push(format!(
                        "{ctx}{at}required order changed: {} -> {}",
                        short(a),
                        short(b)
                    ));
                }
            }
            "items" | "additionalProperties" | "not"
                if a.is_some_and(Value::is_object) && b.is_some_and(Value::is_object) =>
            {
                let sub = match key.as_str() {
                    "items" => format!("{loc}[]"),
                    "additionalProperties" => format!("{loc}{{*}}"),
                    _ => format!("{loc}(not)"),
                };
                diff_schema(
                    ctx,
                    &sub,
                    a.unwrap_or(&Value::Null),
                    b.unwrap_or(&Value::Null),
                    out,
                );
            }
            "allOf" | "anyOf" | "oneOf"
                if a.and_then(Value::as_array)
                    .map(Vec::len)
                    .is_some_and(|l| Some(l) == b.and_then(Value::as_array).map(Vec::len)) =>
            {
                let (xa, xb) = (a.and_then(Value::as_array), b.and_then(Value::as_array));
                for (i, (x, y)) in xa
                    .into_iter()
                    .flatten()
                    .zip(xb.into_iter().flatten())
                    .enumerate()
                {
                    diff_schema(ctx, &format!("{loc}({key}[{i}])"), x, y, out);
                }
            }
            _ => out.push(format!(
                "{ctx}{at}keyword \"{key}\" changed {} -> {}",
                short(a),
                short(b)
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn lines(ctx: &str, a: Value, b: Value) -> Vec<String> {
        let mut out = Vec::new();
        diff_schema(ctx, "", &a, &b, &mut out);
        out
    }

    #[test]
    fn schema_changes_are_named() {
        let out = lines(
            "schema GetJobResponse: ",
            json!({"type": "object", "required": ["a"], "properties": {
                "a": {"type": "string"}, "x": {"type": "string"}, "y": {"type": "string"},
                "n": {"type": "object", "properties": {"deep": {"type": "integer"}}},
                "r": {"allOf": [{"$ref": "#/components/schemas/A"}], "nullable": true},
                "m": {"type": "string", "maxLength": 5}}}),
            json!({"type": "object", "required": ["a", "y"], "properties": {
                "a": {"type": "string"}, "x": {"type": "integer"}, "y": {"type": "string"},
                "job": {"$ref": "#/components/schemas/Job"},
                "n": {"type": "object", "properties": {"deep": {"type": "integer", "nullable": true}}},
                "r": {"allOf": [{"$ref": "#/components/schemas/B"}], "nullable": true},
                "m": {"type": "string", "maxLength": 6}}}),
        );
        let expected = [
            "schema GetJobResponse: field \"job\" added (Job)",
            "schema GetJobResponse: field \"m\" keyword \"maxLength\" changed 5 -> 6",
            "schema GetJobResponse: field \"n.deep\" nullable changed false -> true",
            "schema GetJobResponse: field \"r(allOf[0])\" $ref changed A -> B",
            "schema GetJobResponse: field \"x\" type string -> integer",
            "schema GetJobResponse: field \"y\" now required",
        ];
        assert_eq!(out, expected);
    }

    #[test]
    fn enum_values_are_named() {
        let out = lines(
            "enum JobStatus: ",
            json!({"type": "string", "enum": ["A", "B"]}),
            json!({"type": "string", "enum": ["A", "NEW"]}),
        );
        assert_eq!(
            out,
            [
                "enum JobStatus: value \"B\" removed",
                "enum JobStatus: value \"NEW\" added"
            ]
        );
    }

    #[test]
    fn open_enum_values_are_named_as_the_enum() {
        let doc = |values: Value| {
            json!({"components": {"schemas": {
                "JobStatus": open_enums::wrapper("JobStatus"),
                "JobStatusKnown": {"type": "string", "enum": values}
            }}})
        };
        let mut out = Vec::new();
        diff_spec(
            &doc(json!(["A", "B"])),
            &doc(json!(["A", "B", "NEW"])),
            &mut out,
        );
        assert_eq!(out, ["enum JobStatus: value \"NEW\" added"]);
    }

    #[test]
    fn a_parameter_gaining_a_schema_does_not_panic() {
        let op =
            |p: Value| json!({"paths": {"/x": {"get": {"operationId": "x", "parameters": [p]}}}});
        let mut out = Vec::new();
        diff_spec(
            &op(json!({"in": "query", "name": "q", "content": {}})),
            &op(json!({"in": "query", "name": "q", "schema": {"type": "string"}})),
            &mut out,
        );
        assert_eq!(
            out,
            [
                "operation GET /x (x): parameter query \"q\" content changed: {} -> (none)",
                "operation GET /x (x): parameter query \"q\" changed: null -> {\"type\":\"string\"}",
            ]
        );
    }

    #[test]
    fn a_change_of_prose_alone_is_a_record_difference_not_a_document_one() {
        let document = |description: &str| {
            json!({"openapi": "3.0.2", "info": {"title": "t", "version": "1", "description": description},
                "paths": {"/ping": {"get": {"operationId": "ping", "summary": description,
                    "description": description,
                    "responses": {"200": {"description": "Successful Response"}}}}}})
            .to_string()
        };
        let before = crate::derive("job", "job.json", document("old words").as_bytes(), None)
            .expect("derives");
        let after = crate::derive("job", "job.json", document("new words").as_bytes(), None)
            .expect("derives");
        let committed = Vendored {
            spec_label: "specs/job.json",
            spec: Committed::Bytes(before.spec_text.as_bytes()),
            meta_label: "specs/job.meta.json",
            meta: Committed::Bytes(before.meta_text.as_bytes()),
        };

        let parts = compare_parts(&after, &committed);

        assert_eq!(parts.document, Vec::<String>::new());
        assert_eq!(parts.record.len(), 1, "{:?}", parts.record);
        assert!(parts.record[0].starts_with("upstream sha256 changed: "));
        assert_eq!(compare(&after, &committed), parts.record);
    }

    #[test]
    fn meta_changes_are_named() {
        let mut out = Vec::new();
        diff_meta(
            &json!({"upstream_sha256": "aa", "rules": {"strip_prose": 3}, "overlays": {"responses": ["GET /"], "schemas": []}}),
            &json!({"upstream_sha256": "bb", "rules": {"strip_prose": 4}, "overlays": {"responses": [], "schemas": []}}),
            &mut out,
        );
        assert_eq!(
            out,
            [
                "overlay response \"GET /\" no longer applied",
                "rule strip_prose: 3 -> 4",
                "upstream sha256 changed: aa -> bb"
            ]
        );
    }
}
