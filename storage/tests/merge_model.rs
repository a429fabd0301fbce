//! Model test of merges: random inserts into a table of one of a few fixed schemas (each
//! insert one sorted part), random merges of adjacent parts in random order, then a final
//! merge of everything; the result must equal a naive in-memory model of the engine exactly.
//! For `MergeTree` the multiset of rows must equal the model after every merge.

use std::cmp::Ordering;
use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use arrow::array::*;
use arrow::datatypes::{DataType as A, Int32Type, UInt16Type};
use arrow::record_batch::RecordBatch;
use granary_storage::merge::{merge_parts, merge_parts_with, MergeContext, MergeOptions};
use granary_storage::part::{sort_batch, DataPart, PartInfo, PartWriter};
use granary_storage::schema::{ColumnDef, TableEngine, TableSchema};
use granary_storage::types::DataType;
use proptest::prelude::*;

/// One row of the universal column set.
#[derive(Clone, Debug, PartialEq)]
struct Row {
    k: u16,
    tag: String,
    ver: u32,
    sign: i8,
    x: i64,
    f: f64,
    d: i128,
    n: Option<i32>,
    s: String,
    arr: Vec<u8>,
}

impl Row {
    fn total_cmp(&self, o: &Row) -> Ordering {
        (self.k, &self.tag, self.ver, self.sign, self.x)
            .cmp(&(o.k, &o.tag, o.ver, o.sign, o.x))
            .then(self.f.total_cmp(&o.f))
            .then((self.d, self.n, &self.s, &self.arr).cmp(&(o.d, o.n, &o.s, &o.arr)))
    }
}

/// The schemas under test.
#[derive(Clone, Copy, Debug)]
enum Kind {
    MergeTree,
    MergeTreeNoKey,
    ReplacingVer,
    ReplacingNoVer,
    SummingAll,
    SummingX,
    Collapsing,
}

const KINDS: [Kind; 7] = [
    Kind::MergeTree,
    Kind::MergeTreeNoKey,
    Kind::ReplacingVer,
    Kind::ReplacingNoVer,
    Kind::SummingAll,
    Kind::SummingX,
    Kind::Collapsing,
];

impl Kind {
    fn order_by(self) -> &'static [&'static str] {
        match self {
            Kind::MergeTreeNoKey => &[],
            Kind::MergeTree | Kind::ReplacingNoVer | Kind::SummingX => &["k", "tag"],
            Kind::ReplacingVer | Kind::SummingAll | Kind::Collapsing => &["k"],
        }
    }

    fn engine(self) -> TableEngine {
        match self {
            Kind::MergeTree | Kind::MergeTreeNoKey => TableEngine::MergeTree,
            Kind::ReplacingVer => TableEngine::ReplacingMergeTree {
                version: Some("ver".into()),
            },
            Kind::ReplacingNoVer => TableEngine::ReplacingMergeTree { version: None },
            Kind::SummingAll => TableEngine::SummingMergeTree { columns: vec![] },
            Kind::SummingX => TableEngine::SummingMergeTree {
                columns: vec!["x".into()],
            },
            Kind::Collapsing => TableEngine::CollapsingMergeTree {
                sign: "sign".into(),
            },
        }
    }

    fn schema(self, granularity: usize) -> TableSchema {
        let cols = [
            ("k", "UInt16"),
            ("tag", "LowCardinality(String)"),
            ("ver", "UInt32"),
            ("sign", "Int8"),
            ("x", "Int64"),
            ("f", "Float64"),
            ("d", "Decimal(18, 2)"),
            ("n", "Nullable(Int32)"),
            ("s", "String"),
            ("arr", "Array(UInt8)"),
        ];
        let mut s = TableSchema::new(
            cols.iter()
                .map(|(n, t)| ColumnDef::new(*n, DataType::parse(t).unwrap()))
                .collect(),
            self.order_by(),
        )
        .unwrap();
        s.engine = self.engine();
        s.validate().unwrap();
        s.settings.index_granularity = granularity;
        s.settings.min_compress_block_size = 128;
        s
    }

    fn key(self, r: &Row) -> (u16, String) {
        match self.order_by() {
            [] => (0, String::new()),
            ["k"] => (r.k, String::new()),
            _ => (r.k, r.tag.clone()),
        }
    }
}

/// Random raw values of one inserted row, before a schema shapes them.
type Raw = (u16, u8, u32, i64, i8, bool);

fn raw_row() -> impl Strategy<Value = Raw> {
    (0u16..6, 0u8..3, 0u32..4, -3i64..4, -2i8..3, any::<bool>())
}

#[derive(Clone, Debug)]
enum Op {
    Insert(Vec<Raw>),
    Merge(usize, usize, Option<(usize, u64)>),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => prop::collection::vec(raw_row(), 0..14).prop_map(Op::Insert),
        2 => (any::<usize>(), 1usize..5, prop::option::of((1usize..8, 1u64..3)))
            .prop_map(|(i, n, o)| Op::Merge(i, n, o)),
    ]
}

/// Shapes raw values into rows for `kind`; `live` tracks each key's current state for
/// CollapsingMergeTree, whose histories must be valid (`+ - + - ...` per key).
fn shape(
    kind: Kind,
    raws: &[Raw],
    live: &mut std::collections::HashMap<u16, Row>,
    seq: &mut u32,
) -> Vec<Row> {
    let mut out = Vec::new();
    for &(k, t, ver, x, small, flag) in raws {
        *seq += 1;
        let tag = format!("t{t}");
        let mut row = Row {
            k,
            tag: tag.clone(),
            ver,
            sign: 1,
            x,
            f: small as f64,
            d: x as i128 * 25,
            n: flag.then_some(small as i32),
            s: format!("s{seq}"),
            arr: vec![small as u8; 1 + (*seq % 3) as usize],
        };
        match kind {
            Kind::SummingAll => {
                // Columns not summed (tag, n, s, arr) follow the key, so "first row" is exact.
                row.sign = small;
                row.tag = format!("t{}", k % 3);
                row.n = (k % 2 == 0).then_some(k as i32);
                row.s = format!("s{k}");
                row.arr = vec![k as u8];
            }
            Kind::SummingX => {
                let h = k as u32 * 7 + t as u32;
                row.ver = h;
                row.sign = (h % 5) as i8;
                row.f = h as f64;
                row.d = h as i128;
                row.n = h.is_multiple_of(2).then_some(h as i32);
                row.s = format!("s{h}");
                row.arr = vec![h as u8];
            }
            Kind::Collapsing => {
                if let Some(state) = live.remove(&k) {
                    out.push(Row { sign: -1, ..state });
                    if !flag {
                        continue;
                    }
                }
                live.insert(k, row.clone());
            }
            _ => {}
        }
        out.push(row);
    }
    out
}

/// What the table must hold after a final merge of every part.
fn model(kind: Kind, inserted: &[Row]) -> Vec<Row> {
    let mut rows: Vec<(usize, Row)> = inserted.iter().cloned().enumerate().collect();
    rows.sort_by(|a, b| kind.key(&a.1).cmp(&kind.key(&b.1)).then(a.0.cmp(&b.0)));
    let rows: Vec<Row> = rows.into_iter().map(|(_, r)| r).collect();
    let mut groups: Vec<Vec<Row>> = Vec::new();
    for r in rows {
        match groups.last_mut() {
            Some(g) if kind.key(&g[0]) == kind.key(&r) => g.push(r),
            _ => groups.push(vec![r]),
        }
    }
    let mut out = Vec::new();
    for g in groups {
        match kind {
            Kind::MergeTree | Kind::MergeTreeNoKey => out.extend(g),
            Kind::ReplacingVer => {
                let max = g.iter().map(|r| r.ver).max().unwrap_or(0);
                out.extend(g.into_iter().rev().find(|r| r.ver == max));
            }
            Kind::ReplacingNoVer => out.extend(g.into_iter().last()),
            Kind::SummingAll => {
                let mut acc = g[0].clone();
                for r in &g[1..] {
                    acc.ver = acc.ver.wrapping_add(r.ver);
                    acc.sign = acc.sign.wrapping_add(r.sign);
                    acc.x = acc.x.wrapping_add(r.x);
                    acc.f += r.f;
                    acc.d += r.d;
                }
                if acc.ver != 0 || acc.sign != 0 || acc.x != 0 || acc.f != 0.0 || acc.d != 0 {
                    out.push(acc);
                }
            }
            Kind::SummingX => {
                let mut acc = g[0].clone();
                acc.x = g.iter().fold(0i64, |a, r| a.wrapping_add(r.x));
                if acc.x != 0 {
                    out.push(acc);
                }
            }
            Kind::Collapsing => {
                // A valid history ends with its live state (+1) or with a cancel (-1).
                if let Some(last) = g.last().filter(|r| r.sign == 1) {
                    out.push(last.clone());
                }
            }
        }
    }
    out
}

fn to_batch(schema: &TableSchema, rows: &[Row]) -> RecordBatch {
    let tags: DictionaryArray<Int32Type> = rows.iter().map(|r| r.tag.as_str()).collect();
    let tags = arrow::compute::cast(
        &tags,
        &A::Dictionary(Box::new(A::Int32), Box::new(A::Binary)),
    )
    .unwrap();
    let mut arr = ListBuilder::new(UInt8Builder::new());
    for r in rows {
        arr.values().append_slice(&r.arr);
        arr.append(true);
    }
    let cols: Vec<ArrayRef> = vec![
        Arc::new(UInt16Array::from_iter_values(rows.iter().map(|r| r.k))),
        tags,
        Arc::new(UInt32Array::from_iter_values(rows.iter().map(|r| r.ver))),
        Arc::new(Int8Array::from_iter_values(rows.iter().map(|r| r.sign))),
        Arc::new(Int64Array::from_iter_values(rows.iter().map(|r| r.x))),
        Arc::new(Float64Array::from_iter_values(rows.iter().map(|r| r.f))),
        Arc::new(
            Decimal128Array::from_iter_values(rows.iter().map(|r| r.d))
                .with_precision_and_scale(18, 2)
                .unwrap(),
        ),
        Arc::new(Int32Array::from_iter(rows.iter().map(|r| r.n))),
        Arc::new(BinaryArray::from_iter_values(
            rows.iter().map(|r| r.s.as_bytes()),
        )),
        Arc::new(arr.finish()),
    ];
    RecordBatch::try_new(schema.arrow_schema(), cols).unwrap()
}

fn from_batch(b: &RecordBatch) -> Vec<Row> {
    let k = b.column(0).as_primitive::<UInt16Type>();
    let tag = b.column(1).as_any_dictionary();
    let tag_keys = tag.normalized_keys();
    let tag_values = tag.values().as_binary::<i32>();
    let ver = b.column(2).as_primitive::<arrow::datatypes::UInt32Type>();
    let sign = b.column(3).as_primitive::<arrow::datatypes::Int8Type>();
    let x = b.column(4).as_primitive::<arrow::datatypes::Int64Type>();
    let f = b.column(5).as_primitive::<arrow::datatypes::Float64Type>();
    let d = b
        .column(6)
        .as_primitive::<arrow::datatypes::Decimal128Type>();
    let n = b.column(7).as_primitive::<Int32Type>();
    let s = b.column(8).as_binary::<i32>();
    let arr = b.column(9).as_list::<i32>();
    (0..b.num_rows())
        .map(|i| Row {
            k: k.value(i),
            tag: String::from_utf8(tag_values.value(tag_keys[i]).to_vec()).unwrap(),
            ver: ver.value(i),
            sign: sign.value(i),
            x: x.value(i),
            f: f.value(i),
            d: d.value(i),
            n: n.is_valid(i).then(|| n.value(i)),
            s: String::from_utf8(s.value(i).to_vec()).unwrap(),
            arr: arr
                .value(i)
                .as_primitive::<arrow::datatypes::UInt8Type>()
                .values()
                .to_vec(),
        })
        .collect()
}

const COLUMNS: [&str; 10] = ["k", "tag", "ver", "sign", "x", "f", "d", "n", "s", "arr"];

/// A table's parts in block order.
struct Table<'a> {
    dir: &'a Path,
    schema: TableSchema,
    parts: Vec<Arc<DataPart>>,
    next_block: u64,
}

impl Table<'_> {
    fn insert(&mut self, rows: &[Row]) {
        if rows.is_empty() {
            return;
        }
        self.next_block += 1;
        let keys: Vec<usize> = self
            .schema
            .order_by
            .iter()
            .map(|k| COLUMNS.iter().position(|c| c == k).unwrap())
            .collect();
        let sorted = sort_batch(&to_batch(&self.schema, rows), &keys).unwrap();
        let info = PartInfo {
            partition_id: "all".into(),
            min_block: self.next_block,
            max_block: self.next_block,
            level: 0,
        };
        let tmp = self.dir.join(format!("tmp_insert_{}", self.next_block));
        let mut w = PartWriter::new(&self.schema, info.clone(), vec![], tmp.clone()).unwrap();
        w.write(&sorted).unwrap();
        w.finish().unwrap();
        self.parts.push(self.commit(&tmp, &info));
    }

    fn commit(&self, tmp: &Path, info: &PartInfo) -> Arc<DataPart> {
        let path = self.dir.join(info.name());
        std::fs::rename(tmp, &path).unwrap();
        Arc::new(DataPart::open(&path, "t", true).unwrap())
    }

    fn merge(
        &mut self,
        range: std::ops::Range<usize>,
        opts: Option<MergeOptions>,
        final_merge: bool,
    ) {
        let sources = self.parts[range.clone()].to_vec();
        let infos: Vec<&PartInfo> = sources.iter().map(|p| &p.info).collect();
        let info = PartInfo::merged(&infos).unwrap();
        let tmp = self.dir.join(format!("tmp_merge_{}", info.name()));
        let cancel = AtomicBool::new(false);
        let written = match opts {
            None => merge_parts(
                &self.schema,
                &sources,
                info.clone(),
                vec![],
                tmp.clone(),
                final_merge,
                &cancel,
            ),
            Some(o) => {
                let ctx = MergeContext {
                    final_merge,
                    select_final: false,
                };
                merge_parts_with(
                    &self.schema,
                    &sources,
                    info.clone(),
                    vec![],
                    tmp.clone(),
                    &ctx,
                    &o,
                    &cancel,
                )
            }
        }
        .unwrap();
        let merged: Vec<Arc<DataPart>> = if written.meta.rows == 0 {
            std::fs::remove_dir_all(&tmp).unwrap();
            vec![]
        } else {
            vec![self.commit(&tmp, &info)]
        };
        for p in self.parts.splice(range, merged) {
            p.mark_outdated();
        }
    }

    fn rows(&self) -> Vec<Row> {
        self.parts
            .iter()
            .flat_map(|p| from_batch(&p.read_all(&COLUMNS).unwrap()))
            .collect()
    }
}

fn sorted(mut rows: Vec<Row>) -> Vec<Row> {
    rows.sort_by(|a, b| a.total_cmp(b));
    rows
}

fn run(kind: Kind, granularity: usize, ops: Vec<Op>) -> Result<(), TestCaseError> {
    // tmpfs when there is one: parts are fsynced file by file.
    let base = if Path::new("/dev/shm").is_dir() {
        tempfile::tempdir_in("/dev/shm")
    } else {
        tempfile::tempdir()
    }
    .unwrap();
    let mut table = Table {
        dir: base.path(),
        schema: kind.schema(granularity),
        parts: Vec::new(),
        next_block: 0,
    };
    let mut inserted = Vec::new();
    let mut live = std::collections::HashMap::new();
    let mut seq = 0;
    for op in ops {
        match op {
            Op::Insert(raws) => {
                let rows = shape(kind, &raws, &mut live, &mut seq);
                table.insert(&rows);
                inserted.extend(rows);
            }
            Op::Merge(at, len, opts) => {
                if table.parts.is_empty() {
                    continue;
                }
                let start = at % table.parts.len();
                let end = (start + len).min(table.parts.len());
                let opts = opts.map(|(block_rows, g)| MergeOptions {
                    block_rows,
                    granules_per_read: Some(g),
                });
                table.merge(start..end, opts, false);
                if matches!(kind, Kind::MergeTree | Kind::MergeTreeNoKey) {
                    prop_assert_eq!(sorted(table.rows()), sorted(inserted.clone()));
                }
            }
        }
    }
    if !table.parts.is_empty() {
        let n = table.parts.len();
        table.merge(0..n, None, true);
    }
    prop_assert!(table.parts.len() <= 1);
    prop_assert_eq!(table.rows(), model(kind, &inserted));
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn merges_match_the_model(
        kind in prop::sample::select(KINDS.to_vec()),
        granularity in 3usize..=8,
        ops in prop::collection::vec(op(), 1..24),
    ) {
        run(kind, granularity, ops)?;
    }
}

/// Every schema, once, with a fixed history that has long runs across many parts.
#[test]
fn long_runs_across_many_parts() {
    for kind in KINDS {
        let mut ops = Vec::new();
        for i in 0..12u32 {
            let raws: Vec<Raw> = (0..10u32)
                .map(|j| {
                    (
                        (j % 2) as u16,
                        (j % 3) as u8,
                        (i + j) % 4,
                        (i * j % 7) as i64 - 3,
                        (j % 5) as i8 - 2,
                        (i + j) % 3 != 0,
                    )
                })
                .collect();
            ops.push(Op::Insert(raws));
            if i % 4 == 3 {
                ops.push(Op::Merge(0, 3, Some((2, 1))));
            }
        }
        run(kind, 3, ops).unwrap();
    }
}
