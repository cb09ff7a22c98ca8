//! Gives progenitor's httpmock helpers the facade's names.
//!
//! progenitor names each mock method after its operation id (`get_job`),
//! while users know the operation by its facade method
//! (`job_api().fetch_job`). This pass renames every mock to the facade name,
//! read from the `forward!` tables in `src/clients/`:
//!
//! - a method of a service client keeps its name: `fetch_job`;
//! - a method of a sub-client is prefixed with the accessor that reaches it,
//!   unless its name already has that word: `job_api().admin().list_jobs` is
//!   `admin_list_jobs`, `registry().general().general_fetch_item` stays;
//! - a registry subtype action is the generic method and the subtype:
//!   `registry().fetch_item::<Organisation>` is `fetch_item_organisation`;
//! - an operation without a facade method keeps its operation id.
//!
//! The routes every service serves (health check, config file, access
//! checks) move into one `CommonMocks` trait, and each service's trait gets
//! its own name (`JobMocks`), so any set of mock traits can be imported
//! together. The build fails if two mocks would still share a name.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;

use heck::ToUpperCamelCase;
use proc_macro2::{TokenStream, TokenTree};
use quote::format_ident;

/// Operations served alike by every service: their mocks go to `CommonMocks`.
const COMMON: &[&str] = &[
    "root",
    "generate_config_file",
    "test_sentry_reporting",
    "check_admin_access",
    "check_general_access",
    "check_read_access",
    "check_write_access",
];

/// Registry subtype actions: the generated method is
/// `{prefix}{category}_{subtype op}`; its facade method is the generic one.
const SUBTYPE_ACTIONS: &[(&str, &str)] = &[
    ("fetch_", "fetch_item"),
    ("list_", "list_items"),
    ("validate_", "validate_item"),
    ("schema_", "get_schema"),
    ("ui_schema_", "get_ui_schema"),
    ("auth_evaluate_", "evaluate_auth_access"),
    ("auth_configuration_get_", "get_auth_configuration"),
    ("auth_configuration_put_", "modify_auth_configuration"),
    ("auth_roles_", "get_auth_roles"),
    ("lock_lock", "lock_resource"),
    ("lock_unlock", "unlock_resource"),
    ("lock_history", "get_lock_history"),
    ("lock_locked", "get_lock_status"),
    ("create_", "create_item"),
    ("update_", "update_item"),
    ("seed_", "seed_item"),
    ("revert_", "revert_item"),
    ("version_", "version"),
];

const CATEGORIES: &[&str] = &["agent", "entity", "activity"];

/// Generated method name → mock method name, for one service.
pub struct Names {
    renames: BTreeMap<String, String>,
    subtype_actions: bool,
}

impl Names {
    /// Reads the facade of `module` (`src/clients/{module}.rs`, plus the
    /// operations every client gets from `src/clients/mod.rs`).
    pub fn read(manifest_dir: &Path, module: &str) -> Result<Self, String> {
        let clients = manifest_dir.join("src/clients");
        let common = parse(&clients.join("mod.rs"))?;
        let file = parse(&clients.join(format!("{module}.rs")))?;

        let mut renames = BTreeMap::new();
        for (facade, generated) in forward_entries(&common) {
            renames.insert(generated, facade);
        }
        let accessors = accessors(&file);
        for (self_ty, tokens) in forward_blocks(&file) {
            let prefix = accessors.get(&self_ty);
            for (facade, generated) in forward_entries(&tokens) {
                let name = match prefix {
                    Some(sub) if !facade.split('_').any(|word| word == sub) => {
                        format!("{sub}_{facade}")
                    }
                    _ => facade,
                };
                renames.insert(generated, name);
            }
        }
        let subtype_actions = module == "registry";
        if subtype_actions {
            let source = fs::read_to_string(clients.join("registry.rs"))
                .map_err(|e| format!("src/clients/registry.rs: {e}"))?;
            for (_, facade) in SUBTYPE_ACTIONS {
                if !source.contains(&format!("pub async fn {facade}<")) {
                    return Err(format!(
                        "build/mocks.rs: SUBTYPE_ACTIONS names `{facade}`, which \
                         src/clients/registry.rs no longer defines"
                    ));
                }
            }
        }
        Ok(Self {
            renames,
            subtype_actions,
        })
    }

    fn mock_name(&self, generated: &str) -> String {
        if let Some(name) = self.renames.get(generated) {
            return name.clone();
        }
        if self.subtype_actions {
            for (prefix, facade) in SUBTYPE_ACTIONS {
                for category in CATEGORIES {
                    let head = format!("{prefix}{category}_");
                    if let Some(subtype) = generated.strip_prefix(&head) {
                        return format!("{facade}_{subtype}");
                    }
                }
            }
        }
        generated.to_owned()
    }
}

/// One service's generated mocks, waiting for [`split`].
pub struct ServiceMocks {
    /// The service's module name (`job`, `id_service`).
    pub module: String,
    /// progenitor's output for it.
    pub file: syn::File,
    /// Its facade names.
    pub names: Names,
}

/// Renames every service's mocks and moves the common ones into one
/// `CommonMocks` file (returned last). A common operation whose mock is not
/// the one most services share (auth checks another path) stays with its
/// service as `{module}_{name}`.
pub fn split(services: Vec<ServiceMocks>) -> Result<(Vec<(String, syn::File)>, syn::File), String> {
    // The version of each common operation's wrappers most services have.
    let mut versions: BTreeMap<String, BTreeMap<String, Vec<String>>> = BTreeMap::new();
    for service in &services {
        for (op, text) in wrapper_texts(&service.file) {
            versions
                .entry(op)
                .or_default()
                .entry(text)
                .or_default()
                .push(service.module.clone());
        }
    }
    let shared: BTreeMap<String, String> = versions
        .into_iter()
        .filter_map(|(op, by_text)| {
            let (text, _) = by_text
                .into_iter()
                .max_by_key(|(_, modules)| modules.len())?;
            Some((op, text))
        })
        .collect();

    let mut common = Common::default();
    let mut seen = BTreeMap::new();
    let mut files = Vec::new();
    for ServiceMocks {
        module,
        file,
        names,
    } in services
    {
        let file = rewrite(file, &module, &names, &shared, &mut common, &mut seen)?;
        files.push((module, file));
    }
    Ok((files, common.into_file()))
}

#[derive(Default)]
struct Common {
    taken: BTreeSet<String>,
    operations: Vec<syn::Item>,
    trait_items: Vec<syn::TraitItem>,
    impl_items: Vec<syn::ImplItem>,
    uses: Option<syn::Item>,
}

impl Common {
    fn into_file(self) -> syn::File {
        let Self {
            operations,
            trait_items,
            impl_items,
            uses,
            ..
        } = self;
        let uses = uses.into_iter();
        syn::parse_quote! {
            pub mod operations {
                #(#uses)*
                #(#operations)*
            }
            /// Typed mocks of the routes every service serves (health check,
            /// config file, access checks), named after their facade methods.
            pub trait CommonMocks {
                #(#trait_items)*
            }
            impl CommonMocks for ::httpmock::MockServer {
                #(#impl_items)*
            }
        }
    }
}

/// The `…When`/`…Then` items of each common operation in `file`, as text.
fn wrapper_texts(file: &syn::File) -> BTreeMap<String, String> {
    let all: BTreeSet<String> = COMMON.iter().map(|op| (*op).to_owned()).collect();
    let mut texts: BTreeMap<String, String> = BTreeMap::new();
    for item in operations_items(file) {
        if let Some(op) = wrapper_operation(item, &all) {
            texts
                .entry(op)
                .or_default()
                .push_str(&quote::quote!(#item).to_string());
        }
    }
    texts
}

fn operations_items(file: &syn::File) -> impl Iterator<Item = &syn::Item> {
    file.items
        .iter()
        .filter_map(|item| match item {
            syn::Item::Mod(module) => module.content.as_ref().map(|(_, items)| items.iter()),
            _ => None,
        })
        .flatten()
}

fn rewrite(
    mut file: syn::File,
    module: &str,
    names: &Names,
    shared: &BTreeMap<String, String>,
    common: &mut Common,
    seen: &mut BTreeMap<String, String>,
) -> Result<syn::File, String> {
    let trait_name = format_ident!("{}Mocks", module.to_upper_camel_case());
    let own = wrapper_texts(&file);
    // Common operations this service shares (moved) or has its own way (kept).
    let moved: BTreeSet<String> = own
        .iter()
        .filter(|(op, text)| shared.get(*op) == Some(*text))
        .map(|(op, _)| op.clone())
        .collect();
    let name_of = |generated: &str| {
        let name = names.mock_name(generated);
        if own.contains_key(generated) && !moved.contains(generated) {
            format!("{module}_{name}")
        } else {
            name
        }
    };

    for item in &mut file.items {
        match item {
            syn::Item::Trait(block) if block.ident == "MockServerExt" => {
                block.ident = trait_name.clone();
                block.attrs.push(syn::parse_quote! {
                    #[doc = concat!("Typed mocks of the `", #module, "` service, named after its facade methods.")]
                });
                let mut kept = Vec::new();
                for member in std::mem::take(&mut block.items) {
                    let syn::TraitItem::Fn(mut function) = member else {
                        kept.push(member);
                        continue;
                    };
                    let generated = function.sig.ident.to_string();
                    let name = name_of(&generated);
                    function.sig.ident = format_ident!("{name}");
                    if moved.contains(&generated) {
                        if !common.taken.contains(&generated) {
                            claim(seen, &name, "CommonMocks")?;
                            common.trait_items.push(syn::TraitItem::Fn(function));
                        }
                    } else {
                        claim(seen, &name, &trait_name.to_string())?;
                        kept.push(syn::TraitItem::Fn(function));
                    }
                }
                block.items = kept;
            }
            syn::Item::Impl(block) if block.trait_.is_some() => {
                if let Some((path, _)) = &mut block.trait_ {
                    *path = syn::parse_quote!(#trait_name);
                }
                let mut kept = Vec::new();
                for member in std::mem::take(&mut block.items) {
                    let syn::ImplItem::Fn(mut function) = member else {
                        kept.push(member);
                        continue;
                    };
                    let generated = function.sig.ident.to_string();
                    function.sig.ident = format_ident!("{}", name_of(&generated));
                    if moved.contains(&generated) {
                        if !common.taken.contains(&generated) {
                            common.impl_items.push(syn::ImplItem::Fn(function));
                        }
                    } else {
                        kept.push(syn::ImplItem::Fn(function));
                    }
                }
                block.items = kept;
            }
            syn::Item::Mod(operations) => {
                let Some((_, items)) = &mut operations.content else {
                    continue;
                };
                let mut kept = Vec::new();
                for member in std::mem::take(items) {
                    if let syn::Item::Use(_) = &member
                        && common.uses.is_none()
                    {
                        common.uses = Some(member.clone());
                    }
                    match wrapper_operation(&member, &moved) {
                        Some(op) if !common.taken.contains(&op) => common.operations.push(member),
                        Some(_) => {}
                        None => kept.push(member),
                    }
                }
                *items = kept;
            }
            _ => {}
        }
    }
    common.taken.extend(moved);
    Ok(file)
}

fn claim(seen: &mut BTreeMap<String, String>, name: &str, owner: &str) -> Result<(), String> {
    match seen.insert(name.to_owned(), owner.to_owned()) {
        Some(other) if other != owner => Err(format!(
            "mocks: `{name}` would be a method of both `{other}` and `{owner}`; \
             importing both traits would make it ambiguous"
        )),
        Some(_) => Err(format!(
            "mocks: two operations of `{owner}` map to `{name}`"
        )),
        None => Ok(()),
    }
}

/// `Some(op)` if `item` is the `…When`/`…Then` struct or impl of a moved op.
fn wrapper_operation(item: &syn::Item, moved: &BTreeSet<String>) -> Option<String> {
    let ident = match item {
        syn::Item::Struct(s) => s.ident.to_string(),
        syn::Item::Impl(block) => match block.self_ty.as_ref() {
            syn::Type::Path(path) => path.path.segments.last()?.ident.to_string(),
            _ => return None,
        },
        _ => return None,
    };
    moved
        .iter()
        .find(|op| {
            let pascal = op.to_upper_camel_case();
            ident == format!("{pascal}When") || ident == format!("{pascal}Then")
        })
        .cloned()
}

fn parse(path: &Path) -> Result<syn::File, String> {
    let text = fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    syn::parse_file(&text).map_err(|e| format!("{}: does not parse: {e}", path.display()))
}

/// Sub-client type → the accessor that returns it (`JobApiAdminClient` →
/// `admin`), from `pub fn admin(&self) -> JobApiAdminClient<'_>`.
fn accessors(file: &syn::File) -> BTreeMap<String, String> {
    let mut found = BTreeMap::new();
    for item in &file.items {
        let syn::Item::Impl(block) = item else {
            continue;
        };
        for member in &block.items {
            let syn::ImplItem::Fn(function) = member else {
                continue;
            };
            if function.sig.asyncness.is_some() || function.sig.inputs.len() != 1 {
                continue;
            }
            if let syn::ReturnType::Type(_, ty) = &function.sig.output
                && let syn::Type::Path(path) = ty.as_ref()
                && let Some(last) = path.path.segments.last()
                && last.ident.to_string().ends_with("Client")
            {
                found.insert(last.ident.to_string(), function.sig.ident.to_string());
            }
        }
    }
    found
}

/// The tokens of each `impl` block, with the implementing type's name.
fn forward_blocks(file: &syn::File) -> Vec<(String, TokenStream)> {
    file.items
        .iter()
        .filter_map(|item| match item {
            syn::Item::Impl(block) => match block.self_ty.as_ref() {
                syn::Type::Path(path) => path
                    .path
                    .segments
                    .last()
                    .map(|last| (last.ident.to_string(), quote::quote!(#block))),
                _ => None,
            },
            _ => None,
        })
        .collect()
}

/// `(facade, generated)` for every `fn facade(…) -> T => generated(…);` in
/// `forward! { … }` groups anywhere in `tokens` (also inside macro bodies).
fn forward_entries<T: quote::ToTokens>(tokens: &T) -> Vec<(String, String)> {
    let mut found = Vec::new();
    collect_entries(tokens.to_token_stream(), true, &mut found);
    found
}

fn collect_entries(stream: TokenStream, search: bool, found: &mut Vec<(String, String)>) {
    let tokens: Vec<TokenTree> = stream.into_iter().collect();
    let mut facade: Option<String> = None;
    for (i, token) in tokens.iter().enumerate() {
        match token {
            TokenTree::Group(group) => {
                let is_forward = i >= 2
                    && matches!(&tokens[i - 1], TokenTree::Punct(p) if p.as_char() == '!')
                    && matches!(&tokens[i - 2], TokenTree::Ident(id) if id == "forward")
                    && group.delimiter() == proc_macro2::Delimiter::Brace;
                if is_forward {
                    collect_entries(group.stream(), false, found);
                } else if search {
                    collect_entries(group.stream(), true, found);
                }
            }
            TokenTree::Ident(id) if !search && id == "fn" => {
                if let Some(TokenTree::Ident(name)) = tokens.get(i + 1) {
                    facade = Some(name.to_string());
                }
            }
            TokenTree::Punct(p) if !search && p.as_char() == '>' && i > 0 => {
                let arrow = matches!(&tokens[i - 1], TokenTree::Punct(eq) if eq.as_char() == '='
                    && eq.spacing() == proc_macro2::Spacing::Joint);
                if arrow
                    && let (Some(name), Some(TokenTree::Ident(generated))) =
                        (facade.take(), tokens.get(i + 1))
                {
                    found.push((name, generated.to_string()));
                }
            }
            _ => {}
        }
    }
}
