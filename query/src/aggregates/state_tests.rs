//! Round trips of every serializable state: serialize → `merge_state` into a fresh
//! accumulator → finalize equals the direct result; two partial states merged equal the
//! aggregation of the union; `-State` / `-Merge` / `-MergeState` through the registry.

use std::sync::Arc;

use arrow::array::{ArrayRef, BinaryArray, Float64Array, Int32Array, UInt64Array, UInt8Array};
use granary_storage::types::DataType;
use granary_storage::value::Value;

use super::common::test_util::*;
use super::registry;

/// A test case: name, params, argument types, arguments.
type Case = (&'static str, Vec<Value>, Vec<DataType>, Vec<ArrayRef>);

fn nullable(t: DataType) -> DataType {
    DataType::Nullable(Box::new(t))
}

/// The cases: name, params, argument types, arguments (12 rows).
fn cases() -> Vec<Case> {
    let u: ArrayRef = Arc::new(UInt64Array::from(
        (0..12).map(|i| (i * 7) % 5).collect::<Vec<u64>>(),
    ));
    let i: ArrayRef = Arc::new(Int32Array::from(
        (0..12)
            .map(|i| if i % 4 == 0 { None } else { Some(i - 6) })
            .collect::<Vec<_>>(),
    ));
    let f: ArrayRef = Arc::new(Float64Array::from(
        (0..12).map(|i| i as f64 * 1.5).collect::<Vec<f64>>(),
    ));
    let s: ArrayRef = Arc::new(BinaryArray::from_iter_values(
        (0..12).map(|i| format!("s{}", (i * 5) % 7)),
    ));
    let c: ArrayRef = Arc::new(UInt8Array::from(
        (0..12).map(|i| (i % 3 != 0) as u8).collect::<Vec<u8>>(),
    ));
    let ni = nullable(DataType::Int32);
    vec![
        ("count", vec![], vec![], vec![]),
        ("count", vec![], vec![ni.clone()], vec![i.clone()]),
        ("sum", vec![], vec![DataType::UInt64], vec![u.clone()]),
        ("sum", vec![], vec![ni.clone()], vec![i.clone()]),
        ("sum", vec![], vec![DataType::Float64], vec![f.clone()]),
        ("avg", vec![], vec![DataType::UInt64], vec![u.clone()]),
        ("min", vec![], vec![ni.clone()], vec![i.clone()]),
        ("max", vec![], vec![DataType::String], vec![s.clone()]),
        ("any", vec![], vec![DataType::String], vec![s.clone()]),
        ("anyLast", vec![], vec![DataType::Float64], vec![f.clone()]),
        ("uniq", vec![], vec![DataType::String], vec![s.clone()]),
        ("uniqExact", vec![], vec![DataType::UInt64], vec![u.clone()]),
        (
            "uniqExact",
            vec![],
            vec![DataType::String, DataType::UInt64],
            vec![s.clone(), u.clone()],
        ),
        ("uniqHLL12", vec![], vec![DataType::UInt64], vec![u.clone()]),
        (
            "uniqCombined",
            vec![],
            vec![DataType::String],
            vec![s.clone()],
        ),
        (
            "quantile",
            vec![Value::Float(0.9)],
            vec![DataType::Float64],
            vec![f.clone()],
        ),
        (
            "quantiles",
            vec![Value::Float(0.5), Value::Float(0.9)],
            vec![DataType::UInt64],
            vec![u.clone()],
        ),
        ("median", vec![], vec![ni.clone()], vec![i.clone()]),
        (
            "quantileExact",
            vec![],
            vec![DataType::UInt64],
            vec![u.clone()],
        ),
        (
            "groupArray",
            vec![],
            vec![DataType::String],
            vec![s.clone()],
        ),
        (
            "groupArray",
            vec![Value::UInt(2)],
            vec![ni.clone()],
            vec![i.clone()],
        ),
        (
            "argMin",
            vec![],
            vec![DataType::String, DataType::Float64],
            vec![s.clone(), f.clone()],
        ),
        (
            "argMax",
            vec![],
            vec![ni.clone(), DataType::UInt64],
            vec![i.clone(), u.clone()],
        ),
        (
            "sumIf",
            vec![],
            vec![DataType::UInt64, DataType::UInt8],
            vec![u.clone(), c.clone()],
        ),
        ("uniqIf", vec![], vec![ni, DataType::UInt8], vec![i, c]),
    ]
}

const GROUPS: [u32; 12] = [0, 1, 0, 2, 1, 0, 0, 2, 1, 1, 0, 0];

/// Serializes every group of `acc` and merges the states into a fresh accumulator.
fn through_states(
    f: &Arc<dyn super::AggregateFunction>,
    parts: &[Box<dyn super::Accumulator>],
    n: usize,
) -> ArrayRef {
    let mut fresh = f.create_accumulator().unwrap();
    for acc in parts {
        for g in 0..n {
            let s = acc.serialize_state(g).unwrap();
            // States are deterministic.
            assert_eq!(s, acc.serialize_state(g).unwrap());
            fresh.merge_state(&s, g, n).unwrap();
        }
    }
    fresh.finalize(n).unwrap()
}

#[test]
fn states_round_trip_and_merge() {
    let n = 4; // group 3 sees no rows
    for (name, params, types, args) in cases() {
        let f = func(name, &params, &types);
        let direct = format!("{:?}", run(&f, &args, &GROUPS, n));
        let mut whole = f.create_accumulator().unwrap();
        whole.update_batch(&args, &GROUPS, n).unwrap();
        assert_eq!(
            format!("{:?}", through_states(&f, &[whole], n)),
            direct,
            "{name} round trip"
        );
        for split in [0, 5, 12] {
            let mut a = f.create_accumulator().unwrap();
            let mut b = f.create_accumulator().unwrap();
            let left: Vec<ArrayRef> = args.iter().map(|x| x.slice(0, split)).collect();
            let right: Vec<ArrayRef> = args.iter().map(|x| x.slice(split, 12 - split)).collect();
            a.update_batch(&left, &GROUPS[..split], n).unwrap();
            b.update_batch(&right, &GROUPS[split..], n).unwrap();
            assert_eq!(
                format!("{:?}", through_states(&f, &[a, b], n)),
                direct,
                "{name} merged at {split}"
            );
        }
    }
}

#[test]
fn bad_states_are_errors() {
    for (name, params, types, _) in cases() {
        let f = func(name, &params, &types);
        let mut acc = f.create_accumulator().unwrap();
        for bad in [&[][..], &[0xff; 3][..], &[1, 0x80, 0x80][..]] {
            // Must not panic; most are errors.
            let _ = acc.merge_state(bad, 0, 1);
        }
    }
    let f = func("sum", &[], &[DataType::UInt64]);
    let mut acc = f.create_accumulator().unwrap();
    assert!(acc.merge_state(&[1, 2, 3], 0, 1).is_err());
}

#[test]
fn state_types_follow_clickhouse() {
    // SELECT toTypeName(uniqHLL12State(1)), toTypeName(quantilesState(0.5,0.9)(1.5)),
    //   toTypeName(uniqStateIf(1, 1)), toTypeName(uniqIfState(1,1)), toTypeName(countState()),
    //   toTypeName(medianState(1)), toTypeName(sumState(toNullable(1)))
    let t = |name: &str, params: &[Value], args: &[DataType]| {
        func(name, params, args).return_type().to_string()
    };
    let u8_ = DataType::UInt8;
    assert_eq!(
        t("uniqHLL12State", &[], &[u8_.clone()]),
        "AggregateFunction(uniqHLL12, UInt8)"
    );
    assert_eq!(
        t(
            "quantilesState",
            &[Value::Float(0.5), Value::Float(0.9)],
            &[DataType::Float64]
        ),
        "AggregateFunction(quantiles(0.5, 0.9), Float64)"
    );
    assert_eq!(
        t("uniqStateIf", &[], &[u8_.clone(), u8_.clone()]),
        "AggregateFunction(uniq, UInt8)"
    );
    assert_eq!(
        t("uniqIfState", &[], &[u8_.clone(), u8_.clone()]),
        "AggregateFunction(uniqIf, UInt8, UInt8)"
    );
    assert_eq!(t("countState", &[], &[]), "AggregateFunction(count)");
    assert_eq!(
        t("medianState", &[], &[u8_.clone()]),
        "AggregateFunction(quantile, UInt8)"
    );
    assert_eq!(
        t("sumState", &[], &[nullable(u8_.clone())]),
        "AggregateFunction(sum, Nullable(UInt8))"
    );
}

#[test]
fn state_merge_and_merge_state() {
    let u: ArrayRef = Arc::new(UInt64Array::from(vec![1, 2, 3, 3, 4]));
    let st = func("uniqState", &[], &[DataType::UInt64]);
    let ty = st.return_type();
    let states = run(&st, &[u.clone()], &[0, 1, 0, 1, 1], 2);
    // uniqMerge over both groups' states, into one group: 4 distinct values.
    let m = func("uniqMerge", &[], &[ty.clone()]);
    assert_eq!(m.return_type(), DataType::UInt64);
    assert_eq!(
        vals(&run(&m, &[states.clone()], &[0, 0], 1)),
        [Value::UInt(4)]
    );
    // uniqMergeState gives the same type; merging it again gives the same answer.
    let ms = func("uniqMergeState", &[], &[ty.clone()]);
    assert_eq!(ms.return_type(), ty);
    let merged = run(&ms, &[states.clone()], &[0, 0], 1);
    assert_eq!(vals(&run(&m, &[merged], &[0], 1)), [Value::UInt(4)]);
    // uniqMergeIf: only the first state.
    let c: ArrayRef = Arc::new(UInt8Array::from(vec![1, 0]));
    let mi = func("uniqMergeIf", &[], &[ty.clone(), DataType::UInt8]);
    assert_eq!(vals(&run(&mi, &[states, c], &[0, 0], 1)), [Value::UInt(2)]);
    // The wrong function, or not a state: 43.
    for (name, t) in [("sumMerge", ty), ("uniqMerge", DataType::UInt64)] {
        let e = registry().get(name, &[], &[t]).unwrap_err();
        assert_eq!(e.code(), 43, "{name}");
    }
    // quantilesMerge uses the levels of the state's type.
    let f: ArrayRef = Arc::new(Float64Array::from(vec![1.0, 2.0, 3.0]));
    let qs = func(
        "quantilesState",
        &[Value::Float(0.5), Value::Float(1.0)],
        &[DataType::Float64],
    );
    let states = run(&qs, &[f], &[0, 0, 0], 1);
    let qm = func("quantilesMerge", &[Value::Float(0.5)], &[qs.return_type()]);
    let out = run(&qm, &[states], &[0], 1);
    assert_eq!(
        crate::functions::tostring::to_string_array(&out, &qm.return_type())
            .map(|a| vals(&a))
            .unwrap_or_default(),
        [Value::Bytes(b"[2,3]".to_vec())]
    );
}
