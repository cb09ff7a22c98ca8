//! `strip_prose`: drop upstream prose so that wording changes upstream don't
//! churn the vendored specs or the generated docs.

use serde_json::Value;

use super::{RuleCtx, RuleOutput};
use crate::Result;
use crate::walk::{Kind, walk_document};

pub fn apply(doc: &mut Value, ctx: &RuleCtx<'_>) -> Result<RuleOutput> {
    let mut count = 0;
    walk_document(doc, &mut |kind, obj| {
        // Response objects keep `description`: OpenAPI 3.0 requires it and
        // the openapiv3 reader rejects a response without one.
        let keys: &[&str] = match kind {
            Kind::Schema => &["title", "description"],
            Kind::Response => &[],
            Kind::Other => &["description", "summary"],
        };
        for key in keys {
            if obj.remove(*key).is_some() {
                count += 1;
            }
        }
    });
    // Our own title instead of FastAPI's generic one; the version stays.
    let title = Value::String(format!("Provena {} API", ctx.service));
    if let Some(root) = doc.as_object_mut() {
        let info = root
            .entry("info")
            .or_insert_with(|| Value::Object(Default::default()));
        if let Some(info) = info.as_object_mut()
            && info.get("title") != Some(&title)
        {
            info.insert("title".into(), title);
            count += 1;
        }
    }
    Ok(RuleOutput::count(count))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn run(mut doc: Value) -> (Value, usize) {
        let out = apply(&mut doc, &RuleCtx { service: "job" }).unwrap();
        (doc, out.count)
    }

    #[test]
    fn strips_prose_but_keeps_fields_named_like_keywords() {
        let (doc, count) = run(json!({
            "openapi": "3.0.2",
            "info": {"title": "FastAPI", "version": "0.1.0", "description": "x"},
            "paths": {"/description": {"get": {
                "summary": "S", "description": "D", "operationId": "op",
                "parameters": [{"name": "title", "in": "query", "description": "p",
                                "schema": {"title": "Title", "type": "string"}}],
                "responses": {"200": {"description": "Successful Response", "content": {
                    "application/json": {"schema": {"title": "R", "default": {"description": "data"}}}}}}
            }}},
            "components": {"schemas": {"description": {
                "title": "Thing", "description": "prose",
                "properties": {
                    "description": {"title": "Description", "type": "string"},
                    "title": {"title": "Title", "description": "the title", "type": "string"}
                },
                "required": ["description", "title"]
            }}}
        }));
        assert_eq!(
            doc,
            json!({
                "openapi": "3.0.2",
                "info": {"title": "Provena job API", "version": "0.1.0"},
                "paths": {"/description": {"get": {
                    "operationId": "op",
                    "parameters": [{"name": "title", "in": "query", "schema": {"type": "string"}}],
                    "responses": {"200": {"description": "Successful Response", "content": {
                        "application/json": {"schema": {"default": {"description": "data"}}}}}}
                }}},
                "components": {"schemas": {"description": {
                    "properties": {
                        "description": {"type": "string"},
                        "title": {"type": "string"}
                    },
                    "required": ["description", "title"]
                }}}
            })
        );
        // info.description, summary, description, parameter description,
        // 2 schema titles in paths, 2 on the component, 3 in its fields, info.title.
        assert_eq!(count, 1 + 2 + 1 + 2 + 2 + 3 + 1);
    }

    #[test]
    fn second_run_changes_nothing() {
        let (doc, _) = run(
            json!({"openapi": "3.0.2", "info": {"title": "FastAPI", "version": "1"}, "paths": {}}),
        );
        let (again, count) = run(doc.clone());
        assert_eq!(count, 0);
        assert_eq!(again, doc);
    }
}
