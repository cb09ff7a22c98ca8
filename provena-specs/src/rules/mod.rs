//! The normalisation rules, applied in the order of [`RULES`].
//!
//! Each rule is a function over the whole document that returns how many
//! places it changed; the counts are printed and recorded in the meta file so
//! a change in upstream shows up as a change in a count.

use serde_json::Value;

use crate::Result;

pub mod file_media_types;
pub mod handwritten_multipart;
pub mod nullable_any_of;
pub mod open_enums;
pub mod open_objects;
pub mod optional_is_nullable;
pub mod strip_prose;
pub mod tuple_items;

/// What a rule needs to know besides the document.
#[derive(Debug, Clone, Copy)]
pub struct RuleCtx<'a> {
    /// The service's spec name (`registry`, `id-service`, ...).
    pub service: &'a str,
}

/// An operation that build.rs must skip because the facade implements it by hand.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Handwritten {
    pub method: String,
    pub path: String,
    pub operation_id: String,
    pub reason: String,
}

/// What a rule did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct RuleOutput {
    /// Places changed.
    pub count: usize,
    /// Operations marked as hand-written (only `handwritten_multipart`).
    pub handwritten: Vec<Handwritten>,
    /// Things worth a maintainer's look that don't stop the sync.
    pub warnings: Vec<String>,
}

impl RuleOutput {
    pub fn count(count: usize) -> Self {
        RuleOutput {
            count,
            ..Default::default()
        }
    }
}

/// Runs `rewrite` on every schema of `doc`; how many it changed.
pub(crate) fn rewrite_each_schema(
    doc: &mut Value,
    rewrite: fn(&mut crate::walk::Obj) -> bool,
) -> RuleOutput {
    let mut count = 0;
    crate::walk::walk_document(doc, &mut |kind, obj| {
        if kind == crate::walk::Kind::Schema && rewrite(obj) {
            count += 1;
        }
    });
    RuleOutput::count(count)
}

/// A named normalisation step.
pub struct Rule {
    pub name: &'static str,
    pub apply: fn(&mut Value, &RuleCtx<'_>) -> Result<RuleOutput>,
}

/// The rules in application order: prose goes first so later rules (and the
/// overlay comparison) see bare schemas, e.g. `{"type": "null"}` rather than
/// `{"title": "None", "type": "null"}`.
pub const RULES: [Rule; 5] = [
    Rule {
        name: "strip_prose",
        apply: strip_prose::apply,
    },
    Rule {
        name: "nullable_any_of",
        apply: nullable_any_of::apply,
    },
    Rule {
        name: "tuple_items",
        apply: tuple_items::apply,
    },
    Rule {
        name: "handwritten_multipart",
        apply: handwritten_multipart::apply,
    },
    Rule {
        name: "file_media_types",
        apply: file_media_types::apply,
    },
];

/// The rules applied after the overlays, so that overlay schemas are
/// normalised too.
pub const POST_OVERLAY_RULES: [Rule; 3] = [
    Rule {
        name: "optional_is_nullable",
        apply: optional_is_nullable::apply,
    },
    Rule {
        name: "open_objects",
        apply: open_objects::apply,
    },
    Rule {
        name: "open_enums",
        apply: open_enums::apply,
    },
];
