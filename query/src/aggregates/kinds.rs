//! Typed value kinds: how min/max/any/argMin/groupArray read one value of a column,
//! keep it per group, compare it and build the result column, for every Arrow carrier of
//! a comparable ClickHouse type (integers, floats, Decimal128, dates and times as their
//! integers, String as Binary, FixedString/UUID as FixedSizeBinary, Bool as Boolean).

use std::fmt::Debug;
use std::marker::PhantomData;
use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, AsArray, BinaryArray, BooleanArray, FixedSizeBinaryArray,
    FixedSizeBinaryBuilder, PrimitiveArray,
};
use arrow::datatypes::{ArrowPrimitiveType, DataType as ArrowType};

use super::common::{logical, prim_values, with_primitive, Num};
use super::state_io::{put_bytes, StateReader};
use crate::error::Result;

/// One value type, statically known, for the typed accumulators.
pub(crate) trait Kind: Send + Sync + Debug + 'static {
    /// A value kept in a group's state.
    type Owned: Clone + Default + Send + Sync + Debug;
    /// The typed view of an argument column.
    type View<'a>: Copy;
    /// A borrowed value.
    type Ref<'a>: Copy;
    /// The typed view of `a`.
    fn view(a: &ArrayRef) -> Result<Self::View<'_>>;
    /// Row `i` of the view.
    fn get<'a>(v: Self::View<'a>, i: usize) -> Self::Ref<'a>;
    /// The owned value borrowed.
    fn borrow(o: &Self::Owned) -> Self::Ref<'_>;
    /// Overwrites `o` with `r` (reusing its allocation).
    fn assign(o: &mut Self::Owned, r: Self::Ref<'_>);
    /// `r` owned.
    fn to_owned(r: Self::Ref<'_>) -> Self::Owned;
    /// `a < b` (bytes lexicographically, floats IEEE).
    fn less(a: Self::Ref<'_>, b: Self::Ref<'_>) -> bool;
    /// Whether `r` is a float NaN (min/max replace a NaN by any value, as ClickHouse).
    fn is_nan(_r: Self::Ref<'_>) -> bool {
        false
    }
    /// An exact identity key (values) or a 128-bit hash (bytes).
    fn key(r: Self::Ref<'_>) -> u128;
    /// The column of `vals` with Arrow type `dt`.
    fn build(vals: &[Self::Owned], dt: &ArrowType) -> Result<ArrayRef>;
    /// Heap bytes held by `o` beyond its inline size.
    fn heap_size(_o: &Self::Owned) -> usize {
        0
    }
    /// Appends `r` in the state layout of `STATES.md` (fixed-width little-endian numbers,
    /// length-prefixed bytes, one byte for Bool).
    fn write(r: Self::Ref<'_>, out: &mut Vec<u8>);
    /// Reads a value written by [`Kind::write`].
    fn read(r: &mut StateReader<'_>) -> Result<Self::Owned>;
}

/// Appends the `size_of::<T>()` low bytes of `v`'s key.
#[inline]
pub(crate) fn write_num<T: Num>(v: T, out: &mut Vec<u8>) {
    out.extend_from_slice(&v.key().to_le_bytes()[..std::mem::size_of::<T>()]);
}

/// Reads a number written by [`write_num`].
#[inline]
pub(crate) fn read_num<T: Num>(r: &mut StateReader<'_>) -> Result<T> {
    let n = std::mem::size_of::<T>();
    let mut b = [0u8; 16];
    b[..n].copy_from_slice(r.take(n)?);
    Ok(T::from_key(u128::from_le_bytes(b)))
}

/// A primitive Arrow type.
#[derive(Debug)]
pub(crate) struct Prim<T>(PhantomData<T>);

impl<T> Kind for Prim<T>
where
    T: ArrowPrimitiveType + Debug + Send + Sync,
    T::Native: Num,
{
    type Owned = T::Native;
    type View<'a> = &'a [T::Native];
    type Ref<'a> = T::Native;
    #[inline]
    fn view(a: &ArrayRef) -> Result<&[T::Native]> {
        prim_values::<T>(a)
    }
    #[inline(always)]
    fn get<'a>(v: Self::View<'a>, i: usize) -> Self::Ref<'a> {
        v[i]
    }
    #[inline(always)]
    fn borrow(o: &T::Native) -> T::Native {
        *o
    }
    #[inline(always)]
    fn assign(o: &mut T::Native, r: T::Native) {
        *o = r;
    }
    #[inline(always)]
    fn to_owned(r: T::Native) -> T::Native {
        r
    }
    #[inline(always)]
    fn less(a: T::Native, b: T::Native) -> bool {
        a < b
    }
    #[inline(always)]
    #[allow(clippy::eq_op)]
    fn is_nan(r: T::Native) -> bool {
        r != r
    }
    #[inline(always)]
    fn key(r: T::Native) -> u128 {
        r.key()
    }
    fn build(vals: &[T::Native], dt: &ArrowType) -> Result<ArrayRef> {
        let a = PrimitiveArray::<T>::from_iter_values(vals.iter().copied());
        Ok(Arc::new(a.with_data_type(dt.clone())))
    }
    fn write(r: T::Native, out: &mut Vec<u8>) {
        write_num(r, out);
    }
    fn read(r: &mut StateReader<'_>) -> Result<T::Native> {
        read_num(r)
    }
}

/// `String`: Arrow Binary.
#[derive(Debug)]
pub(crate) struct Bytes;

impl Kind for Bytes {
    type Owned = Vec<u8>;
    type View<'a> = &'a BinaryArray;
    type Ref<'a> = &'a [u8];
    fn view(a: &ArrayRef) -> Result<&BinaryArray> {
        a.as_binary_opt::<i32>()
            .ok_or_else(|| logical(format!("aggregate: expected Binary, got {}", a.data_type())))
    }
    #[inline(always)]
    fn get<'a>(v: Self::View<'a>, i: usize) -> Self::Ref<'a> {
        v.value(i)
    }
    #[inline(always)]
    fn borrow(o: &Vec<u8>) -> &[u8] {
        o
    }
    #[inline]
    fn assign(o: &mut Vec<u8>, r: &[u8]) {
        o.clear();
        o.extend_from_slice(r);
    }
    fn to_owned(r: &[u8]) -> Vec<u8> {
        r.to_vec()
    }
    #[inline(always)]
    fn less(a: &[u8], b: &[u8]) -> bool {
        a < b
    }
    fn key(r: &[u8]) -> u128 {
        xxhash_rust::xxh3::xxh3_128(r)
    }
    fn build(vals: &[Vec<u8>], _dt: &ArrowType) -> Result<ArrayRef> {
        Ok(Arc::new(BinaryArray::from_iter_values(vals.iter())))
    }
    fn heap_size(o: &Vec<u8>) -> usize {
        o.capacity()
    }
    fn write(r: &[u8], out: &mut Vec<u8>) {
        put_bytes(out, r);
    }
    fn read(r: &mut StateReader<'_>) -> Result<Vec<u8>> {
        Ok(r.bytes()?.to_vec())
    }
}

/// `FixedString(N)` and `UUID`: Arrow FixedSizeBinary.
#[derive(Debug)]
pub(crate) struct Fixed;

impl Kind for Fixed {
    type Owned = Vec<u8>;
    type View<'a> = &'a FixedSizeBinaryArray;
    type Ref<'a> = &'a [u8];
    fn view(a: &ArrayRef) -> Result<&FixedSizeBinaryArray> {
        a.as_fixed_size_binary_opt().ok_or_else(|| {
            logical(format!(
                "aggregate: expected FixedSizeBinary, got {}",
                a.data_type()
            ))
        })
    }
    #[inline(always)]
    fn get<'a>(v: Self::View<'a>, i: usize) -> Self::Ref<'a> {
        v.value(i)
    }
    #[inline(always)]
    fn borrow(o: &Vec<u8>) -> &[u8] {
        o
    }
    #[inline]
    fn assign(o: &mut Vec<u8>, r: &[u8]) {
        o.clear();
        o.extend_from_slice(r);
    }
    fn to_owned(r: &[u8]) -> Vec<u8> {
        r.to_vec()
    }
    #[inline(always)]
    fn less(a: &[u8], b: &[u8]) -> bool {
        a < b
    }
    fn key(r: &[u8]) -> u128 {
        xxhash_rust::xxh3::xxh3_128(r)
    }
    fn build(vals: &[Vec<u8>], dt: &ArrowType) -> Result<ArrayRef> {
        let ArrowType::FixedSizeBinary(n) = dt else {
            return Err(logical("aggregate: FixedString result of another type"));
        };
        let n = (*n).max(0) as usize;
        let zeros = vec![0u8; n];
        let mut b = FixedSizeBinaryBuilder::with_capacity(vals.len(), n as i32);
        for v in vals {
            // Groups that never saw a value hold the type's default: N zero bytes.
            b.append_value(if v.len() == n { v.as_slice() } else { &zeros })?;
        }
        Ok(Arc::new(b.finish()))
    }
    fn heap_size(o: &Vec<u8>) -> usize {
        o.capacity()
    }
    fn write(r: &[u8], out: &mut Vec<u8>) {
        put_bytes(out, r);
    }
    fn read(r: &mut StateReader<'_>) -> Result<Vec<u8>> {
        Ok(r.bytes()?.to_vec())
    }
}

/// `Bool`: Arrow Boolean.
#[derive(Debug)]
pub(crate) struct Bool;

impl Kind for Bool {
    type Owned = bool;
    type View<'a> = &'a BooleanArray;
    type Ref<'a> = bool;
    fn view(a: &ArrayRef) -> Result<&BooleanArray> {
        a.as_boolean_opt().ok_or_else(|| {
            logical(format!(
                "aggregate: expected Boolean, got {}",
                a.data_type()
            ))
        })
    }
    #[inline(always)]
    fn get<'a>(v: Self::View<'a>, i: usize) -> Self::Ref<'a> {
        v.value(i)
    }
    #[inline(always)]
    fn borrow(o: &bool) -> bool {
        *o
    }
    #[inline(always)]
    fn assign(o: &mut bool, r: bool) {
        *o = r;
    }
    fn to_owned(r: bool) -> bool {
        r
    }
    #[inline(always)]
    fn less(a: bool, b: bool) -> bool {
        !a & b
    }
    fn key(r: bool) -> u128 {
        r as u128
    }
    fn build(vals: &[bool], _dt: &ArrowType) -> Result<ArrayRef> {
        Ok(Arc::new(BooleanArray::from(vals.to_vec())))
    }
    fn write(r: bool, out: &mut Vec<u8>) {
        out.push(r as u8);
    }
    fn read(r: &mut StateReader<'_>) -> Result<bool> {
        Ok(r.u8()? != 0)
    }
}

/// A generic operation over a [`Kind`], chosen at run time by [`dispatch`].
pub(crate) trait KindVisitor {
    /// What the operation produces.
    type Out;
    /// Runs the operation for kind `K`.
    fn visit<K: Kind>(self) -> Self::Out;
}

/// Runs `v` for the kind of Arrow type `dt`; `None` if no kind carries it.
/// Resolves a one-argument aggregate that keeps the argument's type and whose accumulator
/// is picked by the argument's [`Kind`] (`any`, `anyLast`, `min`, `max`): `make` builds the
/// visitor that creates the accumulator.
pub(crate) fn one_kind_factory<V, M>(
    name: &'static str,
    params: &[granary_storage::value::Value],
    args: &[granary_storage::types::DataType],
    make: M,
) -> crate::error::Result<std::sync::Arc<dyn super::AggregateFunction>>
where
    V: KindVisitor<Out = Box<dyn super::Accumulator>>,
    M: Fn(ArrowType) -> V + Send + Sync + 'static,
{
    super::common::no_params(name, params)?;
    super::common::check_arity(name, args, 1)?;
    let dt = args[0].to_arrow();
    if !supported(&dt) {
        return Err(super::common::illegal_type(name, &args[0]));
    }
    Ok(super::common::simple(
        name,
        args[0].clone(),
        true,
        move || {
            dispatch(&dt, make(dt.clone())).ok_or_else(|| {
                super::common::illegal_type(name, &granary_storage::types::DataType::Nothing)
            })
        },
    ))
}

pub(crate) fn dispatch<V: KindVisitor>(dt: &ArrowType, v: V) -> Option<V::Out> {
    with_primitive!(dt, T => Some(v.visit::<Prim<T>>()), _ => match dt {
        ArrowType::Binary => Some(v.visit::<Bytes>()),
        ArrowType::FixedSizeBinary(_) => Some(v.visit::<Fixed>()),
        ArrowType::Boolean => Some(v.visit::<Bool>()),
        _ => None,
    })
}

/// A value of any kind, for states whose value type is not a type parameter (the value
/// side of argMin/argMax): primitives by their exact key, bytes, booleans.
#[derive(Clone, Debug, Default)]
pub(crate) enum AnyValue {
    /// No value yet.
    #[default]
    None,
    /// A primitive, by [`Num::key`].
    Num(u128),
    /// String or FixedString bytes.
    Bytes(Vec<u8>),
    /// A Bool.
    Bool(bool),
}

/// Reads rows of a column into [`AnyValue`]s.
pub(crate) enum AnyReader<'a> {
    /// A primitive column, read through its keys.
    Num(Box<dyn Fn(usize) -> u128 + 'a>),
    /// A Binary column.
    Bytes(&'a BinaryArray),
    /// A FixedSizeBinary column.
    Fixed(&'a FixedSizeBinaryArray),
    /// A Boolean column.
    Bool(&'a BooleanArray),
}

impl<'a> AnyReader<'a> {
    /// A reader of `a`; `None` for types without a kind.
    pub(crate) fn new(a: &'a ArrayRef) -> Option<AnyReader<'a>> {
        with_primitive!(a.data_type(), T => {
            let vals = prim_values::<T>(a).ok()?;
            Some(AnyReader::Num(Box::new(move |i| vals[i].key())))
        }, _ => match a.data_type() {
            ArrowType::Binary => a.as_binary_opt::<i32>().map(AnyReader::Bytes),
            ArrowType::FixedSizeBinary(_) => a.as_fixed_size_binary_opt().map(AnyReader::Fixed),
            ArrowType::Boolean => a.as_boolean_opt().map(AnyReader::Bool),
            _ => None,
        })
    }

    /// Stores row `i` into `out`, reusing its allocation.
    #[inline]
    pub(crate) fn read(&self, i: usize, out: &mut AnyValue) {
        match self {
            AnyReader::Num(f) => *out = AnyValue::Num(f(i)),
            AnyReader::Bytes(b) => store_bytes(out, b.value(i)),
            AnyReader::Fixed(b) => store_bytes(out, b.value(i)),
            AnyReader::Bool(b) => *out = AnyValue::Bool(b.value(i)),
        }
    }
}

fn store_bytes(out: &mut AnyValue, v: &[u8]) {
    if let AnyValue::Bytes(o) = out {
        o.clear();
        o.extend_from_slice(v);
    } else {
        *out = AnyValue::Bytes(v.to_vec());
    }
}

/// Builds a column of Arrow type `dt` from [`AnyValue`]s (`None` gives the default).
pub(crate) fn build_any(vals: &[AnyValue], dt: &ArrowType) -> Result<ArrayRef> {
    with_primitive!(dt, T => {
        let it = vals.iter().map(|v| match v {
            AnyValue::Num(k) => <<T as ArrowPrimitiveType>::Native as Num>::from_key(*k),
            _ => Default::default(),
        });
        let a = PrimitiveArray::<T>::from_iter_values(it);
        Ok(Arc::new(a.with_data_type(dt.clone())) as ArrayRef)
    }, _ => {
        let bytes = |v: &AnyValue| match v {
            AnyValue::Bytes(b) => b.clone(),
            _ => Vec::new(),
        };
        match dt {
            ArrowType::Binary => {
                Bytes::build(&vals.iter().map(bytes).collect::<Vec<_>>(), dt)
            }
            ArrowType::FixedSizeBinary(_) => {
                Fixed::build(&vals.iter().map(bytes).collect::<Vec<_>>(), dt)
            }
            ArrowType::Boolean => {
                let b: Vec<bool> = vals.iter().map(|v| matches!(v, AnyValue::Bool(true))).collect();
                Bool::build(&b, dt)
            }
            other => Err(logical(format!("aggregate: cannot build {other}"))),
        }
    })
}

/// Appends `v` (a value of Arrow type `dt`) as [`Kind::write`] would.
pub(crate) fn write_any(v: &AnyValue, dt: &ArrowType, out: &mut Vec<u8>) {
    match v {
        AnyValue::Num(k) => {
            let n = dt.primitive_width().unwrap_or(16).min(16);
            out.extend_from_slice(&k.to_le_bytes()[..n]);
        }
        AnyValue::Bytes(b) => put_bytes(out, b),
        AnyValue::Bool(b) => out.push(*b as u8),
        AnyValue::None => match dt {
            ArrowType::Binary | ArrowType::FixedSizeBinary(_) => put_bytes(out, &[]),
            ArrowType::Boolean => out.push(0),
            _ => out.extend(std::iter::repeat_n(0u8, dt.primitive_width().unwrap_or(16))),
        },
    }
}

/// Reads a value of Arrow type `dt` written by [`write_any`].
pub(crate) fn read_any(r: &mut StateReader<'_>, dt: &ArrowType) -> Result<AnyValue> {
    Ok(match dt {
        ArrowType::Binary | ArrowType::FixedSizeBinary(_) => AnyValue::Bytes(r.bytes()?.to_vec()),
        ArrowType::Boolean => AnyValue::Bool(r.u8()? != 0),
        _ => {
            let n = dt.primitive_width().unwrap_or(16).min(16);
            let mut b = [0u8; 16];
            b[..n].copy_from_slice(r.take(n)?);
            let mut k = u128::from_le_bytes(b);
            // Keys of signed values are sign-extended (`Num::key`); keep them so.
            let signed = matches!(
                dt,
                ArrowType::Int8
                    | ArrowType::Int16
                    | ArrowType::Int32
                    | ArrowType::Int64
                    | ArrowType::Decimal128(..)
            );
            if signed && n < 16 && b[n - 1] & 0x80 != 0 {
                k |= u128::MAX << (8 * n);
            }
            AnyValue::Num(k)
        }
    })
}

/// Heap bytes of an [`AnyValue`].
pub(crate) fn any_heap_size(v: &AnyValue) -> usize {
    match v {
        AnyValue::Bytes(b) => b.capacity(),
        _ => 0,
    }
}

/// Whether some kind carries Arrow type `dt`.
pub(crate) fn supported(dt: &ArrowType) -> bool {
    struct Yes;
    impl KindVisitor for Yes {
        type Out = ();
        fn visit<K: Kind>(self) {}
    }
    dispatch(dt, Yes).is_some()
}

/// Whether `a` is an array of a supported kind (used in debug checks).
#[allow(dead_code)]
pub(crate) fn array_supported(a: &dyn Array) -> bool {
    supported(a.data_type())
}
