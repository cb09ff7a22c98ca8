//! The shared model types: one typify type space over the component schemas
//! of every enabled service, written to `models.rs` and included by
//! `src/models/mod.rs`. Each service's progenitor run then refers to these
//! types instead of generating its own (see [`Models::replace_in`]).
//!
//! Two things are not left to typify:
//!
//! * **open enums.** The sync tool writes an enum `X` as `anyOf: [Known,
//!   Unknown string]`. typify would make that two levels
//!   (`X::Known(XKnown::A)`); instead each becomes one `open_enum!`
//!   invocation (the macro is in `src/models/macros.rs`), whose variants are
//!   the known values plus `Unknown(String)`.
//! * **secrets.** A struct (or its builder) with a field named in
//!   `SECRET_FIELDS` loses its derived `Debug` and gets a `redacted_debug!`
//!   invocation instead.
//!
//! What this file writes beside the typify output is data for those macros,
//! never code text.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use heck::ToPascalCase;
use serde_json::{Value, json};

const SCHEMAS: &str = "#/components/schemas/";

/// One enabled service's document, as the service generation will read it.
pub struct ServiceDoc<'a> {
    pub name: &'a str,
    pub path: &'a Path,
    pub document: &'a Value,
}

/// An open enum: its schema name and its known values.
struct OpenEnum {
    name: String,
    /// The `{name}Known` schema it refers to, dropped from every document.
    known_schema: Option<String>,
    values: Vec<String>,
}

/// What the service generation needs to know about the shared types.
pub struct Models {
    /// Schema name -> (Rust name in `crate::models`, impls typify may rely on).
    types: BTreeMap<String, (String, Vec<progenitor_impl::TypeImpl>)>,
    /// Schemas no document needs any more (the `Known` halves of open enums).
    dropped: BTreeSet<String>,
}

impl Models {
    /// Points every component schema of `document` at its shared type.
    /// (typify looks replacements up by the Rust name it would give.)
    pub fn replace_in(&self, settings: &mut progenitor_impl::GenerationSettings, document: &Value) {
        for name in component_names(document) {
            if let Some((rust, impls)) = self.types.get(name) {
                settings.with_replacement(
                    rust,
                    format!("crate::models::{rust}"),
                    impls.iter().copied(),
                );
            }
        }
    }

    /// Removes the schemas that only the open enums' two-level form used.
    pub fn drop_unused(&self, document: &mut Value) {
        if let Some(schemas) = document
            .pointer_mut("/components/schemas")
            .and_then(Value::as_object_mut)
        {
            schemas.retain(|name, _| !self.dropped.contains(name));
        }
    }
}

fn component_names(document: &Value) -> impl Iterator<Item = &str> {
    document
        .pointer("/components/schemas")
        .and_then(Value::as_object)
        .into_iter()
        .flat_map(|schemas| schemas.keys().map(String::as_str))
}

/// Builds `models.rs` in `out_dir` from `docs`; fails when two documents give
/// one schema name different content.
pub fn generate(docs: &[ServiceDoc<'_>], out_dir: &Path) -> Result<Models, String> {
    let mut merged: BTreeMap<String, Value> = BTreeMap::new();
    let mut first_seen: BTreeMap<String, &str> = BTreeMap::new();
    let mut conflicts = Vec::new();
    for doc in docs {
        let schemas = doc
            .document
            .pointer("/components/schemas")
            .and_then(Value::as_object);
        for (name, schema) in schemas.into_iter().flatten() {
            match merged.get(name) {
                None => {
                    merged.insert(name.clone(), schema.clone());
                    first_seen.insert(name.clone(), doc.name);
                }
                Some(earlier) if earlier != schema => conflicts.push(format!(
                    "{name} ({} and {}, {})",
                    first_seen[name],
                    doc.name,
                    doc.path.display()
                )),
                Some(_) => {}
            }
        }
    }
    if !conflicts.is_empty() {
        return Err(format!(
            "one schema name with different content in two documents: {}. \
             Every name becomes one type in provena_client::models; run \
             `cargo xtask specs sync` (it opens shared names alike and refuses \
             real conflicts) or give one an overlay",
            conflicts.join("; ")
        ));
    }

    let open_enums = open_enums(&merged)?;
    let mut dropped = BTreeSet::new();
    for open in &open_enums {
        if let Some(known) = &open.known_schema
            && references(docs, known) == references_from(docs, &open.name, known)
        {
            dropped.insert(known.clone());
        }
    }
    merged.retain(|name, _| !dropped.contains(name));

    let mut settings = progenitor_impl::GenerationSettings::new();
    settings
        .with_interface(progenitor_impl::InterfaceStyle::Builder)
        .with_derive("PartialEq");
    for open in &open_enums {
        let rust = rust_name(&open.name);
        settings.with_replacement(&rust, format!("crate::models::{rust}"), open_enum_impls());
    }
    let document = json!({
        "openapi": "3.0.3",
        "info": {"title": "Provena models", "version": "0"},
        "paths": {},
        "components": {"schemas": merged},
    });
    let spec: openapiv3::OpenAPI = serde_json::from_value(document)
        .map_err(|e| format!("the merged component schemas are not OpenAPI 3.0: {e}"))?;
    let mut generator = progenitor_impl::Generator::new(&settings);
    let tokens = generator
        .generate_tokens(&spec)
        .map_err(|e| format!("typify failed on the merged component schemas: {e}"))?;
    let file: syn::File =
        syn::parse2(tokens).map_err(|e| format!("generated model code does not parse: {e}"))?;
    let mut items = types_module(file)?;
    let redactions = redact(&mut items)?;
    default_extra_in_builders(&mut items)?;

    let mut types = BTreeMap::new();
    let generated: BTreeMap<String, Vec<progenitor_impl::TypeImpl>> = generator
        .get_type_space()
        .iter_types()
        .map(|ty| {
            use progenitor_impl::TypeImpl;
            let impls = [TypeImpl::Default, TypeImpl::Display, TypeImpl::FromStr]
                .into_iter()
                .filter(|i| ty.has_impl(*i))
                .collect();
            (ty.name(), impls)
        })
        .collect();
    for name in merged.keys() {
        let rust = rust_name(name);
        if open_enums.iter().any(|o| &o.name == name) {
            types.insert(name.clone(), (rust, open_enum_impls().collect()));
        } else if let Some(impls) = generated.get(&rust) {
            types.insert(name.clone(), (rust, impls.clone()));
        } else {
            return Err(format!(
                "schema {name}: expected typify to name its type {rust}, found no such type"
            ));
        }
    }

    let mut models_file: syn::File =
        syn::parse_str("").map_err(|e| format!("an empty file does not parse: {e}"))?;
    models_file.items = items;
    let mut code = prettyplease::unparse(&models_file);
    code.push_str("\n// Open enums: the known values of each, then `Unknown(String)`.\n");
    for open in &open_enums {
        code.push_str(&open_enum_invocation(open)?);
    }
    code.push_str(&secret_table(&redactions));
    super::write(out_dir, "models.rs", &code)?;
    Ok(Models { types, dropped })
}

fn open_enum_impls() -> impl Iterator<Item = progenitor_impl::TypeImpl> {
    [
        progenitor_impl::TypeImpl::Display,
        progenitor_impl::TypeImpl::FromStr,
    ]
    .into_iter()
}

/// typify's name for a component schema: PascalCase of the name, with
/// characters that cannot be in an identifier as word breaks.
fn rust_name(schema: &str) -> String {
    schema
        .replace(|c: char| !(c.is_alphanumeric() || c == '_'), "-")
        .to_pascal_case()
}

/// How many times the documents refer to schema `target`.
fn references(docs: &[ServiceDoc<'_>], target: &str) -> usize {
    let needle = Value::String(format!("{SCHEMAS}{target}"));
    docs.iter().map(|d| count_refs(d.document, &needle)).sum()
}

/// How many of those references are inside schema `owner`.
fn references_from(docs: &[ServiceDoc<'_>], owner: &str, target: &str) -> usize {
    let needle = Value::String(format!("{SCHEMAS}{target}"));
    docs.iter()
        .filter_map(|d| d.document.pointer(&format!("/components/schemas/{owner}")))
        .map(|schema| count_refs(schema, &needle))
        .sum()
}

fn count_refs(node: &Value, needle: &Value) -> usize {
    match node {
        Value::Object(map) => {
            usize::from(map.get("$ref") == Some(needle))
                + map.values().map(|v| count_refs(v, needle)).sum::<usize>()
        }
        Value::Array(items) => items.iter().map(|v| count_refs(v, needle)).sum(),
        _ => 0,
    }
}

/// The schemas written by the sync tool as `anyOf: [{title: Known, ..},
/// {title: Unknown, type: string}]`, with the values of the known half.
fn open_enums(schemas: &BTreeMap<String, Value>) -> Result<Vec<OpenEnum>, String> {
    let mut found = Vec::new();
    for (name, schema) in schemas {
        let Some([known, unknown]) = schema
            .get("anyOf")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
        else {
            continue;
        };
        if known.get("title") != Some(&json!("Known"))
            || unknown.get("title") != Some(&json!("Unknown"))
        {
            continue;
        }
        // The known half is a `$ref` (bare or in a one-member allOf) or an
        // inline enum.
        let reference = known
            .pointer("/allOf/0/$ref")
            .or_else(|| known.get("$ref"))
            .and_then(Value::as_str);
        let (known_schema, definition) = match reference {
            Some(reference) => {
                let target = reference.strip_prefix(SCHEMAS).ok_or_else(|| {
                    format!("open enum {name}: unsupported reference {reference}")
                })?;
                let definition = schemas
                    .get(target)
                    .ok_or_else(|| format!("open enum {name}: {target} is not defined"))?;
                (Some(target.to_string()), definition)
            }
            None => (None, known),
        };
        let values = definition
            .get("enum")
            .and_then(Value::as_array)
            .ok_or_else(|| format!("open enum {name}: its known half lists no values"))?
            .iter()
            .map(|v| {
                v.as_str()
                    .map(str::to_string)
                    .ok_or_else(|| format!("open enum {name}: value {v} is not a string"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        found.push(OpenEnum {
            name: name.clone(),
            known_schema,
            values,
        });
    }
    Ok(found)
}

/// `open_enum! { Name { Variant = "VALUE", ... } }`, with variant names that
/// are distinct Rust identifiers and leave `Unknown` to the macro.
fn open_enum_invocation(open: &OpenEnum) -> Result<String, String> {
    let mut seen = BTreeSet::new();
    let mut variants = String::new();
    for value in &open.values {
        let mut variant = value
            .replace(|c: char| !(c.is_alphanumeric() || c == '_'), "-")
            .to_pascal_case();
        if !variant.starts_with(|c: char| c.is_alphabetic()) {
            variant.insert(0, 'V');
        }
        if variant == "Unknown" || !seen.insert(variant.clone()) {
            return Err(format!(
                "open enum {}: value {value:?} gives the variant name {variant}, \
                 which is taken",
                open.name
            ));
        }
        variants.push_str(&format!("    {variant} = {value:?},\n"));
    }
    Ok(format!(
        "open_enum! {{\n  {} {{\n{variants}  }}\n}}\n",
        rust_name(&open.name)
    ))
}

/// typify's builders treat the `extra` map (fields the documents do not list)
/// as a required field, so every builder of an open model would need
/// `.extra(Map::new())`. It starts empty instead.
fn default_extra_in_builders(items: &mut [syn::Item]) -> Result<(), String> {
    let empty: syn::Expr = syn::parse_str("Ok(Default::default())")
        .map_err(|e| format!("builder default does not parse: {e}"))?;
    for item in items {
        let syn::Item::Mod(module) = item else {
            continue;
        };
        if module.ident != "builder" {
            continue;
        }
        for inner in module
            .content
            .iter_mut()
            .flat_map(|(_, items)| items.iter_mut())
        {
            let syn::Item::Impl(block) = inner else {
                continue;
            };
            let is_default = block
                .trait_
                .as_ref()
                .and_then(|(path, _)| path.segments.last())
                .is_some_and(|s| s.ident == "Default");
            if !is_default {
                continue;
            }
            for member in &mut block.items {
                let syn::ImplItem::Fn(function) = member else {
                    continue;
                };
                for statement in &mut function.block.stmts {
                    let syn::Stmt::Expr(syn::Expr::Struct(init), _) = statement else {
                        continue;
                    };
                    for field in &mut init.fields {
                        if matches!(&field.member, syn::Member::Named(name) if name == "extra") {
                            field.expr = empty.clone();
                        }
                    }
                }
            }
        }
    }
    Ok(())
}

/// The items of the generated `pub mod types { .. }`.
fn types_module(file: syn::File) -> Result<Vec<syn::Item>, String> {
    file.items
        .into_iter()
        .find_map(|item| match item {
            syn::Item::Mod(module) if module.ident == "types" => {
                module.content.map(|(_, items)| items)
            }
            _ => None,
        })
        .ok_or_else(|| "the generated model code has no types module".to_string())
}

/// A struct whose `Debug` hides its secret fields.
struct Redaction {
    /// `User` or `builder::User`.
    path: String,
    /// `User`.
    name: String,
    plain: Vec<String>,
    secret: Vec<String>,
}

impl Redaction {
    fn invocation(&self) -> String {
        format!(
            "redacted_debug! {{ {} as {:?} {{ {} }} secret {{ {} }} }}",
            self.name,
            self.name,
            self.plain.join(", "),
            self.secret.join(", ")
        )
    }
}

/// Takes `Debug` off every struct with a secret field, at the top level and
/// in the `builder` module (whose fields only code inside it can read), puts
/// a `redacted_debug!` invocation beside each, and returns them all.
fn redact(items: &mut Vec<syn::Item>) -> Result<Vec<Redaction>, String> {
    let mut redactions = Vec::new();
    redact_in(items, "", &mut redactions)?;
    Ok(redactions)
}

fn redact_in(
    items: &mut Vec<syn::Item>,
    prefix: &str,
    redactions: &mut Vec<Redaction>,
) -> Result<(), String> {
    let mut invocations = Vec::new();
    for item in items.iter_mut() {
        match item {
            syn::Item::Struct(definition) => {
                let syn::Fields::Named(fields) = &definition.fields else {
                    continue;
                };
                let names: Vec<String> = fields
                    .named
                    .iter()
                    .filter_map(|f| f.ident.as_ref().map(ToString::to_string))
                    .collect();
                let (secret, plain): (Vec<String>, Vec<String>) = names
                    .into_iter()
                    .partition(|n| super::SECRET_FIELDS.contains(&n.as_str()));
                if secret.is_empty() {
                    continue;
                }
                remove_debug_derive(&mut definition.attrs);
                let redaction = Redaction {
                    path: format!("{prefix}{}", definition.ident),
                    name: definition.ident.to_string(),
                    plain,
                    secret,
                };
                invocations.push(
                    syn::parse_str::<syn::Item>(&redaction.invocation())
                        .map_err(|e| format!("redacted_debug! for {}: {e}", redaction.path))?,
                );
                redactions.push(redaction);
            }
            syn::Item::Mod(module) if module.ident == "builder" => {
                if let Some((_, inner)) = module.content.as_mut() {
                    redact_in(inner, "builder::", redactions)?;
                }
            }
            _ => {}
        }
    }
    items.extend(invocations);
    Ok(())
}

fn remove_debug_derive(attrs: &mut [syn::Attribute]) {
    use quote::ToTokens;
    for attr in attrs.iter_mut() {
        if !attr.path().is_ident("derive") {
            continue;
        }
        let Ok(paths) = attr.parse_args_with(
            syn::punctuated::Punctuated::<syn::Path, syn::Token![,]>::parse_terminated,
        ) else {
            continue;
        };
        let kept: Vec<String> = paths
            .iter()
            .filter(|p| p.segments.last().is_none_or(|s| s.ident != "Debug"))
            .map(|p| p.to_token_stream().to_string())
            .collect();
        if let Ok(replacement) =
            syn::parse_str::<syn::DeriveInput>(&format!("#[derive({})] struct X;", kept.join(", ")))
            && let Some(new_attr) = replacement.attrs.into_iter().next()
        {
            *attr = new_attr;
        }
    }
}

fn secret_table(redactions: &[Redaction]) -> String {
    let rows: String = redactions
        .iter()
        .map(|r| format!("    ({:?}, &{:?}),\n", r.path, r.secret))
        .collect();
    format!(
        "\n/// Every model type (and builder) whose `Debug` hides fields, with those\n\
         /// fields: the types that have a field named in [`SECRET_FIELDS`].\n\
         pub const REDACTED: &[(&str, &[&str])] = &[\n{rows}];\n"
    )
}
