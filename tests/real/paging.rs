//! Pagination streams (`…_paginated(..).pages()/.items()`) against the real
//! registry and job API: enough items are made to span several small pages,
//! and the streams must deliver every one of them.

use std::collections::BTreeSet;
use std::sync::Arc;

use futures_util::TryStreamExt;
use provena_client::clients::registry::Organisation;
use provena_client::models as rt;
use serde_json::json;

use super::job::work;
use super::{Ctx, from_json, unique};

workflows! {
    "paging":
    registry_lists_stream_every_created_item_over_small_pages,
    job_lists_stream_every_launched_job_over_small_pages,
}

async fn registry_lists_stream_every_created_item_over_small_pages(ctx: Arc<Ctx>) {
    let registry = ctx.admin.registry();
    let mut created = BTreeSet::new();
    for n in 0..7 {
        let name = unique(&format!("Streamed org {n}"));
        let info: rt::OrganisationDomainInfo =
            from_json(json!({"display_name": name, "name": name}));
        let item = registry
            .create_item::<Organisation>(&info)
            .await
            .expect("create an organisation")
            .created_item
            .expect("created organisation");
        created.insert(item.id);
    }

    // Per subtype, two a page: at least four pages for the seven.
    let request: rt::SubtypeListRequest = from_json(json!({"page_size": 2}));
    let pages: Vec<_> = registry
        .list_items_paginated::<Organisation>(&request)
        .pages()
        .try_collect()
        .await
        .expect("every page of organisations");
    assert!(pages.len() >= 4, "several pages: {}", pages.len());
    assert!(
        pages
            .iter()
            .all(|page| page.items.as_ref().is_none_or(|items| items.len() <= 2))
    );
    assert!(
        pages[..pages.len() - 1]
            .iter()
            .all(|page| page.pagination_key.is_some()),
        "only the last page ends the list"
    );
    let streamed: BTreeSet<String> = registry
        .list_items_paginated::<Organisation>(&request)
        .items()
        .map_ok(|item| item.id)
        .try_collect()
        .await
        .expect("every organisation");
    assert!(
        created.is_subset(&streamed),
        "every created organisation is streamed"
    );
    assert_eq!(
        request.pagination_key, None,
        "the caller's request is left alone"
    );

    // The general list filtered to organisations, three a page.
    let general: rt::GeneralListRequest =
        from_json(json!({"page_size": 3, "filter_by": {"item_subtype": "ORGANISATION"}}));
    let listed: BTreeSet<String> = registry
        .general()
        .list_general_registry_items_paginated(&general)
        .items()
        .map_ok(|item| item["id"].as_str().unwrap_or_default().to_string())
        .try_collect()
        .await
        .expect("every item of the general list");
    assert!(
        created.is_subset(&listed),
        "the general list streams them too"
    );

    // A limit stops after that many items, part-way through a page.
    let limited: Vec<_> = registry
        .list_items_paginated::<Organisation>(&request)
        .limit(3)
        .items()
        .try_collect()
        .await
        .expect("three organisations");
    assert_eq!(limited.len(), 3);
}

async fn job_lists_stream_every_launched_job_over_small_pages(ctx: Arc<Ctx>) {
    let user = ctx.env.user_username.clone();
    let admin = ctx.admin.job_api();
    let launch = |reason: String, batch: Option<String>| {
        let mut request = json!({
            "job_type": "REGISTRY", "job_sub_type": "REGISTRY_WAKE_UP",
            "job_payload": {"reason": reason}, "username": user,
        });
        match batch {
            Some(batch) => request["add_to_batch"] = json!(batch),
            None => request["request_batch_id"] = json!(true),
        }
        let request: rt::AdminLaunchJobRequest = from_json(request);
        let admin = admin.clone();
        async move {
            admin
                .admin()
                .launch_job(&request)
                .await
                .expect("launch a job")
        }
    };
    let first = launch(unique("streamed-0"), None).await;
    let batch = first.batch_id.clone().expect("a batch id was asked for");
    let mut launched = BTreeSet::from([first.session_id]);
    for n in 1..7 {
        let job = launch(unique(&format!("streamed-{n}")), Some(batch.clone())).await;
        launched.insert(job.session_id);
    }
    for session_id in &launched {
        work(&ctx, session_id, "PENDING", None, None);
    }

    let jobs = ctx.user.job_api();
    let own: rt::ListJobsRequest = from_json(json!({"limit": 2}));
    let pages: Vec<_> = jobs
        .list_jobs_paginated(&own)
        .pages()
        .try_collect()
        .await
        .expect("every page of the user's jobs");
    assert!(pages.len() >= 4, "several pages: {}", pages.len());
    let listed: BTreeSet<String> = pages
        .into_iter()
        .flat_map(|page| page.jobs)
        .map(|job| job.session_id)
        .collect();
    assert!(
        launched.is_subset(&listed),
        "every launched job is streamed"
    );

    let in_batch: rt::ListByBatchRequest = from_json(json!({"batch_id": batch, "limit": 2}));
    let batch_jobs: BTreeSet<String> = jobs
        .list_jobs_in_batch_paginated(&in_batch)
        .items()
        .map_ok(|job| job.session_id)
        .try_collect()
        .await
        .expect("every job of the batch");
    assert_eq!(batch_jobs, launched, "exactly the batch, over four pages");

    let filtered: rt::AdminListJobsRequest =
        from_json(json!({"limit": 3, "username_filter": user}));
    let admin_listed: BTreeSet<String> = admin
        .admin()
        .list_jobs_paginated(&filtered)
        .items()
        .map_ok(|job| job.session_id)
        .try_collect()
        .await
        .expect("every job of the user, as the admin sees them");
    assert!(launched.is_subset(&admin_listed));

    let admin_batch: rt::AdminListByBatchRequest =
        from_json(json!({"batch_id": batch, "limit": 3}));
    let admin_batch_jobs: BTreeSet<String> = admin
        .admin()
        .list_jobs_in_batch_paginated(&admin_batch)
        .items()
        .map_ok(|job| job.session_id)
        .try_collect()
        .await
        .expect("every job of the batch, as the admin sees them");
    assert_eq!(admin_batch_jobs, launched);
}
