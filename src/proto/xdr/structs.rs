//! The encoding every generated struct shares: its members in order, nothing between them.

/// Implements `Encode` and `Decode` for a struct from its members, in IDL order; a member that
/// fails to decode is named in the error's path (`Type.member`).
macro_rules! xdr_struct {
    ($name:ident { $($field:ident),+ $(,)? }) => {
        impl $crate::proto::xdr::Encode for $name {
            fn encode(&self, out: &mut ::bytes::BytesMut) {
                $($crate::proto::xdr::Encode::encode(&self.$field, out);)+
            }
            fn encoded_len(&self) -> usize {
                let mut len = 0;
                $(len += $crate::proto::xdr::Encode::encoded_len(&self.$field);)+
                len
            }
        }

        impl $crate::proto::xdr::Decode for $name {
            fn decode(
                src: &mut &[u8],
            ) -> ::core::result::Result<Self, $crate::proto::xdr::DecodeError> {
                ::core::result::Result::Ok(Self {
                    $($field: $crate::proto::xdr::decode_field(
                        src,
                        stringify!($name),
                        stringify!($field),
                    )?,)+
                })
            }
        }
    };
}

pub(crate) use xdr_struct;
