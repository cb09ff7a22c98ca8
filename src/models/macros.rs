//! The two macros the generated `models.rs` invokes: the build script writes
//! only their input (names and values), so everything these types do is
//! plain Rust here.

/// An enum whose known values are variants and whose other values decode
/// into `Unknown(String)` and are sent back as they came.
///
/// Equality, ordering and hashing go by the wire string, so
/// `Unknown("SUCCEEDED".into())` equals `Succeeded`.
macro_rules! open_enum {
    ($name:ident { $($variant:ident = $value:literal,)* }) => {
        #[doc = concat!(
            "The `", stringify!($name), "` values the server sends: one variant per known value, ",
            "and [`", stringify!($name), "::Unknown`] for a value this client does not know yet ",
            "(kept as sent, and sent back unchanged).\n\n",
            "Build one from its wire string with `From<&str>` or `parse()`; `as_str()` gives it back."
        )]
        #[derive(Clone, Debug)]
        #[non_exhaustive]
        pub enum $name {
            $(
                #[doc = concat!("`", $value, "`")]
                $variant,
            )*
            /// A value this client does not know (a newer server's), as sent.
            Unknown(::std::string::String),
        }

        impl $name {
            /// Every value this client knows, in the document's order.
            pub const KNOWN: &'static [$name] = &[$($name::$variant),*];

            /// The value as the server writes it.
            pub fn as_str(&self) -> &str {
                match self {
                    $(Self::$variant => $value,)*
                    Self::Unknown(value) => value,
                }
            }

            /// Whether this client knows the value (it is not `Unknown`).
            pub fn is_known(&self) -> bool {
                !matches!(self, Self::Unknown(_))
            }
        }

        impl ::std::convert::From<&str> for $name {
            fn from(value: &str) -> Self {
                match value {
                    $($value => Self::$variant,)*
                    other => Self::Unknown(other.to_owned()),
                }
            }
        }

        impl ::std::convert::From<::std::string::String> for $name {
            fn from(value: ::std::string::String) -> Self {
                match value.as_str() {
                    $($value => Self::$variant,)*
                    _ => Self::Unknown(value),
                }
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = ::std::convert::Infallible;

            fn from_str(value: &str) -> ::std::result::Result<Self, Self::Err> {
                Ok(Self::from(value))
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::std::cmp::PartialEq for $name {
            fn eq(&self, other: &Self) -> bool {
                self.as_str() == other.as_str()
            }
        }

        impl ::std::cmp::Eq for $name {}

        impl ::std::hash::Hash for $name {
            fn hash<H: ::std::hash::Hasher>(&self, state: &mut H) {
                self.as_str().hash(state);
            }
        }

        impl ::std::cmp::PartialOrd for $name {
            fn partial_cmp(&self, other: &Self) -> ::std::option::Option<::std::cmp::Ordering> {
                Some(self.cmp(other))
            }
        }

        impl ::std::cmp::Ord for $name {
            fn cmp(&self, other: &Self) -> ::std::cmp::Ordering {
                self.as_str().cmp(other.as_str())
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> ::std::result::Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> ::std::result::Result<Self, D::Error> {
                ::std::string::String::deserialize(deserializer).map(Self::from)
            }
        }
    };
}

/// `Debug` for a struct with secret fields: the other fields as derived
/// `Debug` would show them, each secret as `"<redacted>"`.
macro_rules! redacted_debug {
    ($ty:path as $name:literal { $($field:ident),* } secret { $($secret:ident),* }) => {
        impl ::std::fmt::Debug for $ty {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                let mut out = f.debug_struct($name);
                $(out.field(stringify!($field), &self.$field);)*
                $(
                    let _ = &self.$secret;
                    out.field(stringify!($secret), &"<redacted>");
                )*
                out.finish()
            }
        }
    };
}
