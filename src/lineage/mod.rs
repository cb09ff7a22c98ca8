//! Lineage as a typed graph: the node-link JSON of the provenance service's
//! lineage queries read into nodes, PROV relations and traversals.
//!
//! The six lineage operations of [`crate::clients::prov::ProvClient`]
//! (`explore_upstream`, `explore_downstream`, `get_contributing_datasets`,
//! `get_effected_datasets`, `get_contributing_agents`,
//! `get_effected_agents`) answer with a [`models::LineageResponse`], whose
//! `graph` is the untyped node-link serialisation the server's graph library
//! writes: `nodes` (each with an `id`, an `item_category` and an
//! `item_subtype`) and `links` (each with a `source`, a `target` and the PROV
//! relation as `type`). That response stays the wire type;
//! [`LineageResponse::lineage`](models::LineageResponse::lineage) (or
//! `LineageGraph::try_from(&response)`) reads it into a [`LineageGraph`].
//! Newer versions of the graph library call the edge list `edges`: both
//! names are read.
//!
//! ```no_run
//! # async fn run(client: provena_client::ProvenaClient) -> Result<(), Box<dyn std::error::Error>> {
//! use std::num::NonZeroU64;
//!
//! let response = client.prov().explore_upstream("10378.1/42", NonZeroU64::new(3)).await?;
//! let graph = response.lineage()?;
//! for node in graph.ancestors("10378.1/42")? {
//!     println!("{} ({:?})", node.id(), node.subtype());
//! }
//! std::fs::write("lineage.dot", graph.to_dot())?;
//! # Ok(()) }
//! ```
//!
//! # Direction
//!
//! PROV relations point from the later thing to the earlier one: an output
//! dataset `wasGeneratedBy` a model run, which `used` its inputs and
//! `wasAssociatedWith` its modeller. So [`LineageGraph::ancestors`] (what an
//! item came from, "upstream") follows edges forwards, and
//! [`LineageGraph::descendants`] (what came from it, "downstream") follows
//! them backwards.

mod render;

use std::collections::{HashMap, VecDeque};

use petgraph::Direction;
use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::EdgeRef;
use serde_json::{Map, Value};

pub use crate::ids::HandleId;
use crate::models;

/// A PROV-O relation between two lineage nodes: the edge's `type`.
///
/// The names are PROV-O's (`wasDerivedFrom`, `used`, ...), the ones the
/// provenance service stores. A name this client does not know is kept in
/// [`ProvRelation::Unknown`], so a newer server's relation reads fine.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ProvRelation {
    /// `wasDerivedFrom`: an entity made from another.
    WasDerivedFrom,
    /// `wasInfluencedBy`: a general influence (a dataset and its template).
    WasInfluencedBy,
    /// `wasRevisionOf`: a newer version of an entity.
    WasRevisionOf,
    /// `wasQuotedFrom`: an entity quoting another.
    WasQuotedFrom,
    /// `hadPrimarySource`: an entity's primary source.
    HadPrimarySource,
    /// `hadMember`: a collection and a member (a workflow template and its
    /// dataset templates).
    HadMember,
    /// `alternateOf`: two aspects of one thing.
    AlternateOf,
    /// `specializationOf`: a more specific aspect of an entity.
    SpecializationOf,
    /// `wasGeneratedBy`: an entity and the activity that produced it.
    WasGeneratedBy,
    /// `used`: an activity and an entity it consumed.
    Used,
    /// `wasInvalidatedBy`: an entity and the activity that ended it.
    WasInvalidatedBy,
    /// `wasAttributedTo`: an entity and the agent responsible for it.
    WasAttributedTo,
    /// `wasInformedBy`: an activity and another whose result it used (a model
    /// run and its study).
    WasInformedBy,
    /// `wasAssociatedWith`: an activity and an agent taking part in it.
    WasAssociatedWith,
    /// `actedOnBehalfOf`: an agent and the agent it acted for.
    ActedOnBehalfOf,
    /// A relation this client does not know, as the server sent it.
    Unknown(String),
}

/// Every known relation with its PROV-O name.
const RELATIONS: &[(ProvRelation, &str)] = &[
    (ProvRelation::WasDerivedFrom, "wasDerivedFrom"),
    (ProvRelation::WasInfluencedBy, "wasInfluencedBy"),
    (ProvRelation::WasRevisionOf, "wasRevisionOf"),
    (ProvRelation::WasQuotedFrom, "wasQuotedFrom"),
    (ProvRelation::HadPrimarySource, "hadPrimarySource"),
    (ProvRelation::HadMember, "hadMember"),
    (ProvRelation::AlternateOf, "alternateOf"),
    (ProvRelation::SpecializationOf, "specializationOf"),
    (ProvRelation::WasGeneratedBy, "wasGeneratedBy"),
    (ProvRelation::Used, "used"),
    (ProvRelation::WasInvalidatedBy, "wasInvalidatedBy"),
    (ProvRelation::WasAttributedTo, "wasAttributedTo"),
    (ProvRelation::WasInformedBy, "wasInformedBy"),
    (ProvRelation::WasAssociatedWith, "wasAssociatedWith"),
    (ProvRelation::ActedOnBehalfOf, "actedOnBehalfOf"),
];

impl ProvRelation {
    /// Reads a relation name. The server's own lookup ignores case, spaces
    /// and underscores (`WAS_DERIVED_FROM` is `wasDerivedFrom`); so does this.
    pub fn parse(name: &str) -> Self {
        let normalised: String = name
            .chars()
            .filter(|c| *c != '_' && *c != ' ')
            .flat_map(char::to_lowercase)
            .collect();
        RELATIONS
            .iter()
            .find(|(_, known)| known.to_lowercase() == normalised)
            .map(|(relation, _)| relation.clone())
            .unwrap_or_else(|| ProvRelation::Unknown(name.to_owned()))
    }

    /// The PROV-O name (`wasDerivedFrom`), or an unknown relation as sent.
    pub fn as_str(&self) -> &str {
        match self {
            ProvRelation::Unknown(name) => name,
            known => RELATIONS
                .iter()
                .find(|(relation, _)| relation == known)
                .map_or("", |(_, name)| name),
        }
    }

    /// Whether this client knows the relation.
    pub fn is_known(&self) -> bool {
        !matches!(self, ProvRelation::Unknown(_))
    }
}

impl std::fmt::Display for ProvRelation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One item of a lineage graph.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    id: HandleId,
    subtype: Option<models::ItemSubType>,
    category: Option<models::ItemCategory>,
    attributes: Map<String, Value>,
}

impl Node {
    /// The item's handle id.
    pub fn id(&self) -> &HandleId {
        &self.id
    }

    /// The item's subtype (`DATASET`, `MODEL_RUN`, ...); `None` when the
    /// server sent none.
    pub fn subtype(&self) -> Option<&models::ItemSubType> {
        self.subtype.as_ref()
    }

    /// The item's category (`ENTITY`, `ACTIVITY`, `AGENT`); `None` when the
    /// server sent none.
    pub fn category(&self) -> Option<&models::ItemCategory> {
        self.category.as_ref()
    }

    /// Everything the server sent about the node except its `id`, as sent
    /// (`item_category`, `item_subtype`, and any attribute a newer server adds).
    pub fn attributes(&self) -> &Map<String, Value> {
        &self.attributes
    }
}

/// One PROV relation of a lineage graph, from `source` to `target`.
#[derive(Debug, Clone, PartialEq)]
pub struct Edge {
    source: HandleId,
    target: HandleId,
    relation: ProvRelation,
    attributes: Map<String, Value>,
}

impl Edge {
    /// The node the relation starts at (the later thing: the output dataset
    /// of `wasGeneratedBy`).
    pub fn source(&self) -> &HandleId {
        &self.source
    }

    /// The node the relation points to (the earlier thing: the model run of
    /// `wasGeneratedBy`).
    pub fn target(&self) -> &HandleId {
        &self.target
    }

    /// The PROV relation.
    pub fn relation(&self) -> &ProvRelation {
        &self.relation
    }

    /// Everything the server sent about the edge except `source` and
    /// `target`, as sent (`type`, and any attribute a newer server adds).
    pub fn attributes(&self) -> &Map<String, Value> {
        &self.attributes
    }
}

/// Why a lineage response could not be read as a graph, or a traversal
/// could not start.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LineageError {
    /// The response carries no `graph` at all.
    #[error("the lineage response carries no graph")]
    MissingGraph,
    /// The graph is not a node-link graph (no `nodes` list, no `links` or
    /// `edges` list, or both of the latter, or a list member that is not an
    /// object).
    #[error("the lineage graph is not a node-link graph: {message}")]
    NotNodeLink {
        /// What the decoder found wrong.
        message: String,
    },
    /// A node or edge lacks a member it must have, or has it with a value
    /// that is not a string.
    #[error("{element} {index} of the lineage graph has no string `{field}`")]
    MissingField {
        /// `"node"` or `"edge"`.
        element: &'static str,
        /// Its position in its list, from 0.
        index: usize,
        /// The member: `id`, `source`, `target` or `type`.
        field: &'static str,
    },
    /// Two nodes have the same id.
    #[error("node {index} of the lineage graph repeats the id `{id}`")]
    DuplicateNode {
        /// The repeated id.
        id: String,
        /// Position of the second node with it.
        index: usize,
    },
    /// An edge names a node the graph does not have.
    #[error("edge {index} of the lineage graph names {end} `{id}`, which is not one of its nodes")]
    UnknownEndpoint {
        /// Position of the edge in its list.
        index: usize,
        /// `"source"` or `"target"`.
        end: &'static str,
        /// The id it names.
        id: String,
    },
    /// A traversal was asked to start from (or end at) an id that is not in
    /// the graph.
    #[error("`{id}` is not a node of this lineage graph")]
    NoSuchNode {
        /// The id asked for.
        id: String,
    },
}

/// A typed lineage graph: items as [`Node`]s, PROV relations as [`Edge`]s.
///
/// Built from a [`models::LineageResponse`] with
/// [`LineageResponse::lineage`](models::LineageResponse::lineage) or
/// `LineageGraph::try_from(&response)`, or from a saved node-link object with
/// [`LineageGraph::from_node_link`]. Nodes and edges keep the server's order.
/// Rendered with [`LineageGraph::to_dot`] and [`LineageGraph::to_mermaid`].
#[derive(Debug, Clone)]
pub struct LineageGraph {
    graph: DiGraph<Node, Edge>,
    index: HashMap<HandleId, NodeIndex>,
}

/// The node-link layout: `links`, or `edges` as newer writers name it.
#[derive(serde::Deserialize)]
struct WireGraph {
    nodes: Vec<Map<String, Value>>,
    #[serde(alias = "edges")]
    links: Vec<Map<String, Value>>,
}

/// A string member of a node or edge, or the error naming it.
fn string_field(
    object: &Map<String, Value>,
    element: &'static str,
    index: usize,
    field: &'static str,
) -> Result<String, LineageError> {
    match object.get(field) {
        Some(Value::String(value)) => Ok(value.clone()),
        _ => Err(LineageError::MissingField {
            element,
            index,
            field,
        }),
    }
}

impl LineageGraph {
    /// Reads a node-link graph object (the `graph` member of a lineage
    /// response), with its edges under `links` or `edges`.
    ///
    /// # Errors
    ///
    /// A [`LineageError`] naming the first problem: the layout is not
    /// node-link, a node has no string `id`, an edge no string `source`,
    /// `target` or `type`, an id is repeated, or an edge names a node that
    /// is not in the list.
    ///
    /// ```
    /// use provena_client::lineage::{LineageGraph, ProvRelation};
    ///
    /// let json = serde_json::json!({
    ///     "directed": true, "multigraph": false, "graph": {},
    ///     "nodes": [
    ///         {"id": "10378.1/2", "item_category": "ENTITY", "item_subtype": "DATASET"},
    ///         {"id": "10378.1/1", "item_category": "ACTIVITY", "item_subtype": "MODEL_RUN"}
    ///     ],
    ///     "edges": [{"source": "10378.1/2", "target": "10378.1/1", "type": "wasGeneratedBy"}]
    /// });
    /// let graph = LineageGraph::from_node_link(json.as_object().unwrap())?;
    /// let edge = graph.edges().next().unwrap();
    /// assert_eq!(edge.relation(), &ProvRelation::WasGeneratedBy);
    /// # Ok::<(), provena_client::lineage::LineageError>(())
    /// ```
    pub fn from_node_link(graph: &Map<String, Value>) -> Result<Self, LineageError> {
        let wire: WireGraph =
            serde_json::from_value(Value::Object(graph.clone())).map_err(|error| {
                LineageError::NotNodeLink {
                    message: error.to_string(),
                }
            })?;
        let mut built = DiGraph::with_capacity(wire.nodes.len(), wire.links.len());
        let mut index = HashMap::with_capacity(wire.nodes.len());
        for (position, mut attributes) in wire.nodes.into_iter().enumerate() {
            let id = HandleId::from(string_field(&attributes, "node", position, "id")?);
            attributes.remove("id");
            let text = |key: &str| attributes.get(key).and_then(Value::as_str);
            let node = Node {
                subtype: text("item_subtype").map(models::ItemSubType::from),
                category: text("item_category").map(models::ItemCategory::from),
                id: id.clone(),
                attributes,
            };
            if index.contains_key(&id) {
                return Err(LineageError::DuplicateNode {
                    id: id.into_string(),
                    index: position,
                });
            }
            index.insert(id, built.add_node(node));
        }
        for (position, mut attributes) in wire.links.into_iter().enumerate() {
            let source = string_field(&attributes, "edge", position, "source")?;
            let target = string_field(&attributes, "edge", position, "target")?;
            let relation =
                ProvRelation::parse(&string_field(&attributes, "edge", position, "type")?);
            let endpoint = |end: &'static str, id: &str| {
                index
                    .get(id)
                    .copied()
                    .ok_or_else(|| LineageError::UnknownEndpoint {
                        index: position,
                        end,
                        id: id.to_owned(),
                    })
            };
            let from = endpoint("source", &source)?;
            let to = endpoint("target", &target)?;
            attributes.remove("source");
            attributes.remove("target");
            let edge = Edge {
                source: HandleId::from(source),
                target: HandleId::from(target),
                relation,
                attributes,
            };
            built.add_edge(from, to, edge);
        }
        Ok(Self {
            graph: built,
            index,
        })
    }

    /// The nodes, in the server's order.
    pub fn nodes(&self) -> impl Iterator<Item = &Node> + '_ {
        self.graph.node_weights()
    }

    /// The edges, in the server's order.
    pub fn edges(&self) -> impl Iterator<Item = &Edge> + '_ {
        self.graph.edge_weights()
    }

    /// How many nodes the graph has.
    pub fn node_count(&self) -> usize {
        self.graph.node_count()
    }

    /// How many edges the graph has.
    pub fn edge_count(&self) -> usize {
        self.graph.edge_count()
    }

    /// The node with this id, if the graph has it.
    pub fn node(&self, id: impl AsRef<str>) -> Option<&Node> {
        self.index
            .get(id.as_ref())
            .and_then(|at| self.graph.node_weight(*at))
    }

    /// The edges leaving `id` (what it directly came from), if the graph has it.
    pub fn edges_from(&self, id: impl AsRef<str>) -> Result<Vec<&Edge>, LineageError> {
        let at = self.locate(id.as_ref())?;
        Ok(self.adjacent_edges(at, Direction::Outgoing))
    }

    /// The edges arriving at `id` (what directly came from it), if the graph has it.
    pub fn edges_to(&self, id: impl AsRef<str>) -> Result<Vec<&Edge>, LineageError> {
        let at = self.locate(id.as_ref())?;
        Ok(self.adjacent_edges(at, Direction::Incoming))
    }

    /// Everything `id` came from ("upstream"): the nodes reachable along the
    /// edges' direction, each once, nearest first (equally near ones in the
    /// server's edge order), without `id` itself even when a cycle leads
    /// back to it.
    ///
    /// # Errors
    ///
    /// [`LineageError::NoSuchNode`] when `id` is not in the graph.
    pub fn ancestors(&self, id: impl AsRef<str>) -> Result<Vec<&Node>, LineageError> {
        let start = self.locate(id.as_ref())?;
        Ok(self.breadth_first(start, Direction::Outgoing))
    }

    /// Everything that came from `id` ("downstream"): the nodes reachable
    /// against the edges' direction, each once, nearest first, without `id`
    /// itself.
    ///
    /// # Errors
    ///
    /// [`LineageError::NoSuchNode`] when `id` is not in the graph.
    pub fn descendants(&self, id: impl AsRef<str>) -> Result<Vec<&Node>, LineageError> {
        let start = self.locate(id.as_ref())?;
        Ok(self.breadth_first(start, Direction::Incoming))
    }

    /// Every path from `from` to `to` along the edges' direction (so `from`
    /// is the later item: `paths(output, input)` says how an output came
    /// from an input), each as the ids it passes, both ends included. Paths
    /// never visit a node twice, so cycles end; there are none when `to`
    /// cannot be reached or `from == to`.
    ///
    /// The paths come one at a time, found as they are asked for: their
    /// number can grow exponentially with the graph's width, so take what
    /// you need (`.take(n)`, `.next()`) rather than collecting a wide graph's
    /// paths whole.
    ///
    /// # Errors
    ///
    /// [`LineageError::NoSuchNode`] when either id is not in the graph.
    ///
    /// # Example
    ///
    /// ```
    /// # use provena_client::lineage::{LineageGraph, LineageError};
    /// # fn main() -> Result<(), LineageError> {
    /// let answer = serde_json::json!({
    ///     "nodes": [{"id": "out"}, {"id": "run"}, {"id": "in"}],
    ///     "links": [
    ///         {"source": "out", "target": "run", "type": "wasGeneratedBy"},
    ///         {"source": "run", "target": "in", "type": "used"}
    ///     ]
    /// });
    /// let graph = LineageGraph::from_node_link(answer.as_object().unwrap())?;
    /// let first: Vec<&str> = graph
    ///     .paths("out", "in")?
    ///     .next()
    ///     .map(|path| path.into_iter().map(|id| id.as_str()).collect())
    ///     .unwrap_or_default();
    /// assert_eq!(first, ["out", "run", "in"]);
    /// # Ok(())
    /// # }
    /// ```
    pub fn paths(
        &self,
        from: impl AsRef<str>,
        to: impl AsRef<str>,
    ) -> Result<impl Iterator<Item = Vec<&HandleId>> + '_, LineageError> {
        let start = self.locate(from.as_ref())?;
        let end = self.locate(to.as_ref())?;
        // `from == to` has no path of one edge or more; petgraph would
        // otherwise search the whole graph for a way back.
        let search = (start != end).then(|| {
            petgraph::algo::all_simple_paths::<Vec<NodeIndex>, _, std::hash::RandomState>(
                &self.graph,
                start,
                end,
                0,
                None,
            )
        });
        Ok(search.into_iter().flatten().map(move |path| {
            path.into_iter()
                .filter_map(|at| self.graph.node_weight(at).map(Node::id))
                .collect()
        }))
    }

    fn locate(&self, id: &str) -> Result<NodeIndex, LineageError> {
        self.index
            .get(id)
            .copied()
            .ok_or_else(|| LineageError::NoSuchNode { id: id.to_owned() })
    }

    /// The nodes reachable from `start` in `direction`, breadth first, each
    /// once, `start` excluded; neighbours in the server's edge order, so the
    /// result is the same for the same response.
    fn breadth_first(&self, start: NodeIndex, direction: Direction) -> Vec<&Node> {
        let mut seen = vec![false; self.graph.node_count()];
        let mut queue = VecDeque::from([start]);
        if let Some(flag) = seen.get_mut(start.index()) {
            *flag = true;
        }
        let mut found = Vec::new();
        while let Some(at) = queue.pop_front() {
            let mut next: Vec<_> = self.graph.edges_directed(at, direction).collect();
            next.sort_by_key(EdgeRef::id);
            for edge in next {
                let other = match direction {
                    Direction::Outgoing => edge.target(),
                    Direction::Incoming => edge.source(),
                };
                if let Some(flag) = seen.get_mut(other.index()).filter(|flag| !**flag) {
                    *flag = true;
                    found.extend(self.graph.node_weight(other));
                    queue.push_back(other);
                }
            }
        }
        found
    }

    fn adjacent_edges(&self, at: NodeIndex, direction: Direction) -> Vec<&Edge> {
        let mut edges: Vec<_> = self.graph.edges_directed(at, direction).collect();
        // petgraph lists a node's edges newest first; keep the server's order.
        edges.sort_by_key(EdgeRef::id);
        edges.into_iter().map(|edge| edge.weight()).collect()
    }
}

impl TryFrom<&models::LineageResponse> for LineageGraph {
    type Error = LineageError;

    fn try_from(response: &models::LineageResponse) -> Result<Self, LineageError> {
        response
            .graph
            .as_ref()
            .ok_or(LineageError::MissingGraph)
            .and_then(LineageGraph::from_node_link)
    }
}

impl models::LineageResponse {
    /// The response's graph, typed: what every lineage operation of the
    /// provenance service returns, read into a [`LineageGraph`].
    ///
    /// ```no_run
    /// # async fn run(client: provena_client::ProvenaClient) -> Result<(), Box<dyn std::error::Error>> {
    /// let graph = client.prov().get_contributing_datasets("10378.1/42", None).await?.lineage()?;
    /// println!("{}", graph.to_mermaid());
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// A [`LineageError`] when the response has no graph or the graph is
    /// malformed (see [`LineageGraph::from_node_link`]).
    pub fn lineage(&self) -> Result<LineageGraph, LineageError> {
        LineageGraph::try_from(self)
    }
}
