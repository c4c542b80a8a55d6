//! How IDL names become Rust names.

use virtwire_codegen::naming::{
    const_name, escape_keyword, field_name, flag_names, method_name, procedure_name, type_name,
    variant_names, variant_names_with_prefix,
};

#[test]
fn type_names_strip_the_program_prefix() {
    assert_eq!(type_name("virNetMessageHeader", "virNet"), "MessageHeader");
    assert_eq!(type_name("virNetStreamHole", "virNet"), "StreamHole");
    assert_eq!(type_name("virNetMessageUUID", "virNet"), "MessageUuid");
    assert_eq!(
        type_name("remote_nonnull_domain", "remote_"),
        "NonnullDomain"
    );
    assert_eq!(type_name("remote_uuid", "remote_"), "Uuid");
    assert_eq!(
        type_name("remote_domain_xml_from_native_args", "remote_"),
        "DomainXmlFromNativeArgs"
    );
    assert_eq!(type_name("admin_nonnull_server", "admin_"), "NonnullServer");
    assert_eq!(
        type_name("qemu_domain_monitor_command_args", "qemu_"),
        "DomainMonitorCommandArgs"
    );
    assert_eq!(type_name("virErrorNumber", "vir"), "ErrorNumber");
}

#[test]
fn type_names_keep_the_prefix_rather_than_shadow_the_prelude() {
    assert_eq!(type_name("remote_string", "remote_"), "RemoteString");
    for (idl, rust) in [
        ("x_vec", "XVec"),
        ("x_option", "XOption"),
        ("x_result", "XResult"),
        ("x_box", "XBox"),
        ("x_some", "XSome"),
        ("x_none", "XNone"),
        ("x_ok", "XOk"),
        ("x_err", "XErr"),
        ("x_self", "XSelf"),
    ] {
        assert_eq!(type_name(idl, "x_"), rust);
    }
}

#[test]
fn camel_prefixes_only_match_at_a_word_boundary() {
    assert_eq!(type_name("virtual_thing", "vir"), "VirtualThing");
    assert_eq!(type_name("other_thing", "remote_"), "OtherThing");
    assert_eq!(type_name("remote_", "remote_"), "Remote");
}

#[test]
fn field_names_are_snake_case_and_escaped() {
    assert_eq!(field_name("callbackID"), "callback_id");
    assert_eq!(field_name("usageType"), "usage_type");
    assert_eq!(field_name("maxMem"), "max_mem");
    assert_eq!(field_name("nparams"), "nparams");
    assert_eq!(field_name("type"), "r#type");
    assert_eq!(field_name("self"), "self_");
    assert_eq!(escape_keyword("gen"), "r#gen");
    assert_eq!(escape_keyword("crate"), "crate_");
    assert_eq!(escape_keyword("proc"), "proc");
}

#[test]
fn constant_names() {
    assert_eq!(const_name("REMOTE_STRING_MAX", "REMOTE_"), "STRING_MAX");
    assert_eq!(const_name("VIR_NET_MESSAGE_MAX", "VIR_NET_"), "MESSAGE_MAX");
    assert_eq!(const_name("VIR_UUID_BUFLEN", ""), "VIR_UUID_BUFLEN");
    assert_eq!(const_name("REMOTE_3D", "REMOTE_"), "REMOTE_3D");
    assert_eq!(const_name("OTHER_MAX", "REMOTE_"), "OTHER_MAX");
}

#[test]
fn enum_variants_strip_the_common_prefix() {
    assert_eq!(
        variant_names(&["VIR_NET_CALL", "VIR_NET_REPLY", "VIR_NET_CALL_WITH_FDS"]),
        ["Call", "Reply", "CallWithFds"]
    );
    assert_eq!(
        variant_names(&["REMOTE_AUTH_NONE", "REMOTE_AUTH_SASL", "REMOTE_AUTH_POLKIT"]),
        ["None", "Sasl", "Polkit"]
    );
    assert_eq!(variant_names(&["A_B_C"]), ["C"]);
    assert_eq!(variant_names(&["X_1", "X_2"]), ["V1", "V2"]);
    assert_eq!(
        variant_names(&["VIR_TYPED_PARAM_STRING", "VIR_TYPED_PARAM_INT"]),
        ["String", "Int"]
    );
    assert_eq!(
        variant_names(&["FOO_SELF", "FOO_OTHER"]),
        ["SelfValue", "Other"]
    );
}

#[test]
fn enum_variants_with_a_preferred_prefix() {
    assert_eq!(
        variant_names_with_prefix(
            &["VIR_ERR_OK", "VIR_WAR_NO_NETWORK", "VIR_ERR_NO_NETWORK"],
            "VIR_ERR_"
        ),
        ["Ok", "WarNoNetwork", "NoNetwork"]
    );
}

#[test]
fn procedures_and_methods() {
    assert_eq!(
        procedure_name("REMOTE_PROC_DOMAIN_GET_INFO", "REMOTE_PROC_"),
        Some("DOMAIN_GET_INFO")
    );
    assert_eq!(procedure_name("REMOTE_PROC_", "REMOTE_PROC_"), None);
    assert_eq!(procedure_name("QEMU_PROC_X", "REMOTE_PROC_"), None);
    assert_eq!(method_name("DOMAIN_GET_INFO", ""), "domain_get_info");
    assert_eq!(
        method_name("DOMAIN_MIGRATE_PREPARE3_PARAMS", ""),
        "domain_migrate_prepare3_params"
    );
    assert_eq!(
        method_name("MONITOR_COMMAND", "qemu_"),
        "qemu_monitor_command"
    );
    assert_eq!(method_name("CONNECT_OPEN", "admin_"), "admin_connect_open");
}

#[test]
fn flag_names_strip_the_common_prefix_and_stay_screaming() {
    assert_eq!(
        flag_names(
            &[
                "VIR_CONNECT_LIST_DOMAINS_ACTIVE",
                "VIR_CONNECT_LIST_DOMAINS_NO_MANAGEDSAVE"
            ],
            None
        ),
        ["ACTIVE", "NO_MANAGEDSAVE"]
    );
    assert_eq!(
        flag_names(&["VIR_MIGRATE_LIVE", "VIR_MIGRATE_PEER2PEER"], None),
        ["LIVE", "PEER2PEER"]
    );
    assert_eq!(
        flag_names(&["VIR_DOMAIN_NONE", "VIR_DOMAIN_START_PAUSED"], None),
        ["NONE", "START_PAUSED"]
    );
    assert_eq!(flag_names(&["X_FLAG_3D"], None), ["V3D"]);
    assert_eq!(
        flag_names(
            &["VIR_STORAGE_VOL_DOWNLOAD_SPARSE_STREAM"],
            Some("VIR_STORAGE_VOL_DOWNLOAD_")
        ),
        ["SPARSE_STREAM"]
    );
    assert_eq!(
        flag_names(
            &["V_S_AFFECT_CURRENT", "V_S_ASYNC_UNPLUG"],
            Some("V_S_AFFECT_")
        ),
        ["CURRENT", "ASYNC_UNPLUG"]
    );
    assert_eq!(
        const_name("VIR_DOMAIN_GUEST_INFO_LOAD_1M", "VIR_"),
        "DOMAIN_GUEST_INFO_LOAD_1M"
    );
}
