//! `any(x)` (aliases `any_value`, `first_value`) and `anyLast(x)` (`last_value`): the
//! first / last non-NULL value a group received, in processing order (which is not
//! deterministic across threads, as in ClickHouse). A group with no rows holds the type's
//! default.

use std::marker::PhantomData;

use arrow::array::ArrayRef;
use arrow::datatypes::DataType as ArrowType;
use granary_storage::types::DataType;

use super::common::{any_impl, check_mapping, downcast, grow, reg};
use super::kinds::{one_kind_factory, Kind, KindVisitor};
use super::state_io::StateReader;
use super::{Accumulator, AggregateRegistry};
use crate::error::Result;

/// Registers `any`, `anyLast` and their aliases.
pub(crate) fn register(r: &mut AggregateRegistry) {
    for name in ["any", "any_value", "first_value"] {
        reg(r, name, name != "any", move |p, a| {
            factory::<false>(name, p, a)
        });
    }
    for name in ["anyLast", "last_value"] {
        reg(r, name, name != "anyLast", move |p, a| {
            factory::<true>(name, p, a)
        });
    }
}

fn factory<const LAST: bool>(
    name: &'static str,
    params: &[granary_storage::value::Value],
    args: &[DataType],
) -> Result<std::sync::Arc<dyn super::AggregateFunction>> {
    one_kind_factory(name, params, args, MakeAny::<LAST>)
}

struct MakeAny<const LAST: bool>(ArrowType);

impl<const LAST: bool> KindVisitor for MakeAny<LAST> {
    type Out = Box<dyn Accumulator>;
    fn visit<K: Kind>(self) -> Box<dyn Accumulator> {
        Box::new(AnyAcc::<K, LAST> {
            vals: Vec::new(),
            has: Vec::new(),
            dt: self.0,
            _k: PhantomData,
        })
    }
}

/// Per-group first (`LAST = false`) or last value.
#[derive(Debug)]
pub(crate) struct AnyAcc<K: Kind, const LAST: bool> {
    vals: Vec<K::Owned>,
    has: Vec<bool>,
    dt: ArrowType,
    _k: PhantomData<K>,
}

impl<K: Kind, const LAST: bool> Accumulator for AnyAcc<K, LAST> {
    fn update_batch(
        &mut self,
        args: &[ArrayRef],
        group_ids: &[u32],
        num_groups: usize,
    ) -> Result<()> {
        let v = K::view(&args[0])?;
        grow(&mut self.vals, num_groups, K::Owned::default());
        grow(&mut self.has, num_groups, false);
        for (i, &g) in group_ids.iter().enumerate() {
            let g = g as usize;
            if LAST || !self.has[g] {
                K::assign(&mut self.vals[g], K::get(v, i));
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
        grow(&mut self.vals, num_groups, K::Owned::default());
        grow(&mut self.has, num_groups, false);
        for (i, &g) in mapping.iter().enumerate().take(other.has.len()) {
            let g = g as usize;
            if other.has[i] && (LAST || !self.has[g]) {
                K::assign(&mut self.vals[g], K::borrow(&other.vals[i]));
                self.has[g] = true;
            }
        }
        Ok(())
    }

    fn finalize(&mut self, num_groups: usize) -> Result<ArrayRef> {
        let mut v = std::mem::take(&mut self.vals);
        v.resize(num_groups, K::Owned::default());
        K::build(&v, &self.dt)
    }

    fn memory_size(&self) -> usize {
        self.vals.capacity() * std::mem::size_of::<K::Owned>()
            + self.vals.iter().map(K::heap_size).sum::<usize>()
            + self.has.capacity()
    }

    fn serialize_state(&self, group: usize) -> Result<Vec<u8>> {
        let mut out = Vec::new();
        match self.vals.get(group).filter(|_| self.has[group]) {
            Some(v) => {
                out.push(1);
                K::write(K::borrow(v), &mut out);
            }
            None => out.push(0),
        }
        Ok(out)
    }

    fn merge_state(&mut self, state: &[u8], group: usize, num_groups: usize) -> Result<()> {
        let mut r = StateReader::new(state);
        let has = r.u8()? != 0;
        let v = if has { Some(K::read(&mut r)?) } else { None };
        r.finish()?;
        let n = num_groups.max(group + 1);
        grow(&mut self.vals, n, K::Owned::default());
        grow(&mut self.has, n, false);
        if let Some(v) = v {
            if LAST || !self.has[group] {
                self.vals[group] = v;
                self.has[group] = true;
            }
        }
        Ok(())
    }

    any_impl!();
}

#[cfg(test)]
#[allow(clippy::cloned_ref_to_slice_refs)]
mod tests {
    use super::super::common::test_util::*;
    use arrow::array::{ArrayRef, BinaryArray, Int32Array};
    use granary_storage::types::DataType;
    use granary_storage::value::Value;
    use std::sync::Arc;

    #[test]
    fn first_and_last_skip_nulls() {
        // SELECT any(x), anyLast(x) FROM (SELECT arrayJoin([NULL, 1, 2, NULL]) x) -> 1 2
        let x: ArrayRef = Arc::new(Int32Array::from(vec![None, Some(1), Some(2), None]));
        let t = DataType::Nullable(Box::new(DataType::Int32));
        let f = func("any", &[], &[t.clone()]);
        assert_eq!(f.return_type(), t);
        assert_eq!(
            vals(&run(&f, &[x.clone()], &[0; 4], 2)),
            [Value::Int(1), Value::Null]
        );
        let f = func("anyLast", &[], &[t]);
        assert_eq!(vals(&run(&f, &[x.clone()], &[0; 4], 1)), [Value::Int(2)]);
        assert_eq!(vals(&run_split(&f, &[x], &[0; 4], 1, 2)), [Value::Int(2)]);
        // SELECT anyIf(x, 0) FROM (SELECT toInt32(1) x) -> 0
        let s: ArrayRef = Arc::new(BinaryArray::from_vec(vec![b"a", b"b"]));
        let f = func("any", &[], &[DataType::String]);
        assert_eq!(
            vals(&run_split(&f, &[s], &[1, 1], 2, 1)),
            [Value::Bytes(vec![]), Value::Bytes(b"a".to_vec())]
        );
    }
}
