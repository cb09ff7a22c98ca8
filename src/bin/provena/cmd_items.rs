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
