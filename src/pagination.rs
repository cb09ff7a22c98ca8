//! Every page of a list, as one stream.
//!
//! Provena's list operations answer one page at a time: the request body
//! carries an optional `pagination_key`, and the answer carries the key of
//! the next page beside its items (`items`, `jobs`, `dataset_items`), or no
//! key after the last page. Two traits describe that shape:
//!
//! * [`PagedRequest`]: a request that can be copied with another key;
//! * [`PagedResponse`]: an answer that gives up its items and next key.
//!
//! Both are implemented, from the one table behind [`PAGINATED_OPERATIONS`],
//! for every list operation of the services whose documents have a
//! pagination key. Each of those operations has a `…_paginated` method on
//! its facade client returning a [`Paginator`], whose [`Paginator::pages`]
//! and [`Paginator::items`] streams follow the keys:
//!
//! ```no_run
//! use futures_util::TryStreamExt;
//! use provena_client::clients::registry::Model;
//! use provena_client::models::SubtypeListRequest;
//!
//! # async fn run(client: provena_client::ProvenaClient) -> Result<(), Box<dyn std::error::Error>> {
//! let request: SubtypeListRequest = SubtypeListRequest::builder().page_size(50).try_into()?;
//! let mut models = client.registry().list_items_paginated::<Model>(&request).items();
//! while let Some(model) = models.try_next().await? {
//!     println!("{} {}", model.id, model.display_name);
//! }
//! // The first 120 jobs, however many pages that takes.
//! let jobs: Vec<_> = client
//!     .job_api()
//!     .list_jobs_paginated(&Default::default())
//!     .limit(120)
//!     .items()
//!     .try_collect()
//!     .await?;
//! # let _ = jobs;
//! # Ok(()) }
//! ```
//!
//! The rules every stream follows:
//!
//! * the caller's request is never changed: each page is asked for with a
//!   copy carrying the previous page's key;
//! * a page is only fetched when the stream is polled past the previous
//!   one, so dropping the stream (or [`Paginator::limit`], or `take(n)`)
//!   stops fetching; only the current page is held in memory;
//! * a page without items that still carries a key is not the end: the
//!   stream goes on with that key;
//! * a key that was already followed (the server going round in a circle)
//!   ends the stream with [`Error::RepeatedPaginationKey`], after the page
//!   that carried it, instead of fetching for ever;
//! * an error ends the stream after being yielded.

// Builds without a service that pages keep the machinery, unused.
#![cfg_attr(
    not(any(feature = "registry", feature = "datastore", feature = "job")),
    allow(dead_code, unused_macros)
)]

use std::collections::HashSet;
use std::future::Future;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::Arc;

use futures_util::future::BoxFuture;
use futures_util::stream::{self, BoxStream};
use futures_util::{FutureExt, StreamExt, TryStreamExt};

use crate::error::{Error, OperationName, Result};
#[allow(unused_imports)]
use crate::models;

/// The pagination key of a list: an opaque JSON object the server hands out
/// with one page and takes back to serve the next (a database cursor).
pub type PaginationKey = serde_json::Map<String, serde_json::Value>;

/// A list request that carries a [`PaginationKey`].
pub trait PagedRequest: Clone + Send + Sync + 'static {
    /// The key this request asks from, `None` for the first page.
    fn pagination_key(&self) -> Option<&PaginationKey>;
    /// A copy of this request asking from `key` instead.
    fn with_pagination_key(&self, key: Option<PaginationKey>) -> Self;
}

/// One page of a list: its items and the key of the next page.
pub trait PagedResponse: Send + 'static {
    /// One item of the list.
    type Item: Send + 'static;
    /// The name of the field holding the items (`items`, `jobs`, ...).
    const ITEMS_FIELD: &'static str;
    /// The key of the next page; `None` on the last page.
    fn next_key(&self) -> Option<&PaginationKey>;
    /// How many items this page holds.
    fn item_count(&self) -> usize;
    /// This page's items, in the server's order.
    fn into_items(self) -> Vec<Self::Item>;
}

/// One list operation that pages, as the table behind
/// [`PAGINATED_OPERATIONS`] lists it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PaginatedOperation {
    /// The service, as in `specs/{service}.json`.
    pub service: &'static str,
    /// The operation's `operationId`.
    pub operation_id: &'static str,
    /// The schema name of its request body.
    pub request: &'static str,
    /// The schema name of its answer.
    pub response: &'static str,
    /// The answer's field holding the items.
    pub items_field: &'static str,
}

impl PaginatedOperation {
    /// The operation's name, as errors give it.
    pub fn name(&self) -> OperationName {
        OperationName {
            service: self.service,
            operation_id: self.operation_id,
        }
    }
}

/// Gives the items of a response field, however optional it is.
trait ItemsField<T> {
    fn count(&self) -> usize;
    fn into_vec(self) -> Vec<T>;
}

impl<T> ItemsField<T> for Vec<T> {
    fn count(&self) -> usize {
        self.len()
    }
    fn into_vec(self) -> Vec<T> {
        self
    }
}

impl<T> ItemsField<T> for Option<Vec<T>> {
    fn count(&self) -> usize {
        self.as_ref().map_or(0, Vec::len)
    }
    fn into_vec(self) -> Vec<T> {
        self.unwrap_or_default()
    }
}

/// The table: the request types that carry a key, the answers that return
/// one (with the field holding the items and the item type), and every
/// operation pairing them. `tests/pagination.rs` checks it against the
/// vendored documents both ways, so an operation that starts paging upstream
/// cannot be forgotten here.
macro_rules! paginated {
    (
        requests { $( $(#[$req_attr:meta])* $request:ident, )* }
        responses { $( $(#[$resp_attr:meta])* $response:ident: $field:ident => $item:ty, )* }
        operations { $( $(#[$op_attr:meta])* $service:literal $operation:ident: $op_request:ident => $op_response:ident, )* }
    ) => {
        $(
            $(#[$req_attr])*
            impl PagedRequest for models::$request {
                fn pagination_key(&self) -> Option<&PaginationKey> {
                    self.pagination_key.as_ref()
                }
                fn with_pagination_key(&self, key: Option<PaginationKey>) -> Self {
                    let mut copy = self.clone();
                    copy.pagination_key = key;
                    copy
                }
            }
        )*
        $(
            $(#[$resp_attr])*
            impl PagedResponse for models::$response {
                type Item = $item;
                const ITEMS_FIELD: &'static str = stringify!($field);
                fn next_key(&self) -> Option<&PaginationKey> {
                    self.pagination_key.as_ref()
                }
                fn item_count(&self) -> usize {
                    ItemsField::count(&self.$field)
                }
                fn into_items(self) -> Vec<Self::Item> {
                    ItemsField::into_vec(self.$field)
                }
            }
        )*
        /// Every list operation that pages, of the services this build
        /// enables: the rows of the table its [`PagedRequest`] and
        /// [`PagedResponse`] implementations come from.
        pub const PAGINATED_OPERATIONS: &[PaginatedOperation] = &[
            $(
                $(#[$op_attr])*
                PaginatedOperation {
                    service: $service,
                    operation_id: stringify!($operation),
                    request: stringify!($op_request),
                    response: stringify!($op_response),
                    items_field: <models::$op_response as PagedResponse>::ITEMS_FIELD,
                },
            )*
        ];
    };
}

paginated! {
    requests {
        #[cfg(feature = "registry")] SubtypeListRequest,
        #[cfg(feature = "registry")] GeneralListRequest,
        #[cfg(feature = "registry")] ListUserReviewingDatasetsRequest,
        #[cfg(feature = "datastore")] NoFilterSubtypeListRequest,
        #[cfg(feature = "job")] ListJobsRequest,
        #[cfg(feature = "job")] ListByBatchRequest,
        #[cfg(feature = "job")] AdminListJobsRequest,
        #[cfg(feature = "job")] AdminListByBatchRequest,
    }
    responses {
        #[cfg(feature = "registry")] OrganisationListResponse: items => models::ItemOrganisation,
        #[cfg(feature = "registry")] PersonListResponse: items => models::ItemPerson,
        #[cfg(feature = "registry")] ModelListResponse: items => models::ItemModel,
        #[cfg(feature = "registry")] ModelRunWorkflowTemplateListResponse: items => models::ItemModelRunWorkflowTemplate,
        #[cfg(feature = "registry")] DatasetTemplateListResponse: items => models::ItemDatasetTemplate,
        #[cfg(any(feature = "registry", feature = "datastore"))] DatasetListResponse: items => models::ItemDataset,
        #[cfg(feature = "registry")] StudyListResponse: items => models::ItemStudy,
        #[cfg(feature = "registry")] CreateListResponse: items => models::ItemCreate,
        #[cfg(feature = "registry")] VersionListResponse: items => models::ItemVersion,
        #[cfg(feature = "registry")] ModelRunListResponse: items => models::ItemModelRun,
        #[cfg(feature = "registry")] PaginatedListResponse: items => serde_json::Value,
        #[cfg(feature = "registry")] PaginatedDatasetListResponse: dataset_items => models::ItemDataset,
        #[cfg(feature = "job")] ListJobsResponse: jobs => models::JobStatusTable,
        #[cfg(feature = "job")] ListByBatchResponse: jobs => models::JobStatusTable,
        #[cfg(feature = "job")] AdminListJobsResponse: jobs => models::JobStatusTable,
        #[cfg(feature = "job")] AdminListByBatchResponse: jobs => models::JobStatusTable,
    }
    operations {
        #[cfg(feature = "registry")] "registry" list_agent_organisation: SubtypeListRequest => OrganisationListResponse,
        #[cfg(feature = "registry")] "registry" list_agent_person: SubtypeListRequest => PersonListResponse,
        #[cfg(feature = "registry")] "registry" list_entity_model: SubtypeListRequest => ModelListResponse,
        #[cfg(feature = "registry")] "registry" list_entity_model_run_workflow_template: SubtypeListRequest => ModelRunWorkflowTemplateListResponse,
        #[cfg(feature = "registry")] "registry" list_entity_dataset_template: SubtypeListRequest => DatasetTemplateListResponse,
        #[cfg(feature = "registry")] "registry" list_entity_dataset: SubtypeListRequest => DatasetListResponse,
        #[cfg(feature = "registry")] "registry" list_activity_study: SubtypeListRequest => StudyListResponse,
        #[cfg(feature = "registry")] "registry" list_activity_create: SubtypeListRequest => CreateListResponse,
        #[cfg(feature = "registry")] "registry" list_activity_version: SubtypeListRequest => VersionListResponse,
        #[cfg(feature = "registry")] "registry" list_activity_model_run: SubtypeListRequest => ModelRunListResponse,
        #[cfg(feature = "registry")] "registry" list: GeneralListRequest => PaginatedListResponse,
        #[cfg(feature = "registry")] "registry" list_releasing_datasets: ListUserReviewingDatasetsRequest => PaginatedDatasetListResponse,
        #[cfg(feature = "datastore")] "datastore" list: NoFilterSubtypeListRequest => DatasetListResponse,
        #[cfg(feature = "job")] "job" list_jobs: ListJobsRequest => ListJobsResponse,
        #[cfg(feature = "job")] "job" list_batch: ListByBatchRequest => ListByBatchResponse,
        #[cfg(feature = "job")] "job" admin_list_jobs: AdminListJobsRequest => AdminListJobsResponse,
        #[cfg(feature = "job")] "job" admin_list_batch: AdminListByBatchRequest => AdminListByBatchResponse,
    }
}

/// The row of `service`'s `operation_id`, as an operation name. Every
/// facade method below names a row of the table, which a unit test checks.
#[allow(dead_code)]
fn operation(service: &'static str, operation_id: &str) -> OperationName {
    PAGINATED_OPERATIONS
        .iter()
        .find(|row| row.service == service && row.operation_id == operation_id)
        .map(PaginatedOperation::name)
        .unwrap_or(OperationName {
            service,
            operation_id: "list",
        })
}

type Fetch<Req, Resp> = Arc<dyn Fn(Req) -> BoxFuture<'static, Result<Resp>> + Send + Sync>;

/// All the pages of one list, fetched on demand.
///
/// Made by the facade's `…_paginated` methods from a copy of the caller's
/// request; [`Paginator::pages`] and [`Paginator::items`] turn it into a
/// stream. See the [module documentation](self) for the rules the streams
/// follow.
pub struct Paginator<Req, Resp> {
    operation: OperationName,
    request: Req,
    fetch: Fetch<Req, Resp>,
    limit: Option<usize>,
}

impl<Req: std::fmt::Debug, Resp> std::fmt::Debug for Paginator<Req, Resp> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Paginator")
            .field("operation", &self.operation)
            .field("request", &self.request)
            .field("limit", &self.limit)
            .finish_non_exhaustive()
    }
}

impl<Req, Resp> Clone for Paginator<Req, Resp>
where
    Req: Clone,
{
    fn clone(&self) -> Self {
        Self {
            operation: self.operation,
            request: self.request.clone(),
            fetch: Arc::clone(&self.fetch),
            limit: self.limit,
        }
    }
}

impl<Req: PagedRequest, Resp: PagedResponse> Paginator<Req, Resp> {
    /// A paginator of `operation` starting from (a copy of) `request`, which
    /// fetches each page with `fetch`.
    ///
    /// The facade's `…_paginated` methods build theirs with this; use it
    /// for a list operation reached some other way (a mock, a wrapper).
    ///
    /// ```
    /// use futures_util::TryStreamExt;
    /// use provena_client::models::{ListJobsRequest, ListJobsResponse};
    /// use provena_client::pagination::Paginator;
    /// use provena_client::OperationName;
    ///
    /// # tokio_test_block_on(async {
    /// // A list served from memory: one page of nothing, ending the list.
    /// let operation = OperationName { service: "job", operation_id: "list_jobs" };
    /// let paginator = Paginator::new(operation, &ListJobsRequest::default(), |_request| async {
    ///     provena_client::Result::Ok(ListJobsResponse { jobs: vec![], pagination_key: None })
    /// });
    /// let jobs: Vec<_> = paginator.items().try_collect().await?;
    /// assert!(jobs.is_empty());
    /// # provena_client::Result::<()>::Ok(()) }).unwrap();
    /// # fn tokio_test_block_on<F: std::future::Future>(f: F) -> F::Output {
    /// #     tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(f)
    /// # }
    /// ```
    pub fn new<F, Fut>(operation: OperationName, request: &Req, fetch: F) -> Self
    where
        F: Fn(Req) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Resp>> + Send + 'static,
    {
        Self {
            operation,
            request: request.clone(),
            fetch: Arc::new(move |request| fetch(request).boxed()),
            limit: None,
        }
    }

    /// Stops after `total` items: [`Paginator::items`] yields at most that
    /// many, and neither stream fetches a page once the pages so far hold
    /// them (the last page of [`Paginator::pages`] can hold more).
    pub fn limit(mut self, total: usize) -> Self {
        self.limit = Some(total);
        self
    }

    /// The operation this paginator lists.
    pub fn operation(&self) -> OperationName {
        self.operation
    }

    /// The request of the first page (a copy of the caller's).
    pub fn request(&self) -> &Req {
        &self.request
    }

    /// Each page, whole, in order; see the [module documentation](self).
    pub fn pages(self) -> BoxStream<'static, Result<Resp>> {
        let Paginator {
            operation,
            request,
            fetch,
            limit,
        } = self;
        let mut seen = HashSet::new();
        if let Some(key) = request.pagination_key() {
            seen.insert(fingerprint(key));
        }
        let state = PageState {
            next: (limit != Some(0)).then_some(request),
            seen,
            remaining: limit,
            pages: 0,
            pending_error: None,
        };
        stream::unfold(state, move |mut state| {
            let fetch = Arc::clone(&fetch);
            async move {
                if let Some(error) = state.pending_error.take() {
                    return Some((Err(error), state));
                }
                let request = state.next.take()?;
                let page = match fetch(request.clone()).await {
                    Ok(page) => page,
                    Err(error) => return Some((Err(error), state)),
                };
                state.pages += 1;
                if let Some(remaining) = &mut state.remaining {
                    *remaining = remaining.saturating_sub(page.item_count());
                }
                if let Some(key) = page.next_key()
                    && state.remaining != Some(0)
                {
                    if state.seen.insert(fingerprint(key)) {
                        state.next = Some(request.with_pagination_key(Some(key.clone())));
                    } else {
                        state.pending_error = Some(Error::RepeatedPaginationKey {
                            operation,
                            page: state.pages,
                        });
                    }
                }
                Some((Ok(page), state))
            }
        })
        .boxed()
    }

    /// Each item of each page, in order; see the [module documentation](self).
    pub fn items(self) -> BoxStream<'static, Result<Resp::Item>> {
        let limit = self.limit;
        let items = self
            .pages()
            .map_ok(|page| stream::iter(page.into_items().into_iter().map(Ok)))
            .try_flatten();
        match limit {
            Some(total) => items.take(total).boxed(),
            None => items.boxed(),
        }
    }
}

struct PageState<Req> {
    /// The request of the next page; `None` once the list has ended.
    next: Option<Req>,
    /// Fingerprints of every key followed so far (8 bytes a page).
    seen: HashSet<u64>,
    /// Items still wanted, when limited.
    remaining: Option<usize>,
    /// Pages fetched so far.
    pages: usize,
    /// An error to yield after the page that caused it.
    pending_error: Option<Error>,
}

/// A fingerprint of a key: a hash of its JSON text. Keys come from one
/// server, which writes the same key the same way.
fn fingerprint(key: &PaginationKey) -> u64 {
    let mut hasher = DefaultHasher::new();
    serde_json::to_string(key)
        .unwrap_or_default()
        .hash(&mut hasher);
    hasher.finish()
}

/// A paginator whose pages come from `raw`'s generated method `$method`.
macro_rules! raw_paginator {
    ($raw:expr, $service:literal, $operation:literal, $request:expr, $method:ident) => {{
        let raw = $raw.clone();
        let name = operation($service, $operation);
        Paginator::new(name, $request, move |request| {
            let raw = raw.clone();
            async move { crate::transport::call(name, raw.$method(&request)).await }
        })
    }};
}

#[cfg(feature = "registry")]
impl crate::clients::registry::RegistryClient {
    /// Every item of subtype `S`, page by page from `request` (whose
    /// `page_size` sets the page size): [`Paginator::items`] yields the
    /// complete items (`items`); [`Paginator::pages`] gives whole pages,
    /// seeded and unparsable items included.
    ///
    /// ```no_run
    /// use futures_util::TryStreamExt;
    /// use provena_client::clients::registry::Organisation;
    /// # async fn run(client: provena_client::ProvenaClient) -> provena_client::Result<()> {
    /// let organisations: Vec<_> = client
    ///     .registry()
    ///     .list_items_paginated::<Organisation>(&Default::default())
    ///     .items()
    ///     .try_collect()
    ///     .await?;
    /// # let _ = organisations;
    /// # Ok(()) }
    /// ```
    pub fn list_items_paginated<S>(
        &self,
        request: &models::SubtypeListRequest,
    ) -> Paginator<models::SubtypeListRequest, S::ListResponse>
    where
        S: crate::clients::registry::ItemSubtype,
        S::ListResponse: PagedResponse,
    {
        let raw = self.raw().clone();
        let name = operation("registry", &subtype_list_operation(&S::ROUTE));
        Paginator::new(name, request, move |request| {
            let raw = raw.clone();
            async move { S::list(&raw, &request).await }
        })
    }

    /// Every dataset the caller is asked to review, page by page
    /// (`list_releasing_datasets`).
    ///
    /// ```no_run
    /// use futures_util::TryStreamExt;
    /// # async fn run(client: provena_client::ProvenaClient,
    /// #     request: provena_client::models::ListUserReviewingDatasetsRequest)
    /// #     -> provena_client::Result<()> {
    /// let mut datasets = client.registry().list_releasing_datasets_paginated(&request).items();
    /// while let Some(dataset) = datasets.try_next().await? {
    ///     println!("{}", dataset.id);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn list_releasing_datasets_paginated(
        &self,
        request: &models::ListUserReviewingDatasetsRequest,
    ) -> Paginator<models::ListUserReviewingDatasetsRequest, models::PaginatedDatasetListResponse>
    {
        raw_paginator!(
            self.raw(),
            "registry",
            "list_releasing_datasets",
            request,
            list_releasing_datasets
        )
    }
}

/// The `operationId` of subtype `route`'s list: `list_{category}_{name in
/// snake case}` (the marker's name, not its path segment:
/// `list_entity_model_run_workflow_template`).
#[cfg(feature = "registry")]
fn subtype_list_operation(route: &crate::clients::registry::SubtypeRoute) -> String {
    let mut name = String::new();
    for (index, c) in route.name.char_indices() {
        if c.is_ascii_uppercase() && index > 0 {
            name.push('_');
        }
        name.push(c.to_ascii_lowercase());
    }
    format!("list_{}_{name}", route.category.as_str())
}

#[cfg(feature = "registry")]
impl crate::clients::registry::RegistryGeneralClient<'_> {
    /// Every item of any subtype, page by page (`list`); items come as
    /// untyped JSON, as the general list returns them.
    ///
    /// ```no_run
    /// use futures_util::TryStreamExt;
    /// # async fn run(client: provena_client::ProvenaClient) -> provena_client::Result<()> {
    /// let count = client
    ///     .registry()
    ///     .general()
    ///     .list_general_registry_items_paginated(&Default::default())
    ///     .items()
    ///     .try_fold(0usize, |count, _item| async move { Ok(count + 1) })
    ///     .await?;
    /// println!("{count} items");
    /// # Ok(()) }
    /// ```
    pub fn list_general_registry_items_paginated(
        &self,
        request: &models::GeneralListRequest,
    ) -> Paginator<models::GeneralListRequest, models::PaginatedListResponse> {
        raw_paginator!(self.raw, "registry", "list", request, list)
    }
}

#[cfg(feature = "datastore")]
impl crate::clients::datastore::DatastoreClient {
    /// Every dataset, page by page (`list_datasets`).
    ///
    /// ```no_run
    /// use futures_util::TryStreamExt;
    /// # async fn run(client: provena_client::ProvenaClient) -> provena_client::Result<()> {
    /// let mut datasets = client.datastore().list_datasets_paginated(&Default::default()).items();
    /// while let Some(dataset) = datasets.try_next().await? {
    ///     println!("{}", dataset.id);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn list_datasets_paginated(
        &self,
        request: &models::NoFilterSubtypeListRequest,
    ) -> Paginator<models::NoFilterSubtypeListRequest, models::DatasetListResponse> {
        raw_paginator!(self.raw(), "datastore", "list", request, list)
    }
}

#[cfg(feature = "job")]
impl crate::clients::job::JobApiClient {
    /// Every job of the caller, page by page (`list_jobs`; the request's
    /// `limit` is the page size).
    ///
    /// ```no_run
    /// use futures_util::TryStreamExt;
    /// # async fn run(client: provena_client::ProvenaClient) -> provena_client::Result<()> {
    /// let mut jobs = client.job_api().list_jobs_paginated(&Default::default()).items();
    /// while let Some(job) = jobs.try_next().await? {
    ///     println!("{} {:?}", job.session_id, job.status);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn list_jobs_paginated(
        &self,
        request: &models::ListJobsRequest,
    ) -> Paginator<models::ListJobsRequest, models::ListJobsResponse> {
        raw_paginator!(self.raw(), "job", "list_jobs", request, list_jobs)
    }

    /// Every job of the caller in one batch, page by page
    /// (`list_jobs_in_batch`).
    ///
    /// ```no_run
    /// use futures_util::TryStreamExt;
    /// # async fn run(client: provena_client::ProvenaClient,
    /// #     request: provena_client::models::ListByBatchRequest) -> provena_client::Result<()> {
    /// let jobs: Vec<_> = client.job_api().list_jobs_in_batch_paginated(&request).items().try_collect().await?;
    /// # let _ = jobs;
    /// # Ok(()) }
    /// ```
    pub fn list_jobs_in_batch_paginated(
        &self,
        request: &models::ListByBatchRequest,
    ) -> Paginator<models::ListByBatchRequest, models::ListByBatchResponse> {
        raw_paginator!(self.raw(), "job", "list_batch", request, list_batch)
    }
}

#[cfg(feature = "job")]
impl crate::clients::job::JobApiAdminClient<'_> {
    /// Every job of every user, page by page (`admin_list_jobs`).
    ///
    /// ```no_run
    /// use futures_util::TryStreamExt;
    /// # async fn run(client: provena_client::ProvenaClient) -> provena_client::Result<()> {
    /// let jobs: Vec<_> = client
    ///     .job_api()
    ///     .admin()
    ///     .list_jobs_paginated(&Default::default())
    ///     .items()
    ///     .try_collect()
    ///     .await?;
    /// # let _ = jobs;
    /// # Ok(()) }
    /// ```
    pub fn list_jobs_paginated(
        &self,
        request: &models::AdminListJobsRequest,
    ) -> Paginator<models::AdminListJobsRequest, models::AdminListJobsResponse> {
        raw_paginator!(self.raw, "job", "admin_list_jobs", request, admin_list_jobs)
    }

    /// Every job of one batch, any user, page by page (`admin_list_batch`).
    ///
    /// ```no_run
    /// use futures_util::TryStreamExt;
    /// # async fn run(client: provena_client::ProvenaClient,
    /// #     request: provena_client::models::AdminListByBatchRequest) -> provena_client::Result<()> {
    /// let jobs: Vec<_> = client.job_api().admin().list_jobs_in_batch_paginated(&request).items().try_collect().await?;
    /// # let _ = jobs;
    /// # Ok(()) }
    /// ```
    pub fn list_jobs_in_batch_paginated(
        &self,
        request: &models::AdminListByBatchRequest,
    ) -> Paginator<models::AdminListByBatchRequest, models::AdminListByBatchResponse> {
        raw_paginator!(
            self.raw,
            "job",
            "admin_list_batch",
            request,
            admin_list_batch
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(feature = "registry")]
    #[test]
    fn every_subtype_list_has_a_row_in_the_table() {
        for route in crate::clients::registry::SUBTYPE_ROUTES {
            let id = subtype_list_operation(route);
            assert!(
                PAGINATED_OPERATIONS
                    .iter()
                    .any(|row| row.service == "registry" && row.operation_id == id),
                "{} lists with {id}, which the table lacks",
                route.name
            );
        }
    }

    #[test]
    fn operations_are_named_after_their_row() {
        for row in PAGINATED_OPERATIONS {
            assert_eq!(operation(row.service, row.operation_id), row.name());
        }
    }
}
