//! `groupArray[(max_size)](x)` and `groupUniqArray[(max_size)](x)`: the group's values as
//! `Array(T)` (NULLs skipped; an empty array for a group with no rows). groupArray keeps
//! processing order; groupUniqArray keeps the first occurrence of each value, in
//! processing order (ClickHouse's order is its hash table's, unspecified).

use std::collections::HashSet;
use std::marker::PhantomData;
use std::sync::Arc;

use arrow::array::{ArrayRef, ListArray};
use arrow::buffer::OffsetBuffer;
use arrow::datatypes::{DataType as ArrowType, Field};
use granary_storage::types::DataType;
use granary_storage::value::Value;

use super::common::{
    any_impl, check_arity, check_mapping, downcast, grow, illegal_type, logical, param_u64, reg,
    simple,
};
use super::hashing::FastBuild;
use super::kinds::{dispatch, supported, Kind, KindVisitor};
use super::state_io::{put_varuint, StateReader};
use super::{Accumulator, AggregateRegistry};
use crate::error::{ErrorCode, QueryError, Result};

/// Registers `groupArray` and `groupUniqArray`.
pub(crate) fn register(r: &mut AggregateRegistry) {
    reg(r, "groupArray", false, |p, a| {
        factory::<false>("groupArray", p, a)
    });
    reg(r, "groupUniqArray", false, |p, a| {
        factory::<true>("groupUniqArray", p, a)
    });
}

fn factory<const UNIQ: bool>(
    name: &'static str,
    params: &[Value],
    args: &[DataType],
) -> Result<Arc<dyn super::AggregateFunction>> {
    check_arity(name, args, 1)?;
    let max = match params {
        [] => usize::MAX,
        [m] => {
            let m = param_u64(name, m)?;
            if m == 0 {
                return Err(QueryError::new(
                    ErrorCode::BadArguments,
                    format!("Parameter for aggregate function {name} should be positive number"),
                ));
            }
            usize::try_from(m).unwrap_or(usize::MAX)
        }
        _ => {
            return Err(QueryError::new(
                ErrorCode::NumberOfArgumentsDoesntMatch,
                format!(
                "Incorrect number of parameters for aggregate function {name}, should be 0 or 1"
            ),
            ))
        }
    };
    let dt = args[0].to_arrow();
    if !supported(&dt) {
        return Err(illegal_type(name, &args[0]));
    }
    let ret = DataType::Array(Box::new(args[0].clone()));
    Ok(simple(name, ret, false, move || {
        dispatch(
            &dt,
            Make::<UNIQ> {
                dt: dt.clone(),
                max,
            },
        )
        .ok_or_else(|| logical("groupArray: bad type"))
    }))
}

struct Make<const UNIQ: bool> {
    dt: ArrowType,
    max: usize,
}

impl<const UNIQ: bool> KindVisitor for Make<UNIQ> {
    type Out = Box<dyn Accumulator>;
    fn visit<K: Kind>(self) -> Box<dyn Accumulator> {
        Box::new(GroupArrayAcc::<K, UNIQ> {
            lists: Vec::new(),
            seen: Vec::new(),
            max: self.max,
            dt: self.dt,
            _k: PhantomData,
        })
    }
}

/// Per group: the values (and, for groupUniqArray, their keys).
#[derive(Debug)]
struct GroupArrayAcc<K: Kind, const UNIQ: bool> {
    lists: Vec<Vec<K::Owned>>,
    seen: Vec<HashSet<u128, FastBuild>>,
    max: usize,
    dt: ArrowType,
    _k: PhantomData<K>,
}

impl<K: Kind, const UNIQ: bool> GroupArrayAcc<K, UNIQ> {
    fn grow(&mut self, n: usize) {
        grow(&mut self.lists, n, Vec::new());
        if UNIQ {
            grow(&mut self.seen, n, HashSet::default());
        }
    }

    #[inline]
    fn push(&mut self, g: usize, x: K::Ref<'_>) {
        if self.lists[g].len() >= self.max {
            return;
        }
        if UNIQ && !self.seen[g].insert(K::key(x)) {
            return;
        }
        self.lists[g].push(K::to_owned(x));
    }
}

impl<K: Kind, const UNIQ: bool> Accumulator for GroupArrayAcc<K, UNIQ> {
    fn update_batch(
        &mut self,
        args: &[ArrayRef],
        group_ids: &[u32],
        num_groups: usize,
    ) -> Result<()> {
        let v = K::view(&args[0])?;
        self.grow(num_groups);
        for (i, &g) in group_ids.iter().enumerate() {
            self.push(g as usize, K::get(v, i));
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
        for (list, &g) in std::mem::take(&mut other.lists).into_iter().zip(mapping) {
            let g = g as usize;
            if !UNIQ && self.lists[g].is_empty() && list.len() <= self.max {
                self.lists[g] = list;
                continue;
            }
            for x in &list {
                self.push(g, K::borrow(x));
            }
        }
        Ok(())
    }

    fn finalize(&mut self, num_groups: usize) -> Result<ArrayRef> {
        self.grow(num_groups);
        let lists = &self.lists[..num_groups];
        let flat: Vec<K::Owned> = lists.iter().flatten().cloned().collect();
        let values = K::build(&flat, &self.dt)?;
        let offsets = OffsetBuffer::from_lengths(lists.iter().map(Vec::len));
        let field = Arc::new(Field::new("item", self.dt.clone(), true));
        Ok(Arc::new(ListArray::try_new(field, offsets, values, None)?))
    }

    fn memory_size(&self) -> usize {
        self.lists
            .iter()
            .map(|l| {
                l.capacity() * std::mem::size_of::<K::Owned>()
                    + l.iter().map(K::heap_size).sum::<usize>()
            })
            .sum::<usize>()
            + self.seen.iter().map(|s| s.capacity() * 17).sum::<usize>()
    }

    fn serialize_state(&self, group: usize) -> Result<Vec<u8>> {
        let mut out = Vec::new();
        let list = self.lists.get(group).map(Vec::as_slice).unwrap_or(&[]);
        put_varuint(&mut out, list.len() as u64);
        for x in list {
            K::write(K::borrow(x), &mut out);
        }
        Ok(out)
    }

    fn merge_state(&mut self, state: &[u8], group: usize, num_groups: usize) -> Result<()> {
        let mut r = StateReader::new(state);
        let n = r.count(1)?;
        let mut vals = Vec::with_capacity(n);
        for _ in 0..n {
            vals.push(K::read(&mut r)?);
        }
        r.finish()?;
        self.grow(num_groups.max(group + 1));
        for x in &vals {
            self.push(group, K::borrow(x));
        }
        Ok(())
    }

    any_impl!();
}

#[cfg(test)]
#[allow(clippy::cloned_ref_to_slice_refs)]
mod tests {
    use super::super::common::test_util::*;
    use arrow::array::{ArrayRef, AsArray, BinaryArray, UInt64Array};
    use granary_storage::types::DataType;
    use granary_storage::value::Value;
    use std::sync::Arc;

    #[test]
    fn arrays() {
        // SELECT groupArray(2)(number), groupUniqArray(number % 3), groupArray(number) FROM numbers(5)
        //   -> [0,1] [0,1,2] [0,1,2,3,4]
        let x: ArrayRef = Arc::new(UInt64Array::from((0..5).collect::<Vec<u64>>()));
        let m: ArrayRef = Arc::new(UInt64Array::from(
            (0..5).map(|n| n % 3).collect::<Vec<u64>>(),
        ));
        let g = [0u32; 5];
        let list = |a: ArrayRef, i: usize| vals(&a.as_list::<i32>().value(i));
        let f = func("groupArray", &[Value::UInt(2)], &[DataType::UInt64]);
        assert_eq!(f.return_type().to_string(), "Array(UInt64)");
        assert_eq!(
            list(run(&f, &[x.clone()], &g, 1), 0),
            [Value::UInt(0), Value::UInt(1)]
        );
        let f = func("groupArray", &[], &[DataType::UInt64]);
        assert_eq!(
            list(run_split(&f, &[x], &g, 2, 2), 0),
            (0..5).map(Value::UInt).collect::<Vec<_>>()
        );
        let f = func("groupUniqArray", &[], &[DataType::UInt64]);
        assert_eq!(
            list(run_split(&f, &[m], &g, 2, 3), 0),
            (0..3).map(Value::UInt).collect::<Vec<_>>()
        );
        // SELECT groupArray(number::Nullable(UInt64)) ... -> Array(UInt64), NULLs skipped
        let s: ArrayRef = Arc::new(BinaryArray::from_opt_vec(vec![
            Some(b"a"),
            None,
            Some(b"b"),
        ]));
        let f = func(
            "groupArray",
            &[],
            &[DataType::Nullable(Box::new(DataType::String))],
        );
        assert_eq!(f.return_type().to_string(), "Array(String)");
        let r = run(&f, &[s], &[1, 1, 1], 2);
        assert_eq!(list(r.clone(), 0), []);
        assert_eq!(
            list(r, 1),
            [Value::Bytes(b"a".to_vec()), Value::Bytes(b"b".to_vec())]
        );
    }
}
