//! The registry service: typed items (people, organisations, models, datasets,
//! studies, model runs, ...), their access settings, locks and versions.
//!
//! The registry serves the same family of routes for each item subtype under
//! `/registry/{agent|entity|activity}/{subtype}/…`, but not every subtype
//! supports every action. Here each subtype is a marker type
//! ([`Organisation`], [`Model`], [`Dataset`], …) implementing [`ItemSubtype`]
//! for the actions all subtypes share, and [`Creatable`], [`Updatable`],
//! [`Seedable`], [`Revertable`] or [`Versionable`] for the others; the generic
//! methods of [`RegistryClient`] ask for the trait they need, so that an
//! unsupported action does not compile:
//!
//! ```no_run
//! use provena_client::clients::registry::{Organisation, Model};
//! use provena_client::models::OrganisationFetchResponseItem as Item;
//! # async fn run(client: provena_client::ProvenaClient) -> provena_client::Result<()> {
//! let registry = client.registry();
//! let org = registry.fetch_item::<Organisation>("10378.1/1", None).await?;
//! match org.item {
//!     Some(Item::ItemOrganisation(item)) => println!("{}", item.display_name),
//!     Some(Item::SeededItem(seed)) => println!("{} is only reserved so far", seed.id),
//!     None => println!("not visible"),
//! }
//! let seeded = registry.seed_item::<Model>().await?;
//! # let _ = seeded;
//! # Ok(()) }
//! ```
//!
//! ```compile_fail
//! use provena_client::clients::registry::Dataset;
//! # async fn run(client: provena_client::ProvenaClient) {
//! // Datasets are minted through the data store, never seeded in the registry.
//! client.registry().seed_item::<Dataset>().await;
//! # }
//! ```
//!
//! The subtype → route mapping is the one table in [`SUBTYPE_ROUTES`].

use std::future::Future;

use crate::Result;
use crate::models;
use crate::raw::registry::Client as Raw;
use crate::transport::call;

/// The three top-level registry categories.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ItemCategory {
    /// People and organisations.
    Agent,
    /// Models, datasets, templates.
    Entity,
    /// Studies, model runs, creations, versions.
    Activity,
}

impl ItemCategory {
    /// The path segment of the category.
    pub fn as_str(self) -> &'static str {
        match self {
            ItemCategory::Agent => "agent",
            ItemCategory::Entity => "entity",
            ItemCategory::Activity => "activity",
        }
    }
}

/// Optional actions, beyond those every subtype supports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Capability {
    /// `POST …/create`
    Create,
    /// `PUT …/update`
    Update,
    /// `POST …/seed`
    Seed,
    /// `PUT …/revert`
    Revert,
    /// `POST …/version`
    Version,
}

/// One row of the subtype table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubtypeRoute {
    /// Name of the marker type, e.g. `ModelRunWorkflowTemplate`.
    pub name: &'static str,
    /// The subtype's value in the registry's `ItemSubType` enum.
    pub item_subtype: models::ItemSubType,
    /// Its category.
    pub category: ItemCategory,
    /// Its path segment, e.g. `model_run_workflow`.
    pub segment: &'static str,
    /// The optional actions it supports.
    pub capabilities: &'static [Capability],
}

impl SubtypeRoute {
    /// The path of an action, e.g. `/registry/agent/person/fetch`.
    pub fn path(&self, action: &str) -> String {
        format!(
            "/registry/{}/{}/{action}",
            self.category.as_str(),
            self.segment
        )
    }
}

mod sealed {
    pub trait Sealed {}
}

/// A registry item subtype and the actions every subtype supports.
///
/// Sealed: the registry defines the subtypes. The methods are the building
/// blocks of [`RegistryClient`]'s generic methods; call those instead.
pub trait ItemSubtype: sealed::Sealed + Send + Sync + 'static {
    /// Its row of [`SUBTYPE_ROUTES`].
    const ROUTE: SubtypeRoute;
    /// The domain information a user provides for such an item.
    type DomainInfo: serde::Serialize
        + serde::de::DeserializeOwned
        + Clone
        + std::fmt::Debug
        + Send
        + Sync;
    /// What fetching one item returns.
    type FetchResponse: serde::Serialize
        + serde::de::DeserializeOwned
        + Clone
        + std::fmt::Debug
        + Send;
    /// What listing items returns.
    type ListResponse: serde::Serialize
        + serde::de::DeserializeOwned
        + Clone
        + std::fmt::Debug
        + Send;

    #[doc(hidden)]
    fn fetch<'a>(
        raw: &'a Raw,
        id: &'a str,
        seed_allowed: Option<bool>,
    ) -> impl Future<Output = Result<Self::FetchResponse>> + Send + 'a;
    #[doc(hidden)]
    fn list<'a>(
        raw: &'a Raw,
        request: &'a models::SubtypeListRequest,
    ) -> impl Future<Output = Result<Self::ListResponse>> + Send + 'a;
    #[doc(hidden)]
    fn validate<'a>(
        raw: &'a Raw,
        info: &'a Self::DomainInfo,
    ) -> impl Future<Output = Result<models::StatusResponse>> + Send + 'a;
    #[doc(hidden)]
    fn schema<'a>(
        raw: &'a Raw,
    ) -> impl Future<Output = Result<models::JsonSchemaResponse>> + Send + 'a;
    #[doc(hidden)]
    fn ui_schema<'a>(
        raw: &'a Raw,
    ) -> impl Future<Output = Result<models::UiSchemaResponse>> + Send + 'a;
    #[doc(hidden)]
    fn auth_evaluate<'a>(
        raw: &'a Raw,
        id: &'a str,
    ) -> impl Future<Output = Result<models::DescribeAccessResponse>> + Send + 'a;
    #[doc(hidden)]
    fn auth_configuration_get<'a>(
        raw: &'a Raw,
        id: &'a str,
    ) -> impl Future<Output = Result<models::AccessSettings>> + Send + 'a;
    #[doc(hidden)]
    fn auth_configuration_put<'a>(
        raw: &'a Raw,
        id: &'a str,
        settings: &'a models::AccessSettings,
    ) -> impl Future<Output = Result<models::StatusResponse>> + Send + 'a;
    #[doc(hidden)]
    fn auth_roles<'a>(
        raw: &'a Raw,
    ) -> impl Future<Output = Result<models::AuthRolesResponse>> + Send + 'a;
    #[doc(hidden)]
    fn lock<'a>(
        raw: &'a Raw,
        request: &'a models::LockChangeRequest,
    ) -> impl Future<Output = Result<models::StatusResponse>> + Send + 'a;
    #[doc(hidden)]
    fn unlock<'a>(
        raw: &'a Raw,
        request: &'a models::LockChangeRequest,
    ) -> impl Future<Output = Result<models::StatusResponse>> + Send + 'a;
    #[doc(hidden)]
    fn lock_history<'a>(
        raw: &'a Raw,
        id: &'a str,
    ) -> impl Future<Output = Result<models::LockHistoryResponse>> + Send + 'a;
    #[doc(hidden)]
    fn lock_status<'a>(
        raw: &'a Raw,
        id: &'a str,
    ) -> impl Future<Output = Result<models::LockStatusResponse>> + Send + 'a;
}

/// Subtypes whose items users create directly (`…/create`).
pub trait Creatable: ItemSubtype {
    /// What creating an item returns.
    type CreateResponse: serde::Serialize
        + serde::de::DeserializeOwned
        + Clone
        + std::fmt::Debug
        + Send;
    #[doc(hidden)]
    fn create<'a>(
        raw: &'a Raw,
        info: &'a Self::DomainInfo,
    ) -> impl Future<Output = Result<Self::CreateResponse>> + Send + 'a;
}

/// Subtypes whose items can be updated in place (`…/update`).
pub trait Updatable: ItemSubtype {
    #[doc(hidden)]
    fn update<'a>(
        raw: &'a Raw,
        id: &'a str,
        reason: Option<&'a str>,
        info: &'a Self::DomainInfo,
    ) -> impl Future<Output = Result<models::UpdateResponse>> + Send + 'a;
}

/// Subtypes that can be seeded: an empty item reserved now, filled in later (`…/seed`).
pub trait Seedable: ItemSubtype {
    /// What seeding returns.
    type SeedResponse: serde::Serialize
        + serde::de::DeserializeOwned
        + Clone
        + std::fmt::Debug
        + Send;
    #[doc(hidden)]
    fn seed<'a>(raw: &'a Raw) -> impl Future<Output = Result<Self::SeedResponse>> + Send + 'a;
}

/// Subtypes whose items can be reverted to an earlier version (`…/revert`).
pub trait Revertable: ItemSubtype {
    #[doc(hidden)]
    fn revert<'a>(
        raw: &'a Raw,
        request: &'a models::ItemRevertRequest,
    ) -> impl Future<Output = Result<models::ItemRevertResponse>> + Send + 'a;
}

/// Subtypes that can be versioned (`…/version`).
pub trait Versionable: ItemSubtype {
    #[doc(hidden)]
    fn version<'a>(
        raw: &'a Raw,
        request: &'a models::VersionRequest,
    ) -> impl Future<Output = Result<models::VersionResponse>> + Send + 'a;
}

/// Implements one optional action for a subtype; the generated method names
/// follow `{action}_{category}_{operation name}`.
macro_rules! capability {
    (create, $marker:ident, $cat:ident, $op:ident, $ty:ident) => {
        pastey::paste! {
            impl Creatable for $marker {
                type CreateResponse = models::[<$ty CreateResponse>];
                fn create<'a>(raw: &'a Raw, info: &'a Self::DomainInfo) -> impl Future<Output = Result<Self::CreateResponse>> + Send + 'a {
                    call(raw.inner.operation_name(stringify!([<create_ $cat _ $op>])), raw.[<create_ $cat _ $op>](info))
                }
            }
        }
    };
    (update, $marker:ident, $cat:ident, $op:ident, $ty:ident) => {
        pastey::paste! {
            impl Updatable for $marker {
                fn update<'a>(
                    raw: &'a Raw,
                    id: &'a str,
                    reason: Option<&'a str>,
                    info: &'a Self::DomainInfo,
                ) -> impl Future<Output = Result<models::UpdateResponse>> + Send + 'a {
                    call(raw.inner.operation_name(stringify!([<update_ $cat _ $op>])), raw.[<update_ $cat _ $op>](id, reason, info))
                }
            }
        }
    };
    (seed, $marker:ident, $cat:ident, $op:ident, $ty:ident) => {
        pastey::paste! {
            impl Seedable for $marker {
                type SeedResponse = models::[<$ty SeedResponse>];
                fn seed<'a>(raw: &'a Raw) -> impl Future<Output = Result<Self::SeedResponse>> + Send + 'a {
                    call(raw.inner.operation_name(stringify!([<seed_ $cat _ $op>])), raw.[<seed_ $cat _ $op>]())
                }
            }
        }
    };
    (revert, $marker:ident, $cat:ident, $op:ident, $ty:ident) => {
        pastey::paste! {
            impl Revertable for $marker {
                fn revert<'a>(raw: &'a Raw, request: &'a models::ItemRevertRequest) -> impl Future<Output = Result<models::ItemRevertResponse>> + Send + 'a {
                    call(raw.inner.operation_name(stringify!([<revert_ $cat _ $op>])), raw.[<revert_ $cat _ $op>](request))
                }
            }
        }
    };
    (version, $marker:ident, $cat:ident, $op:ident, $ty:ident) => {
        pastey::paste! {
            impl Versionable for $marker {
                fn version<'a>(raw: &'a Raw, request: &'a models::VersionRequest) -> impl Future<Output = Result<models::VersionResponse>> + Send + 'a {
                    call(raw.inner.operation_name(stringify!([<version_ $cat _ $op>])), raw.[<version_ $cat _ $op>](request))
                }
            }
        }
    };
}

/// Forwards one shared action to the generated method `{prefix}{category}_{op}`.
macro_rules! shared_action {
    ($prefix:ident, $cat:ident, $op:ident, $raw:ident $(, $arg:expr)*) => {
        pastey::paste! {
            call($raw.inner.operation_name(stringify!([<$prefix $cat _ $op>])), $raw.[<$prefix $cat _ $op>]($($arg),*))
        }
    };
}

/// The subtype table: one row per subtype, driving the marker types, their
/// trait implementations and [`SUBTYPE_ROUTES`].
macro_rules! subtypes {
    ($(
        $(#[$doc:meta])*
        $marker:ident: $cat:ident / $segment:literal, op $op:ident, types $ty:ident, enum $variant:ident,
            [$($capability:ident),*];
    )*) => {
        $(
            $(#[$doc])*
            #[derive(Debug, Clone, Copy, PartialEq, Eq)]
            pub enum $marker {}

            impl sealed::Sealed for $marker {}

            pastey::paste! {
                impl ItemSubtype for $marker {
                    const ROUTE: SubtypeRoute = SubtypeRoute {
                        name: stringify!($marker),
                        item_subtype: models::ItemSubType::$variant,
                        category: ItemCategory::[<$cat:camel>],
                        segment: $segment,
                        capabilities: &[$(Capability::[<$capability:camel>]),*],
                    };
                    type DomainInfo = models::[<$ty DomainInfo>];
                    type FetchResponse = models::[<$ty FetchResponse>];
                    type ListResponse = models::[<$ty ListResponse>];

                    fn fetch<'a>(raw: &'a Raw, id: &'a str, seed_allowed: Option<bool>) -> impl Future<Output = Result<Self::FetchResponse>> + Send + 'a {
                        shared_action!(fetch_, $cat, $op, raw, id, seed_allowed)
                    }
                    fn list<'a>(raw: &'a Raw, request: &'a models::SubtypeListRequest) -> impl Future<Output = Result<Self::ListResponse>> + Send + 'a {
                        shared_action!(list_, $cat, $op, raw, request)
                    }
                    fn validate<'a>(raw: &'a Raw, info: &'a Self::DomainInfo) -> impl Future<Output = Result<models::StatusResponse>> + Send + 'a {
                        shared_action!(validate_, $cat, $op, raw, info)
                    }
                    fn schema<'a>(raw: &'a Raw) -> impl Future<Output = Result<models::JsonSchemaResponse>> + Send + 'a {
                        shared_action!(schema_, $cat, $op, raw)
                    }
                    fn ui_schema<'a>(raw: &'a Raw) -> impl Future<Output = Result<models::UiSchemaResponse>> + Send + 'a {
                        shared_action!(ui_schema_, $cat, $op, raw)
                    }
                    fn auth_evaluate<'a>(raw: &'a Raw, id: &'a str) -> impl Future<Output = Result<models::DescribeAccessResponse>> + Send + 'a {
                        shared_action!(auth_evaluate_, $cat, $op, raw, id)
                    }
                    fn auth_configuration_get<'a>(raw: &'a Raw, id: &'a str) -> impl Future<Output = Result<models::AccessSettings>> + Send + 'a {
                        shared_action!(auth_configuration_get_, $cat, $op, raw, id)
                    }
                    fn auth_configuration_put<'a>(
                        raw: &'a Raw,
                        id: &'a str,
                        settings: &'a models::AccessSettings,
                    ) -> impl Future<Output = Result<models::StatusResponse>> + Send + 'a {
                        shared_action!(auth_configuration_put_, $cat, $op, raw, id, settings)
                    }
                    fn auth_roles<'a>(raw: &'a Raw) -> impl Future<Output = Result<models::AuthRolesResponse>> + Send + 'a {
                        shared_action!(auth_roles_, $cat, $op, raw)
                    }
                    fn lock<'a>(raw: &'a Raw, request: &'a models::LockChangeRequest) -> impl Future<Output = Result<models::StatusResponse>> + Send + 'a {
                        shared_action!(lock_lock, $cat, $op, raw, request)
                    }
                    fn unlock<'a>(raw: &'a Raw, request: &'a models::LockChangeRequest) -> impl Future<Output = Result<models::StatusResponse>> + Send + 'a {
                        shared_action!(lock_unlock, $cat, $op, raw, request)
                    }
                    fn lock_history<'a>(raw: &'a Raw, id: &'a str) -> impl Future<Output = Result<models::LockHistoryResponse>> + Send + 'a {
                        shared_action!(lock_history, $cat, $op, raw, id)
                    }
                    fn lock_status<'a>(raw: &'a Raw, id: &'a str) -> impl Future<Output = Result<models::LockStatusResponse>> + Send + 'a {
                        shared_action!(lock_locked, $cat, $op, raw, id)
                    }
                }
            }

            $( capability!($capability, $marker, $cat, $op, $ty); )*
        )*

        /// Every registry subtype with its route and optional actions.
        pub const SUBTYPE_ROUTES: &[SubtypeRoute] = &[$(<$marker as ItemSubtype>::ROUTE),*];
    };
}

subtypes! {
    /// A registered organisation.
    Organisation: agent / "organisation", op organisation, types Organisation, enum Organisation,
        [create, update, seed, revert];
    /// A registered person.
    Person: agent / "person", op person, types Person, enum Person,
        [create, update, seed, revert];
    /// A model (software) description.
    Model: entity / "model", op model, types Model, enum Model,
        [create, update, seed, revert, version];
    /// A template describing the inputs and outputs of a model's runs.
    ModelRunWorkflowTemplate: entity / "model_run_workflow", op model_run_workflow_template,
        types ModelRunWorkflowTemplate, enum ModelRunWorkflowTemplate,
        [create, update, seed, revert, version];
    /// A template describing the files of a dataset.
    DatasetTemplate: entity / "dataset_template", op dataset_template, types DatasetTemplate, enum DatasetTemplate,
        [create, update, seed, revert, version];
    /// A dataset. Datasets are minted, updated and versioned through the data
    /// store ([`crate::clients::datastore::DatastoreClient`]), not here.
    Dataset: entity / "dataset", op dataset, types Dataset, enum Dataset, [];
    /// A study grouping model runs.
    Study: activity / "study", op study, types Study, enum Study,
        [create, update, seed, revert];
    /// The activity that created an item (recorded by the registry itself).
    Create: activity / "create", op create, types Create, enum Create, [];
    /// The activity that versioned an item (recorded by the registry itself).
    Version: activity / "version", op version, types Version, enum Version, [];
    /// A model run (registered through the provenance service).
    ModelRun: activity / "model_run", op model_run, types ModelRun, enum ModelRun, [];
}

/// Client of the registry (`https://registry-api.{domain}`).
#[derive(Debug, Clone)]
pub struct RegistryClient {
    raw: Raw,
}

impl RegistryClient {
    crate::clients::raw_access!();

    /// Operations reserved to registry administrators.
    pub fn admin(&self) -> RegistryAdminClient<'_> {
        RegistryAdminClient { raw: &self.raw }
    }

    /// Operations on items of any subtype.
    pub fn general(&self) -> RegistryGeneralClient<'_> {
        RegistryGeneralClient { raw: &self.raw }
    }

    crate::clients::common_operations!();

    /// One item of subtype `S`; `seed_allowed` also returns incomplete (seeded) items.
    pub async fn fetch_item<S: ItemSubtype>(
        &self,
        id: &str,
        seed_allowed: Option<bool>,
    ) -> Result<S::FetchResponse> {
        S::fetch(&self.raw, id, seed_allowed).await
    }

    /// Replaces an item's domain information, recording `reason` in its history.
    pub async fn update_item<S: Updatable>(
        &self,
        id: &str,
        reason: Option<&str>,
        info: &S::DomainInfo,
    ) -> Result<models::UpdateResponse> {
        S::update(&self.raw, id, reason, info).await
    }

    /// A page of items of subtype `S`. (The Python client documents a general
    /// list request; the service takes a `SubtypeListRequest`.)
    pub async fn list_items<S: ItemSubtype>(
        &self,
        request: &models::SubtypeListRequest,
    ) -> Result<S::ListResponse> {
        S::list(&self.raw, request).await
    }

    /// Reserves an empty item of subtype `S` to be filled in later. Never retried once sent.
    pub async fn seed_item<S: Seedable>(&self) -> Result<S::SeedResponse> {
        S::seed(&self.raw).await
    }

    /// Restores an item to an earlier version from its history.
    pub async fn revert_item<S: Revertable>(
        &self,
        request: &models::ItemRevertRequest,
    ) -> Result<models::ItemRevertResponse> {
        S::revert(&self.raw, request).await
    }

    /// Creates an item of subtype `S`. Never retried once sent.
    pub async fn create_item<S: Creatable>(
        &self,
        info: &S::DomainInfo,
    ) -> Result<S::CreateResponse> {
        S::create(&self.raw, info).await
    }

    /// The JSON schema of subtype `S`'s domain information.
    pub async fn get_schema<S: ItemSubtype>(&self) -> Result<models::JsonSchemaResponse> {
        S::schema(&self.raw).await
    }

    /// The UI schema (form layout hints) of subtype `S`.
    pub async fn get_ui_schema<S: ItemSubtype>(&self) -> Result<models::UiSchemaResponse> {
        S::ui_schema(&self.raw).await
    }

    /// Checks domain information without creating anything.
    pub async fn validate_item<S: ItemSubtype>(
        &self,
        info: &S::DomainInfo,
    ) -> Result<models::StatusResponse> {
        S::validate(&self.raw, info).await
    }

    /// What the caller may do with an item.
    pub async fn evaluate_auth_access<S: ItemSubtype>(
        &self,
        id: &str,
    ) -> Result<models::DescribeAccessResponse> {
        S::auth_evaluate(&self.raw, id).await
    }

    /// An item's access settings.
    pub async fn get_auth_configuration<S: ItemSubtype>(
        &self,
        id: &str,
    ) -> Result<models::AccessSettings> {
        S::auth_configuration_get(&self.raw, id).await
    }

    /// Replaces an item's access settings.
    pub async fn modify_auth_configuration<S: ItemSubtype>(
        &self,
        id: &str,
        settings: &models::AccessSettings,
    ) -> Result<models::StatusResponse> {
        S::auth_configuration_put(&self.raw, id, settings).await
    }

    /// The roles that can be granted on items of subtype `S`.
    pub async fn get_auth_roles<S: ItemSubtype>(&self) -> Result<models::AuthRolesResponse> {
        S::auth_roles(&self.raw).await
    }

    /// Locks an item against changes.
    pub async fn lock_resource<S: ItemSubtype>(
        &self,
        request: &models::LockChangeRequest,
    ) -> Result<models::StatusResponse> {
        S::lock(&self.raw, request).await
    }

    /// Unlocks an item.
    pub async fn unlock_resource<S: ItemSubtype>(
        &self,
        request: &models::LockChangeRequest,
    ) -> Result<models::StatusResponse> {
        S::unlock(&self.raw, request).await
    }

    /// An item's lock history (`GET …/locks/history`).
    pub async fn get_lock_history<S: ItemSubtype>(
        &self,
        id: &str,
    ) -> Result<models::LockHistoryResponse> {
        S::lock_history(&self.raw, id).await
    }

    /// Whether an item is locked (`GET …/locks/locked`).
    pub async fn get_lock_status<S: ItemSubtype>(
        &self,
        id: &str,
    ) -> Result<models::LockStatusResponse> {
        S::lock_status(&self.raw, id).await
    }

    /// Creates a new version of an item. Never retried once sent.
    pub async fn version<S: Versionable>(
        &self,
        request: &models::VersionRequest,
    ) -> Result<models::VersionResponse> {
        S::version(&self.raw, request).await
    }

    crate::clients::forward! {
        /// Datasets the caller is asked to review for release.
        fn list_releasing_datasets(request: &models::ListUserReviewingDatasetsRequest) -> models::PaginatedDatasetListResponse
            => list_releasing_datasets(request);
    }
}

/// Operations on registry items of any subtype: `client.registry().general()`.
#[derive(Debug, Clone, Copy)]
pub struct RegistryGeneralClient<'a> {
    pub(crate) raw: &'a Raw,
}

impl RegistryGeneralClient<'_> {
    crate::clients::forward! {
        /// Any item by id, without knowing its subtype (untyped body).
        fn general_fetch_item(id: &str) -> models::UntypedFetchResponse => fetch(id);
        /// A page of items across subtypes.
        fn list_general_registry_items(request: &models::GeneralListRequest) -> models::PaginatedListResponse => list(request);
        /// The registry's version details.
        fn get_current_provena_version() -> models::VersionDetails => version();
    }
}

/// Administrator operations of the registry: `client.registry().admin()`.
#[derive(Debug, Clone, Copy)]
pub struct RegistryAdminClient<'a> {
    raw: &'a Raw,
}

impl RegistryAdminClient<'_> {
    crate::clients::forward! {
        /// Exports every registry item.
        fn export_items() -> models::RegistryExportResponse => registry_admin_export();
        /// Imports items from an export.
        fn import_items(request: &models::RegistryImportRequest) -> models::RegistryImportResponse
            => registry_admin_import(request);
        /// Restores items from a backup table.
        fn restore_items_from_dynamo_table(request: &models::RegistryRestoreRequest) -> models::RegistryImportResponse
            => registry_admin_restore(request);
        /// Rebuilds the provenance graph from the registry.
        fn registry_admin_restore_prov_graph(request: &models::ProvGraphRestoreRequest) -> models::ProvGraphRestoreResponse
            => registry_admin_restore_prov_graph(request);
    }
}
