//! `provena lineage ID`: what an item came from, or what came of it.

use std::collections::BTreeSet;
use std::num::NonZeroU64;

use clap::{Args, ValueEnum};
use provena_client::lineage::LineageGraph;

use crate::context::Context;
use crate::error::CliError;

/// How the graph is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Shape {
    /// An indented tree from the item (the default).
    Tree,
    /// Graphviz DOT (`dot -Tsvg`).
    Dot,
    /// A Mermaid flowchart.
    Mermaid,
    /// The node-link JSON the prov service answered.
    Json,
}

/// Options of `provena lineage`.
#[derive(Debug, Args)]
pub struct Lineage {
    /// The item's id.
    id: String,
    /// What the item came from (the default).
    #[arg(long, conflicts_with = "downstream")]
    upstream: bool,
    /// What came of the item.
    #[arg(long)]
    downstream: bool,
    /// At most this many hops (the service's default when absent).
    #[arg(long)]
    depth: Option<NonZeroU64>,
    /// The printed form; `--output json` implies `json`.
    #[arg(long, value_enum, default_value_t = Shape::Tree)]
    format: Shape,
}

pub async fn lineage(context: &Context, args: Lineage) -> Result<(), CliError> {
    let client = context.client()?;
    let answer = if args.downstream {
        client
            .prov()
            .explore_downstream(&args.id, args.depth)
            .await?
    } else {
        client.prov().explore_upstream(&args.id, args.depth).await?
    };
    let shape = if context.out.is_json() {
        Shape::Json
    } else {
        args.format
    };
    let graph = answer
        .lineage()
        .map_err(|e| CliError::Failed(format!("the lineage of {} is unreadable: {e}", args.id)))?;
    let text = match shape {
        Shape::Json => serde_json::to_string_pretty(&answer.graph)
            .map_err(|e| CliError::Failed(format!("cannot print the graph: {e}")))?,
        Shape::Dot => graph.to_dot(),
        Shape::Mermaid => graph.to_mermaid(),
        Shape::Tree => tree(&graph, &args.id, args.downstream),
    };
    let text = if text.ends_with('\n') {
        text
    } else {
        text + "\n"
    };
    context.out.raw(text.as_bytes())
}

/// The item, then each neighbour one level deeper with the relation that
/// links them; an item met again is marked and not expanded (cycles end).
pub fn tree(graph: &LineageGraph, root: &str, downstream: bool) -> String {
    let mut out = String::new();
    let mut seen = BTreeSet::new();
    line(graph, root, None, 0, &mut out);
    walk(graph, root, downstream, 1, &mut seen, &mut out);
    out
}

fn walk(
    graph: &LineageGraph,
    id: &str,
    downstream: bool,
    depth: usize,
    seen: &mut BTreeSet<String>,
    out: &mut String,
) {
    if !seen.insert(id.to_owned()) {
        return;
    }
    // PROV edges point from the later item to the earlier one.
    let edges = if downstream {
        graph.edges_to(id)
    } else {
        graph.edges_from(id)
    };
    for edge in edges.unwrap_or_default() {
        let next = if downstream {
            edge.source()
        } else {
            edge.target()
        };
        let again = seen.contains(next.as_str());
        line(
            graph,
            next.as_str(),
            Some((edge.relation().as_str(), again)),
            depth,
            out,
        );
        if !again {
            walk(graph, next.as_str(), downstream, depth + 1, seen, out);
        }
    }
}

fn line(graph: &LineageGraph, id: &str, via: Option<(&str, bool)>, depth: usize, out: &mut String) {
    let subtype = graph
        .node(id)
        .and_then(|node| node.subtype())
        .map(|s| s.as_str().to_owned())
        .unwrap_or_default();
    out.push_str(&"  ".repeat(depth));
    if let Some((relation, again)) = via {
        out.push_str(&format!("{relation} → "));
        out.push_str(&format!("{id} {subtype}"));
        if again {
            out.push_str(" (see above)");
        }
    } else {
        out.push_str(&format!("{id} {subtype}"));
    }
    out.push('\n');
}
