//! The generated flags types: set operations, unknown bits kept, `Debug`, wire form.

use virtwire::proto::c_flags::{ConnectListAllDomainsFlags as F, DomainModificationImpact};
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
