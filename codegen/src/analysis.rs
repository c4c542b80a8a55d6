//! Whole-type properties computed once every type of a module is resolved:
//!
//! - which optional members must be boxed (a type that contains itself through `*`),
//! - which types can implement `Default` (std implements it for arrays of at most 32),
//! - which unions have one variant much larger than the others (clippy's
//!   `large_enum_variant`, estimated from approximate sizes).

use std::collections::{HashMap, HashSet};

use crate::model::{Item, ItemKind, Module, RType};

type Key = (String, String);

/// Clippy warns when the largest variant exceeds the next by 200 bytes; sizes here are
/// estimates, so the allowance is granted a little earlier.
const LARGE_VARIANT_BYTES: usize = 150;

/// Fills in boxing, `has_default` and `large_variant` for the items of one module.
pub fn analyse(module: &str, items: &mut [Item], deps: &[&Module]) {
    box_recursive_options(module, items, deps);
    mark_defaults(module, items, deps);
    mark_large_variants(module, items, deps);
}

fn key_of(module: &str, item: &Item) -> Key {
    (module.to_owned(), item.idl_name.clone())
}

/// Types that `ty` holds by value (not behind a `Vec` or a box).
fn inline_refs(ty: &RType, out: &mut Vec<Key>) {
    match ty {
        RType::Named(r) => out.push((r.module.clone(), r.idl_name.clone())),
        RType::Array(inner, _) | RType::Option(inner, false) => inline_refs(inner, out),
        _ => {}
    }
}

fn item_types(item: &Item) -> Vec<&RType> {
    match &item.kind {
        ItemKind::Typedef(t) => vec![t],
        ItemKind::Struct(fields) => fields.iter().map(|f| &f.ty).collect(),
        ItemKind::Enum(_) | ItemKind::Flags(_) => Vec::new(),
        ItemKind::Union(u) => u
            .arms
            .iter()
            .filter_map(|a| a.ty.as_ref())
            .chain(u.default.as_ref().and_then(|d| d.ty.as_ref()))
            .collect(),
    }
}

fn item_types_mut(item: &mut Item) -> Vec<&mut RType> {
    match &mut item.kind {
        ItemKind::Typedef(t) => vec![t],
        ItemKind::Struct(fields) => fields.iter_mut().map(|f| &mut f.ty).collect(),
        ItemKind::Enum(_) | ItemKind::Flags(_) => Vec::new(),
        ItemKind::Union(u) => u
            .arms
            .iter_mut()
            .filter_map(|a| a.ty.as_mut())
            .chain(u.default.as_mut().and_then(|d| d.ty.as_mut()))
            .collect(),
    }
}

fn edges(module: &str, items: &[Item], deps: &[&Module]) -> HashMap<Key, Vec<Key>> {
    let all = deps
        .iter()
        .flat_map(|m| m.items.iter().map(move |i| (m.program.module.as_str(), i)))
        .chain(items.iter().map(|i| (module, i)));
    all.map(|(m, i)| {
        let mut out = Vec::new();
        for t in item_types(i) {
            inline_refs(t, &mut out);
        }
        (key_of(m, i), out)
    })
    .collect()
}

fn reaches(graph: &HashMap<Key, Vec<Key>>, from: Vec<Key>, target: &Key) -> bool {
    let mut seen: HashSet<Key> = HashSet::new();
    let mut stack = from;
    while let Some(k) = stack.pop() {
        if &k == target {
            return true;
        }
        if seen.insert(k.clone()) {
            stack.extend(graph.get(&k).into_iter().flatten().cloned());
        }
    }
    false
}

fn box_recursive_options(module: &str, items: &mut [Item], deps: &[&Module]) {
    let graph = edges(module, items, deps);
    for item in items.iter_mut() {
        let key = key_of(module, item);
        for ty in item_types_mut(item) {
            box_options_in(ty, &graph, &key);
        }
    }
}

fn box_options_in(ty: &mut RType, graph: &HashMap<Key, Vec<Key>>, target: &Key) {
    match ty {
        RType::Array(inner, _) => box_options_in(inner, graph, target),
        RType::Option(inner, boxed) if !*boxed => {
            let mut from = Vec::new();
            inline_refs(inner, &mut from);
            if reaches(graph, from, target) {
                *boxed = true;
            } else {
                box_options_in(inner, graph, target);
            }
        }
        _ => {}
    }
}

fn lookup<'a>(deps: &'a [&Module], module: &str, items: &'a [Item]) -> HashMap<Key, &'a Item> {
    deps.iter()
        .flat_map(|m| {
            m.items
                .iter()
                .map(move |i| (key_of(&m.program.module, i), i))
        })
        .chain(items.iter().map(|i| (key_of(module, i), i)))
        .collect()
}

fn ty_has_default(ty: &RType, lacking: &HashSet<Key>) -> bool {
    match ty {
        RType::Named(r) => !lacking.contains(&(r.module.clone(), r.idl_name.clone())),
        RType::Array(inner, b) => b.value() <= 32 && ty_has_default(inner, lacking),
        _ => true,
    }
}

fn item_has_default(item: &Item, lacking: &HashSet<Key>) -> bool {
    match &item.kind {
        ItemKind::Typedef(t) => ty_has_default(t, lacking),
        ItemKind::Struct(fields) => fields.iter().all(|f| ty_has_default(&f.ty, lacking)),
        ItemKind::Enum(_) | ItemKind::Flags(_) => true,
        ItemKind::Union(u) => {
            let first = match u.arms.first() {
                Some(a) => a.ty.as_ref(),
                None => u.default.as_ref().and_then(|d| d.ty.as_ref()),
            };
            first.is_none_or(|t| ty_has_default(t, lacking))
        }
    }
}

fn mark_defaults(module: &str, items: &mut [Item], deps: &[&Module]) {
    let mut lacking: HashSet<Key> = deps
        .iter()
        .flat_map(|m| {
            m.items
                .iter()
                .filter(|i| !i.has_default)
                .map(|i| key_of(&m.program.module, i))
        })
        .collect();
    loop {
        let mut changed = false;
        for item in items.iter_mut() {
            if item.has_default && !item_has_default(item, &lacking) {
                item.has_default = false;
                lacking.insert(key_of(module, item));
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
}

struct Sizer<'a> {
    items: HashMap<Key, &'a Item>,
    memo: HashMap<Key, usize>,
    visiting: HashSet<Key>,
}

impl Sizer<'_> {
    fn ty(&mut self, ty: &RType) -> usize {
        match ty {
            RType::Bool | RType::I8 | RType::U8 => 1,
            RType::I16 | RType::U16 => 2,
            RType::I32 | RType::U32 | RType::F32 => 4,
            RType::I64 | RType::U64 | RType::F64 => 8,
            RType::Named(r) => self.item(&(r.module.clone(), r.idl_name.clone())),
            RType::Array(inner, b) => (b.value() as usize).saturating_mul(self.ty(inner)),
            RType::FixedOpaque(b) | RType::FixedChars(b) => b.value() as usize,
            RType::Opaque(_) | RType::String(_) | RType::Chars(_) | RType::Vec(..) => 24,
            RType::Option(_, true) => 8,
            RType::Option(inner, false) => self.ty(inner).saturating_add(8),
        }
    }

    fn item(&mut self, key: &Key) -> usize {
        if let Some(n) = self.memo.get(key) {
            return *n;
        }
        let Some(item) = self.items.get(key).copied() else {
            return 8;
        };
        if !self.visiting.insert(key.clone()) {
            return 8;
        }
        let n = match &item.kind {
            ItemKind::Typedef(t) => self.ty(t),
            ItemKind::Struct(fields) => fields
                .iter()
                .map(|f| self.ty(&f.ty))
                .fold(0, usize::saturating_add),
            ItemKind::Enum(_) => 8,
            ItemKind::Flags(_) => 4,
            ItemKind::Union(_) => 8 + self.variants(item).into_iter().max().unwrap_or(0),
        };
        self.visiting.remove(key);
        self.memo.insert(key.clone(), n);
        n
    }

    fn variants(&mut self, item: &Item) -> Vec<usize> {
        let ItemKind::Union(u) = &item.kind else {
            return Vec::new();
        };
        let mut sizes: Vec<usize> = u
            .arms
            .iter()
            .map(|a| a.ty.as_ref().map_or(0, |t| self.ty(t)))
            .collect();
        if let Some(d) = &u.default {
            sizes.push(4 + d.ty.as_ref().map_or(0, |t| self.ty(t)));
        }
        sizes
    }
}

fn mark_large_variants(module: &str, items: &mut [Item], deps: &[&Module]) {
    let flags: Vec<bool> = {
        let mut sizer = Sizer {
            items: lookup(deps, module, items),
            memo: HashMap::new(),
            visiting: HashSet::new(),
        };
        items
            .iter()
            .map(|i| {
                let mut v = sizer.variants(i);
                v.sort_unstable_by(|a, b| b.cmp(a));
                v.len() >= 2 && v[0] - v[1] >= LARGE_VARIANT_BYTES
            })
            .collect()
    };
    for (item, large) in items.iter_mut().zip(flags) {
        item.large_variant = large;
    }
}
