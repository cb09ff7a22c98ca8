//! `file_media_types`: some routes return files but FastAPI declares them as
//! `application/json` with an empty schema; a generated client would then try
//! to parse a `.env` or CSV file as JSON. The table says what they really are.

use serde_json::{Value, json};

use super::{RuleCtx, RuleOutput};
use crate::walk::operation_mut;
use crate::{Error, Result};

/// One route that returns a file.
#[derive(Debug, Clone, Copy)]
pub struct FileRoute {
    pub method: &'static str,
    pub path: &'static str,
    /// `None`: the route exists in every service.
    pub service: Option<&'static str>,
    pub media_type: &'static str,
}

pub const TABLE: [FileRoute; 3] = [
    FileRoute {
        method: "GET",
        path: "/admin/config",
        service: None,
        media_type: "text/plain",
    },
    FileRoute {
        method: "GET",
        path: "/bulk/generate_template/csv",
        service: Some("prov"),
        media_type: "text/csv",
    },
    FileRoute {
        method: "GET",
        path: "/bulk/regenerate_from_batch/csv",
        service: Some("prov"),
        media_type: "text/csv",
    },
];

pub fn apply(doc: &mut Value, ctx: &RuleCtx<'_>) -> Result<RuleOutput> {
    apply_table(doc, ctx, &TABLE)
}

pub fn apply_table(doc: &mut Value, ctx: &RuleCtx<'_>, table: &[FileRoute]) -> Result<RuleOutput> {
    let mut out = RuleOutput::default();
    for route in table
        .iter()
        .filter(|r| r.service.is_none_or(|s| s == ctx.service))
    {
        let FileRoute {
            method,
            path,
            media_type,
            ..
        } = *route;
        let Some(op) = operation_mut(doc, method, path) else {
            out.warnings.push(format!(
                "file_media_types: {method} {path} not found upstream"
            ));
            continue;
        };
        let Some(ok) = op
            .get_mut("responses")
            .and_then(|r| r.get_mut("200"))
            .and_then(Value::as_object_mut)
        else {
            return Err(Error::Rule {
                service: ctx.service.to_owned(),
                rule: "file_media_types",
                message: format!("{method} {path} has no 200 response"),
            });
        };
        let content = ok.get("content").and_then(Value::as_object);
        // Upstream already says what the file is: keep its wording.
        if content.is_some_and(|c| c.contains_key(media_type)) {
            continue;
        }
        let empty_json = content.is_none_or(|c| {
            c.len() == 1
                && c.get("application/json")
                    .is_some_and(|m| m.get("schema").is_none_or(|s| s == &json!({})))
        });
        if !empty_json {
            let declared: Vec<&str> = content
                .map(|c| c.keys().map(String::as_str).collect())
                .unwrap_or_default();
            return Err(Error::Rule {
                service: ctx.service.to_owned(),
                rule: "file_media_types",
                message: format!(
                    "{method} {path} now declares {} with a schema; expected an empty application/json \
                     or {media_type}; update the table in provena-specs/src/rules/file_media_types.rs",
                    declared.join(", ")
                ),
            });
        }
        ok.insert(
            "content".into(),
            json!({ media_type: {"schema": {"type": "string", "format": "binary"}} }),
        );
        out.count += 1;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(content: Value) -> Value {
        json!({"paths": {"/admin/config": {"get": {"responses": {"200": {"description": "ok", "content": content}}}}}})
    }

    #[test]
    fn empty_json_becomes_binary_of_the_right_type() {
        let mut d = doc(json!({"application/json": {"schema": {}}}));
        let out = apply(&mut d, &RuleCtx { service: "auth" }).unwrap();
        assert_eq!(out.count, 1);
        assert!(out.warnings.is_empty());
        assert_eq!(
            d["paths"]["/admin/config"]["get"]["responses"]["200"]["content"],
            json!({"text/plain": {"schema": {"type": "string", "format": "binary"}}})
        );
    }

    #[test]
    fn upstream_already_right_counts_zero() {
        let mut d = doc(json!({"text/plain": {"schema": {"type": "string"}}}));
        let before = d.clone();
        let out = apply(&mut d, &RuleCtx { service: "auth" }).unwrap();
        assert_eq!(out.count, 0);
        assert_eq!(d, before);
    }

    #[test]
    fn missing_route_is_reported_and_prov_routes_only_apply_to_prov() {
        let mut d = doc(json!({"application/json": {"schema": {}}}));
        let out = apply(&mut d, &RuleCtx { service: "prov" }).unwrap();
        assert_eq!(out.count, 1);
        assert_eq!(
            out.warnings,
            vec![
                "file_media_types: GET /bulk/generate_template/csv not found upstream".to_string(),
                "file_media_types: GET /bulk/regenerate_from_batch/csv not found upstream"
                    .to_string(),
            ]
        );
    }

    #[test]
    fn typed_json_response_is_an_error() {
        let mut d = doc(json!({"application/json": {"schema": {"type": "object"}}}));
        let err = apply(&mut d, &RuleCtx { service: "job" }).unwrap_err();
        assert!(err.to_string().contains("GET /admin/config"), "{err}");
    }
}
