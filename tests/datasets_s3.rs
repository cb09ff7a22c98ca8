//! Dataset files (`provena_client::datasets`, feature `s3`) against a real
//! S3-compatible server on loopback: the moto server that
//! `scripts/real-servers/run` starts, behind a stand-in of the data store's
//! dataset and credential routes (`tests/common/s3.rs`), so that the
//! credentials' lifetime and the keys in the bucket are the test's to choose.
//! The whole flow against the real data store is in `tests/real/datastore.rs`.
//!
//! Without moto's variables the tests are reported as ignored (and, under
//! `CI=true`, fail naming what is missing).

mod common;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use common::s3::{CutS3, Lifetime, Moto, StandIn, files_under, patterned, temp_dir, tree};
use common::skip;
use libtest_mimic::{Arguments, Trial};
use provena_client::datasets::{Canceller, MIN_PART_SIZE, TransferError};

/// A file just over one part: uploaded in two parts.
const TWO_PARTS: usize = MIN_PART_SIZE + 1024 * 1024;

/// One test: an async function of moto's whereabouts.
type Test = fn(Moto) -> Pin<Box<dyn Future<Output = ()>>>;

/// The table of tests, each named after its function.
macro_rules! tests {
    ($($name:ident),* $(,)?) => {
        vec![$((stringify!($name), (|moto| Box::pin($name(moto))) as Test),)*]
    };
}

fn main() -> std::process::ExitCode {
    let args = Arguments::from_args();
    let tests: Vec<(&str, Test)> = tests![
        fresh_credentials_are_fetched_once_for_a_whole_transfer,
        credentials_about_to_expire_are_fetched_again_mid_transfer,
        the_temporary_keys_never_show_in_debug_output,
        a_cancelled_download_leaves_no_file_under_its_final_name,
        a_cancelled_multipart_upload_leaves_no_object,
        a_connection_cut_mid_body_fails_the_download_and_leaves_no_file,
        a_listed_dot_dot_key_is_refused_and_nothing_is_written,
        a_listed_key_with_an_empty_segment_is_refused,
        paths_given_by_the_caller_cannot_leave_the_dataset,
        a_folder_download_takes_only_the_files_under_it,
    ];
    let trials = tests
        .into_iter()
        .map(|(name, test)| {
            skip::trial(name, Moto::from_env, move |moto| {
                tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .enable_all()
                    .build()
                    .expect("tokio runtime")
                    .block_on(test(moto));
            })
        })
        .collect::<Vec<Trial>>();
    let conclusion = libtest_mimic::run(&args, trials);
    common::s3::remove_scratch();
    skip::report("datasets_s3");
    conclusion.exit_code()
}

async fn fresh_credentials_are_fetched_once_for_a_whole_transfer(moto: Moto) {
    let stand_in = StandIn::start(&moto, Lifetime::Hour).await;
    let files = stand_in.files();
    let src = tree(
        "fresh-src",
        &[
            ("a.csv", b"x,y\n1,2\n".to_vec()),
            ("b/c.txt", b"hello".to_vec()),
        ],
    );
    files.upload_dir(&src).send().await.expect("upload");
    assert_eq!(files.list().await.expect("list").len(), 2);
    let dest = temp_dir("fresh-dest");
    files.download_all(&dest).send().await.expect("download");

    assert_eq!(files_under(&dest), files_under(&src));
    assert_eq!(
        stand_in.write_credential_calls(),
        1,
        "write keys asked once"
    );
    assert_eq!(stand_in.read_credential_calls(), 1, "read keys asked once");
}

async fn the_temporary_keys_never_show_in_debug_output(moto: Moto) {
    let stand_in = StandIn::start(&moto, Lifetime::Hour).await;
    let files = stand_in.files();
    let src = tree("debug-src", &[("a.csv", b"x".to_vec())]);
    files.upload_dir(&src).send().await.expect("upload");
    files.list().await.expect("list");

    // Both kinds of keys are cached inside `files` now.
    let shown = format!("{files:?}");
    assert!(shown.contains("DatastoreCredentials"), "{shown}");
    for secret in ["AKIASTANDIN", "stand-in-secret", "stand-in-session"] {
        assert!(!shown.contains(secret), "{secret} in {shown}");
    }
}

async fn credentials_about_to_expire_are_fetched_again_mid_transfer(moto: Moto) {
    let stand_in = StandIn::start(&moto, Lifetime::Minute).await;
    let files = stand_in.files();
    let body = patterned(TWO_PARTS, 7);
    let src = tree("expiring-src", &[("big.bin", body.clone())]);

    let summary = files
        .upload_file(src.join("big.bin"), "big.bin")
        .send()
        .await
        .expect("a multipart upload whose keys keep expiring completes");

    // One file, four signed requests (create, two parts, complete): keys that
    // are inside the refresh margin are asked for again before each.
    assert_eq!(summary.files.len(), 1);
    assert!(
        stand_in.write_credential_calls() >= 4,
        "write keys asked {} times during one multipart upload",
        stand_in.write_credential_calls()
    );
    let dest = temp_dir("expiring-dest");
    files.download_all(&dest).send().await.expect("download");
    assert_eq!(files_under(&dest), vec![("big.bin".to_string(), body)]);
}

async fn a_cancelled_download_leaves_no_file_under_its_final_name(moto: Moto) {
    let stand_in = StandIn::start(&moto, Lifetime::Hour).await;
    let files = stand_in.files();
    let src = tree("cancel-src", &[("data/big.bin", patterned(TWO_PARTS, 1))]);
    files.upload_dir(&src).send().await.expect("upload");

    let dest = temp_dir("cancel-dest");
    let cancel = Canceller::new();
    let in_callback = cancel.clone();
    let seen = Arc::new(AtomicU64::new(0));
    let seen_in_callback = Arc::clone(&seen);
    let outcome = files
        .download_all(&dest)
        .cancel_with(&cancel)
        .on_progress(move |progress| {
            seen_in_callback.store(progress.bytes_done, Ordering::SeqCst);
            if progress.bytes_done > 0 {
                in_callback.cancel();
            }
        })
        .send()
        .await;

    assert!(
        matches!(outcome, Err(TransferError::Cancelled)),
        "{outcome:?}"
    );
    let written = seen.load(Ordering::SeqCst);
    assert!(
        written > 0 && written < TWO_PARTS as u64,
        "cancelled mid-body ({written} bytes)"
    );
    assert!(
        !dest.join("data/big.bin").exists(),
        "no file at its final name"
    );
    assert_eq!(files_under(&dest), vec![], "no partial file left either");
}

async fn a_connection_cut_mid_body_fails_the_download_and_leaves_no_file(moto: Moto) {
    let stand_in = StandIn::start(&moto, Lifetime::Hour).await;
    let body = patterned(256 * 1024, 4);
    let s3 = CutS3::start(body, 100 * 1024).await;
    let files = stand_in.files_at(&s3.url()).retries(1);
    let dest = temp_dir("cut-dest");

    let outcome = files.download("data/big.bin", &dest).send().await;

    assert!(
        matches!(&outcome, Err(TransferError::Storage { action: "get", .. })),
        "{outcome:?}"
    );
    assert!(s3.gets() >= 1, "the body was cut, not refused");
    assert!(
        !dest.join("data/big.bin").exists(),
        "no file at its final name"
    );
    assert_eq!(files_under(&dest), vec![], "no partial file left either");
}

async fn a_cancelled_multipart_upload_leaves_no_object(moto: Moto) {
    let stand_in = StandIn::start(&moto, Lifetime::Hour).await;
    let files = stand_in.files();
    let src = tree("cancel-up-src", &[("big.bin", patterned(TWO_PARTS, 2))]);

    let cancel = Canceller::new();
    let in_callback = cancel.clone();
    let outcome = files
        .upload_file(src.join("big.bin"), "big.bin")
        .cancel_with(&cancel)
        .on_progress(move |progress| {
            if progress.bytes_done > 0 {
                in_callback.cancel();
            }
        })
        .send()
        .await;

    assert!(
        matches!(outcome, Err(TransferError::Cancelled)),
        "{outcome:?}"
    );
    assert_eq!(files.list().await.expect("list"), vec![], "no object");
    assert_eq!(moto.keys(&stand_in.prefix), Vec::<String>::new());
}

async fn a_listed_dot_dot_key_is_refused_and_nothing_is_written(moto: Moto) {
    let stand_in = StandIn::start(&moto, Lifetime::Hour).await;
    let files = stand_in.files();
    let inside = format!("{}inside.txt", stand_in.prefix);
    let escaping = format!("{}../escaped.txt", stand_in.prefix);
    moto.put_raw(&inside, b"fine");
    moto.put_raw(&escaping, b"would land next to the destination");
    assert!(
        moto.keys(&stand_in.prefix).contains(&escaping),
        "precondition: the bucket holds the key {escaping} as it is"
    );

    let parent = temp_dir("dotdot");
    let dest = parent.join("dest");
    let outcome = files.download_all(&dest).send().await;

    match &outcome {
        Err(TransferError::UnsafeKey { key, .. }) => assert!(key.contains(".."), "{key}"),
        other => panic!("expected UnsafeKey, got {other:?}"),
    }
    assert_eq!(
        files_under(&parent),
        vec![],
        "nothing written, inside or out"
    );
    assert!(!parent.join("escaped.txt").exists());
}

async fn a_listed_key_with_an_empty_segment_is_refused(moto: Moto) {
    let stand_in = StandIn::start(&moto, Lifetime::Hour).await;
    let files = stand_in.files();
    let absolute = format!("{}/tmp/absolute.txt", stand_in.prefix);
    moto.put_raw(&absolute, b"an absolute path once the prefix is cut");
    assert!(
        moto.keys(&stand_in.prefix).contains(&absolute),
        "precondition"
    );

    let dest = temp_dir("absolute");
    let outcome = files.download_all(&dest).send().await;

    assert!(
        matches!(&outcome, Err(TransferError::UnsafeKey { key, .. }) if key.contains("//")),
        "{outcome:?}"
    );
    assert_eq!(files_under(&dest), vec![]);
}

async fn paths_given_by_the_caller_cannot_leave_the_dataset(moto: Moto) {
    let stand_in = StandIn::start(&moto, Lifetime::Hour).await;
    let files = stand_in.files();
    let src = tree("caller-src", &[("a.txt", b"a".to_vec())]);
    let dest = temp_dir("caller-dest");

    for path in ["../x", "/etc/passwd", "a/../../x", "./a.txt"] {
        let download = files.download(path, &dest).send().await;
        assert!(
            matches!(download, Err(TransferError::UnsafeKey { .. })),
            "download {path}: {download:?}"
        );
        let upload = files.upload_file(src.join("a.txt"), path).send().await;
        assert!(
            matches!(upload, Err(TransferError::UnsafeKey { .. })),
            "upload {path}: {upload:?}"
        );
    }
    // Refused before any S3 request was signed.
    assert_eq!(stand_in.read_credential_calls(), 0);
    assert_eq!(stand_in.write_credential_calls(), 0);
    assert_eq!(files_under(&dest), vec![]);
}

async fn a_folder_download_takes_only_the_files_under_it(moto: Moto) {
    let stand_in = StandIn::start(&moto, Lifetime::Hour).await;
    let files = stand_in.files();
    let src = tree(
        "folder-src",
        &[
            ("data/a.csv", b"a".to_vec()),
            ("data/deep/b.csv", b"b".to_vec()),
            ("data-other/c.csv", b"c".to_vec()),
            ("readme.md", b"r".to_vec()),
        ],
    );
    files.upload_dir(&src).send().await.expect("upload");
    // A console-made "folder" marker: a zero-byte object other keys lie under.
    moto.put_raw(&format!("{}data/", stand_in.prefix), b"");

    let dest = temp_dir("folder-dest");
    files.download("data", &dest).send().await.expect("folder");
    assert_eq!(
        files_under(&dest),
        vec![
            ("data/a.csv".to_string(), b"a".to_vec()),
            ("data/deep/b.csv".to_string(), b"b".to_vec()),
        ]
    );

    let missing = files.download("no-such", &dest).send().await;
    assert!(
        matches!(&missing, Err(TransferError::NotFound { path }) if path == "no-such"),
        "{missing:?}"
    );
}
