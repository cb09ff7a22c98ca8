//! Generates the shared models and the raw service clients from the vendored
//! OpenAPI documents.
//!
//! For every service whose cargo feature is on, this reads `specs/{name}.json`
//! (written by `cargo xtask specs sync`) and leaves out the operations the
//! sync tool marked as hand-written. The component schemas of all of them
//! become one set of types, `provena_client::models` (see `build/models.rs`);
//! then progenitor runs over each document with every schema mapped to its
//! shared type. Next to each
//! generated client it writes a table describing every operation of the
//! document (including the hand-written ones), which the library uses to
//! classify errors and retries and which the tests use to check coverage.

use std::collections::BTreeMap;
use std::env;
use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value;

include!("src/services.rs");
include!("src/outcomes.rs");
include!("src/models/secret_fields.rs");

#[path = "build/mocks.rs"]
mod mocks;
#[path = "build/models.rs"]
mod models;

/// Extension the sync tool puts on operations that the facade writes by hand.
const HANDWRITTEN: &str = "x-provena-handwritten";

const HTTP_METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

fn main() {
    if let Err(message) = run() {
        // A build script reports failure through its exit status; the message
        // names the spec file so that the fix is obvious.
        eprintln!("error: {message}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), String> {
    let manifest_dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").map_err(|e| e.to_string())?);
    let out_dir = PathBuf::from(env::var("OUT_DIR").map_err(|e| e.to_string())?);
    // Only for developing the sync tool: point the build at another folder.
    println!("cargo::rerun-if-env-changed=PROVENA_SPECS_DIR");
    let specs_dir = env::var_os("PROVENA_SPECS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| manifest_dir.join("specs"));
    println!("cargo::rerun-if-changed=src/services.rs");
    println!("cargo::rerun-if-changed=src/outcomes.rs");
    println!("cargo::rerun-if-changed=src/models/secret_fields.rs");
    println!("cargo::rerun-if-changed=build");
    // The mocks take the facade's method names (build/mocks.rs).
    println!("cargo::rerun-if-changed=src/clients");

    let mut loaded = Vec::new();
    for service in SERVICES {
        let feature = format!(
            "CARGO_FEATURE_{}",
            service.name.to_uppercase().replace('-', "_")
        );
        if env::var_os(&feature).is_none() {
            continue;
        }
        let spec_path = specs_dir.join(format!("{}.json", service.name));
        println!("cargo::rerun-if-changed={}", spec_path.display());
        loaded.push(load(service, spec_path)?);
    }
    let docs: Vec<models::ServiceDoc<'_>> = loaded
        .iter()
        .map(|l| models::ServiceDoc {
            name: l.service.name,
            path: &l.path,
            document: &l.document,
        })
        .collect();
    let shared = models::generate(&docs, &out_dir)?;
    let mut service_mocks = Vec::new();
    for mut service in loaded {
        shared.drop_unused(&mut service.document);
        service_mocks.extend(generate(&service, &shared, &out_dir, &manifest_dir)?);
    }
    if env::var_os("CARGO_FEATURE_MOCK").is_some() {
        let (files, common) = mocks::split(service_mocks)?;
        for (module, file) in files {
            write(
                &out_dir,
                &format!("{module}_mock.rs"),
                &prettyplease::unparse(&file),
            )?;
        }
        write(&out_dir, "common_mock.rs", &prettyplease::unparse(&common))?;
    }
    Ok(())
}

/// One service's document, ready for generation.
struct Loaded {
    service: ServiceInfo,
    path: PathBuf,
    document: Value,
    rows: Vec<OperationRow>,
}

fn load(service: ServiceInfo, path: PathBuf) -> Result<Loaded, String> {
    let text =
        fs::read_to_string(&path).map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
    let mut document: Value = serde_json::from_str(&text)
        .map_err(|e| format!("{}: not valid JSON: {e}", path.display()))?;
    let rows = operation_rows(service.name, &document)?;
    remove_handwritten(&mut document);
    Ok(Loaded {
        service,
        path,
        document,
        rows,
    })
}

/// What the library needs to know about one operation, beyond the generated code.
struct OperationRow {
    operation_id: String,
    method: String,
    path: String,
    handwritten: bool,
    /// JSON pointers of the `success` flags in the 200 body whose `false`
    /// means failure (see `src/outcomes.rs`).
    failure_flags: Vec<String>,
    /// Media type of the 200 response (`application/json`, `text/csv`, ...).
    response_media: String,
}

fn generate(
    loaded: &Loaded,
    shared: &models::Models,
    out_dir: &Path,
    manifest_dir: &Path,
) -> Result<Option<mocks::ServiceMocks>, String> {
    let (service, spec_path, rows) = (&loaded.service, loaded.path.as_path(), &loaded.rows);
    let spec: openapiv3::OpenAPI = serde_json::from_value(loaded.document.clone())
        .map_err(|e| format!("{}: not an OpenAPI 3.0 document: {e}", spec_path.display()))?;

    let mut settings = progenitor_impl::GenerationSettings::new();
    settings
        .with_interface(progenitor_impl::InterfaceStyle::Positional)
        .with_inner_type(tokens("crate::transport::Transport")?)
        .with_hooks(progenitor_impl::HooksMode::Expected)
        .with_derive("PartialEq");
    shared.replace_in(&mut settings, &loaded.document);
    let mut generator = progenitor_impl::Generator::new(&settings);
    let generated = generator
        .generate_tokens(&spec)
        .map_err(|e| format!("{}: progenitor failed: {e}", spec_path.display()))?;
    let file: syn::File = syn::parse2(generated).map_err(|e| {
        format!(
            "{}: generated code does not parse: {e}",
            spec_path.display()
        )
    })?;
    let methods = client_methods(&file);
    let code = route_responses(&prettyplease::unparse(&file))
        .map_err(|e| format!("{}: {e}", spec_path.display()))?;

    let module = service.module;
    write(out_dir, &format!("{module}.rs"), &code)?;
    let mut mocks_out = None;
    if env::var_os("CARGO_FEATURE_MOCK").is_some() {
        // A fresh generator: the mock generator registers the types again.
        let mocks = progenitor_impl::Generator::new(&settings)
            .httpmock(&spec, &format!("crate::raw::{module}"))
            .map_err(|e| {
                format!(
                    "{}: progenitor mock generation failed: {e}",
                    spec_path.display()
                )
            })?;
        let mocks: syn::File = syn::parse2(mocks)
            .map_err(|e| format!("{}: generated mocks do not parse: {e}", spec_path.display()))?;
        mocks_out = Some(mocks::ServiceMocks {
            module: module.to_owned(),
            file: mocks,
            names: mocks::Names::read(manifest_dir, module)?,
        });
    }
    write(
        out_dir,
        &format!("{module}_operations.rs"),
        &operations_table(rows, &methods),
    )?;
    Ok(mocks_out)
}

fn tokens(source: &str) -> Result<proc_macro2::TokenStream, String> {
    source
        .parse()
        .map_err(|e| format!("bad token stream {source:?}: {e}"))
}

fn write(out_dir: &Path, name: &str, contents: &str) -> Result<(), String> {
    let path = out_dir.join(name);
    fs::write(&path, contents).map_err(|e| format!("{}: cannot write: {e}", path.display()))
}

fn operations(document: &Value) -> impl Iterator<Item = (&str, &str, &Value)> {
    document
        .get("paths")
        .and_then(Value::as_object)
        .into_iter()
        .flat_map(|paths| paths.iter())
        .flat_map(|(path, item)| {
            HTTP_METHODS.iter().filter_map(move |method| {
                item.get(*method)
                    .map(|operation| (path.as_str(), *method, operation))
            })
        })
}

fn operation_rows(service: &str, document: &Value) -> Result<Vec<OperationRow>, String> {
    let rows: Vec<OperationRow> = operations(document)
        .map(|(path, method, operation)| {
            let success = operation.pointer("/responses/200/content");
            let response_media = success
                .and_then(Value::as_object)
                .and_then(|content| content.keys().next().cloned())
                .unwrap_or_default();
            let schema = success.and_then(|c| c.pointer("/application~1json/schema"));
            let operation_id = operation
                .get("operationId")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            let failure_flags = schema
                .map(|s| success_flags(document, s))
                .unwrap_or_default()
                .into_iter()
                .filter(|flag| !is_ordinary(service, &operation_id, flag))
                .collect();
            OperationRow {
                operation_id,
                method: method.to_uppercase(),
                path: path.to_string(),
                handwritten: operation.get(HANDWRITTEN).is_some(),
                failure_flags,
                response_media,
            }
        })
        .collect();
    // An entry of the ordinary-flag table that matches nothing is stale: the
    // server changed, and the table must be read again against its code.
    for entry in ORDINARY_FLAGS.iter().filter(|e| e.service == service) {
        let exists = operations(document).any(|(_, _, operation)| {
            operation
                .get("operationId")
                .and_then(Value::as_str)
                .is_some_and(|id| entry.covers(service, id))
                && operation
                    .pointer("/responses/200/content/application~1json/schema")
                    .is_some_and(|s| success_flags(document, s).iter().any(|f| f == entry.flag))
        });
        if !exists {
            return Err(format!(
                "src/outcomes.rs: {service}.{} has no success flag {} in its document",
                entry.operation_id, entry.flag
            ));
        }
    }
    Ok(rows)
}

fn is_ordinary(service: &str, operation_id: &str, flag: &str) -> bool {
    ORDINARY_FLAGS
        .iter()
        .any(|e| e.covers(service, operation_id) && e.flag == flag)
}

/// JSON pointers of the boolean `success` flags of a response schema: the
/// body's own and those of its members (`status`, `state_change`, ...),
/// following `$ref`s and single-member `allOf`s.
fn success_flags(document: &Value, schema: &Value) -> Vec<String> {
    let schema = resolve(document, schema);
    let mut flags = Vec::new();
    let Some(properties) = schema.get("properties").and_then(Value::as_object) else {
        return flags;
    };
    if properties.contains_key("success") {
        flags.push("/success".to_string());
    }
    for (name, member) in properties {
        let member = resolve(document, member);
        if member.pointer("/properties/success").is_some() {
            flags.push(format!("/{name}/success"));
        }
    }
    flags
}

fn resolve<'a>(document: &'a Value, mut schema: &'a Value) -> &'a Value {
    // Bounded, so that a reference cycle cannot hang the build.
    for _ in 0..16 {
        if let Some(target) = schema.get("$ref").and_then(Value::as_str) {
            match target
                .strip_prefix('#')
                .and_then(|pointer| document.pointer(pointer))
            {
                Some(next) => schema = next,
                None => return schema,
            }
        } else if let Some([only]) = schema
            .get("allOf")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
        {
            schema = only;
        } else {
            return schema;
        }
    }
    schema
}

fn remove_handwritten(document: &mut Value) {
    let Some(paths) = document.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    for item in paths.values_mut() {
        if let Some(item) = item.as_object_mut() {
            item.retain(|_, operation| operation.get(HANDWRITTEN).is_none());
        }
    }
    paths.retain(|_, item| {
        item.as_object()
            .is_none_or(|ops| HTTP_METHODS.iter().any(|m| ops.contains_key(*m)))
    });
}

/// The `pub async fn`s progenitor put on `Client`, with the type their success
/// response decodes into (`None` for byte streams and empty bodies). Read from
/// the generated code itself, so that the coverage test checks what was
/// generated rather than what the document says.
/// Sends the generated methods' answers through the transport's helpers:
/// JSON is decoded by `crate::transport::from_response` from the body the
/// transport already read (instead of progenitor's `from_response`, which
/// would read it again from a rebuilt response), and an answer handed over
/// whole (`UnexpectedResponse`) gets its body back through
/// `crate::transport::restore`. Fails when progenitor's code no longer has
/// the exact forms replaced, so that a new progenitor cannot bypass them.
fn route_responses(code: &str) -> Result<String, String> {
    const DECODE: &str = "ResponseValue::from_response(response)";
    const UNEXPECTED: &str = "Error::UnexpectedResponse(response)";
    let unexpected = code.matches("UnexpectedResponse(").count();
    let routed = single_header(code)?
        .replace(DECODE, "crate::transport::from_response(response)")
        .replace(
            UNEXPECTED,
            "Error::UnexpectedResponse(crate::transport::restore(response))",
        );
    if routed.contains("from_response(")
        && routed.matches("from_response(").count()
            != routed.matches("crate::transport::from_response(").count()
    {
        return Err("generated code decodes a response other than through `ResponseValue::from_response(response)`; update route_responses".into());
    }
    if routed
        .matches("UnexpectedResponse(crate::transport::restore(response))")
        .count()
        != unexpected
    {
        return Err("generated code hands over an unexpected response other than as `Error::UnexpectedResponse(response)`; update route_responses".into());
    }
    Ok(routed)
}

/// Puts progenitor's one request header (`api-version`) on the request
/// directly, instead of into a header map of its own that is then merged
/// into the request's: the same request, without building and merging a
/// second map on every call. Fails when a method's headers take another
/// form (another header parameter, another layout), so that nothing is
/// changed silently.
fn single_header(code: &str) -> Result<String, String> {
    const MAP: &str =
        "        let mut header_map = ::reqwest::header::HeaderMap::with_capacity(1usize);
        header_map
            .append(
                ::reqwest::header::HeaderName::from_static(\"api-version\"),
                ::reqwest::header::HeaderValue::from_static(Self::api_version()),
            );
";
    const MERGE: &str = "            .headers(header_map)\n";
    const DIRECT: &str = "            .header(
                ::reqwest::header::HeaderName::from_static(\"api-version\"),
                ::reqwest::header::HeaderValue::from_static(Self::api_version()),
            )
";
    let methods = code.matches("let mut header_map").count();
    if code.matches(MAP).count() != methods || code.matches(MERGE).count() != methods {
        return Err("generated methods build their headers other than as one `api-version` header map; update single_header".into());
    }
    Ok(code.replace(MAP, "").replace(MERGE, DIRECT))
}

fn client_methods(file: &syn::File) -> BTreeMap<String, Option<String>> {
    let mut methods = BTreeMap::new();
    for item in &file.items {
        let syn::Item::Impl(block) = item else {
            continue;
        };
        if block.trait_.is_some() {
            continue;
        }
        let syn::Type::Path(self_ty) = block.self_ty.as_ref() else {
            continue;
        };
        if !self_ty.path.is_ident("Client") {
            continue;
        }
        for member in &block.items {
            if let syn::ImplItem::Fn(function) = member
                && function.sig.asyncness.is_some()
                && matches!(function.vis, syn::Visibility::Public(_))
            {
                methods.insert(
                    function.sig.ident.to_string(),
                    success_type(&function.sig.output),
                );
            }
        }
    }
    methods
}

/// `T` in `Result<ResponseValue<T>, Error<E>>`, unless it is not JSON.
fn success_type(output: &syn::ReturnType) -> Option<String> {
    use quote::ToTokens;
    let syn::ReturnType::Type(_, ty) = output else {
        return None;
    };
    let result = first_generic(ty)?;
    let inner = first_generic(result)?;
    let text = inner.to_token_stream().to_string();
    (text != "ByteStream" && text != "()").then_some(text)
}

fn first_generic(ty: &syn::Type) -> Option<&syn::Type> {
    let syn::Type::Path(path) = ty else {
        return None;
    };
    let segment = path.path.segments.last()?;
    let syn::PathArguments::AngleBracketed(arguments) = &segment.arguments else {
        return None;
    };
    arguments.args.iter().find_map(|argument| match argument {
        syn::GenericArgument::Type(ty) => Some(ty),
        _ => None,
    })
}

fn operations_table(rows: &[OperationRow], methods: &BTreeMap<String, Option<String>>) -> String {
    let mut out = String::from(
        "/// Every operation of this service's document, generated or hand-written,\n\
         /// sorted by `operation_id`'s length, then the id (the transport looks operations up by binary search, most steps decided by the length alone).\n\
         pub const OPERATIONS: &[crate::raw::Operation] = &[\n",
    );
    let mut sorted: Vec<&OperationRow> = rows.iter().collect();
    sorted.sort_by_key(|row| (row.operation_id.len(), row.operation_id.clone()));
    for row in sorted {
        out.push_str(&format!(
            "    crate::raw::Operation {{ operation_id: {:?}, method: {:?}, path: {:?}, \
             handwritten: {}, failure_flags: &{:?}, response_media: {:?} }},\n",
            row.operation_id,
            row.method,
            row.path,
            row.handwritten,
            row.failure_flags,
            row.response_media,
        ));
    }
    out.push_str("];\n\n/// Names of the methods progenitor generated on `Client`.\npub const GENERATED_METHODS: &[&str] = &[\n");
    for name in methods.keys() {
        out.push_str(&format!("    {name:?},\n"));
    }
    out.push_str("];\n\n");
    out.push_str(
        "/// Decodes `body` as the success response of `operation_id`, exactly as the\n\
         /// generated method would; `None` for an unknown operation or one whose\n\
         /// response is not JSON. For fuzzing and property tests of the decoders.\n\
         pub fn decode_success(operation_id: &str, body: &[u8]) -> Option<Result<(), serde_json::Error>> {\n\
         \x20   match operation_id {\n",
    );
    for (name, ty) in methods {
        if let Some(ty) = ty {
            out.push_str(&format!(
                "        {name:?} => Some(serde_json::from_slice::<{ty}>(body).map(drop)),\n"
            ));
        }
    }
    out.push_str("        _ => None,\n    }\n}\n");
    out
}
