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

use std::path::{Path, PathBuf};

use common::s3::{
    CutS3, Lifetime, Moto, S3Proxy, StandIn, cancel_once_bytes_move, files_under, patterned,
    temp_dir, tree,
};
use common::skip;
use libtest_mimic::{Arguments, Trial};
use provena_client::datasets::{
    Canceller, DatasetFiles, MIN_PART_SIZE, TransferError, TransferSummary,
};

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
        a_cut_resumable_download_keeps_its_partial_and_sidecar_and_no_final_file,
        a_resumed_download_fetches_only_the_missing_bytes_and_ends_byte_identical,
        a_resumed_download_reports_the_kept_bytes_as_done_from_the_start,
        a_resumable_download_of_a_replaced_object_starts_over_with_the_new_content,
        a_partial_longer_than_the_object_is_discarded_and_the_file_fetched_whole,
        an_object_replaced_after_listing_fails_the_ranged_get_and_starts_over,
        a_complete_partial_is_checked_and_renamed_without_fetching_again,
        a_resumable_download_refuses_a_partial_another_download_holds,
        a_second_resumable_download_of_the_same_file_at_once_is_refused,
        a_download_without_resume_leaves_a_held_partial_alone,
        a_multipart_object_resumes_too_checked_by_its_size,
        a_cancelled_resumable_download_keeps_its_partial_and_no_final_file,
        without_resume_a_cut_download_leaves_nothing_behind,
        a_download_without_resume_fetches_whole_and_removes_an_earlier_partial,
        the_cli_resumes_a_cut_download_by_default,
        the_cli_with_no_resume_downloads_whole_and_removes_the_partial,
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

    let (cancel, cancel_mid_way) = cancel_once_bytes_move();
    let outcome = files
        .upload_file(src.join("big.bin"), "big.bin")
        .cancel_with(&cancel)
        .on_progress(cancel_mid_way)
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

/// Three MiB: one part, so its ETag is the MD5 and the whole file is checked.
const RESUMABLE: usize = 3 * 1024 * 1024;
/// Where the proxy cuts the first download: a third of the way in.
const CUT_AT: u64 = 1024 * 1024;

/// One object of `len` bytes at `big.bin` in a fresh dataset, and a proxy
/// in front of moto to download it through.
struct Resumable {
    stand_in: StandIn,
    proxy: S3Proxy,
    body: Vec<u8>,
    dest: PathBuf,
}

impl Resumable {
    async fn start(moto: &Moto, name: &str, len: usize) -> Self {
        let stand_in = StandIn::start(moto, Lifetime::Hour).await;
        let body = patterned(len, 5);
        let src = tree(&format!("{name}-src"), &[("big.bin", body.clone())]);
        stand_in
            .files()
            .upload_file(src.join("big.bin"), "big.bin")
            .send()
            .await
            .expect("upload");
        let proxy = S3Proxy::start(&moto.endpoint).await;
        let dest = temp_dir(&format!("{name}-dest"));
        Self {
            stand_in,
            proxy,
            body,
            dest,
        }
    }

    /// The dataset's files through the proxy.
    fn files(&self) -> DatasetFiles {
        self.stand_in.files_at(&self.proxy.url())
    }

    /// A first resumable download, its connection cut after [`CUT_AT`]
    /// bytes (no retries); the partial file's length afterwards.
    async fn cut(&self) -> u64 {
        self.proxy.cut_next_get_after(CUT_AT);
        let outcome = self
            .files()
            .retries(0)
            .download("big.bin", &self.dest)
            .resume(true)
            .send()
            .await;
        assert!(
            matches!(&outcome, Err(TransferError::Storage { action: "get", .. })),
            "the cut download fails: {outcome:?}"
        );
        self.proxy.take_object_bytes();
        let kept = std::fs::metadata(self.part()).map_or(0, |m| m.len());
        assert!(
            kept > 0 && kept <= CUT_AT,
            "precondition: a partial of at most the {CUT_AT} bytes sent ({kept})"
        );
        kept
    }

    /// A resumable download of the file, through the proxy.
    async fn resume(&self) -> Result<TransferSummary, TransferError> {
        self.files()
            .download("big.bin", &self.dest)
            .resume(true)
            .send()
            .await
    }

    /// Asserts that the destination holds the whole file, byte-identical,
    /// and nothing else (no partial, no sidecar).
    #[track_caller]
    fn assert_only_the_whole_file(&self) {
        assert_eq!(
            files_under(&self.dest),
            vec![("big.bin".to_string(), self.body.clone())],
            "the whole file, byte-identical, and no partial or sidecar left"
        );
    }

    fn part(&self) -> PathBuf {
        self.dest.join(".big.bin.provena-part")
    }

    fn sidecar(&self) -> PathBuf {
        self.dest.join(".big.bin.provena-part.meta")
    }

    fn final_file(&self) -> PathBuf {
        self.dest.join("big.bin")
    }
}

fn names_under(dir: &Path) -> Vec<String> {
    files_under(dir).into_iter().map(|(name, _)| name).collect()
}

async fn a_cut_resumable_download_keeps_its_partial_and_sidecar_and_no_final_file(moto: Moto) {
    let setup = Resumable::start(&moto, "cut-keep", RESUMABLE).await;

    let kept = setup.cut().await;

    assert!(!setup.final_file().exists(), "no file at its final name");
    assert_eq!(
        names_under(&setup.dest),
        vec![".big.bin.provena-part", ".big.bin.provena-part.meta"]
    );
    assert_eq!(
        std::fs::read(setup.part()).expect("partial"),
        setup.body[..kept as usize],
        "the partial is the start of the object"
    );
    let sidecar = std::fs::read_to_string(setup.sidecar()).expect("sidecar");
    let listed = setup.stand_in.files().list().await.expect("list");
    let e_tag = listed[0].e_tag.clone().expect("moto gives ETags");
    assert!(sidecar.contains(&e_tag), "{sidecar} names {e_tag}");
}

async fn a_resumed_download_fetches_only_the_missing_bytes_and_ends_byte_identical(moto: Moto) {
    let setup = Resumable::start(&moto, "resume", RESUMABLE).await;
    let kept = setup.cut().await;

    let summary = setup
        .resume()
        .await
        .expect("the resumed download completes");

    assert_eq!(
        setup.proxy.take_object_bytes(),
        RESUMABLE as u64 - kept,
        "only the missing bytes were fetched"
    );
    assert_eq!(summary.resumed_bytes, kept);
    assert_eq!(summary.files[0].resumed_bytes, kept);
    assert!(
        summary.files[0].checksum_verified,
        "the MD5 covered the whole file"
    );
    setup.assert_only_the_whole_file();
}

async fn a_resumed_download_reports_the_kept_bytes_as_done_from_the_start(moto: Moto) {
    let setup = Resumable::start(&moto, "resume-progress", RESUMABLE).await;
    let kept = setup.cut().await;
    let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
    let recorded = Arc::clone(&seen);

    setup
        .files()
        .download("big.bin", &setup.dest)
        .resume(true)
        .on_progress(move |p| recorded.lock().expect("lock").push(p.bytes_done))
        .send()
        .await
        .expect("the resumed download completes");

    let seen = seen.lock().expect("lock").clone();
    let first_done = seen.iter().copied().find(|&done| done > 0);
    assert_eq!(
        first_done,
        Some(kept),
        "progress jumps to the kept bytes first"
    );
    assert_eq!(seen.last().copied(), Some(RESUMABLE as u64));
}

async fn a_resumable_download_of_a_replaced_object_starts_over_with_the_new_content(moto: Moto) {
    let setup = Resumable::start(&moto, "replaced", RESUMABLE).await;
    setup.cut().await;
    // Same size, other bytes: only the ETag tells them apart.
    let replacement = patterned(RESUMABLE, 99);
    let src = tree("replaced-new", &[("big.bin", replacement.clone())]);
    setup
        .stand_in
        .files()
        .upload_file(src.join("big.bin"), "big.bin")
        .send()
        .await
        .expect("replace the object");

    let summary = setup
        .resume()
        .await
        .expect("the download starts over and completes");

    assert_eq!(summary.resumed_bytes, 0, "nothing of the old object kept");
    assert_eq!(setup.proxy.take_object_bytes(), RESUMABLE as u64);
    assert_eq!(
        files_under(&setup.dest),
        vec![("big.bin".to_string(), replacement)]
    );
}

async fn a_partial_longer_than_the_object_is_discarded_and_the_file_fetched_whole(moto: Moto) {
    let setup = Resumable::start(&moto, "too-long", RESUMABLE).await;
    setup.cut().await;
    let mut longer = setup.body.clone();
    longer.extend_from_slice(b"bytes past the end of the object");
    std::fs::write(setup.part(), &longer).expect("lengthen the partial");

    let summary = setup
        .resume()
        .await
        .expect("the download starts over and completes");

    assert_eq!(summary.resumed_bytes, 0);
    assert_eq!(setup.proxy.take_object_bytes(), RESUMABLE as u64);
    setup.assert_only_the_whole_file();
}

async fn an_object_replaced_after_listing_fails_the_ranged_get_and_starts_over(moto: Moto) {
    let setup = Resumable::start(&moto, "replaced-late", RESUMABLE).await;
    setup.cut().await;
    // The listing still shows the old ETag; the ranged GET's If-Match then
    // meets the new object (412).
    let replacement = patterned(RESUMABLE, 42);
    let (moto_put, key, body) = (
        moto.clone(),
        format!("{}big.bin", setup.stand_in.prefix),
        replacement.clone(),
    );
    setup
        .proxy
        .before_next_ranged_get(move || moto_put.put_raw(&key, &body));

    let summary = setup
        .resume()
        .await
        .expect("the download starts over and completes");

    assert_eq!(summary.resumed_bytes, 0, "nothing of the old object kept");
    assert_eq!(
        setup.proxy.take_object_bytes(),
        RESUMABLE as u64,
        "the refused ranged GET sent no object bytes; the new one all"
    );
    assert_eq!(
        files_under(&setup.dest),
        vec![("big.bin".to_string(), replacement)]
    );
}

async fn a_complete_partial_is_checked_and_renamed_without_fetching_again(moto: Moto) {
    let setup = Resumable::start(&moto, "complete-partial", RESUMABLE).await;
    setup.cut().await;
    // As if the earlier run stopped between its last byte and the rename.
    std::fs::write(setup.part(), &setup.body).expect("complete the partial");

    let summary = setup.resume().await.expect("download");

    assert_eq!(setup.proxy.take_object_bytes(), 0, "nothing fetched");
    assert_eq!(summary.resumed_bytes, RESUMABLE as u64);
    assert!(summary.files[0].checksum_verified);
    setup.assert_only_the_whole_file();
}

/// Locks `path` as another download (another process) would; the lock
/// lasts as long as the returned file is open.
fn hold(path: &Path) -> std::fs::File {
    let file = std::fs::OpenOptions::new()
        .write(true)
        .open(path)
        .expect("open the partial");
    fs4::FileExt::try_lock(&file).expect("the partial was free to lock");
    file
}

async fn a_resumable_download_refuses_a_partial_another_download_holds(moto: Moto) {
    let setup = Resumable::start(&moto, "held-partial", RESUMABLE).await;
    let kept = setup.cut().await;
    let held = hold(&setup.part());

    let refused = setup.resume().await;

    match &refused {
        Err(TransferError::PartialInUse { path }) => assert_eq!(path, &setup.part()),
        other => panic!("expected PartialInUse naming the partial, got {other:?}"),
    }
    assert_eq!(setup.proxy.take_object_bytes(), 0, "nothing fetched");
    assert!(!setup.final_file().exists(), "no file at its final name");
    assert_eq!(
        std::fs::read(setup.part()).expect("partial"),
        setup.body[..kept as usize],
        "the held partial is untouched"
    );

    drop(held);
    let summary = setup
        .resume()
        .await
        .expect("once released, the partial is resumed");
    assert_eq!(summary.resumed_bytes, kept);
    setup.assert_only_the_whole_file();
}

async fn a_second_resumable_download_of_the_same_file_at_once_is_refused(moto: Moto) {
    let setup = Resumable::start(&moto, "two-at-once", RESUMABLE).await;
    let kept = setup.cut().await;
    // The second download starts while the first is between locking its
    // partial and receiving the rest of the object.
    let second: Arc<std::sync::Mutex<Option<Result<u64, TransferError>>>> = Arc::default();
    let (files, dest, slot) = (setup.files(), setup.dest.clone(), Arc::clone(&second));
    let runtime = tokio::runtime::Handle::current();
    setup.proxy.before_next_ranged_get(move || {
        let outcome = runtime.block_on(files.download("big.bin", &dest).resume(true).send());
        *slot.lock().expect("slot") = Some(outcome.map(|summary| summary.resumed_bytes));
    });

    let first = setup.resume().await.expect("the first download completes");

    let second = second.lock().expect("slot").take();
    assert!(
        matches!(&second, Some(Err(TransferError::PartialInUse { .. }))),
        "the second download is refused: {second:?}"
    );
    assert_eq!(first.resumed_bytes, kept);
    assert_eq!(
        setup.proxy.take_object_bytes(),
        RESUMABLE as u64 - kept,
        "only the first download fetched, and only the missing bytes"
    );
    setup.assert_only_the_whole_file();
}

async fn a_download_without_resume_leaves_a_held_partial_alone(moto: Moto) {
    let setup = Resumable::start(&moto, "held-no-resume", RESUMABLE).await;
    let kept = setup.cut().await;
    let held = hold(&setup.part());

    setup
        .files()
        .download("big.bin", &setup.dest)
        .send()
        .await
        .expect("a download without resume does not need the partial");

    assert_eq!(
        std::fs::read(setup.final_file()).expect("final file"),
        setup.body
    );
    assert_eq!(
        std::fs::read(setup.part()).expect("the held partial is still there"),
        setup.body[..kept as usize]
    );
    assert!(setup.sidecar().exists(), "and so is its sidecar");
    drop(held);
}

async fn a_multipart_object_resumes_too_checked_by_its_size(moto: Moto) {
    let setup = Resumable::start(&moto, "resume-multipart", TWO_PARTS).await;
    let listed = setup.stand_in.files().list().await.expect("list");
    assert!(
        listed[0]
            .e_tag
            .as_deref()
            .is_some_and(|t| t.ends_with("-2")),
        "precondition: a two-part ETag, {:?}",
        listed[0].e_tag
    );
    let kept = setup.cut().await;

    let summary = setup
        .resume()
        .await
        .expect("the resumed download completes");

    assert_eq!(setup.proxy.take_object_bytes(), TWO_PARTS as u64 - kept);
    assert_eq!(summary.resumed_bytes, kept);
    assert!(
        !summary.files[0].checksum_verified,
        "no MD5 to check against"
    );
    setup.assert_only_the_whole_file();
}

async fn a_cancelled_resumable_download_keeps_its_partial_and_no_final_file(moto: Moto) {
    let setup = Resumable::start(&moto, "cancel-resume", RESUMABLE).await;
    let (cancel, cancel_mid_way) = cancel_once_bytes_move();

    let outcome = setup
        .stand_in
        .files()
        .download("big.bin", &setup.dest)
        .resume(true)
        .cancel_with(&cancel)
        .on_progress(cancel_mid_way)
        .send()
        .await;

    assert!(
        matches!(outcome, Err(TransferError::Cancelled)),
        "{outcome:?}"
    );
    assert!(!setup.final_file().exists(), "no file at its final name");
    let kept = std::fs::read(setup.part()).expect("the partial is kept");
    assert!(!kept.is_empty() && kept.len() < RESUMABLE, "{}", kept.len());
    assert_eq!(kept, setup.body[..kept.len()]);
    assert!(setup.sidecar().exists(), "its sidecar too");
}

async fn without_resume_a_cut_download_leaves_nothing_behind(moto: Moto) {
    let setup = Resumable::start(&moto, "cut-no-resume", RESUMABLE).await;
    setup.proxy.cut_next_get_after(CUT_AT);

    let outcome = setup
        .files()
        .retries(0)
        .download("big.bin", &setup.dest)
        .send()
        .await;

    assert!(
        matches!(&outcome, Err(TransferError::Storage { action: "get", .. })),
        "{outcome:?}"
    );
    assert!(setup.proxy.take_object_bytes() > 0, "cut mid-body");
    assert_eq!(files_under(&setup.dest), vec![], "no file, partial or not");
}

async fn a_download_without_resume_fetches_whole_and_removes_an_earlier_partial(moto: Moto) {
    let setup = Resumable::start(&moto, "whole-after-cut", RESUMABLE).await;
    setup.cut().await;

    let summary = setup
        .files()
        .download("big.bin", &setup.dest)
        .send()
        .await
        .expect("download");

    assert_eq!(summary.resumed_bytes, 0);
    assert_eq!(setup.proxy.take_object_bytes(), RESUMABLE as u64);
    setup.assert_only_the_whole_file();
}

/// Runs `provena ... dataset download <id> --path big.bin --dest <dest>
/// --output json <extra>` against the stand-in and the proxy; its JSON.
async fn cli_download(setup: &Resumable, extra: &[&str]) -> serde_json::Value {
    let mut command = assert_cmd::Command::cargo_bin("provena").expect("the cli binary");
    command
        .env_clear()
        .env("PROVENA_ACCESS_TOKEN", "cli-token")
        .env("HOME", temp_dir("cli-home"))
        .args(["--domain", "test.invalid", "--realm", "r", "--endpoint"])
        .arg(format!("datastore={}", setup.stand_in.url()))
        .args(["dataset", "download", &setup.stand_in.dataset_id])
        .args(["--path", "big.bin", "--dest"])
        .arg(&setup.dest)
        .args(["--s3-endpoint", &setup.proxy.url(), "--output", "json"])
        .args(extra);
    // Blocking: on a thread of its own, while the proxy serves it.
    let output = tokio::task::spawn_blocking(move || command.output())
        .await
        .expect("join")
        .expect("run provena");
    assert!(
        output.status.success(),
        "provena failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("JSON on stdout")
}

async fn the_cli_resumes_a_cut_download_by_default(moto: Moto) {
    let setup = Resumable::start(&moto, "cli-resume", RESUMABLE).await;
    let kept = setup.cut().await;

    let answer = cli_download(&setup, &[]).await;

    assert_eq!(answer["resumed_bytes"], kept, "{answer}");
    assert_eq!(setup.proxy.take_object_bytes(), RESUMABLE as u64 - kept);
    setup.assert_only_the_whole_file();
}

async fn the_cli_with_no_resume_downloads_whole_and_removes_the_partial(moto: Moto) {
    let setup = Resumable::start(&moto, "cli-no-resume", RESUMABLE).await;
    setup.cut().await;

    let answer = cli_download(&setup, &["--no-resume"]).await;

    assert_eq!(answer["resumed_bytes"], 0, "{answer}");
    assert_eq!(setup.proxy.take_object_bytes(), RESUMABLE as u64);
    setup.assert_only_the_whole_file();
}
