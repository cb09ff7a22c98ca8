//! Search the registry, then load every hit as a typed item.
//!
//! The search service answers with ids and scores only. [`SearchAndFetch`]
//! (from [`ProvenaClient::search_and_fetch`]) searches for items of one
//! subtype, fetches the hits from the registry a few at a time, and sorts
//! them into three lists of [`SearchResults`]:
//!
//! - `loaded`: the items, typed (`ItemDataset` for [`Dataset`], ...), each
//!   with its search score, in the search's order;
//! - `forbidden`: hits the caller may not read. The registry answers a fetch
//!   of an item whose access settings give the caller no read role with a
//!   401 ("not authorised to fetch this item"), so a 401 or a 403 on a
//!   fetch lands here (the search itself succeeded with the same token);
//! - `failed`: every other failure (the item is gone, the registry is
//!   down, the answer does not decode), each with its error.
//!
//! The search itself failing is the call's error.
//!
//! ```no_run
//! use provena_client::clients::registry::Dataset;
//! # async fn run(client: provena_client::ProvenaClient) -> provena_client::Result<()> {
//! let found = client
//!     .search_and_fetch::<Dataset>("soil moisture")
//!     .limit(20)
//!     .concurrency(4)
//!     .send()
//!     .await?;
//! for hit in &found.loaded {
//!     println!("{:.2} {} {}", hit.score, hit.id, hit.item.display_name);
//! }
//! println!("{} hidden from you, {} failed", found.forbidden.len(), found.failed.len());
//! # Ok(()) }
//! ```
//!
//! The entry point is on [`ProvenaClient`] rather than on
//! [`crate::clients::search::SearchClient`] because it uses two services:
//! the search client knows only the search service.

use std::marker::PhantomData;

use futures_util::{StreamExt, stream};

use crate::ProvenaClient;
use crate::clients::registry::{
    Create, Dataset, DatasetTemplate, ItemSubtype, Model, ModelRun, ModelRunWorkflowTemplate,
    Organisation, Person, RegistryClient, Study, Version,
};
use crate::ids::HandleId;
use crate::models;

/// How many fetches run at once unless [`SearchAndFetch::concurrency`] says
/// otherwise.
pub const DEFAULT_CONCURRENCY: usize = 4;

/// A registry subtype whose fetched items [`SearchAndFetch`] can unpack:
/// every subtype of [`crate::clients::registry`].
///
/// Implemented for each marker type; its method is the building block of
/// [`SearchAndFetch`], not meant to be called directly.
pub trait Fetchable: ItemSubtype {
    /// The complete item of this subtype (`ItemDataset`, `ItemPerson`, ...).
    type Item: Clone + std::fmt::Debug + Send + Sync + 'static;

    /// Takes the complete item, the caller's roles and the lock flag out of
    /// a fetch answer; `None` when it holds no complete item (no item, or
    /// only a seed).
    #[doc(hidden)]
    fn unpack(response: Self::FetchResponse) -> Option<Unpacked<Self::Item>>;
}

/// What [`Fetchable::unpack`] takes out of a fetch answer.
#[doc(hidden)]
#[derive(Debug)]
pub struct Unpacked<T> {
    pub item: T,
    pub roles: Vec<String>,
    pub locked: Option<bool>,
}

/// Implements [`Fetchable`] for marker types whose fetch answer is
/// `{Ty}FetchResponse` with an `item` that is `Item{Ty}` or a seed.
macro_rules! fetchable {
    ($($marker:ident),* $(,)?) => {
        $(
            pastey::paste! {
                impl Fetchable for $marker {
                    type Item = models::[<Item $marker>];

                    fn unpack(response: models::[<$marker FetchResponse>]) -> Option<Unpacked<Self::Item>> {
                        match response.item {
                            Some(models::[<$marker FetchResponseItem>]::[<Item $marker>](item)) => Some(Unpacked {
                                item,
                                roles: response.roles.unwrap_or_default(),
                                locked: response.locked,
                            }),
                            _ => None,
                        }
                    }
                }
            }
        )*
    };
}

fetchable!(
    Organisation,
    Person,
    Model,
    ModelRunWorkflowTemplate,
    DatasetTemplate,
    Dataset,
    Study,
    Create,
    Version,
    ModelRun,
);

/// One hit of a search: the item's id and its relevance score.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    /// The item's handle id.
    pub id: HandleId,
    /// The search service's score (higher is more relevant).
    pub score: f64,
}

/// A hit loaded from the registry.
#[derive(Debug, Clone)]
pub struct Loaded<S: Fetchable> {
    /// The item's handle id.
    pub id: HandleId,
    /// The search service's score.
    pub score: f64,
    /// The complete item.
    pub item: S::Item,
    /// The caller's roles on the item, as the registry reported them.
    pub roles: Vec<String>,
    /// Whether the item is locked against changes, if the registry said.
    pub locked: Option<bool>,
}

/// A hit that could not be loaded, with why.
#[derive(Debug)]
pub struct FailedHit {
    /// The hit.
    pub hit: Hit,
    /// What went wrong.
    pub error: LoadError,
}

/// Why one hit could not be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoadError {
    /// The registry fetch failed; the error names the operation and status.
    #[error(transparent)]
    Fetch(#[from] crate::Error),
    /// The registry answered without a complete item (no item, or a seed
    /// that was never completed).
    #[error("the registry holds no complete item for `{id}`")]
    NoItem {
        /// The hit's id.
        id: HandleId,
    },
}

impl LoadError {
    /// Whether the caller may not read the item (a 401 or 403 on its fetch).
    pub fn is_forbidden(&self) -> bool {
        matches!(
            self,
            LoadError::Fetch(crate::Error::Unauthorized { .. } | crate::Error::Forbidden { .. })
        )
    }
}

/// What [`SearchAndFetch::send`] found, sorted by outcome; each list keeps
/// the search's order (best score first).
#[derive(Debug)]
pub struct SearchResults<S: Fetchable> {
    /// Hits loaded as typed items.
    pub loaded: Vec<Loaded<S>>,
    /// Hits the caller may not read (their fetch answered 401 or 403), with
    /// the registry's answer.
    pub forbidden: Vec<FailedHit>,
    /// Hits that failed otherwise.
    pub failed: Vec<FailedHit>,
    /// The search service's warnings, if it sent any.
    pub warnings: Vec<String>,
}

impl<S: Fetchable> SearchResults<S> {
    /// How many hits the search returned.
    pub fn hit_count(&self) -> usize {
        self.loaded.len() + self.forbidden.len() + self.failed.len()
    }
}

/// One hit's fetch, unpacked or failed.
type Outcome<S> = Result<Unpacked<<S as Fetchable>::Item>, LoadError>;

/// A search followed by a fetch of every hit: built by
/// [`ProvenaClient::search_and_fetch`], run by [`SearchAndFetch::send`].
#[derive(Debug, Clone)]
#[must_use = "a search does nothing until `send()` is awaited"]
pub struct SearchAndFetch<'a, S> {
    client: &'a ProvenaClient,
    query: String,
    limit: Option<u64>,
    concurrency: usize,
    subtype: PhantomData<fn() -> S>,
}

impl<S: Fetchable> SearchAndFetch<'_, S> {
    /// At most `limit` hits (default: the search service's default).
    pub fn limit(mut self, limit: u64) -> Self {
        self.limit = Some(limit);
        self
    }

    /// At most `concurrency` registry fetches at once (default
    /// [`DEFAULT_CONCURRENCY`]; 0 counts as 1).
    pub fn concurrency(mut self, concurrency: usize) -> Self {
        self.concurrency = concurrency.max(1);
        self
    }

    /// Searches, then fetches every hit.
    ///
    /// # Errors
    ///
    /// Only the search's own failure: each hit's failure is reported in
    /// [`SearchResults::forbidden`] or [`SearchResults::failed`].
    pub async fn send(self) -> crate::Result<SearchResults<S>> {
        let limit = self.limit.map(|l| i64::try_from(l).unwrap_or(i64::MAX));
        let found = self
            .client
            .search()
            .search_registry(&self.query, limit, Some(S::ROUTE.item_subtype))
            .await?;
        let hits = found
            .results
            .unwrap_or_default()
            .into_iter()
            .map(|hit| Hit {
                id: HandleId::from(hit.id),
                score: hit.score,
            });
        let registry = self.client.registry();
        let outcomes: Vec<(Hit, Outcome<S>)> = stream::iter(hits)
            .map(|hit| fetch_one::<S>(registry, hit))
            .buffered(self.concurrency)
            .collect()
            .await;
        let mut results = SearchResults {
            loaded: Vec::new(),
            forbidden: Vec::new(),
            failed: Vec::new(),
            warnings: found.warnings.unwrap_or_default(),
        };
        for (hit, outcome) in outcomes {
            match outcome {
                Ok(unpacked) => results.loaded.push(Loaded {
                    id: hit.id,
                    score: hit.score,
                    item: unpacked.item,
                    roles: unpacked.roles,
                    locked: unpacked.locked,
                }),
                Err(error) if error.is_forbidden() => {
                    results.forbidden.push(FailedHit { hit, error })
                }
                Err(error) => results.failed.push(FailedHit { hit, error }),
            }
        }
        Ok(results)
    }
}

/// Fetches one hit and unpacks its item.
async fn fetch_one<S: Fetchable>(registry: &RegistryClient, hit: Hit) -> (Hit, Outcome<S>) {
    let outcome = match registry.fetch_item::<S>(hit.id.as_str(), None).await {
        Ok(response) => S::unpack(response).ok_or_else(|| LoadError::NoItem { id: hit.id.clone() }),
        Err(error) => Err(LoadError::Fetch(error)),
    };
    (hit, outcome)
}

impl ProvenaClient {
    /// Searches the registry for items of subtype `S` matching `query`, then
    /// fetches the hits as typed items; set options on the builder and
    /// finish with [`SearchAndFetch::send`]. See [the module](crate::search_and_fetch).
    ///
    /// ```no_run
    /// use provena_client::clients::registry::Model;
    /// # async fn run(client: provena_client::ProvenaClient) -> provena_client::Result<()> {
    /// let models = client.search_and_fetch::<Model>("hydrology").limit(5).send().await?;
    /// for model in models.loaded {
    ///     println!("{} {}", model.id, model.item.name);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn search_and_fetch<S: Fetchable>(
        &self,
        query: impl Into<String>,
    ) -> SearchAndFetch<'_, S> {
        SearchAndFetch {
            client: self,
            query: query.into(),
            limit: None,
            concurrency: DEFAULT_CONCURRENCY,
            subtype: PhantomData,
        }
    }

    /// Searches for datasets and loads them: the Python client's
    /// `datastore.search_datasets(query, limit)`, as
    /// `search_and_fetch::<Dataset>(query)` with `limit` (`None`: the search
    /// service's default; the Python client's is 25).
    ///
    /// ```no_run
    /// # async fn run(client: provena_client::ProvenaClient) -> provena_client::Result<()> {
    /// let datasets = client.search_datasets("rainfall", Some(25)).await?;
    /// println!("{} loaded, {} not readable", datasets.loaded.len(), datasets.forbidden.len());
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// The search's own failure; see [`SearchAndFetch::send`].
    pub async fn search_datasets(
        &self,
        query: &str,
        limit: Option<u64>,
    ) -> crate::Result<SearchResults<Dataset>> {
        let request = self.search_and_fetch::<Dataset>(query);
        match limit {
            Some(limit) => request.limit(limit).send().await,
            None => request.send().await,
        }
    }
}
