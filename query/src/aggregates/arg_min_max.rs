//! `argMin(a, b)`, `argMax(a, b)`: the value of `a` on the row with the smallest /
//! largest `b` in the group (the first such row on ties in processing order; ClickHouse's
//! tie-breaking differs between its code paths). Result type: `a`'s. Rows where `a` or
//! `b` is NULL are skipped (the NULL wrapper), as in ClickHouse.

use std::marker::PhantomData;

use arrow::array::ArrayRef;
use arrow::datatypes::DataType as ArrowType;
use granary_storage::types::DataType;

use super::common::{
    any_impl, check_arity, check_mapping, downcast, grow, illegal_type, logical, no_params, reg,
    simple,
};
use super::kinds::{
    any_heap_size, build_any, dispatch, supported, AnyReader, AnyValue, Kind, KindVisitor,
};
use super::kinds::{read_any, write_any};
use super::state_io::StateReader;
use super::{Accumulator, AggregateRegistry};
use crate::error::Result;

/// Registers `argMin` and `argMax`.
pub(crate) fn register(r: &mut AggregateRegistry) {
    reg(r, "argMin", false, |p, a| factory::<false>("argMin", p, a));
    reg(r, "argMax", false, |p, a| factory::<true>("argMax", p, a));
}

fn factory<const MAX: bool>(
    name: &'static str,
    params: &[granary_storage::value::Value],
    args: &[DataType],
) -> Result<std::sync::Arc<dyn super::AggregateFunction>> {
    no_params(name, params)?;
    check_arity(name, args, 2)?;
    let (vt, kt) = (args[0].to_arrow(), args[1].to_arrow());
    if !supported(&vt) {
        return Err(illegal_type(name, &args[0]));
    }
    if !supported(&kt) {
        return Err(illegal_type(name, &args[1]));
    }
    Ok(simple(name, args[0].clone(), true, move || {
        dispatch(&kt, MakeArg::<MAX>(vt.clone())).ok_or_else(|| logical("argMin: bad key type"))
    }))
}

struct MakeArg<const MAX: bool>(ArrowType);

impl<const MAX: bool> KindVisitor for MakeArg<MAX> {
    type Out = Box<dyn Accumulator>;
    fn visit<K: Kind>(self) -> Box<dyn Accumulator> {
        Box::new(ArgAcc::<K, MAX> {
            keys: Vec::new(),
            vals: Vec::new(),
            has: Vec::new(),
            dt: self.0,
            _k: PhantomData,
        })
    }
}

/// Per group: the best key so far and the value on its row.
#[derive(Debug)]
pub(crate) struct ArgAcc<K: Kind, const MAX: bool> {
    keys: Vec<K::Owned>,
    vals: Vec<AnyValue>,
    has: Vec<bool>,
    dt: ArrowType,
    _k: PhantomData<K>,
}

impl<K: Kind, const MAX: bool> ArgAcc<K, MAX> {
    #[inline(always)]
    fn better(&self, g: usize, x: K::Ref<'_>) -> bool {
        if !self.has[g] {
            return true;
        }
        let cur = K::borrow(&self.keys[g]);
        (if MAX {
            K::less(cur, x)
        } else {
            K::less(x, cur)
        }) || K::is_nan(cur)
    }

    fn grow(&mut self, n: usize) {
        grow(&mut self.keys, n, K::Owned::default());
        grow(&mut self.vals, n, AnyValue::None);
        grow(&mut self.has, n, false);
    }
}

impl<K: Kind, const MAX: bool> Accumulator for ArgAcc<K, MAX> {
    fn update_batch(
        &mut self,
        args: &[ArrayRef],
        group_ids: &[u32],
        num_groups: usize,
    ) -> Result<()> {
        let reader = AnyReader::new(&args[0]).ok_or_else(|| logical("argMin: bad value type"))?;
        let kv = K::view(&args[1])?;
        self.grow(num_groups);
        for (i, &g) in group_ids.iter().enumerate() {
            let g = g as usize;
            let x = K::get(kv, i);
            if self.better(g, x) {
                K::assign(&mut self.keys[g], x);
                reader.read(i, &mut self.vals[g]);
                self.has[g] = true;
            }
        }
        Ok(())
    }

    fn merge(
        &mut self,
        other: &mut dyn Accumulator,
        mapping: &[u32],
        num_groups: usize,
    ) -> Result<()> {
        let other = downcast::<Self>(other)?;
        check_mapping(mapping, num_groups)?;
        self.grow(num_groups);
        for (i, &g) in mapping.iter().enumerate().take(other.has.len()) {
            let g = g as usize;
            if other.has[i] && self.better(g, K::borrow(&other.keys[i])) {
                K::assign(&mut self.keys[g], K::borrow(&other.keys[i]));
                self.vals[g] = std::mem::take(&mut other.vals[i]);
                self.has[g] = true;
            }
        }
        Ok(())
    }

    fn finalize(&mut self, num_groups: usize) -> Result<ArrayRef> {
        self.grow(num_groups);
        build_any(&self.vals[..num_groups], &self.dt)
    }

    fn memory_size(&self) -> usize {
        self.keys.capacity() * std::mem::size_of::<K::Owned>()
            + self.keys.iter().map(K::heap_size).sum::<usize>()
            + self.vals.capacity() * std::mem::size_of::<AnyValue>()
            + self.vals.iter().map(any_heap_size).sum::<usize>()
            + self.has.capacity()
    }

    fn serialize_state(&self, group: usize) -> Result<Vec<u8>> {
        let mut out = Vec::new();
        if self.has.get(group).copied().unwrap_or(false) {
            out.push(1);
            K::write(K::borrow(&self.keys[group]), &mut out);
            write_any(&self.vals[group], &self.dt, &mut out);
        } else {
            out.push(0);
        }
        Ok(out)
    }

    fn merge_state(&mut self, state: &[u8], group: usize, num_groups: usize) -> Result<()> {
        let mut r = StateReader::new(state);
        self.grow(num_groups.max(group + 1));
        if r.u8()? != 0 {
            let key = K::read(&mut r)?;
            let val = read_any(&mut r, &self.dt)?;
            r.finish()?;
            if self.better(group, K::borrow(&key)) {
                self.keys[group] = key;
                self.vals[group] = val;
                self.has[group] = true;
            }
        }
        r.finish()
    }

    any_impl!();
}

#[cfg(test)]
#[allow(clippy::cloned_ref_to_slice_refs)]
mod tests {
    use super::super::common::test_util::*;
    use arrow::array::{ArrayRef, BinaryArray, Int32Array, UInt8Array};
    use granary_storage::types::DataType;
    use granary_storage::value::Value;
    use std::sync::Arc;

    #[test]
    fn arg_min_max() {
        // SELECT argMin(x, y), argMax(x, y) FROM (SELECT arrayJoin([1,2,3]) y,
        //   if(y=3, NULL, y*10)::Nullable(Int32) x) -> Nullable(Int32) 10 20
        let y: ArrayRef = Arc::new(UInt8Array::from(vec![1, 2, 3]));
        let x: ArrayRef = Arc::new(Int32Array::from(vec![Some(10), Some(20), None]));
        let nx = DataType::Nullable(Box::new(DataType::Int32));
        let f = func("argMin", &[], &[nx.clone(), DataType::UInt8]);
        assert_eq!(f.return_type(), nx);
        assert_eq!(
            vals(&run(&f, &[x.clone(), y.clone()], &[0; 3], 2)),
            [Value::Int(10), Value::Null]
        );
        let f = func("argMax", &[], &[nx, DataType::UInt8]);
        assert_eq!(
            vals(&run_split(&f, &[x, y.clone()], &[0; 3], 1, 1)),
            [Value::Int(20)]
        );
        // argMax(s, n) over strings, several groups, merged.
        let s: ArrayRef = Arc::new(BinaryArray::from_vec(vec![b"a", b"b", b"c"]));
        let f = func("argMax", &[], &[DataType::String, DataType::UInt8]);
        assert_eq!(
            vals(&run_split(&f, &[s, y], &[1, 0, 1], 2, 2)),
            [Value::Bytes(b"b".to_vec()), Value::Bytes(b"c".to_vec())]
        );
    }
}
