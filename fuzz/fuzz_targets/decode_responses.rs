//! Decodes arbitrary bytes as the success response of an operation, exactly
//! as the client does, and checks nothing but that it never panics.
//!
//! The first two bytes (big-endian, modulo the count) pick the operation among
//! the JSON operations of all services, in `SERVICES` order; the rest is the
//! body. The seeds in `corpus/decode_responses/` are the schema samples,
//! written by `tests/decode_properties.rs` (`write_fuzz_seed_corpus`) with the
//! same numbering.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use provena_client::raw::{self, Operation};

type Decoder = fn(&str, &[u8]) -> Option<Result<(), serde_json::Error>>;

const SERVICES: [(&[Operation], Decoder); 7] = [
    (raw::auth::OPERATIONS, raw::auth::decode_success),
    (raw::registry::OPERATIONS, raw::registry::decode_success),
    (raw::datastore::OPERATIONS, raw::datastore::decode_success),
    (raw::search::OPERATIONS, raw::search::decode_success),
    (raw::prov::OPERATIONS, raw::prov::decode_success),
    (raw::job::OPERATIONS, raw::job::decode_success),
    (raw::id_service::OPERATIONS, raw::id_service::decode_success),
];

/// Every operation with a JSON success response, with its service's decoder.
fn operations() -> &'static [(&'static Operation, Decoder)] {
    static OPERATIONS: OnceLock<Vec<(&'static Operation, Decoder)>> = OnceLock::new();
    OPERATIONS.get_or_init(|| {
        SERVICES
            .iter()
            .flat_map(|(operations, decode)| operations.iter().map(move |op| (op, *decode)))
            .filter(|(op, _)| op.response_media == "application/json")
            .collect()
    })
}

fuzz_target!(|data: &[u8]| {
    let [high, low, body @ ..] = data else {
        return;
    };
    let operations = operations();
    let (operation, decode) =
        operations[usize::from(u16::from_be_bytes([*high, *low])) % operations.len()];
    if operation.handwritten {
        // The one hand-written operation (prov convert_model_runs_csv): the
        // facade decodes its response into this type itself.
        let _ = serde_json::from_slice::<provena_client::models::ConvertModelRunsResponse>(body);
    } else {
        let _ = decode(operation.operation_id, body);
    }
});
