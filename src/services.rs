// The one table of Provena services. It is shared, through `include!`, by the
// library, its build script and the `xtask` sync tool, so that the three never
// disagree about which services exist or where they live.

/// One Provena service: how the project names it and where a deployment serves it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServiceInfo {
    /// Name used for the spec file (`specs/{name}.json`) and the cargo feature.
    pub name: &'static str,
    /// Rust module name under `provena_client::raw`.
    pub module: &'static str,
    /// Host prefix: the service lives at `https://{prefix}.{domain}`.
    pub host_prefix: &'static str,
}

/// Every Provena service, in a fixed order.
pub const SERVICES: [ServiceInfo; 7] = [
    ServiceInfo {
        name: "auth",
        module: "auth",
        host_prefix: "auth-api",
    },
    ServiceInfo {
        name: "registry",
        module: "registry",
        host_prefix: "registry-api",
    },
    ServiceInfo {
        name: "datastore",
        module: "datastore",
        host_prefix: "data-api",
    },
    ServiceInfo {
        name: "search",
        module: "search",
        host_prefix: "search",
    },
    ServiceInfo {
        name: "prov",
        module: "prov",
        host_prefix: "prov-api",
    },
    ServiceInfo {
        name: "job",
        module: "job",
        host_prefix: "job-api",
    },
    ServiceInfo {
        name: "id-service",
        module: "id_service",
        host_prefix: "handle",
    },
];
