//! Reads the `success` flags of a JSON body without building the body.
//!
//! Most Provena answers carry `status.success`; a `false` there is a failure
//! even under HTTP 200. Checking it used to parse every body into a
//! `serde_json::Value`, which for a list of thousands of items costs several
//! times the body in memory and about as much time as decoding it. This
//! probe walks the body once with serde, descends only into the keys on the
//! way to a flag, and skips everything else without allocating.

use std::fmt;
use std::sync::LazyLock;

use memchr::memmem;

use serde::Deserialize as _;
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

/// `Some(details)` when one of `flags` (JSON pointers such as
/// `/status/success`) is `false` in `body`: the string `details` beside that
/// flag, or an empty string. `None` when every flag is `true`, missing or
/// not a boolean, and when the body is not JSON.
pub(crate) fn failure_reported(flags: &[&str], body: &[u8]) -> Option<String> {
    if flags.is_empty() || !may_hold_a_false_flag(flags, body) {
        return None;
    }
    // Every flag and its `details` sibling, in one tree of object keys.
    let mut wanted = Vec::with_capacity(flags.len() * 2);
    for flag in flags {
        let (parent, _) = flag.rsplit_once('/').unwrap_or(("", ""));
        wanted.push(pointer_tokens(flag));
        wanted.push(pointer_tokens(&format!("{parent}/details")));
    }
    let mut root = Node::default();
    for (slot, tokens) in wanted.iter().enumerate() {
        root.insert(tokens, slot);
    }

    let mut found: Vec<Option<Value>> = vec![None; wanted.len()];
    let mut reader = serde_json::Deserializer::from_slice(body);
    Probe {
        node: &root,
        found: &mut found,
    }
    .deserialize(&mut reader)
    .ok()?;
    reader.end().ok()?;

    (0..flags.len()).find_map(|i| {
        if found[2 * i].as_ref()?.as_bool()? {
            return None;
        }
        let details = found[2 * i + 1]
            .as_ref()
            .and_then(Value::as_str)
            .unwrap_or_default();
        Some(details.to_owned())
    })
}

/// Where the literal `false` occurs in a body; built once, not per call.
static FALSE: LazyLock<memmem::Finder<'static>> = LazyLock::new(|| memmem::Finder::new(b"false"));

/// Where `success"` occurs: the end of the key nearly every flag has.
static SUCCESS_KEY_END: LazyLock<memmem::Finder<'static>> =
    LazyLock::new(|| memmem::Finder::new(b"success\""));

/// A byte scan that rules out most successful answers without parsing, in
/// one pass and without allocating: a flag can only be `false` if the body
/// has a literal `false` that is the value of an object member whose key is
/// the flag's last pointer token.
fn may_hold_a_false_flag(flags: &[&str], body: &[u8]) -> bool {
    if flags.iter().all(|flag| flag.ends_with("/success")) && memchr::memchr(b'\\', body).is_none()
    {
        success_key_followed_by_false(body)
    } else {
        a_false_follows_a_flag_key(flags, body)
    }
}

/// Whether a member `"success": false` occurs, for a body without any
/// backslash. There every string is spelled literally and every quote
/// delimits one, so `"success"` followed by `:` is that key and nothing
/// else; looking for it (rare) costs less than for `false` (common).
fn success_key_followed_by_false(body: &[u8]) -> bool {
    SUCCESS_KEY_END.find_iter(body).any(|at| {
        let opened = at.checked_sub(1).and_then(|quote| body.get(quote)) == Some(&b'"');
        let after = body.get(at + "success\"".len()..).unwrap_or_default();
        opened
            && after
                .trim_ascii_start()
                .strip_prefix(b":")
                .is_some_and(|value| value.trim_ascii_start().starts_with(b"false"))
    })
}

/// The general scan: every literal `false` and the key before it. JSON
/// cannot spell the literal with escapes, so every `false` value is found;
/// a key written with escapes, or a token that cannot be compared as raw
/// bytes, always goes on to the probe.
fn a_false_follows_a_flag_key(flags: &[&str], body: &[u8]) -> bool {
    FALSE
        .find_iter(body)
        .any(|at| match key_before(&body[..at]) {
            KeyBefore::NotAMember => false,
            KeyBefore::Escaped => true,
            KeyBefore::Key(key) => flags.iter().any(|flag| {
                let last = flag.rsplit('/').next().unwrap_or_default();
                // `~` escapes in the pointer, quotes or backslashes in the key:
                // leave the comparison to the probe.
                last.contains(['~', '"', '\\']) || last.as_bytes() == key
            }),
        })
}

/// What precedes a value in a body.
enum KeyBefore<'a> {
    /// Not `"key":`, so not an object member's value.
    NotAMember,
    /// A key with a backslash in or just before it: its raw bytes are not
    /// its text.
    Escaped,
    /// A key as written, without its quotes.
    Key(&'a [u8]),
}

/// The object key written right before a value that starts where `before`
/// ends (`"key" :` with any whitespace).
fn key_before(before: &[u8]) -> KeyBefore<'_> {
    let Some(before) = before.trim_ascii_end().strip_suffix(b":") else {
        return KeyBefore::NotAMember;
    };
    let Some(before) = before.trim_ascii_end().strip_suffix(b"\"") else {
        return KeyBefore::NotAMember;
    };
    let Some(open) = memchr::memrchr(b'"', before) else {
        return KeyBefore::NotAMember;
    };
    let key = &before[open + 1..];
    let escaped_quote = open > 0 && before[open - 1] == b'\\';
    if escaped_quote || memchr::memchr(b'\\', key).is_some() {
        return KeyBefore::Escaped;
    }
    KeyBefore::Key(key)
}

/// The reference tokens of a JSON pointer (RFC 6901: `~1` is `/`, `~0` is `~`).
fn pointer_tokens(pointer: &str) -> Vec<String> {
    pointer
        .split('/')
        .skip(1)
        .map(|token| token.replace("~1", "/").replace("~0", "~"))
        .collect()
}

/// Keys to descend into; `slots` are the pointers that end here.
#[derive(Default)]
struct Node {
    children: Vec<(String, Node)>,
    slots: Vec<usize>,
}

impl Node {
    fn insert(&mut self, tokens: &[String], slot: usize) {
        let Some((first, rest)) = tokens.split_first() else {
            self.slots.push(slot);
            return;
        };
        let index = match self.children.iter().position(|(key, _)| key == first) {
            Some(index) => index,
            None => {
                self.children.push((first.clone(), Node::default()));
                self.children.len() - 1
            }
        };
        self.children[index].1.insert(rest, slot);
    }
}

/// Reads one value at `node`: kept whole if a pointer ends here, searched
/// by key if one goes deeper, skipped otherwise.
struct Probe<'a> {
    node: &'a Node,
    found: &'a mut Vec<Option<Value>>,
}

impl<'de> DeserializeSeed<'de> for Probe<'_> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        if !self.node.slots.is_empty() {
            // A flag or its details: small values, kept whole.
            let value = Value::deserialize(deserializer)?;
            for &slot in &self.node.slots {
                self.found[slot] = Some(value.clone());
            }
            return Ok(());
        }
        deserializer.deserialize_any(self)
    }
}

/// Ignores any scalar: a pointer that meets one simply finds nothing.
macro_rules! skip_scalars {
    ($($method:ident($ty:ty)),*) => {$(
        fn $method<E: de::Error>(self, _: $ty) -> Result<(), E> {
            Ok(())
        }
    )*};
}

impl<'de> Visitor<'de> for Probe<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    skip_scalars!(
        visit_bool(bool),
        visit_i64(i64),
        visit_u64(u64),
        visit_f64(f64),
        visit_str(&str)
    );

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let Probe { node, found } = self;
        while let Some(child) = map.next_key_seed(Key(node))? {
            match child {
                Some(child) => map.next_value_seed(Probe {
                    node: child,
                    found: &mut *found,
                })?,
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

/// Reads an object key and finds the child it leads to, without keeping it.
struct Key<'a>(&'a Node);

impl<'de, 'a> DeserializeSeed<'de> for Key<'a> {
    type Value = Option<&'a Node>;

    fn deserialize<D: de::Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de, 'a> Visitor<'de> for Key<'a> {
    type Value = Option<&'a Node>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object key")
    }

    fn visit_str<E: de::Error>(self, key: &str) -> Result<Self::Value, E> {
        Ok(self
            .0
            .children
            .iter()
            .find(|(name, _)| name == key)
            .map(|(_, child)| child))
    }
}

#[cfg(test)]
mod tests {
    use super::failure_reported;

    /// The straightforward reading this probe replaces: the whole body as a
    /// `Value`, then each pointer. The probe must agree with it everywhere.
    fn by_value(flags: &[&str], body: &[u8]) -> Option<String> {
        if flags.is_empty() {
            return None;
        }
        let value: serde_json::Value = serde_json::from_slice(body).ok()?;
        flags.iter().find_map(|flag| {
            if value.pointer(flag)?.as_bool()? {
                return None;
            }
            let parent = flag.rsplit_once('/').map_or("", |(parent, _)| parent);
            let details = value
                .pointer(&format!("{parent}/details"))
                .and_then(serde_json::Value::as_str)
                .unwrap_or_default();
            Some(details.to_string())
        })
    }

    const FLAGS: &[&[&str]] = &[
        &[],
        &["/status/success"],
        &["/success"],
        &["/status/success", "/state_change/success"],
        &["/email_alert/success", "/status/success"],
        &["/a~1b/success"],
    ];

    const BODIES: &[&str] = &[
        r#"{"status": {"success": false, "details": "no such run"}}"#,
        r#"{"status": {"success": true, "details": "fine"}, "items": [1, {"status": {"success": false}}]}"#,
        r#"{"items": [{"a": 1}, {"b": [true, null, 2.5, "x"]}], "status": {"details": "after", "success": false}}"#,
        r#"{"state_change": {"success": false, "details": "locked"}, "status": {"success": true}}"#,
        r#"{"success": false}"#,
        r#"{"success": "no"}"#,
        r#"{"status": "done"}"#,
        r#"{"status": {"success": false, "details": 7}}"#,
        r#"{"status": {"success": true}, "status": {"success": false, "details": "last wins"}}"#,
        r#"{"a/b": {"success": false, "details": "escaped key"}}"#,
        r#"{"st\u0061tus": {"success": false, "details": "escaped in the body"}}"#,
        r#"[{"status": {"success": false}}]"#,
        r#"{"status": {"success": false, "details": "trailing"}} x"#,
        r#"{"status": {"success": false, "details": "cut"#,
        "not json",
        "",
        "null",
        r#"{"status": {"success": null, "details": "null flag"}}"#,
        "{\"status\":{\"success\"\n :\tfalse,\"details\":\"spaced\"}}",
        r#"{"status": {"succ\u0065ss": false, "details": "escaped flag key"}}"#,
        r#"{"note": "\"success\": false", "status": {"success": true}}"#,
        r#"{"status": {"success": true}, "items": [{"success": false}]}"#,
        r#"{"status": {"successful": false, "success": true}}"#,
        r#"{"status": {"a\"success": false, "success": true}}"#,
        r#"{"status": {"success\\": false, "success": true}}"#,
        r#"{"status": {"success":false,"details":"tight"}}"#,
        r#"{"status": {"details": "false", "success": true}}"#,
        r#"{"status": {"success": [false], "details": "array"}}"#,
        r#"{"unsuccess": false, "status": {"success": true}}"#,
        r#"{"a": ["success", false], "status": {"success": true}}"#,
        r#"{"details": "success", "status": {"success" : false}}"#,
        "{\"status\":{\"success\"\r\n:\r\nfalse,\"details\":\"crlf\"}}",
        r#"{"status": {"success": falsey}}"#,
        r#"{"status": {"success":"#,
        r#"success": false}"#,
    ];

    #[test]
    fn the_probe_agrees_with_a_full_parse_on_every_flag_and_body() {
        for flags in FLAGS {
            for body in BODIES {
                assert_eq!(
                    failure_reported(flags, body.as_bytes()),
                    by_value(flags, body.as_bytes()),
                    "flags {flags:?}, body {body}"
                );
            }
        }
    }

    #[test]
    fn the_pre_scan_rules_out_bodies_whose_flag_key_is_never_followed_by_false() {
        use super::may_hold_a_false_flag as scan;
        let flags = &["/status/success"];
        assert!(!scan(
            flags,
            br#"{"status": {"success": true}, "locked": false}"#
        ));
        assert!(!scan(
            flags,
            br#"{"successful": false, "status": {"success": true}}"#
        ));
        assert!(scan(flags, br#"{"status": {"success" : false}}"#));
        assert!(scan(flags, b"{\"status\":{\"success\"\n:\tfalse}}"));
        // No literal `false` at all: escapes elsewhere cannot hide one.
        assert!(!scan(
            flags,
            br#"{"status": {"success": true}, "x": "\u0041"}"#
        ));
        assert!(!scan(
            flags,
            br#"{"note": "false", "status": {"success": true}}"#
        ));
    }

    #[test]
    fn without_backslashes_the_pre_scan_looks_for_the_success_key_itself() {
        use super::success_key_followed_by_false as scan;
        assert!(!scan(br#"{"status": {"success": true}, "locked": false}"#));
        assert!(!scan(
            br#"{"unsuccess": false, "status": {"success": true}}"#
        ));
        assert!(!scan(br#"{"a": ["success", false]}"#));
        assert!(!scan(br#"{"details": "success"}"#));
        assert!(scan(br#"{"status": {"success" :false}}"#));
        assert!(scan(b"{\"items\": [{\"success\"\n:\n false}]}"));
        assert!(!scan(br#"success": false"#), "no opening quote");
    }

    #[test]
    fn the_pre_scan_leaves_keys_with_escapes_to_the_probe() {
        use super::may_hold_a_false_flag as scan;
        let flags = &["/status/success"];
        assert!(scan(flags, br#"{"status": {"succ\u0065ss": false}}"#));
        assert!(scan(flags, br#"{"a\"success": false}"#));
        assert!(scan(flags, br#"{"success\\": false}"#));
        assert!(scan(&["/status/a~1b"], br#"{"status": {"a/b": false}}"#));
    }

    #[test]
    fn a_false_flag_deep_in_a_large_body_is_found() {
        let items: Vec<_> = (0..5_000)
            .map(|i| serde_json::json!({"id": i, "status": {"success": false}}))
            .collect();
        let body = serde_json::to_vec(&serde_json::json!({
            "items": items,
            "status": {"success": false, "details": "page refused"}
        }))
        .unwrap();
        assert_eq!(
            failure_reported(&["/status/success"], &body),
            Some("page refused".to_owned())
        );
    }
}
