//! Text renderings of a lineage graph: Graphviz DOT and Mermaid.
//!
//! Ids and relation names come from the server and may hold anything, so
//! neither renderer ever writes them as syntax: nodes are named `n0`, `n1`,
//! ... in the graph's order, and ids, subtypes and relations appear only
//! inside quoted labels, escaped for the target language.

use std::fmt::Write as _;

use super::{Edge, LineageGraph, Node};

impl LineageGraph {
    /// The graph in Graphviz DOT: one box per node labelled with its id and
    /// subtype, one arrow per relation labelled with its PROV name, in the
    /// graph's order (so the output is stable for a given response).
    ///
    /// ```
    /// use provena_client::lineage::LineageGraph;
    ///
    /// let json = serde_json::json!({
    ///     "nodes": [{"id": "a", "item_subtype": "DATASET"}, {"id": "b", "item_subtype": "MODEL_RUN"}],
    ///     "links": [{"source": "a", "target": "b", "type": "wasGeneratedBy"}]
    /// });
    /// let dot = LineageGraph::from_node_link(json.as_object().unwrap())?.to_dot();
    /// assert!(dot.contains(r#"n0 -> n1 [label="wasGeneratedBy"];"#));
    /// # Ok::<(), provena_client::lineage::LineageError>(())
    /// ```
    pub fn to_dot(&self) -> String {
        let mut out = String::from("digraph lineage {\n  rankdir=BT;\n  node [shape=box];\n");
        for (position, node) in self.nodes().enumerate() {
            let _ = writeln!(
                out,
                "  n{position} [label=\"{}\"];",
                dot_escape(&node_label(node, "\n"))
            );
        }
        for (from, to, edge) in self.numbered_edges() {
            let _ = writeln!(
                out,
                "  n{from} -> n{to} [label=\"{}\"];",
                dot_escape(edge.relation().as_str())
            );
        }
        out.push_str("}\n");
        out
    }

    /// Every edge with the positions of its two nodes (the `n{position}`
    /// names both renderers give nodes), in the graph's order.
    fn numbered_edges(&self) -> impl Iterator<Item = (usize, usize, &Edge)> + '_ {
        self.graph.edge_indices().filter_map(|edge| {
            let (from, to) = self.graph.edge_endpoints(edge)?;
            Some((from.index(), to.index(), self.graph.edge_weight(edge)?))
        })
    }

    /// The graph as a Mermaid flowchart (`flowchart BT`): one node per item
    /// labelled with its id and subtype, one arrow per relation labelled with
    /// its PROV name, in the graph's order.
    ///
    /// ```
    /// use provena_client::lineage::LineageGraph;
    ///
    /// let json = serde_json::json!({
    ///     "nodes": [{"id": "a", "item_subtype": "DATASET"}, {"id": "b", "item_subtype": "MODEL_RUN"}],
    ///     "links": [{"source": "a", "target": "b", "type": "wasGeneratedBy"}]
    /// });
    /// let mermaid = LineageGraph::from_node_link(json.as_object().unwrap())?.to_mermaid();
    /// assert!(mermaid.contains(r#"n0 -->|"wasGeneratedBy"| n1"#));
    /// # Ok::<(), provena_client::lineage::LineageError>(())
    /// ```
    pub fn to_mermaid(&self) -> String {
        let mut out = String::from("flowchart BT\n");
        for (position, node) in self.nodes().enumerate() {
            let _ = writeln!(
                out,
                "  n{position}[\"{}\"]",
                mermaid_escape(&node_label(node, "\n"))
            );
        }
        for (from, to, edge) in self.numbered_edges() {
            let _ = writeln!(
                out,
                "  n{from} -->|\"{}\"| n{to}",
                mermaid_escape(edge.relation().as_str())
            );
        }
        out
    }
}

/// A node's label: its id, and its subtype on a second line when known.
fn node_label(node: &Node, line_break: &str) -> String {
    match node.subtype() {
        Some(subtype) => format!("{}{line_break}{}", node.id(), subtype.as_str()),
        None => node.id().to_string(),
    }
}

/// Text for the inside of a DOT double-quoted string used as a label.
///
/// In such a string only `\"` ends nothing; a backslash also starts Graphviz's
/// label escapes (`\N`, `\G`, `\l`, ...), so it is doubled. Line breaks
/// become DOT's `\n`; other control characters, which DOT has no way to
/// write, become U+FFFD.
fn dot_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c if c.is_control() => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// Text for the inside of a Mermaid `"..."` label.
///
/// Mermaid has no backslash escapes; it has entity codes (`#35;`, `#quot;`).
/// Letters, digits, spaces and `._:/-` pass as they are; every other
/// character is written as its decimal entity code, so quotes, brackets,
/// pipes, `#`, `;`, `<`, `>`, `&`, backticks and markdown markers cannot
/// end the label or start markup. Line breaks become `<br>`, which Mermaid
/// reads as one inside a label; other control characters become U+FFFD.
fn mermaid_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\n' => out.push_str("<br>"),
            '\r' => {}
            c if c.is_control() => out.push('\u{FFFD}'),
            c if c.is_alphanumeric() || matches!(c, ' ' | '.' | '_' | ':' | '/' | '-') => {
                out.push(c)
            }
            c => {
                let _ = write!(out, "#{};", u32::from(c));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{dot_escape, mermaid_escape};

    #[test]
    fn dot_escape_doubles_backslashes_and_escapes_quotes() {
        assert_eq!(dot_escape(r#"a"b\c"#), r#"a\"b\\c"#);
    }

    #[test]
    fn dot_escape_writes_line_breaks_as_dot_escapes() {
        assert_eq!(dot_escape("a\r\nb\u{7}"), "a\\nb\u{FFFD}");
    }

    #[test]
    fn mermaid_escape_keeps_handle_ids_readable() {
        assert_eq!(
            mermaid_escape("10378.1/1234 DATASET"),
            "10378.1/1234 DATASET"
        );
    }

    #[test]
    fn mermaid_escape_encodes_every_markup_character() {
        assert_eq!(
            mermaid_escape("\"]|#;<>&`*"),
            "#34;#93;#124;#35;#59;#60;#62;#38;#96;#42;"
        );
    }
}
