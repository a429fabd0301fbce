//! Date and time functions over Date, Date32, DateTime and DateTime64 in their time zone
//! (or a time-zone argument): parts (`toYear`..`toSecond`, `toYYYYMM`...), rounding
//! (`toStartOf*`, `toMonday`, `date_trunc`), `toUnixTimestamp`, `dateDiff`, `add*` /
//! `subtract*`, `now`, `today`, `yesterday`.

use std::sync::Arc;

use arrow::array::{ArrayRef, AsArray, Int64Array, PrimitiveArray};
use arrow::datatypes::{self as at, ArrowPrimitiveType};
use granary_storage::types::DataType;

use super::calendar::{civil_from_days, day_of_week, days_from_civil, days_in_month, Tz};
use crate::columnar::ColumnarValue;
use crate::error::{ErrorCode, QueryError, Result};
use crate::functions::common::{check_arity, const_str, idx, illegal_type, numeric_cast};
use crate::functions::{FunctionRegistry, ScalarFunction};

/// What a date function computes.
#[allow(clippy::upper_case_acronyms)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Part {
    Year,
    Quarter,
    Month,
    DayOfMonth,
    DayOfWeek,
    DayOfYear,
    Hour,
    Minute,
    Second,
    YYYYMM,
    YYYYMMDD,
    StartOfMinute,
    StartOfFiveMinutes,
    StartOfFifteenMinutes,
    StartOfHour,
    StartOfDay,
    Monday,
    StartOfWeek,
    StartOfMonth,
    StartOfQuarter,
    StartOfYear,
    UnixTimestamp,
}

fn is_time(t: &DataType) -> bool {
    matches!(
        t,
        DataType::Date | DataType::Date32 | DataType::DateTime(_) | DataType::DateTime64(..)
    )
}

/// The zone that applies: the explicit argument, else the column's, else UTC.
fn zone(t: &DataType, arg: Option<&str>) -> Result<Tz> {
    match (arg, t) {
        (Some(z), _) => Tz::parse(Some(z)),
        (None, DataType::DateTime(z)) | (None, DataType::DateTime64(_, z)) => {
            Tz::parse(z.as_deref())
        }
        _ => Ok(Tz::Utc),
    }
}

/// UTC seconds of every value (dates: midnight in `tz`), as i64.
fn utc_seconds(a: &ArrayRef, t: &DataType, tz: &Tz) -> Result<Int64Array> {
    let v = numeric_cast(a, &at::DataType::Int64)?;
    let v = v.as_primitive::<at::Int64Type>();
    Ok(match t {
        DataType::Date | DataType::Date32 => {
            if *tz == Tz::Utc {
                v.unary(|d| d * 86400)
            } else {
                v.unary(|d| tz.to_utc(d * 86400))
            }
        }
        DataType::DateTime64(p, _) => {
            let s = 10i64.pow(*p as u32);
            v.unary(|x| x.div_euclid(s))
        }
        _ => v.clone(),
    })
}

/// Local wall-clock seconds of every value.
fn local_seconds(a: &ArrayRef, t: &DataType, tz: &Tz) -> Result<Int64Array> {
    if matches!(t, DataType::Date | DataType::Date32) {
        let v = numeric_cast(a, &at::DataType::Int64)?;
        return Ok(v.as_primitive::<at::Int64Type>().unary(|d| d * 86400));
    }
    let u = utc_seconds(a, t, tz)?;
    Ok(if *tz == Tz::Utc {
        u
    } else {
        u.unary(|x| tz.to_local(x))
    })
}

/// A date-part or rounding function.
#[derive(Debug)]
struct DateFn {
    name: &'static str,
    part: Part,
}

impl DateFn {
    fn tz_arg(
        &self,
        args: &[DataType],
        c: &[Option<ArrayRef>],
        i: usize,
    ) -> Result<Option<String>> {
        if args.len() > i {
            let z = const_str(c.get(i).and_then(|c| c.as_ref()))
                .ok_or_else(|| illegal_type(self.name, &args[i], i))?;
            Tz::parse(Some(&z))?;
            Ok(Some(z))
        } else {
            Ok(None)
        }
    }
}

impl ScalarFunction for DateFn {
    fn name(&self) -> &'static str {
        self.name
    }

    fn return_type(&self, args: &[DataType], c: &[Option<ArrayRef>]) -> Result<DataType> {
        use Part::*;
        check_arity(self.name, args, 1, 2)?;
        let t = &args[0];
        if !is_time(t) {
            return Err(illegal_type(self.name, t, 0));
        }
        let tz_idx = if self.part == StartOfWeek { 2 } else { 1 };
        let tz = self.tz_arg(args, c, tz_idx)?;
        let dt_tz = tz.or_else(|| match t {
            DataType::DateTime(z) | DataType::DateTime64(_, z) => z.clone(),
            _ => None,
        });
        let is_date = matches!(t, DataType::Date | DataType::Date32);
        Ok(match self.part {
            Year | DayOfYear => DataType::UInt16,
            Quarter | Month | DayOfMonth | DayOfWeek => DataType::UInt8,
            Hour | Minute | Second => {
                if is_date {
                    return Err(illegal_type(self.name, t, 0));
                }
                DataType::UInt8
            }
            YYYYMM | YYYYMMDD | UnixTimestamp => DataType::UInt32,
            StartOfMinute | StartOfFiveMinutes | StartOfFifteenMinutes | StartOfHour => {
                if is_date {
                    return Err(illegal_type(self.name, t, 0));
                }
                DataType::DateTime(dt_tz)
            }
            StartOfDay => DataType::DateTime(dt_tz),
            Monday | StartOfWeek | StartOfMonth | StartOfQuarter | StartOfYear => DataType::Date,
        })
    }

    fn eval(
        &self,
        args: &[ColumnarValue],
        types: &[DataType],
        result: &DataType,
        _rows: usize,
    ) -> Result<ColumnarValue> {
        use Part::*;
        let t = &types[0];
        let tz_i = if self.part == StartOfWeek { 2 } else { 1 };
        let tz_name = args
            .get(tz_i)
            .and_then(super::super::common::scalar_bytes)
            .map(|b| String::from_utf8_lossy(&b).into_owned());
        let tz = zone(t, tz_name.as_deref())?;
        let a = args[0].as_array();
        let out: ArrayRef =
            if self.part == UnixTimestamp {
                let u = utc_seconds(a, t, &tz)?;
                Arc::new(u.unary::<_, at::UInt32Type>(|x| x as u32))
            } else {
                let l = local_seconds(a, t, &tz)?;
                let rtz = match result {
                    DataType::DateTime(z) => Tz::parse(z.as_deref())?,
                    _ => tz,
                };
                let part = self.part;
                macro_rules! days_fn {
                    ($T:ty, $f:expr) => {{
                        let f = $f;
                        Arc::new(l.unary::<_, $T>(|s| {
                            let d = s.div_euclid(86400);
                            f(d, s)
                        })) as ArrayRef
                    }};
                }
                let floor_secs = |s: i64, unit: i64| s - s.rem_euclid(unit);
                match part {
                    Year => days_fn!(at::UInt16Type, |d: i64, _| civil_from_days(d).0 as u16),
                    Quarter => days_fn!(at::UInt8Type, |d: i64, _| ((civil_from_days(d).1 - 1) / 3
                        + 1)
                        as u8),
                    Month => days_fn!(at::UInt8Type, |d: i64, _| civil_from_days(d).1 as u8),
                    DayOfMonth => days_fn!(at::UInt8Type, |d: i64, _| civil_from_days(d).2 as u8),
                    DayOfWeek => days_fn!(at::UInt8Type, |d: i64, _| day_of_week(d) as u8),
                    DayOfYear => days_fn!(at::UInt16Type, |d: i64, _| {
                        let y = civil_from_days(d).0;
                        (d - days_from_civil(y, 1, 1) + 1) as u16
                    }),
                    Hour => days_fn!(at::UInt8Type, |_, s: i64| (s.rem_euclid(86400) / 3600)
                        as u8),
                    Minute => days_fn!(at::UInt8Type, |_, s: i64| (s.rem_euclid(3600) / 60) as u8),
                    Second => days_fn!(at::UInt8Type, |_, s: i64| s.rem_euclid(60) as u8),
                    YYYYMM => days_fn!(at::UInt32Type, |d: i64, _| {
                        let (y, m, _) = civil_from_days(d);
                        (y * 100 + m as i64) as u32
                    }),
                    YYYYMMDD => days_fn!(at::UInt32Type, |d: i64, _| {
                        let (y, m, dd) = civil_from_days(d);
                        (y * 10000 + m as i64 * 100 + dd as i64) as u32
                    }),
                    StartOfMinute
                    | StartOfFiveMinutes
                    | StartOfFifteenMinutes
                    | StartOfHour
                    | StartOfDay => {
                        let unit = match part {
                            StartOfMinute => 60,
                            StartOfFiveMinutes => 300,
                            StartOfFifteenMinutes => 900,
                            StartOfHour => 3600,
                            _ => 86400,
                        };
                        if rtz == Tz::Utc {
                            Arc::new(l.unary::<_, at::UInt32Type>(|s| floor_secs(s, unit) as u32))
                        } else {
                            Arc::new(l.unary::<_, at::UInt32Type>(|s| {
                                rtz.to_utc(floor_secs(s, unit)) as u32
                            }))
                        }
                    }
                    Monday | StartOfWeek | StartOfMonth | StartOfQuarter | StartOfYear => {
                        days_fn!(at::UInt16Type, |d: i64, _| {
                            let r = match part {
                                Monday => d - (day_of_week(d) as i64 - 1),
                                StartOfWeek => d - (day_of_week(d) as i64 % 7),
                                StartOfMonth => {
                                    let (y, m, _) = civil_from_days(d);
                                    days_from_civil(y, m, 1)
                                }
                                StartOfQuarter => {
                                    let (y, m, _) = civil_from_days(d);
                                    days_from_civil(y, (m - 1) / 3 * 3 + 1, 1)
                                }
                                _ => days_from_civil(civil_from_days(d).0, 1, 1),
                            };
                            r.clamp(0, 65535) as u16
                        })
                    }
                    UnixTimestamp => unreachable_ts(),
                }
            };
        Ok(if args[0].is_scalar() {
            ColumnarValue::Scalar(out)
        } else {
            ColumnarValue::Array(out)
        })
    }
}

fn unreachable_ts() -> ArrayRef {
    Arc::new(arrow::array::UInt32Array::from(Vec::<u32>::new()))
}

/// Units of `dateDiff`, `date_trunc` and `add*`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Unit {
    Second,
    Minute,
    Hour,
    Day,
    Week,
    Month,
    Quarter,
    Year,
}

fn parse_unit(s: &str) -> Result<Unit> {
    Ok(match s.to_ascii_lowercase().as_str() {
        "second" | "seconds" | "ss" | "s" => Unit::Second,
        "minute" | "minutes" | "mi" | "n" => Unit::Minute,
        "hour" | "hours" | "hh" | "h" => Unit::Hour,
        "day" | "days" | "dd" | "d" => Unit::Day,
        "week" | "weeks" | "wk" | "ww" => Unit::Week,
        "month" | "months" | "mm" | "m" => Unit::Month,
        "quarter" | "quarters" | "qq" | "q" => Unit::Quarter,
        "year" | "years" | "yyyy" | "yy" => Unit::Year,
        other => {
            return Err(QueryError::new(
                ErrorCode::BadArguments,
                format!("Function dateDiff does not support '{other}' unit"),
            ))
        }
    })
}

/// Relative number of `unit` periods of local seconds `s` (ClickHouse's toRelative*Num).
fn relative(unit: Unit, s: i64) -> i64 {
    let d = s.div_euclid(86400);
    match unit {
        Unit::Second => s,
        Unit::Minute => s.div_euclid(60),
        Unit::Hour => s.div_euclid(3600),
        Unit::Day => d,
        Unit::Week => (d + 3).div_euclid(7),
        Unit::Month => {
            let (y, m, _) = civil_from_days(d);
            y * 12 + m as i64 - 1
        }
        Unit::Quarter => {
            let (y, m, _) = civil_from_days(d);
            y * 4 + (m as i64 - 1) / 3
        }
        Unit::Year => civil_from_days(d).0,
    }
}

/// `dateDiff(unit, start, end[, tz])`.
#[derive(Debug)]
struct DateDiff;

impl ScalarFunction for DateDiff {
    fn name(&self) -> &'static str {
        "dateDiff"
    }

    fn return_type(&self, args: &[DataType], c: &[Option<ArrayRef>]) -> Result<DataType> {
        check_arity("dateDiff", args, 3, 4)?;
        let u = const_str(c.first().and_then(|c| c.as_ref()))
            .ok_or_else(|| illegal_type("dateDiff", &args[0], 0))?;
        parse_unit(&u)?;
        for (i, t) in args.iter().enumerate().take(3).skip(1) {
            if !is_time(t) {
                return Err(illegal_type("dateDiff", t, i));
            }
        }
        Ok(DataType::Int64)
    }

    fn eval(
        &self,
        args: &[ColumnarValue],
        types: &[DataType],
        _r: &DataType,
        rows: usize,
    ) -> Result<ColumnarValue> {
        let u = super::super::common::scalar_bytes(&args[0])
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default();
        let unit = parse_unit(&u)?;
        let tzn = args
            .get(3)
            .and_then(super::super::common::scalar_bytes)
            .map(|b| String::from_utf8_lossy(&b).into_owned());
        let ta = zone(&types[1], tzn.as_deref())?;
        let tb = zone(&types[2], tzn.as_deref())?;
        let a = local_seconds(args[1].as_array(), &types[1], &ta)?;
        let b = local_seconds(args[2].as_array(), &types[2], &tb)?;
        let scalar = args[1].is_scalar() && args[2].is_scalar();
        let n = if scalar { 1 } else { rows };
        let out: Int64Array = if unit == Unit::Second {
            let ua = utc_seconds(args[1].as_array(), &types[1], &ta)?;
            let ub = utc_seconds(args[2].as_array(), &types[2], &tb)?;
            (0..n)
                .map(|i| ub.value(idx(&args[2], i)) - ua.value(idx(&args[1], i)))
                .collect()
        } else {
            (0..n)
                .map(|i| {
                    relative(unit, b.value(idx(&args[2], i)))
                        - relative(unit, a.value(idx(&args[1], i)))
                })
                .collect()
        };
        let out: ArrayRef = Arc::new(out);
        Ok(if scalar {
            ColumnarValue::Scalar(out)
        } else {
            ColumnarValue::Array(out)
        })
    }
}

/// `date_trunc(unit, t[, tz])`.
#[derive(Debug)]
struct DateTrunc;

impl ScalarFunction for DateTrunc {
    fn name(&self) -> &'static str {
        "date_trunc"
    }

    fn return_type(&self, args: &[DataType], c: &[Option<ArrayRef>]) -> Result<DataType> {
        check_arity("date_trunc", args, 2, 3)?;
        let u = const_str(c.first().and_then(|c| c.as_ref()))
            .ok_or_else(|| illegal_type("date_trunc", &args[0], 0))?;
        let unit = parse_unit(&u)?;
        if !is_time(&args[1]) {
            return Err(illegal_type("date_trunc", &args[1], 1));
        }
        let tz = match (args.len() > 2, &args[1]) {
            (true, _) => const_str(c.get(2).and_then(|c| c.as_ref())),
            (false, DataType::DateTime(z) | DataType::DateTime64(_, z)) => z.clone(),
            _ => None,
        };
        let is_date = matches!(args[1], DataType::Date | DataType::Date32);
        Ok(match unit {
            Unit::Second | Unit::Minute | Unit::Hour if is_date => {
                return Err(illegal_type("date_trunc", &args[1], 1))
            }
            Unit::Second | Unit::Minute | Unit::Hour => DataType::DateTime(tz),
            Unit::Day if !is_date => DataType::DateTime(tz),
            _ => DataType::Date,
        })
    }

    fn eval(
        &self,
        args: &[ColumnarValue],
        types: &[DataType],
        result: &DataType,
        rows: usize,
    ) -> Result<ColumnarValue> {
        let u = super::super::common::scalar_bytes(&args[0])
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default();
        let part = match parse_unit(&u)? {
            Unit::Second => {
                return Ok(args[1].clone()).and_then(|v| {
                    let a = crate::functions::cast::cast_array(v.as_array(), &types[1], result)?;
                    Ok(if v.is_scalar() {
                        ColumnarValue::Scalar(a)
                    } else {
                        ColumnarValue::Array(a)
                    })
                })
            }
            Unit::Minute => Part::StartOfMinute,
            Unit::Hour => Part::StartOfHour,
            Unit::Day => Part::StartOfDay,
            Unit::Week => Part::Monday,
            Unit::Month => Part::StartOfMonth,
            Unit::Quarter => Part::StartOfQuarter,
            Unit::Year => Part::StartOfYear,
        };
        let f = DateFn {
            name: "date_trunc",
            part,
        };
        let rest: Vec<ColumnarValue> = args[1..].to_vec();
        if matches!(result, DataType::Date) && part == Part::StartOfDay {
            let f = DateFn {
                name: "date_trunc",
                part: Part::StartOfDay,
            };
            let r = f.eval(&rest, &types[1..], &DataType::DateTime(None), rows)?;
            let a = crate::functions::cast::cast_array(
                r.as_array(),
                &DataType::DateTime(None),
                &DataType::Date,
            )?;
            return Ok(if r.is_scalar() {
                ColumnarValue::Scalar(a)
            } else {
                ColumnarValue::Array(a)
            });
        }
        f.eval(&rest, &types[1..], result, rows)
    }
}

/// `addSeconds`..`addYears`, `subtractSeconds`..`subtractYears`.
#[derive(Debug)]
struct AddUnit {
    name: &'static str,
    unit: Unit,
    sign: i64,
}

impl ScalarFunction for AddUnit {
    fn name(&self) -> &'static str {
        self.name
    }

    fn return_type(&self, args: &[DataType], _c: &[Option<ArrayRef>]) -> Result<DataType> {
        check_arity(self.name, args, 2, 2)?;
        if !args[1].is_numeric_like() || is_time(&args[1]) {
            return Err(illegal_type(self.name, &args[1], 1));
        }
        let sub_day = matches!(self.unit, Unit::Second | Unit::Minute | Unit::Hour);
        Ok(match &args[0] {
            DataType::Date | DataType::Date32 if sub_day => DataType::DateTime(None),
            t if is_time(t) => t.clone(),
            DataType::String => DataType::DateTime(None),
            t => return Err(illegal_type(self.name, t, 0)),
        })
    }

    fn eval(
        &self,
        args: &[ColumnarValue],
        types: &[DataType],
        result: &DataType,
        rows: usize,
    ) -> Result<ColumnarValue> {
        let t0 = &types[0];
        let (a0, t0) = if matches!(t0, DataType::String) {
            (
                crate::functions::cast::cast_array(args[0].as_array(), t0, result)?,
                result.clone(),
            )
        } else {
            (args[0].as_array().clone(), t0.clone())
        };
        let n_arr = numeric_cast(args[1].as_array(), &at::DataType::Int64)?;
        let nv = n_arr.as_primitive::<at::Int64Type>();
        let scalar = args[0].is_scalar() && args[1].is_scalar();
        let rows = if scalar { 1 } else { rows };
        let v = numeric_cast(&a0, &at::DataType::Int64)?;
        let v = v.as_primitive::<at::Int64Type>();
        let tz = zone(&t0, None)?;
        let sign = self.sign;
        let unit = self.unit;
        let mut out = Vec::with_capacity(rows);
        let scale = match &t0 {
            DataType::DateTime64(p, _) => 10i64.pow(*p as u32),
            _ => 1,
        };
        let is_date = matches!(t0, DataType::Date | DataType::Date32);
        for i in 0..rows {
            let x = v.value(idx(&args[0], i));
            let k = nv.value(idx(&args[1], i)).wrapping_mul(sign);
            let r = match unit {
                Unit::Second | Unit::Minute | Unit::Hour => {
                    let secs = k * match unit {
                        Unit::Second => 1,
                        Unit::Minute => 60,
                        _ => 3600,
                    };
                    if is_date {
                        tz.to_utc(x * 86400) + secs
                    } else {
                        x.wrapping_add(secs.wrapping_mul(scale))
                    }
                }
                Unit::Day | Unit::Week => {
                    let days = if unit == Unit::Week { k * 7 } else { k };
                    if is_date {
                        x + days
                    } else {
                        x.wrapping_add((days * 86400).wrapping_mul(scale))
                    }
                }
                Unit::Month | Unit::Quarter | Unit::Year => {
                    let months = match unit {
                        Unit::Month => k,
                        Unit::Quarter => k * 3,
                        _ => k * 12,
                    };
                    if is_date {
                        add_months(x, months)
                    } else {
                        let sub = x.rem_euclid(scale);
                        let secs = x.div_euclid(scale);
                        let local = tz.to_local(secs);
                        let d = local.div_euclid(86400);
                        let sod = local.rem_euclid(86400);
                        let nd = add_months(d, months);
                        tz.to_utc(nd * 86400 + sod) * scale + sub
                    }
                }
            };
            out.push(r);
        }
        let arr: ArrayRef = Arc::new(Int64Array::from(out));
        let arr = numeric_cast(&arr, &result.to_arrow())?;
        Ok(if scalar {
            ColumnarValue::Scalar(arr)
        } else {
            ColumnarValue::Array(arr)
        })
    }
}

/// Adds months to a day number, clamping the day to the month's length.
fn add_months(d: i64, months: i64) -> i64 {
    let (y, m, dd) = civil_from_days(d);
    let total = y * 12 + (m as i64 - 1) + months;
    let ny = total.div_euclid(12);
    let nm = (total.rem_euclid(12) + 1) as u32;
    days_from_civil(ny, nm, dd.min(days_in_month(ny, nm)))
}

/// `now()`, `today()`, `yesterday()`.
#[derive(Debug)]
struct Now {
    name: &'static str,
    /// 0 now, 1 today, 2 yesterday.
    kind: u8,
}

impl ScalarFunction for Now {
    fn name(&self) -> &'static str {
        self.name
    }

    fn return_type(&self, args: &[DataType], c: &[Option<ArrayRef>]) -> Result<DataType> {
        check_arity(self.name, args, 0, if self.kind == 0 { 1 } else { 0 })?;
        Ok(if self.kind == 0 {
            let tz = if args.is_empty() {
                None
            } else {
                const_str(c.first().and_then(|c| c.as_ref()))
            };
            if let Some(z) = &tz {
                Tz::parse(Some(z))?;
            }
            DataType::DateTime(tz)
        } else {
            DataType::Date
        })
    }

    fn eval(
        &self,
        _args: &[ColumnarValue],
        _t: &[DataType],
        _r: &DataType,
        _rows: usize,
    ) -> Result<ColumnarValue> {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0);
        let out: ArrayRef = match self.kind {
            0 => Arc::new(arrow::array::UInt32Array::from(vec![now as u32])),
            k => Arc::new(arrow::array::UInt16Array::from(vec![
                (now.div_euclid(86400) - (k as i64 - 1)) as u16,
            ])),
        };
        Ok(ColumnarValue::Scalar(out))
    }
}

#[allow(dead_code)]
fn prim<T: ArrowPrimitiveType>(a: &ArrayRef) -> &PrimitiveArray<T> {
    a.as_primitive::<T>()
}

/// Registers the date and time functions.
pub fn register(r: &mut FunctionRegistry) {
    use Part::*;
    for (name, part) in [
        ("toYear", Year),
        ("toQuarter", Quarter),
        ("toMonth", Month),
        ("toDayOfMonth", DayOfMonth),
        ("toDayOfWeek", DayOfWeek),
        ("toDayOfYear", DayOfYear),
        ("toHour", Hour),
        ("toMinute", Minute),
        ("toSecond", Second),
        ("toYYYYMM", YYYYMM),
        ("toYYYYMMDD", YYYYMMDD),
        ("toStartOfMinute", StartOfMinute),
        ("toStartOfFiveMinutes", StartOfFiveMinutes),
        ("toStartOfFifteenMinutes", StartOfFifteenMinutes),
        ("toStartOfHour", StartOfHour),
        ("toStartOfDay", StartOfDay),
        ("toMonday", Monday),
        ("toStartOfWeek", StartOfWeek),
        ("toStartOfMonth", StartOfMonth),
        ("toStartOfQuarter", StartOfQuarter),
        ("toStartOfYear", StartOfYear),
        ("toUnixTimestamp", UnixTimestamp),
    ] {
        r.register(Arc::new(DateFn { name, part }));
    }
    r.alias("toStartOfFiveMinute", "toStartOfFiveMinutes", false);
    for (alias, target) in [
        ("YEAR", "toYear"),
        ("QUARTER", "toQuarter"),
        ("MONTH", "toMonth"),
        ("DAY", "toDayOfMonth"),
        ("DAYOFMONTH", "toDayOfMonth"),
        ("DAYOFWEEK", "toDayOfWeek"),
        ("DAYOFYEAR", "toDayOfYear"),
        ("HOUR", "toHour"),
        ("MINUTE", "toMinute"),
        ("SECOND", "toSecond"),
    ] {
        r.alias(alias, target, true);
    }
    r.register_case_insensitive(Arc::new(DateDiff));
    r.alias("date_diff", "dateDiff", true);
    r.alias("timestampDiff", "dateDiff", true);
    r.register_case_insensitive(Arc::new(DateTrunc));
    r.alias("dateTrunc", "date_trunc", true);
    for (unit, s) in [
        (Unit::Second, "Seconds"),
        (Unit::Minute, "Minutes"),
        (Unit::Hour, "Hours"),
        (Unit::Day, "Days"),
        (Unit::Week, "Weeks"),
        (Unit::Month, "Months"),
        (Unit::Quarter, "Quarters"),
        (Unit::Year, "Years"),
    ] {
        let add: &'static str = Box::leak(format!("add{s}").into_boxed_str());
        let sub: &'static str = Box::leak(format!("subtract{s}").into_boxed_str());
        r.register(Arc::new(AddUnit {
            name: add,
            unit,
            sign: 1,
        }));
        r.register(Arc::new(AddUnit {
            name: sub,
            unit,
            sign: -1,
        }));
    }
    r.register_case_insensitive(Arc::new(Now {
        name: "now",
        kind: 0,
    }));
    r.alias("current_timestamp", "now", true);
    r.register_case_insensitive(Arc::new(Now {
        name: "today",
        kind: 1,
    }));
    r.alias("current_date", "today", true);
    r.register_case_insensitive(Arc::new(Now {
        name: "yesterday",
        kind: 2,
    }));
}

#[cfg(test)]
mod tests {
    use crate::functions::testutil::*;

    fn ev(name: &str, args: Vec<Arg>) -> (Vec<String>, String) {
        eval_text(name, args).unwrap()
    }

    // chdb: SELECT toYear(t), toMonth(t), toDayOfWeek(t), toHour(t), toYYYYMMDD(t), toStartOfFifteenMinutes(t),
    // toMonday(t), toStartOfWeek(toDate('2020-01-08')) -> 2020-01-05, toStartOfQuarter(t)
    // with t = toDateTime('2020-02-29 13:47:59'); toHour(toDateTime('2020-01-01 00:00:00', 'Asia/Tokyo')) -> 0
    #[test]
    fn parts_and_rounding() {
        let t = || col("DateTime", &["2020-02-29 13:47:59", "\\N"]);
        let tn = || col("Nullable(DateTime)", &["2020-02-29 13:47:59", "\\N"]);
        assert_eq!(
            ev("toYear", vec![tn()]),
            (vec!["2020".into(), "\\N".into()], "Nullable(UInt16)".into())
        );
        assert_eq!(ev("toMonth", vec![t()]).0[0], "2");
        assert_eq!(ev("toDayOfWeek", vec![t()]).0[0], "6");
        assert_eq!(ev("toHour", vec![t()]).0[0], "13");
        assert_eq!(ev("toMinute", vec![t()]).0[0], "47");
        assert_eq!(ev("toSecond", vec![t()]).0[0], "59");
        assert_eq!(ev("toYYYYMMDD", vec![t()]).0[0], "20200229");
        assert_eq!(
            ev("toYYYYMM", vec![t()]),
            (vec!["202002".into(), "\\N".into()], "UInt32".into())
        );
        assert_eq!(
            ev("toStartOfFifteenMinutes", vec![t()]).0[0],
            "2020-02-29 13:45:00"
        );
        assert_eq!(ev("toStartOfHour", vec![t()]).0[0], "2020-02-29 13:00:00");
        assert_eq!(
            ev("toStartOfDay", vec![t()]),
            (
                vec!["2020-02-29 00:00:00".into(), "\\N".into()],
                "DateTime".into()
            )
        );
        assert_eq!(ev("toMonday", vec![t()]).0[0], "2020-02-24");
        assert_eq!(
            ev("toStartOfWeek", vec![col("Date", &["2020-01-08"])]).0[0],
            "2020-01-05"
        );
        assert_eq!(ev("toStartOfQuarter", vec![t()]).0[0], "2020-01-01");
        assert_eq!(
            ev("toStartOfMonth", vec![col("Date", &["2020-02-29"])]).0[0],
            "2020-02-01"
        );
        assert_eq!(ev("toStartOfYear", vec![t()]).0[0], "2020-01-01");
        let tokyo = col("DateTime('Asia/Tokyo')", &["2020-01-01 00:00:00"]);
        assert_eq!(ev("toHour", vec![tokyo.clone()]).0[0], "0");
        assert_eq!(
            ev("toUnixTimestamp", vec![tokyo.clone()]).0[0],
            "1577804400"
        );
        assert_eq!(
            ev("toStartOfHour", vec![tokyo]),
            (
                vec!["2020-01-01 00:00:00".into()],
                "DateTime('Asia/Tokyo')".into()
            )
        );
        assert_eq!(ev("toHour", vec![t(), s_const("Asia/Tokyo")]).0[0], "22");
        assert_eq!(
            eval_text("toHour", vec![col("Date", &["2020-01-01"])])
                .unwrap_err()
                .code(),
            43
        );
    }

    // chdb: dateDiff('month', toDate('2020-01-31'), toDate('2020-02-01')) 1; dateDiff('day', toDateTime('2020-01-01 23:00:00'),
    // toDateTime('2020-01-02 01:00:00')) 1; dateDiff('week', toDate('2020-01-04'), toDate('2020-01-05')) 0;
    // addMonths(toDate('2020-01-31'), 1) 2020-02-29; date_trunc('month', now()) -> Date; date_trunc('hour', ...) -> DateTime
    #[test]
    fn diff_trunc_add() {
        assert_eq!(
            ev(
                "dateDiff",
                vec![
                    s_const("month"),
                    col("Date", &["2020-01-31"]),
                    col("Date", &["2020-02-01"])
                ]
            ),
            (vec!["1".into()], "Int64".into())
        );
        assert_eq!(
            ev(
                "date_diff",
                vec![
                    s_const("day"),
                    col("DateTime", &["2020-01-01 23:00:00"]),
                    col("DateTime", &["2020-01-02 01:00:00"])
                ]
            )
            .0,
            ["1"]
        );
        assert_eq!(
            ev(
                "DATE_DIFF",
                vec![
                    s_const("week"),
                    col("Date", &["2020-01-04"]),
                    col("Date", &["2020-01-05"])
                ]
            )
            .0,
            ["0"]
        );
        assert_eq!(
            ev(
                "dateDiff",
                vec![
                    s_const("second"),
                    col("Date", &["2020-01-01"]),
                    col("DateTime", &["2020-01-01 00:01:00"])
                ]
            )
            .0,
            ["60"]
        );
        assert_eq!(
            ev(
                "date_trunc",
                vec![s_const("month"), col("DateTime", &["2020-02-29 13:47:59"])]
            ),
            (vec!["2020-02-01".into()], "Date".into())
        );
        assert_eq!(
            ev(
                "DATE_TRUNC",
                vec![s_const("hour"), col("DateTime", &["2020-02-29 13:47:59"])]
            ),
            (vec!["2020-02-29 13:00:00".into()], "DateTime".into())
        );
        assert_eq!(
            ev(
                "date_trunc",
                vec![s_const("day"), col("DateTime", &["2020-02-29 13:47:59"])]
            )
            .0,
            ["2020-02-29 00:00:00"]
        );
        assert_eq!(
            ev(
                "addMonths",
                vec![col("Date", &["2020-01-31"]), konst("UInt8", "1")]
            ),
            (vec!["2020-02-29".into()], "Date".into())
        );
        assert_eq!(
            ev(
                "subtractDays",
                vec![col("Date", &["2020-03-01"]), konst("UInt8", "1")]
            )
            .0,
            ["2020-02-29"]
        );
        assert_eq!(
            ev(
                "addHours",
                vec![
                    col("DateTime", &["2020-01-01 23:00:00"]),
                    konst("UInt8", "2")
                ]
            )
            .0,
            ["2020-01-02 01:00:00"]
        );
        assert_eq!(
            ev(
                "addYears",
                vec![
                    col("DateTime", &["2020-02-29 10:00:00"]),
                    konst("UInt8", "1")
                ]
            )
            .0,
            ["2021-02-28 10:00:00"]
        );
        assert_eq!(
            ev(
                "addHours",
                vec![col("Date", &["2020-01-01"]), konst("UInt8", "1")]
            ),
            (vec!["2020-01-01 01:00:00".into()], "DateTime".into())
        );
        assert_eq!(
            eval_text(
                "dateDiff",
                vec![
                    s_const("fortnight"),
                    col("Date", &["2020-01-01"]),
                    col("Date", &["2020-01-01"])
                ]
            )
            .unwrap_err()
            .code(),
            36
        );
        let (v, t) = ev("today", vec![]);
        assert_eq!((v.len(), t.as_str()), (1, "Date"));
    }
}
