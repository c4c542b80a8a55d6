//! libvirt's typed parameter lists (`virTypedParameter` arrays): named values of seven kinds,
//! in order, a name possibly repeated (migration's `migrate_disks` is one entry per disk).

use std::fmt;

use crate::error::Result;
use crate::proto::remote;
use crate::proto::xdr::{XdrString, XdrVec};

/// One typed value (`virTypedParameterType` and its payload).
#[derive(Debug, Clone, PartialEq)]
pub enum TypedValue {
    /// `VIR_TYPED_PARAM_INT`
    Int(i32),
    /// `VIR_TYPED_PARAM_UINT`
    UInt(u32),
    /// `VIR_TYPED_PARAM_LLONG`
    LLong(i64),
    /// `VIR_TYPED_PARAM_ULLONG`
    ULLong(u64),
    /// `VIR_TYPED_PARAM_DOUBLE`
    Double(f64),
    /// `VIR_TYPED_PARAM_BOOLEAN`
    Boolean(bool),
    /// `VIR_TYPED_PARAM_STRING`
    String(String),
}

impl TypedValue {
    /// The value as `u64` if it is an integer that fits (any of the four integer kinds).
    pub fn as_u64(&self) -> Option<u64> {
        match *self {
            TypedValue::Int(v) => u64::try_from(v).ok(),
            TypedValue::UInt(v) => Some(u64::from(v)),
            TypedValue::LLong(v) => u64::try_from(v).ok(),
            TypedValue::ULLong(v) => Some(v),
            _ => None,
        }
    }

    /// The value as `i64` if it is an integer that fits.
    pub fn as_i64(&self) -> Option<i64> {
        match *self {
            TypedValue::Int(v) => Some(i64::from(v)),
            TypedValue::UInt(v) => Some(i64::from(v)),
            TypedValue::LLong(v) => Some(v),
            TypedValue::ULLong(v) => i64::try_from(v).ok(),
            _ => None,
        }
    }

    /// The value as `u32` if it is an integer that fits.
    pub fn as_u32(&self) -> Option<u32> {
        self.as_u64().and_then(|v| u32::try_from(v).ok())
    }

    /// The value as `i32` if it is an integer that fits.
    pub fn as_i32(&self) -> Option<i32> {
        self.as_i64().and_then(|v| i32::try_from(v).ok())
    }

    /// The value as `f64`: a double, or an integer (converted as `as` does).
    pub fn as_f64(&self) -> Option<f64> {
        match *self {
            TypedValue::Double(v) => Some(v),
            TypedValue::Int(v) => Some(f64::from(v)),
            TypedValue::UInt(v) => Some(f64::from(v)),
            TypedValue::LLong(v) => Some(v as f64),
            TypedValue::ULLong(v) => Some(v as f64),
            _ => None,
        }
    }

    /// The value if it is a boolean.
    pub fn as_bool(&self) -> Option<bool> {
        match *self {
            TypedValue::Boolean(b) => Some(b),
            _ => None,
        }
    }

    /// The value if it is a string.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            TypedValue::String(s) => Some(s),
            _ => None,
        }
    }

    fn from_wire(v: remote::TypedParamValue) -> Self {
        match v {
            remote::TypedParamValue::Int(v) => TypedValue::Int(v),
            remote::TypedParamValue::Uint(v) => TypedValue::UInt(v),
            remote::TypedParamValue::Llong(v) => TypedValue::LLong(v),
            remote::TypedParamValue::Ullong(v) => TypedValue::ULLong(v),
            remote::TypedParamValue::Double(v) => TypedValue::Double(v),
            remote::TypedParamValue::Boolean(v) => TypedValue::Boolean(v != 0),
            remote::TypedParamValue::String(s) => TypedValue::String(s.into_inner()),
        }
    }

    fn to_wire(&self) -> Result<remote::TypedParamValue> {
        Ok(match self {
            TypedValue::Int(v) => remote::TypedParamValue::Int(*v),
            TypedValue::UInt(v) => remote::TypedParamValue::Uint(*v),
            TypedValue::LLong(v) => remote::TypedParamValue::Llong(*v),
            TypedValue::ULLong(v) => remote::TypedParamValue::Ullong(*v),
            TypedValue::Double(v) => remote::TypedParamValue::Double(*v),
            TypedValue::Boolean(v) => remote::TypedParamValue::Boolean(i32::from(*v)),
            TypedValue::String(s) => {
                remote::TypedParamValue::String(XdrString::try_from(s.as_str())?)
            }
        })
    }
}

/// As libvirt prints a typed parameter (`virTypedParameterToString`, what `virsh` shows):
/// integers in decimal, doubles with six decimals, booleans `yes`/`no`, strings as they are.
impl fmt::Display for TypedValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TypedValue::Int(v) => write!(f, "{v}"),
            TypedValue::UInt(v) => write!(f, "{v}"),
            TypedValue::LLong(v) => write!(f, "{v}"),
            TypedValue::ULLong(v) => write!(f, "{v}"),
            TypedValue::Double(v) => write!(f, "{v:.6}"),
            TypedValue::Boolean(v) => f.write_str(if *v { "yes" } else { "no" }),
            TypedValue::String(s) => f.write_str(s),
        }
    }
}

/// An ordered list of named typed values, as libvirt's `virTypedParameter` arrays: what
/// `memory_parameters`, `blkio_parameters`, `all_domain_stats`, `guest_info`, `job_stats`, …
/// return, and what their `set_*` counterparts and migration take.
///
/// Names may repeat; [`get`](Self::get) and the typed getters read the first entry of a name.
/// The getters widen across the integer kinds (a `UINT` reads as `u64`, a non-negative `LLONG`
/// as `u32` when it fits) and return `None` for a missing name or a value of another kind:
/// never a panic.
///
/// ```
/// use virtwire::TypedParams;
/// let params = TypedParams::new()
///     .with_u64("hard_limit", 1 << 20)
///     .with_string("migrate_disks", "vda")
///     .with_string("migrate_disks", "vdb");
/// assert_eq!(params.get_u64("hard_limit"), Some(1 << 20));
/// assert_eq!(params.get_all("migrate_disks").count(), 2);
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TypedParams {
    entries: Vec<(String, TypedValue)>,
}

impl TypedParams {
    /// An empty list.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends an entry (a name may appear more than once).
    pub fn push(&mut self, name: impl Into<String>, value: TypedValue) -> &mut Self {
        self.entries.push((name.into(), value));
        self
    }

    /// Sets `name` to `value`: replaces its first entry (and drops the others of that name),
    /// or appends one.
    pub fn set(&mut self, name: &str, value: TypedValue) -> &mut Self {
        match self.entries.iter().position(|(n, _)| n == name) {
            Some(i) => {
                self.entries[i].1 = value;
                let mut seen = 0usize;
                self.entries.retain(|(n, _)| {
                    if n != name {
                        return true;
                    }
                    seen += 1;
                    seen == 1
                });
            }
            None => self.entries.push((name.to_owned(), value)),
        }
        self
    }

    /// Removes every entry named `name`; returns how many there were.
    pub fn remove(&mut self, name: &str) -> usize {
        let before = self.entries.len();
        self.entries.retain(|(n, _)| n != name);
        before - self.entries.len()
    }

    /// Builder form of [`push`](Self::push).
    pub fn with(mut self, name: impl Into<String>, value: TypedValue) -> Self {
        self.push(name, value);
        self
    }

    /// Appends an `INT` entry.
    pub fn with_i32(self, name: impl Into<String>, v: i32) -> Self {
        self.with(name, TypedValue::Int(v))
    }

    /// Appends a `UINT` entry.
    pub fn with_u32(self, name: impl Into<String>, v: u32) -> Self {
        self.with(name, TypedValue::UInt(v))
    }

    /// Appends an `LLONG` entry.
    pub fn with_i64(self, name: impl Into<String>, v: i64) -> Self {
        self.with(name, TypedValue::LLong(v))
    }

    /// Appends a `ULLONG` entry.
    pub fn with_u64(self, name: impl Into<String>, v: u64) -> Self {
        self.with(name, TypedValue::ULLong(v))
    }

    /// Appends a `DOUBLE` entry.
    pub fn with_f64(self, name: impl Into<String>, v: f64) -> Self {
        self.with(name, TypedValue::Double(v))
    }

    /// Appends a `BOOLEAN` entry.
    pub fn with_bool(self, name: impl Into<String>, v: bool) -> Self {
        self.with(name, TypedValue::Boolean(v))
    }

    /// Appends a `STRING` entry.
    pub fn with_string(self, name: impl Into<String>, v: impl Into<String>) -> Self {
        self.with(name, TypedValue::String(v.into()))
    }

    /// The value of the first entry named `name`.
    pub fn get(&self, name: &str) -> Option<&TypedValue> {
        self.entries.iter().find(|(n, _)| n == name).map(|(_, v)| v)
    }

    /// The values of every entry named `name`, in order.
    pub fn get_all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a TypedValue> + 'a {
        self.entries
            .iter()
            .filter(move |(n, _)| n == name)
            .map(|(_, v)| v)
    }

    /// Whether an entry is named `name`.
    pub fn contains(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// `name` as `u64` (any integer kind that fits); see [`TypedValue::as_u64`].
    pub fn get_u64(&self, name: &str) -> Option<u64> {
        self.get(name)?.as_u64()
    }

    /// `name` as `i64` (any integer kind that fits).
    pub fn get_i64(&self, name: &str) -> Option<i64> {
        self.get(name)?.as_i64()
    }

    /// `name` as `u32` (any integer kind that fits).
    pub fn get_u32(&self, name: &str) -> Option<u32> {
        self.get(name)?.as_u32()
    }

    /// `name` as `i32` (any integer kind that fits).
    pub fn get_i32(&self, name: &str) -> Option<i32> {
        self.get(name)?.as_i32()
    }

    /// `name` as `f64` (a double or an integer).
    pub fn get_f64(&self, name: &str) -> Option<f64> {
        self.get(name)?.as_f64()
    }

    /// `name` if it is a boolean.
    pub fn get_bool(&self, name: &str) -> Option<bool> {
        self.get(name)?.as_bool()
    }

    /// `name` if it is a string.
    pub fn get_str(&self, name: &str) -> Option<&str> {
        self.get(name)?.as_str()
    }

    /// The number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there is no entry.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The entries in order, as `(name, value)`.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &TypedValue)> {
        self.entries.iter().map(|(n, v)| (n.as_str(), v))
    }

    /// The entries whose names start with `prefix`, the prefix taken off (`"block.0."` on a
    /// stats record gives `name`, `rd.reqs`, …).
    pub fn with_prefix<'a>(
        &'a self,
        prefix: &'a str,
    ) -> impl Iterator<Item = (&'a str, &'a TypedValue)> + 'a {
        self.iter()
            .filter_map(move |(n, v)| n.strip_prefix(prefix).map(|rest| (rest, v)))
    }

    /// The list from the wire.
    pub fn from_wire(params: impl IntoIterator<Item = remote::TypedParam>) -> Self {
        TypedParams {
            entries: params
                .into_iter()
                .map(|p| (p.field.into_inner(), TypedValue::from_wire(p.value)))
                .collect(),
        }
    }

    /// The wire form, checked against the call's IDL bound on the count (`MAX`) and on each
    /// string's length; too many entries or too long a string is an
    /// [`InvalidArgument`](crate::ErrorKind::InvalidArgument) error, before anything is sent.
    pub fn to_wire<const MAX: u32>(&self) -> Result<XdrVec<remote::TypedParam, MAX>> {
        let items = self
            .entries
            .iter()
            .map(|(n, v)| {
                Ok(remote::TypedParam {
                    field: XdrString::try_from(n.as_str())?,
                    value: v.to_wire()?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(XdrVec::try_from(items)?)
    }
}

impl From<Vec<(String, TypedValue)>> for TypedParams {
    fn from(entries: Vec<(String, TypedValue)>) -> Self {
        TypedParams { entries }
    }
}

impl<N: Into<String>> FromIterator<(N, TypedValue)> for TypedParams {
    fn from_iter<I: IntoIterator<Item = (N, TypedValue)>>(iter: I) -> Self {
        TypedParams {
            entries: iter.into_iter().map(|(n, v)| (n.into(), v)).collect(),
        }
    }
}

impl<N: Into<String>> Extend<(N, TypedValue)> for TypedParams {
    fn extend<I: IntoIterator<Item = (N, TypedValue)>>(&mut self, iter: I) {
        self.entries
            .extend(iter.into_iter().map(|(n, v)| (n.into(), v)));
    }
}

impl IntoIterator for TypedParams {
    type Item = (String, TypedValue);
    type IntoIter = std::vec::IntoIter<(String, TypedValue)>;
    fn into_iter(self) -> Self::IntoIter {
        self.entries.into_iter()
    }
}

impl<'a> IntoIterator for &'a TypedParams {
    type Item = (&'a str, &'a TypedValue);
    type IntoIter = std::iter::Map<
        std::slice::Iter<'a, (String, TypedValue)>,
        fn(&'a (String, TypedValue)) -> (&'a str, &'a TypedValue),
    >;
    fn into_iter(self) -> Self::IntoIter {
        self.entries.iter().map(|(n, v)| (n.as_str(), v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    #[test]
    fn getters_widen_across_integer_kinds_and_refuse_other_kinds() {
        let p = TypedParams::new()
            .with_u32("u", 7)
            .with_i64("neg", -1)
            .with_u64("big", u64::MAX)
            .with_bool("b", true)
            .with_string("s", "x")
            .with_f64("d", 0.5);
        assert_eq!(p.get_u64("u"), Some(7));
        assert_eq!(p.get_i32("u"), Some(7));
        assert_eq!(p.get_u64("neg"), None);
        assert_eq!(p.get_i64("neg"), Some(-1));
        assert_eq!(p.get_u32("big"), None);
        assert_eq!(p.get_i64("big"), None);
        assert_eq!(p.get_u64("b"), None);
        assert_eq!(p.get_bool("b"), Some(true));
        assert_eq!(p.get_str("u"), None);
        assert_eq!(p.get_str("s"), Some("x"));
        assert_eq!(p.get_f64("u"), Some(7.0));
        assert_eq!(p.get_f64("d"), Some(0.5));
        assert_eq!(p.get_u64("missing"), None);
    }

    #[test]
    fn repeated_names_keep_order_and_set_replaces_them() {
        let mut p = TypedParams::new()
            .with_string("migrate_disks", "vda")
            .with_u32("other", 1)
            .with_string("migrate_disks", "vdb");
        let disks: Vec<_> = p.get_all("migrate_disks").map(|v| v.to_string()).collect();
        assert_eq!(disks, ["vda", "vdb"]);
        p.set("migrate_disks", TypedValue::String("vdc".into()));
        let names: Vec<_> = p.iter().map(|(n, _)| n).collect();
        assert_eq!(names, ["migrate_disks", "other"]);
        assert_eq!(p.get_str("migrate_disks"), Some("vdc"));
        assert_eq!(p.remove("other"), 1);
        assert_eq!(p.len(), 1);
    }

    #[test]
    fn wire_round_trip_keeps_every_kind() {
        let p = TypedParams::new()
            .with_i32("i", -3)
            .with_u32("ui", 3)
            .with_i64("l", -4)
            .with_u64("ul", 4)
            .with_f64("d", 1.25)
            .with_bool("b", false)
            .with_string("s", "text");
        let wire = p.to_wire::<16>().unwrap();
        assert_eq!(wire[5].value, remote::TypedParamValue::Boolean(0));
        assert_eq!(TypedParams::from_wire(wire), p);
    }

    #[test]
    fn the_idl_bound_on_the_count_is_enforced() {
        let p: TypedParams = (0..3)
            .map(|i| (format!("p{i}"), TypedValue::Int(i)))
            .collect();
        assert!(p.to_wire::<3>().is_ok());
        let err = p.to_wire::<2>().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    }

    #[test]
    fn display_is_virsh_s() {
        assert_eq!(TypedValue::Double(2.0).to_string(), "2.000000");
        assert_eq!(TypedValue::Boolean(true).to_string(), "yes");
        assert_eq!(TypedValue::LLong(-5).to_string(), "-5");
    }

    #[test]
    fn prefix_view_strips_the_prefix() {
        let p = TypedParams::new()
            .with_string("block.0.name", "vda")
            .with_u64("block.0.rd.reqs", 3)
            .with_string("block.1.name", "vdb");
        let v: Vec<_> = p.with_prefix("block.0.").map(|(n, _)| n).collect();
        assert_eq!(v, ["name", "rd.reqs"]);
    }
}
