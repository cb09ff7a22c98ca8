//! The generated layer: one typed client per Provena service.
//!
//! `build.rs` runs progenitor over `specs/{service}.json` and each module below
//! includes the result. Every generated `Client` holds a
//! [`Transport`](crate::transport::Transport) as its inner value; the
//! transport authorises, sends and retries each request (see
//! [`crate::transport`]). Most users want the facade
//! ([`crate::ProvenaClient`]); this layer stays public for the rest.
//!
//! Each module also carries `OPERATIONS`, a table of every operation of its
//! document (including the hand-written ones), and `GENERATED_METHODS`, the
//! names of the methods progenitor produced, and `decode_success`, which decodes
//! a body as an operation's success response exactly as its method does (for
//! fuzzing and property tests of the decoders).

/// One operation of a vendored document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Operation {
    /// The document's `operationId`, which is also the generated method's name.
    pub operation_id: &'static str,
    /// Upper-case HTTP method.
    pub method: &'static str,
    /// Path template, e.g. `/registry/agent/person/fetch`.
    pub path: &'static str,
    /// Left out of generation; the facade implements it by hand.
    pub handwritten: bool,
    /// JSON pointers of the `success` flags in the 200 body whose `false`
    /// makes the call fail (`/status/success`, `/state_change/success`, ...);
    /// flags whose `false` is an ordinary answer are left out (see
    /// [`crate::outcomes`]).
    pub failure_flags: &'static [&'static str],
    /// Media type of the success response (`application/json`, `text/csv`, ...).
    pub response_media: &'static str,
}

macro_rules! raw_service {
    ($feature:literal, $module:ident) => {
        #[cfg(feature = $feature)]
        #[doc = concat!("Generated client for the `", $feature, "` service.")]
        #[allow(
            missing_docs,
            clippy::all,
            clippy::pedantic,
            unused_imports,
            irrefutable_let_patterns,
            rustdoc::all
        )]
        pub mod $module {
            include!(concat!(env!("OUT_DIR"), "/", stringify!($module), ".rs"));
            include!(concat!(
                env!("OUT_DIR"),
                "/",
                stringify!($module),
                "_operations.rs"
            ));

            // Every request of every service goes through the one transport.
            impl progenitor_client::ClientHooks<crate::transport::Transport> for Client {
                async fn pre<E>(
                    &self,
                    request: &mut reqwest::Request,
                    info: &progenitor_client::OperationInfo,
                ) -> Result<(), progenitor_client::Error<E>> {
                    self.inner.authorize(request, info).await
                }

                async fn exec(
                    &self,
                    request: reqwest::Request,
                    info: &progenitor_client::OperationInfo,
                ) -> reqwest::Result<reqwest::Response> {
                    // Boxed: the retry loop and body read are most of a
                    // request's future, which is moved at each level it is
                    // awaited through; behind a box it is moved once.
                    Box::pin(self.inner.execute(&self.client, request, info)).await
                }
            }
        }
    };
}

raw_service!("auth", auth);
raw_service!("registry", registry);
raw_service!("datastore", datastore);
raw_service!("search", search);
raw_service!("prov", prov);
raw_service!("job", job);
raw_service!("id-service", id_service);
