//! The typed lineage graph (`provena_client::lineage`): reading the prov
//! service's node-link answers, traversals, DOT and Mermaid output.
//!
//! The fixtures under `tests/data/prov/` are shaped as the upstream prov API
//! writes them: networkx `node_link_data` of a digraph whose nodes carry
//! `item_category` and `item_subtype` (then `id`) and whose edges carry the
//! PROV relation as `type` (then `source`, `target`).

use std::num::NonZeroU64;

use provena_client::lineage::{HandleId, LineageError, LineageGraph, ProvRelation};
use provena_client::mock::MockProvena;
use provena_client::mock::ProvMocks as _;
use provena_client::models::{ItemCategory, ItemSubType, LineageResponse};
use serde_json::{Value, json};

const OUTPUT: &str = "10378.1/1700010";
const RUN: &str = "10378.1/1700009";
const INPUT: &str = "10378.1/1700004";
const MODELLER: &str = "10378.1/1700001";
const DATASET_TEMPLATE: &str = "10378.1/1700005";

fn data(path: &str) -> String {
    let path = format!("{}/tests/data/{path}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn response(path: &str) -> LineageResponse {
    serde_json::from_str(&data(path)).expect("fixture decodes as a LineageResponse")
}

fn upstream() -> LineageGraph {
    response("prov/explore_upstream.json")
        .lineage()
        .expect("the upstream fixture is a valid graph")
}

fn graph(value: Value) -> Result<LineageGraph, LineageError> {
    LineageGraph::from_node_link(value.as_object().expect("a JSON object"))
}

fn ids<'a>(nodes: impl IntoIterator<Item = &'a provena_client::lineage::Node>) -> Vec<&'a str> {
    nodes.into_iter().map(|node| node.id().as_str()).collect()
}

// ---- reading the server's graph ----

#[test]
fn every_node_of_the_upstream_answer_is_read_in_the_servers_order() {
    let graph = upstream();

    assert_eq!(graph.node_count(), 9);
    assert_eq!(
        ids(graph.nodes()),
        [
            OUTPUT,
            RUN,
            MODELLER,
            INPUT,
            DATASET_TEMPLATE,
            "10378.1/1700003",
            "10378.1/1700006",
            "10378.1/1700002",
            "10378.1/1700007"
        ]
    );
}

#[test]
fn nodes_carry_their_subtype_and_category() {
    let graph = upstream();

    let run = graph.node(RUN).expect("the model run");
    assert_eq!(run.subtype(), Some(&ItemSubType::ModelRun));
    assert_eq!(run.category(), Some(&ItemCategory::Activity));
    let modeller = graph.node(HandleId::from(MODELLER)).expect("the modeller");
    assert_eq!(modeller.subtype(), Some(&ItemSubType::Person));
    assert_eq!(modeller.category(), Some(&ItemCategory::Agent));
}

#[test]
fn node_attributes_keep_everything_but_the_id_as_sent() {
    let graph = graph(json!({
        "nodes": [{"item_category": "ENTITY", "item_subtype": "DATASET", "record_ids": "r1,r2", "id": "a"}],
        "links": []
    }))
    .unwrap();

    let node = graph.node("a").unwrap();
    assert_eq!(
        Value::Object(node.attributes().clone()),
        json!({"item_category": "ENTITY", "item_subtype": "DATASET", "record_ids": "r1,r2"})
    );
}

#[test]
fn a_subtype_this_client_does_not_know_is_kept() {
    let graph =
        graph(json!({"nodes": [{"id": "a", "item_subtype": "NOTEBOOK"}], "links": []})).unwrap();

    let subtype = graph.node("a").unwrap().subtype().unwrap();
    assert_eq!(subtype, &ItemSubType::Unknown("NOTEBOOK".into()));
}

#[test]
fn a_node_without_subtype_or_category_reads_as_none() {
    let graph = graph(json!({"nodes": [{"id": "a", "item_subtype": null}], "links": []})).unwrap();

    let node = graph.node("a").unwrap();
    assert_eq!(node.subtype(), None);
    assert_eq!(node.category(), None);
}

#[test]
fn every_edge_of_the_upstream_answer_carries_its_prov_relation() {
    let graph = upstream();

    let edges: Vec<(&str, &ProvRelation, &str)> = graph
        .edges()
        .map(|e| (e.source().as_str(), e.relation(), e.target().as_str()))
        .collect();
    assert_eq!(edges.len(), 10);
    assert_eq!(edges[0], (OUTPUT, &ProvRelation::WasGeneratedBy, RUN));
    assert_eq!(edges[1], (OUTPUT, &ProvRelation::WasAttributedTo, MODELLER));
    assert_eq!(edges[2], (RUN, &ProvRelation::Used, INPUT));
    assert!(edges.contains(&(RUN, &ProvRelation::WasAssociatedWith, MODELLER)));
    assert!(edges.contains(&(RUN, &ProvRelation::WasInformedBy, "10378.1/1700007")));
    assert!(edges.contains(&(INPUT, &ProvRelation::WasInfluencedBy, DATASET_TEMPLATE)));
    assert!(edges.contains(&(
        "10378.1/1700006",
        &ProvRelation::HadMember,
        DATASET_TEMPLATE
    )));
    assert!(edges.iter().all(|(_, relation, _)| relation.is_known()));
}

#[test]
fn an_edge_list_named_edges_reads_like_one_named_links() {
    let graph = response("prov/special_contributing_datasets_edges.json")
        .lineage()
        .expect("`edges` is accepted");

    assert_eq!(ids(graph.nodes()), [OUTPUT, RUN, INPUT]);
    let relations: Vec<_> = graph.edges().map(|e| e.relation().clone()).collect();
    assert_eq!(
        relations,
        [ProvRelation::WasGeneratedBy, ProvRelation::Used]
    );
}

#[test]
fn try_from_the_response_gives_the_same_graph_as_lineage() {
    let response = response("prov/explore_upstream.json");

    let graph = LineageGraph::try_from(&response).unwrap();

    assert_eq!(graph.to_dot(), response.lineage().unwrap().to_dot());
}

#[test]
fn relation_names_are_read_as_the_server_reads_them() {
    assert_eq!(
        ProvRelation::parse("wasDerivedFrom"),
        ProvRelation::WasDerivedFrom
    );
    assert_eq!(
        ProvRelation::parse("WAS_DERIVED_FROM"),
        ProvRelation::WasDerivedFrom
    );
    assert_eq!(
        ProvRelation::parse("acted on behalf of"),
        ProvRelation::ActedOnBehalfOf
    );
    assert_eq!(ProvRelation::WasDerivedFrom.as_str(), "wasDerivedFrom");
    assert_eq!(ProvRelation::ActedOnBehalfOf.to_string(), "actedOnBehalfOf");
}

#[test]
fn a_relation_this_client_does_not_know_is_kept_as_sent() {
    let graph = graph(json!({
        "nodes": [{"id": "a"}, {"id": "b"}],
        "links": [{"source": "a", "target": "b", "type": "wasStartedBy"}]
    }))
    .unwrap();

    let relation = graph.edges().next().unwrap().relation();
    assert_eq!(relation, &ProvRelation::Unknown("wasStartedBy".into()));
    assert_eq!(relation.as_str(), "wasStartedBy");
    assert!(!relation.is_known());
}

// ---- malformed graphs are typed errors ----

#[test]
fn an_edge_naming_a_missing_node_is_an_error_naming_it() {
    let error = graph(json!({
        "nodes": [{"id": "a"}],
        "links": [{"source": "a", "target": "ghost", "type": "used"}]
    }))
    .unwrap_err();

    assert_eq!(
        error,
        LineageError::UnknownEndpoint {
            index: 0,
            end: "target",
            id: "ghost".into()
        }
    );
    assert!(error.to_string().contains("ghost"), "{error}");
}

#[test]
fn a_node_without_an_id_is_an_error_naming_its_position() {
    let error = graph(json!({
        "nodes": [{"id": "a"}, {"item_subtype": "DATASET"}],
        "links": []
    }))
    .unwrap_err();

    assert_eq!(
        error,
        LineageError::MissingField {
            element: "node",
            index: 1,
            field: "id"
        }
    );
}

#[test]
fn a_node_whose_id_is_not_a_string_is_an_error() {
    let error = graph(json!({"nodes": [{"id": 7}], "links": []})).unwrap_err();

    assert!(
        matches!(error, LineageError::MissingField { field: "id", .. }),
        "{error}"
    );
}

#[test]
fn an_edge_without_a_relation_is_an_error() {
    let error = graph(json!({
        "nodes": [{"id": "a"}, {"id": "b"}],
        "links": [{"source": "a", "target": "b"}]
    }))
    .unwrap_err();

    assert_eq!(
        error,
        LineageError::MissingField {
            element: "edge",
            index: 0,
            field: "type"
        }
    );
}

#[test]
fn a_repeated_node_id_is_an_error() {
    let error = graph(json!({"nodes": [{"id": "a"}, {"id": "a"}], "links": []})).unwrap_err();

    assert_eq!(
        error,
        LineageError::DuplicateNode {
            id: "a".into(),
            index: 1
        }
    );
}

#[test]
fn a_graph_without_an_edge_list_is_not_node_link() {
    let error = graph(json!({"nodes": []})).unwrap_err();

    assert!(matches!(error, LineageError::NotNodeLink { .. }), "{error}");
    assert!(error.to_string().contains("links"), "{error}");
}

#[test]
fn a_graph_with_both_links_and_edges_is_not_node_link() {
    let error = graph(json!({"nodes": [], "links": [], "edges": []})).unwrap_err();

    assert!(matches!(error, LineageError::NotNodeLink { .. }), "{error}");
}

#[test]
fn a_response_without_a_graph_is_missing_graph() {
    let response: LineageResponse = serde_json::from_value(json!({
        "status": {"success": true, "details": "ok"}, "record_count": 0
    }))
    .unwrap();

    assert_eq!(response.lineage().unwrap_err(), LineageError::MissingGraph);
}

// ---- traversal ----

/// `top` used `left` and `right`, both of which were derived from `bottom`.
fn diamond() -> LineageGraph {
    graph(json!({
        "nodes": [{"id": "top"}, {"id": "left"}, {"id": "right"}, {"id": "bottom"}],
        "links": [
            {"source": "top", "target": "left", "type": "used"},
            {"source": "top", "target": "right", "type": "used"},
            {"source": "left", "target": "bottom", "type": "wasDerivedFrom"},
            {"source": "right", "target": "bottom", "type": "wasDerivedFrom"}
        ]
    }))
    .unwrap()
}

/// `x -> y -> z -> x`, and `z -> out`.
fn cycle() -> LineageGraph {
    graph(json!({
        "nodes": [{"id": "x"}, {"id": "y"}, {"id": "z"}, {"id": "out"}],
        "links": [
            {"source": "x", "target": "y", "type": "wasDerivedFrom"},
            {"source": "y", "target": "z", "type": "wasDerivedFrom"},
            {"source": "z", "target": "x", "type": "wasDerivedFrom"},
            {"source": "z", "target": "out", "type": "used"}
        ]
    }))
    .unwrap()
}

#[test]
fn ancestors_in_a_diamond_list_the_shared_ancestor_once_nearest_first() {
    let graph = diamond();

    assert_eq!(
        ids(graph.ancestors("top").unwrap()),
        ["left", "right", "bottom"]
    );
    assert_eq!(ids(graph.ancestors("left").unwrap()), ["bottom"]);
    assert!(graph.ancestors("bottom").unwrap().is_empty());
}

#[test]
fn descendants_in_a_diamond_follow_the_edges_backwards() {
    let graph = diamond();

    let mut found = ids(graph.descendants("bottom").unwrap());
    assert_eq!(found.pop(), Some("top"), "the farthest comes last");
    found.sort_unstable();
    assert_eq!(found, ["left", "right"]);
    assert!(graph.descendants("top").unwrap().is_empty());
}

#[test]
fn both_paths_through_a_diamond_are_found() {
    let graph = diamond();

    let mut paths: Vec<Vec<&str>> = graph
        .paths("top", "bottom")
        .unwrap()
        .map(|path| path.into_iter().map(HandleId::as_str).collect())
        .collect();
    paths.sort();

    assert_eq!(
        paths,
        [
            vec!["top", "left", "bottom"],
            vec!["top", "right", "bottom"]
        ]
    );
    assert!(
        graph.paths("bottom", "top").unwrap().next().is_none(),
        "against the edges: none"
    );
}

#[test]
fn the_first_paths_of_a_graph_with_a_million_come_without_finding_them_all() {
    // 20 layers of two nodes, each node linked to both of the next layer:
    // 2^20 paths from top to bottom.
    let mut nodes = vec![json!({"id": "top"}), json!({"id": "bottom"})];
    let mut links = Vec::new();
    let mut previous = vec!["top".to_string()];
    for layer in 0..20 {
        let current = vec![format!("a{layer}"), format!("b{layer}")];
        for id in &current {
            nodes.push(json!({"id": id}));
            for from in &previous {
                links.push(json!({"source": from, "target": id, "type": "used"}));
            }
        }
        previous = current;
    }
    for from in &previous {
        links.push(json!({"source": from, "target": "bottom", "type": "used"}));
    }
    let graph = graph(json!({"nodes": nodes, "links": links})).unwrap();

    let first: Vec<Vec<&HandleId>> = graph.paths("top", "bottom").unwrap().take(3).collect();

    assert_eq!(first.len(), 3);
    assert!(first.iter().all(|path| path.len() == 22), "{first:?}");
    assert_ne!(first[0], first[1]);
}

#[test]
fn traversals_end_on_a_cycle_visiting_each_node_once() {
    let graph = cycle();

    assert_eq!(ids(graph.ancestors("x").unwrap()), ["y", "z", "out"]);
    assert_eq!(ids(graph.descendants("x").unwrap()), ["z", "y"]);
    assert_eq!(ids(graph.descendants("out").unwrap()), ["z", "y", "x"]);
}

#[test]
fn paths_on_a_cycle_never_repeat_a_node() {
    let graph = cycle();

    let paths: Vec<_> = graph.paths("x", "out").unwrap().collect();

    assert_eq!(paths.len(), 1);
    let path: Vec<&str> = paths[0].iter().map(|id| id.as_str()).collect();
    assert_eq!(path, ["x", "y", "z", "out"]);
    assert!(graph.paths("x", "x").unwrap().next().is_none());
}

#[test]
fn upstream_of_the_output_reaches_inputs_agents_and_templates() {
    let graph = upstream();

    let ancestors = ids(graph.ancestors(OUTPUT).unwrap());
    assert_eq!(ancestors.len(), 8, "every other node: {ancestors:?}");
    assert_eq!(ancestors[..2], [RUN, MODELLER], "direct relations first");
    let downstream_of_input = ids(graph.descendants(INPUT).unwrap());
    assert_eq!(downstream_of_input, [RUN, OUTPUT]);
    let via_run: Vec<_> = graph.paths(OUTPUT, INPUT).unwrap().collect();
    assert_eq!(via_run.len(), 1);
    assert_eq!(
        via_run[0],
        [
            &HandleId::from(OUTPUT),
            &HandleId::from(RUN),
            &HandleId::from(INPUT)
        ]
    );
}

#[test]
fn edges_from_and_to_a_node_keep_the_servers_order() {
    let graph = upstream();

    let from_run: Vec<&str> = graph
        .edges_from(RUN)
        .unwrap()
        .into_iter()
        .map(|e| e.target().as_str())
        .collect();
    assert_eq!(
        from_run,
        [
            INPUT,
            "10378.1/1700003",
            "10378.1/1700006",
            MODELLER,
            "10378.1/1700002",
            "10378.1/1700007"
        ]
    );
    let into_modeller: Vec<&str> = graph
        .edges_to(MODELLER)
        .unwrap()
        .into_iter()
        .map(|e| e.source().as_str())
        .collect();
    assert_eq!(into_modeller, [OUTPUT, RUN]);
}

#[test]
fn a_traversal_from_an_id_not_in_the_graph_is_an_error_naming_it() {
    let graph = diamond();

    let missing = |id: &str| LineageError::NoSuchNode { id: id.into() };
    assert_eq!(graph.ancestors("nope").unwrap_err(), missing("nope"));
    assert_eq!(graph.descendants("nope").unwrap_err(), missing("nope"));
    assert_eq!(graph.paths("top", "nope").err(), Some(missing("nope")));
    assert_eq!(graph.edges_from("nope").unwrap_err(), missing("nope"));
}

// ---- rendering ----

#[test]
fn dot_of_the_upstream_answer_matches_the_golden_file() {
    assert_eq!(upstream().to_dot(), data("lineage/explore_upstream.dot"));
}

#[test]
fn mermaid_of_the_upstream_answer_matches_the_golden_file() {
    assert_eq!(
        upstream().to_mermaid(),
        data("lineage/explore_upstream.mmd")
    );
}

/// Ids and relations built to break out of a quoted label in DOT or Mermaid.
fn hostile() -> LineageGraph {
    graph(json!({
        "nodes": [
            {"id": "a\"]; evil [label=\"pwned\"]; x [\"", "item_subtype": "DATASET"},
            {"id": "b\\\"\n}\ndigraph x {", "item_subtype": "EVIL\"]"},
            {"id": "c\"]\n  click c call alert(1)\n%% <img src=x onerror=alert(1)> #quot; `**md**`"}
        ],
        "links": [
            {"source": "a\"]; evil [label=\"pwned\"]; x [\"", "target": "b\\\"\n}\ndigraph x {", "type": "used\"] -> evil"},
            {"source": "b\\\"\n}\ndigraph x {", "target": "c\"]\n  click c call alert(1)\n%% <img src=x onerror=alert(1)> #quot; `**md**`", "type": "x|\"|y"}
        ]
    }))
    .unwrap()
}

/// Each line with the contents of its double-quoted strings removed, for a
/// language where `\` escapes the next character inside quotes (DOT), and
/// the contents themselves, unescaped. Panics on an unterminated string.
fn split_dot(line: &str) -> (String, Vec<String>) {
    let mut skeleton = String::new();
    let mut strings = Vec::new();
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        skeleton.push(c);
        if c != '"' {
            continue;
        }
        let mut text = String::new();
        loop {
            match chars.next() {
                Some('"') => break,
                Some('\\') => match chars.next() {
                    Some('n') => text.push('\n'),
                    Some(other) => text.push(other),
                    None => panic!("dangling escape in {line:?}"),
                },
                Some(other) => text.push(other),
                None => panic!("unterminated string in {line:?}"),
            }
        }
        skeleton.push('"');
        strings.push(text);
    }
    (skeleton, strings)
}

#[test]
fn hostile_ids_cannot_leave_their_dot_labels() {
    let graph = hostile();
    let dot = graph.to_dot();

    let mut skeleton = Vec::new();
    let mut labels = Vec::new();
    for line in dot.lines() {
        let (shape, strings) = split_dot(line);
        skeleton.push(shape);
        labels.extend(strings);
    }

    assert_eq!(
        skeleton,
        [
            "digraph lineage {",
            "  rankdir=BT;",
            "  node [shape=box];",
            "  n0 [label=\"\"];",
            "  n1 [label=\"\"];",
            "  n2 [label=\"\"];",
            "  n0 -> n1 [label=\"\"];",
            "  n1 -> n2 [label=\"\"];",
            "}"
        ]
    );
    let nodes: Vec<_> = graph.nodes().collect();
    assert_eq!(labels[0], format!("{}\nDATASET", nodes[0].id()));
    assert_eq!(labels[1], format!("{}\nEVIL\"]", nodes[1].id()));
    assert_eq!(labels[2], nodes[2].id().as_str());
    assert_eq!(labels[3], "used\"] -> evil");
    assert_eq!(labels[4], "x|\"|y");
}

/// A Mermaid label's text with its entity codes and `<br>`s decoded.
fn decode_mermaid(label: &str) -> String {
    let mut out = String::new();
    let mut rest = label;
    while let Some(at) = rest.find(['#', '<']) {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        if let Some(after) = rest.strip_prefix("<br>") {
            out.push('\n');
            rest = after;
            continue;
        }
        let end = rest.find(';').expect("an entity code ends with ';'");
        let code: u32 = rest[1..end].parse().expect("a decimal entity code");
        out.push(char::from_u32(code).expect("a character"));
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    out
}

#[test]
fn hostile_ids_cannot_leave_their_mermaid_labels() {
    let graph = hostile();
    let mermaid = graph.to_mermaid();

    let mut skeleton = Vec::new();
    let mut labels = Vec::new();
    for line in mermaid.lines() {
        let parts: Vec<&str> = line.split('"').collect();
        assert!(
            parts.len() == 1 || parts.len() == 3,
            "one quoted label per line: {line:?}"
        );
        if parts.len() == 3 {
            let bare = parts[1].replace("<br>", "");
            assert!(
                bare.chars()
                    .all(|c| c.is_alphanumeric() || " ._:/-#;".contains(c)),
                "only plain text and entity codes inside a label: {line:?}"
            );
            labels.push(decode_mermaid(parts[1]));
            skeleton.push(format!("{}\"\"{}", parts[0], parts[2]));
        } else {
            skeleton.push(line.to_string());
        }
    }

    assert_eq!(
        skeleton,
        [
            "flowchart BT",
            "  n0[\"\"]",
            "  n1[\"\"]",
            "  n2[\"\"]",
            "  n0 -->|\"\"| n1",
            "  n1 -->|\"\"| n2"
        ]
    );
    let nodes: Vec<_> = graph.nodes().collect();
    assert_eq!(labels[0], format!("{}\nDATASET", nodes[0].id()));
    assert_eq!(labels[1], format!("{}\nEVIL\"]", nodes[1].id()));
    assert_eq!(labels[2], nodes[2].id().as_str());
    assert_eq!(labels[3], "used\"] -> evil");
    assert_eq!(labels[4], "x|\"|y");
}

/// What a label's text becomes once escaped and read back: the renderers
/// drop carriage returns and write other control characters (bar line
/// feeds) as U+FFFD.
fn normalised(text: &str) -> String {
    text.chars()
        .filter(|c| *c != '\r')
        .map(|c| {
            if c.is_control() && c != '\n' {
                '\u{FFFD}'
            } else {
                c
            }
        })
        .collect()
}

/// A two-node graph with these ids and this relation.
fn pair(first: &str, second: &str, relation: &str) -> LineageGraph {
    graph(json!({
        "nodes": [{"id": first}, {"id": second}],
        "links": [{"source": first, "target": second, "type": relation}]
    }))
    .unwrap()
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]

    #[test]
    fn no_id_or_relation_changes_the_dot_structure(
        first in "\\PC*|.*[\"\\\\\n{}\\[\\];]+.*",
        second in ".*",
        relation in ".*",
    ) {
        proptest::prop_assume!(first != second);
        let dot = pair(&first, &second, &relation).to_dot();
        let (skeleton, labels): (Vec<String>, Vec<Vec<String>>) =
            dot.lines().map(split_dot).unzip();
        proptest::prop_assert_eq!(
            skeleton,
            [
                "digraph lineage {", "  rankdir=BT;", "  node [shape=box];",
                "  n0 [label=\"\"];", "  n1 [label=\"\"];", "  n0 -> n1 [label=\"\"];", "}"
            ]
        );
        let labels: Vec<String> = labels.into_iter().flatten().collect();
        proptest::prop_assert_eq!(labels, [normalised(&first), normalised(&second), normalised(&relation)]);
    }

    #[test]
    fn no_id_or_relation_changes_the_mermaid_structure(
        first in "\\PC*|.*[\"#;|<>`\\[\\]\n]+.*",
        second in ".*",
        relation in ".*",
    ) {
        proptest::prop_assume!(first != second);
        let mermaid = pair(&first, &second, &relation).to_mermaid();
        let mut skeleton = Vec::new();
        let mut labels = Vec::new();
        for line in mermaid.lines() {
            let parts: Vec<&str> = line.split('"').collect();
            proptest::prop_assert!(parts.len() == 1 || parts.len() == 3, "{:?}", line);
            if parts.len() == 3 {
                let bare = parts[1].replace("<br>", "");
                proptest::prop_assert!(
                    bare.chars().all(|c| c.is_alphanumeric() || " ._:/-#;\u{FFFD}".contains(c)),
                    "{:?}", line
                );
                labels.push(decode_mermaid(parts[1]));
                skeleton.push(format!("{}\"\"{}", parts[0], parts[2]));
            } else {
                skeleton.push(line.to_string());
            }
        }
        proptest::prop_assert_eq!(
            skeleton,
            ["flowchart BT", "  n0[\"\"]", "  n1[\"\"]", "  n0 -->|\"\"| n1"]
        );
        proptest::prop_assert_eq!(labels, [normalised(&first), normalised(&second), normalised(&relation)]);
    }
}

// ---- through the facade ----

#[tokio::test]
async fn explore_upstream_through_the_facade_gives_a_typed_graph() {
    let mock = MockProvena::start().await;
    let fixture = response("prov/explore_upstream.json");
    let explore = mock.server().explore_upstream(|when, then| {
        when.starting_id(OUTPUT).depth(3);
        then.ok(&fixture);
    });

    let graph = mock
        .client()
        .prov()
        .explore_upstream(OUTPUT, NonZeroU64::new(3))
        .await
        .expect("the mock answers")
        .lineage()
        .expect("a valid graph");

    explore.assert();
    assert_eq!(graph.node_count(), 9);
    assert_eq!(ids(graph.ancestors(OUTPUT).unwrap()).len(), 8);
    assert_eq!(graph.to_dot(), data("lineage/explore_upstream.dot"));
}

#[tokio::test]
async fn contributing_datasets_with_an_edges_list_through_the_facade() {
    let mock = MockProvena::start().await;
    let body = data("prov/special_contributing_datasets_edges.json");
    let contributing = mock.server().get_contributing_datasets(|when, then| {
        when.starting_id(OUTPUT);
        then.into_inner()
            .status(200)
            .header("content-type", "application/json")
            .body(body.as_str());
    });

    let graph = mock
        .client()
        .prov()
        .get_contributing_datasets(OUTPUT, None)
        .await
        .expect("the mock answers")
        .lineage()
        .expect("a valid graph");

    contributing.assert();
    assert_eq!(ids(graph.ancestors(OUTPUT).unwrap()), [RUN, INPUT]);
}
