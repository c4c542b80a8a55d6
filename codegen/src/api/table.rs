//! The procedure → handle table of the typed API: which wire type makes a handle, which
//! procedures are written by hand or left out (and why), and the names that differ from the
//! mechanical rule.

/// A handle of the typed API and the wire type it wraps.
#[derive(Debug, Clone, Copy)]
pub struct Handle {
    /// IDL name of the non-null wire type (`remote_nonnull_domain`).
    pub nonnull: &'static str,
    /// IDL name of the nullable wire type, if the protocol has one (`remote_domain`).
    pub nullable: Option<&'static str>,
    /// The Rust type in `crate::api`.
    pub rust: &'static str,
    /// The procedure-name prefix of its own calls (`DOMAIN_`).
    pub prefix: &'static str,
    /// Its constructor from the connection and the wire value.
    pub ctor: &'static str,
    /// Whether its own calls name it by a `name` string rather than by its wire struct (node
    /// devices).
    pub by_name: bool,
}

/// Every handle, longest prefix first so that `DOMAIN_SNAPSHOT_` wins over `DOMAIN_`.
pub const HANDLES: &[Handle] = &[
    h(
        "remote_nonnull_domain_snapshot",
        Some("remote_domain_snapshot"),
        "DomainSnapshot",
        "DOMAIN_SNAPSHOT_",
    ),
    h(
        "remote_nonnull_domain_checkpoint",
        Some("remote_domain_checkpoint"),
        "DomainCheckpoint",
        "DOMAIN_CHECKPOINT_",
    ),
    h(
        "remote_nonnull_nwfilter_binding",
        Some("remote_nwfilter_binding"),
        "NwFilterBinding",
        "NWFILTER_BINDING_",
    ),
    h(
        "remote_nonnull_network_port",
        Some("remote_network_port"),
        "NetworkPort",
        "NETWORK_PORT_",
    ),
    h(
        "remote_nonnull_storage_pool",
        Some("remote_storage_pool"),
        "StoragePool",
        "STORAGE_POOL_",
    ),
    Handle {
        ctor: "from_remote",
        ..h(
            "remote_nonnull_storage_vol",
            Some("remote_storage_vol"),
            "StorageVol",
            "STORAGE_VOL_",
        )
    },
    Handle {
        by_name: true,
        ..h(
            "remote_nonnull_node_device",
            Some("remote_node_device"),
            "NodeDevice",
            "NODE_DEVICE_",
        )
    },
    h(
        "remote_nonnull_interface",
        Some("remote_interface"),
        "Interface",
        "INTERFACE_",
    ),
    h(
        "remote_nonnull_network",
        Some("remote_network"),
        "Network",
        "NETWORK_",
    ),
    h(
        "remote_nonnull_nwfilter",
        Some("remote_nwfilter"),
        "NwFilter",
        "NWFILTER_",
    ),
    h(
        "remote_nonnull_secret",
        Some("remote_secret"),
        "Secret",
        "SECRET_",
    ),
    h(
        "remote_nonnull_domain",
        Some("remote_domain"),
        "Domain",
        "DOMAIN_",
    ),
];

const fn h(
    nonnull: &'static str,
    nullable: Option<&'static str>,
    rust: &'static str,
    prefix: &'static str,
) -> Handle {
    Handle {
        nonnull,
        nullable,
        rust,
        prefix,
        ctor: "new",
        by_name: false,
    }
}

/// Procedures with a hand-written typed method (procedure name, `Type::method`): they need
/// more than the mechanical shape (a stream, an info struct with units, an event stream, …).
pub const HAND_WRITTEN: &[(&str, &str)] = &[
    ("CONNECT_CLOSE", "Client::close"),
    ("CONNECT_GET_LIB_VERSION", "Client::lib_version"),
    ("CONNECT_GET_VERSION", "Client::hypervisor_version"),
    ("CONNECT_GET_TYPE", "Client::driver_type"),
    ("CONNECT_GET_URI", "Client::uri"),
    ("CONNECT_GET_HOSTNAME", "Client::hostname"),
    ("CONNECT_GET_CAPABILITIES", "Client::capabilities"),
    ("CONNECT_LIST_ALL_DOMAINS", "Client::list_all_domains"),
    ("NODE_GET_INFO", "Client::node_info"),
    ("DOMAIN_LOOKUP_BY_NAME", "Client::lookup_domain_by_name"),
    ("DOMAIN_LOOKUP_BY_UUID", "Client::lookup_domain_by_uuid"),
    ("DOMAIN_LOOKUP_BY_ID", "Client::lookup_domain_by_id"),
    ("DOMAIN_DEFINE_XML", "Client::define_domain_xml"),
    ("DOMAIN_DEFINE_XML_FLAGS", "Client::define_domain_xml_flags"),
    ("DOMAIN_CREATE_XML", "Client::create_domain_xml"),
    ("NETWORK_LOOKUP_BY_NAME", "Client::lookup_network_by_name"),
    (
        "STORAGE_POOL_LOOKUP_BY_NAME",
        "Client::lookup_storage_pool_by_name",
    ),
    (
        "NODE_DEVICE_LOOKUP_BY_NAME",
        "Client::lookup_node_device_by_name",
    ),
    ("SECRET_LOOKUP_BY_UUID", "Client::lookup_secret_by_uuid"),
    (
        "STORAGE_VOL_LOOKUP_BY_PATH",
        "Client::lookup_storage_vol_by_path",
    ),
    ("DOMAIN_GET_INFO", "Domain::info"),
    ("DOMAIN_GET_STATE", "Domain::state"),
    ("DOMAIN_GET_XML_DESC", "Domain::xml_desc"),
    ("DOMAIN_CREATE", "Domain::create"),
    ("DOMAIN_CREATE_WITH_FLAGS", "Domain::create_with_flags"),
    ("DOMAIN_SUSPEND", "Domain::suspend"),
    ("DOMAIN_RESUME", "Domain::resume"),
    ("DOMAIN_SHUTDOWN", "Domain::shutdown"),
    ("DOMAIN_SHUTDOWN_FLAGS", "Domain::shutdown_flags"),
    ("DOMAIN_REBOOT", "Domain::reboot"),
    ("DOMAIN_DESTROY", "Domain::destroy"),
    // file descriptor passing (src/api/domain_fds.rs)
    ("DOMAIN_OPEN_GRAPHICS", "Domain::open_graphics"),
    ("DOMAIN_OPEN_GRAPHICS_FD", "Domain::open_graphics_fd"),
    ("DOMAIN_CREATE_WITH_FILES", "Domain::create_with_files"),
    ("DOMAIN_FD_ASSOCIATE", "Domain::fd_associate"),
    (
        "DOMAIN_CREATE_XML_WITH_FILES",
        "Client::create_domain_xml_with_files",
    ),
    ("DOMAIN_DESTROY_FLAGS", "Domain::destroy_flags"),
    ("DOMAIN_UNDEFINE", "Domain::undefine"),
    ("DOMAIN_UNDEFINE_FLAGS", "Domain::undefine_flags"),
    ("STORAGE_VOL_GET_INFO", "StorageVol::info"),
    ("DOMAIN_OPEN_CONSOLE", "Domain::open_console"),
    ("DOMAIN_OPEN_CHANNEL", "Domain::open_channel"),
    ("DOMAIN_SCREENSHOT", "Domain::screenshot"),
    ("STORAGE_VOL_UPLOAD", "StorageVol::upload"),
    ("STORAGE_VOL_DOWNLOAD", "StorageVol::download"),
    ("DOMAIN_GET_SCHEDULER_TYPE", "Domain::scheduler_type"),
    (
        "DOMAIN_GET_SCHEDULER_PARAMETERS",
        "Domain::scheduler_parameters",
    ),
    (
        "DOMAIN_GET_SCHEDULER_PARAMETERS_FLAGS",
        "Domain::scheduler_parameters_flags",
    ),
    ("DOMAIN_GET_VCPUS", "Domain::vcpus"),
    // migration, protocol version 3 with parameters (src/api/migration.rs): the steps of
    // client-managed migration, and peer-to-peer's one call
    ("DOMAIN_MIGRATE_BEGIN3_PARAMS", "Domain::migrate"),
    ("DOMAIN_MIGRATE_PREPARE3_PARAMS", "Domain::migrate"),
    ("DOMAIN_MIGRATE_PERFORM3_PARAMS", "Domain::migrate_to_uri"),
    ("DOMAIN_MIGRATE_FINISH3_PARAMS", "Domain::migrate"),
    ("DOMAIN_MIGRATE_CONFIRM3_PARAMS", "Domain::migrate"),
    // CPU maps sized from the host's CPU count (src/api/domain_params.rs)
    ("DOMAIN_GET_VCPU_PIN_INFO", "Domain::vcpu_pin_info"),
    ("DOMAIN_GET_EMULATOR_PIN_INFO", "Domain::emulator_pin_info"),
    ("DOMAIN_GET_IOTHREAD_INFO", "Domain::iothread_info"),
    ("DOMAIN_GET_DISK_ERRORS", "Domain::disk_errors"),
];

/// Get-parameter calls to which libvirt's client adds `VIR_TYPED_PARAM_STRING_OKAY` when the
/// driver supports string parameters; the typed methods do the same.
pub const STRING_OKAY: &[&str] = &[
    "DOMAIN_GET_MEMORY_PARAMETERS",
    "DOMAIN_GET_NUMA_PARAMETERS",
    "DOMAIN_GET_BLKIO_PARAMETERS",
    "DOMAIN_BLOCK_STATS_FLAGS",
    "DOMAIN_GET_INTERFACE_PARAMETERS",
    "DOMAIN_GET_BLOCK_IO_TUNE",
    "DOMAIN_GET_CPU_STATS",
    "NODE_GET_MEMORY_PARAMETERS",
];

/// Calls whose whole reply becomes a type of `crate::api` (procedure, Rust type), through
/// `crate::api::Lift`.
pub const REPLY_TYPES: &[(&str, &str)] = &[
    ("STORAGE_POOL_GET_INFO", "crate::api::StoragePoolInfo"),
    ("STORAGE_VOL_GET_INFO_FLAGS", "crate::api::StorageVolInfo"),
    ("DOMAIN_BLOCK_STATS", "crate::api::DomainBlockStats"),
    ("DOMAIN_INTERFACE_STATS", "crate::api::DomainInterfaceStats"),
    ("DOMAIN_GET_SECURITY_LABEL", "crate::api::SecurityLabel"),
    ("DOMAIN_GET_JOB_INFO", "crate::api::DomainJobInfo"),
    ("DOMAIN_GET_JOB_STATS", "crate::api::DomainJobStats"),
    ("DOMAIN_GET_BLOCK_INFO", "crate::api::DomainBlockInfo"),
    ("DOMAIN_GET_CONTROL_INFO", "crate::api::DomainControlInfo"),
    (
        "DOMAIN_GET_BLOCK_JOB_INFO",
        "Option<crate::api::BlockJobInfo>",
    ),
    ("DOMAIN_GET_TIME", "crate::api::DomainTime"),
    ("NODE_GET_SECURITY_MODEL", "crate::api::SecurityModel"),
    ("NODE_GET_CPU_MAP", "crate::api::NodeCpuMap"),
];

/// List elements that become a type of `crate::api` (IDL struct, Rust type), through
/// `crate::api::Lift`.
pub const ELEMENT_TYPES: &[(&str, &str)] = &[
    ("remote_domain_memory_stat", "crate::api::DomainMemoryStat"),
    ("remote_network_dhcp_lease", "crate::api::NetworkDhcpLease"),
    ("remote_domain_interface", "crate::api::DomainInterface"),
    (
        "remote_domain_stats_record",
        "crate::api::DomainStatsRecord",
    ),
    (
        "remote_domain_get_security_label_ret",
        "crate::api::SecurityLabel",
    ),
    ("remote_domain_disk_error", "crate::api::DomainDiskError"),
    ("remote_domain_fsinfo", "crate::api::DomainFsInfo"),
];

/// Arguments the typed method fills in itself (procedure, argument, Rust expression).
pub const FIXED_ARGS: &[(&str, &str, &str)] = &[(
    "DOMAIN_MEMORY_STATS",
    "maxStats",
    "crate::proto::generated::remote::DOMAIN_MEMORY_STATS_MAX",
)];

/// Methods named otherwise than the mechanical rule gives (procedure name, method name),
/// following libvirt's API and the `virt` crate.
pub const RENAMES: &[(&str, &str)] = &[
    ("STORAGE_VOL_CREATE_XML", "create_volume_xml"),
    ("STORAGE_VOL_CREATE_XML_FROM", "create_volume_xml_from"),
    ("STORAGE_VOL_LOOKUP_BY_NAME", "lookup_volume_by_name"),
    ("STORAGE_POOL_LOOKUP_BY_VOLUME", "lookup_pool"),
    ("NETWORK_PORT_CREATE_XML", "create_port_xml"),
    ("NETWORK_PORT_LOOKUP_BY_UUID", "lookup_port_by_uuid"),
    ("NETWORK_GET_DHCP_LEASES", "dhcp_leases"),
    ("NODE_DEVICE_RE_ATTACH", "reattach"),
    ("DOMAIN_SNAPSHOT_CREATE_XML", "snapshot_create_xml"),
    ("DOMAIN_REVERT_TO_SNAPSHOT", "revert"),
    ("DOMAIN_CHECKPOINT_CREATE_XML", "checkpoint_create_xml"),
];
