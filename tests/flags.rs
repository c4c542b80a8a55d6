//! The generated flags types: set operations, unknown bits kept, `Debug`, wire form.

use virtwire::flags::{ConnectListAllDomainsFlags as F, DomainModificationImpact};
use virtwire::proto::xdr::{decode_exact, encode_to_vec};

#[test]
fn flags_combine_and_keep_unknown_bits() {
    let f = F::ACTIVE | F::PERSISTENT;
    assert!(f.contains(F::ACTIVE) && !f.contains(F::INACTIVE));
    assert_eq!(f.bits(), 0x5);
    let unknown = F::from_bits_retain(0x8000_0001);
    assert_eq!(
        format!("{unknown:?}"),
        "ConnectListAllDomainsFlags(ACTIVE | 0x80000000)"
    );
    assert_eq!(
        format!("{:?}", F::empty()),
        "ConnectListAllDomainsFlags(empty)"
    );
    assert_eq!(
        format!("{:?}", DomainModificationImpact::empty()),
        "DomainModificationImpact(CURRENT)"
    );
    assert_eq!(encode_to_vec(&unknown), [0x80, 0, 0, 1]);
    assert_eq!(decode_exact::<F>(&[0x80, 0, 0, 1]).unwrap(), unknown);
    let mut g = f;
    g.remove(F::ACTIVE);
    assert_eq!(g, F::PERSISTENT);
    assert!(F::all().contains(F::NO_CHECKPOINT));
}

/// The public functions of `src/` (the typed API, the events, the generated methods) as
/// one-line signatures: `pub fn …(…)` up to the body or the `;`.
fn public_signatures(dir: &std::path::Path, out: &mut Vec<(String, String)>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            public_signatures(&path, out);
            continue;
        }
        if path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let mut rest = text.as_str();
        while let Some(at) = rest.find("pub ") {
            rest = &rest[at + 4..];
            let head = rest
                .trim_start_matches("const ")
                .trim_start_matches("async ");
            if !head.starts_with("fn ") {
                continue;
            }
            let end = head.find(['{', ';']).unwrap_or(head.len());
            let sig: Vec<&str> = head[..end].split_whitespace().collect();
            let file = path
                .strip_prefix(env!("CARGO_MANIFEST_DIR"))
                .unwrap_or(&path);
            out.push((file.display().to_string(), sig.join(" ")));
        }
    }
}

#[test]
fn no_public_function_takes_flags_as_an_integer() {
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut sigs = Vec::new();
    public_signatures(&src, &mut sigs);
    assert!(sigs.len() > 300, "only {} signatures found", sigs.len());
    let integers = [
        "u8", "u16", "u32", "u64", "i8", "i16", "i32", "i64", "usize", "c_uint",
    ];
    let offenders: Vec<String> = sigs
        .iter()
        .filter(|(_, sig)| {
            let params = sig.split_once('(').map_or("", |(_, p)| p);
            params.split(',').any(|p| {
                let Some((name, ty)) = p.split_once(':') else {
                    return false;
                };
                let name = name.trim().trim_start_matches("mut ");
                let ty = ty.trim().trim_end_matches(')').trim();
                (name == "flags" || name.ends_with("_flags")) && integers.contains(&ty)
            })
        })
        .map(|(file, sig)| format!("{file}: {sig}"))
        .collect();
    assert!(
        offenders.is_empty(),
        "public functions taking flags as an integer:\n{}",
        offenders.join("\n")
    );
}
