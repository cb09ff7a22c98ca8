//! `handwritten_multipart`: progenitor cannot generate `multipart/form-data`
//! bodies. The operation stays in the spec (so drift in it is still seen) but
//! is marked; build.rs skips marked operations and the facade implements them.

use serde_json::Value;

use super::{Handwritten, RuleCtx, RuleOutput};
use crate::Result;
use crate::walk::operations_mut;

/// The extension build.rs looks for.
pub const MARK: &str = "x-provena-handwritten";
const REASON: &str = "multipart";

pub fn apply(doc: &mut Value, _ctx: &RuleCtx<'_>) -> Result<RuleOutput> {
    let mut out = RuleOutput::default();
    for (method, path, op) in operations_mut(doc) {
        let multipart = op
            .get("requestBody")
            .and_then(|b| b.get("content"))
            .and_then(Value::as_object)
            .is_some_and(|c| c.contains_key("multipart/form-data"));
        if !multipart {
            continue;
        }
        let mark = Value::String(REASON.into());
        if op.get(MARK) != Some(&mark) {
            op.insert(MARK.into(), mark);
            out.count += 1;
        }
        out.handwritten.push(Handwritten {
            method,
            path,
            operation_id: op
                .get("operationId")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
            reason: REASON.into(),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn marks_multipart_operations_only() {
        let mut doc = json!({"paths": {
            "/upload": {"post": {"operationId": "up", "requestBody": {"content": {"multipart/form-data": {"schema": {}}}}}},
            "/json": {"post": {"operationId": "js", "requestBody": {"content": {"application/json": {"schema": {}}}}}}
        }});
        let out = apply(&mut doc, &RuleCtx { service: "prov" }).unwrap();
        assert_eq!(out.count, 1);
        assert_eq!(doc["paths"]["/upload"]["post"][MARK], json!("multipart"));
        assert!(doc["paths"]["/json"]["post"].get(MARK).is_none());
        assert_eq!(
            out.handwritten,
            vec![Handwritten {
                method: "POST".into(),
                path: "/upload".into(),
                operation_id: "up".into(),
                reason: "multipart".into()
            }]
        );
        // Already marked: still recorded, nothing changed.
        let again = apply(&mut doc, &RuleCtx { service: "prov" }).unwrap();
        assert_eq!(again.count, 0);
        assert_eq!(again.handwritten.len(), 1);
    }
}
