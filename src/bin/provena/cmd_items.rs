//! `provena search` and `provena get`: registry items by query or by id.

use clap::Args;
use provena_client::models::ItemSubType;
use serde::Serialize;

use crate::context::Context;
use crate::error::CliError;

/// Options of `provena search`.
#[derive(Debug, Args)]
pub struct Search {
    /// What to look for (free text).
    query: String,
    /// Only items of this subtype, e.g. `dataset`, `model-run`, `person`.
    #[arg(long, value_parser = parse_subtype)]
    subtype: Option<ItemSubType>,
    /// At most this many results.
    #[arg(long)]
    limit: Option<u32>,
}

/// An item subtype as typed on the command line: any case, `-` or `_`.
pub fn parse_subtype(text: &str) -> Result<ItemSubType, String> {
    let wanted = text.trim().to_uppercase().replace('-', "_");
    ItemSubType::KNOWN
        .iter()
        .find(|known| known.as_str() == wanted)
        .cloned()
        .ok_or_else(|| {
            let names: Vec<String> = ItemSubType::KNOWN
                .iter()
                .map(|known| known.as_str().to_lowercase().replace('_', "-"))
                .collect();
            format!("unknown subtype {text:?}; one of: {}", names.join(", "))
        })
}

#[derive(Serialize)]
struct Hit {
    id: String,
    score: f64,
}

/// Prints each hit's id and score, best first.
pub async fn search(context: &Context, args: Search) -> Result<(), CliError> {
    let client = context.client()?;
    let answer = client
        .search()
        .search_registry(&args.query, args.limit.map(i64::from), args.subtype)
        .await?;
    let hits: Vec<Hit> = answer
        .results
        .unwrap_or_default()
        .into_iter()
        .map(|hit| Hit {
            id: hit.id,
            score: hit.score,
        })
        .collect();
    context.out.emit(&hits, |out| {
        if hits.is_empty() {
            return writeln!(out, "No results.");
        }
        for hit in &hits {
            writeln!(out, "{:<20} {:.3}", hit.id, hit.score)?;
        }
        Ok(())
    })
}

/// Options of `provena get`.
#[derive(Debug, Args)]
pub struct Get {
    /// The item's id (a handle, e.g. `10378.1/1234567`).
    id: String,
}

/// Prints an item: its main fields as text, the whole record as JSON.
pub async fn get(context: &Context, args: Get) -> Result<(), CliError> {
    let client = context.client()?;
    let answer = client
        .registry()
        .general()
        .general_fetch_item(&args.id)
        .await?;
    let Some(item) = answer.item else {
        return Err(CliError::Failed(format!(
            "the registry returned no item for {}",
            args.id
        )));
    };
    context.out.emit(&item, |out| {
        let field = |name: &str| item.get(name).and_then(|v| v.as_str()).unwrap_or("");
        writeln!(out, "id:       {}", field("id"))?;
        writeln!(out, "name:     {}", field("display_name"))?;
        writeln!(
            out,
            "type:     {} / {}",
            field("item_category"),
            field("item_subtype")
        )?;
        writeln!(out, "owner:    {}", field("owner_username"))?;
        writeln!(out, "status:   {}", field("record_type"))
    })
}

/// Options of `provena list`.
#[derive(Debug, Args)]
pub struct List {
    /// The subtype to list, e.g. `dataset`, `model-run`, `organisation`.
    #[arg(value_parser = parse_subtype)]
    subtype: ItemSubType,
    /// Stop after this many items (every page otherwise).
    #[arg(long)]
    limit: Option<usize>,
    /// Items asked for per page.
    #[arg(long, default_value_t = 50)]
    page_size: u16,
}

/// Streams every item of a subtype, page after page, printing as they come:
/// `id  name` lines, or one JSON array written item by item.
pub async fn list(context: &Context, args: List) -> Result<(), CliError> {
    use futures_util::StreamExt as _;
    use std::io::Write as _;

    let client = context.client()?;
    let request = provena_client::models::GeneralListRequest {
        filter_by: Some(provena_client::models::FilterOptions {
            item_subtype: Some(args.subtype.clone()),
            ..Default::default()
        }),
        page_size: i64::from(args.page_size),
        ..Default::default()
    };
    let mut paginator = client
        .registry()
        .general()
        .list_general_registry_items_paginated(&request);
    if let Some(limit) = args.limit {
        paginator = paginator.limit(limit);
    }
    let mut items = paginator.items();
    let json = context.out.is_json();
    let mut stdout = std::io::stdout().lock();
    let mut count = 0usize;
    // A closed pipe ends the listing quietly; any other write error fails it.
    let written = crate::output::stdout_written;
    if json && !written(write!(stdout, "["))? {
        return Ok(());
    }
    while let Some(item) = items.next().await {
        let item = match item {
            Ok(item) => item,
            Err(error) => {
                if json {
                    let _ = writeln!(stdout, "\n]");
                }
                return Err(CliError::from(error));
            }
        };
        let line = if json {
            let separator = if count == 0 { "\n  " } else { ",\n  " };
            write!(stdout, "{separator}{item}")
        } else {
            let field = |name: &str| item.get(name).and_then(|v| v.as_str()).unwrap_or("");
            writeln!(stdout, "{:<20} {}", field("id"), field("display_name"))
        };
        if !written(line)? {
            return Ok(());
        }
        count += 1;
    }
    if json && !written(writeln!(stdout, "{}]", if count == 0 { "" } else { "\n" }))? {
        return Ok(());
    }
    written(stdout.flush())?;
    context.out.note(format_args!("{count} items"));
    Ok(())
}
