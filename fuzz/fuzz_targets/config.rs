//! Text a user or a configuration file hands us: the input as a connection URI (whose
//! `Display` must parse back to the same URI), as libvirt.conf and as auth.conf. Nothing may
//! panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use virtwire::config::{AuthConfig, ClientConf, Uri};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(uri) = text.parse::<Uri>() {
        let shown = uri.to_string();
        let again: Uri = shown
            .parse()
            .unwrap_or_else(|e| panic!("{text:?} shown as {shown:?} does not parse: {e}"));
        assert_eq!(again, uri, "{text:?} shown as {shown:?}");
        let _ = (uri.transport(), uri.daemon_name(), uri.helper_uri());
    }
    if let Ok(conf) = ClientConf::parse(text) {
        let _ = conf.resolve_alias("x");
    }
    let _ = AuthConfig::parse(text, "auth.conf");
});
