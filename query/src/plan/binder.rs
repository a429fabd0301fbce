//! Binding SQL expressions: names to input columns (or SELECT aliases, usable anywhere as
//! in ClickHouse), operators to ClickHouse's functions, literals to ClickHouse's literal
//! types, aggregate calls to [`AggregateCall`]s collected on the side.

use std::collections::HashMap;
use std::sync::Arc;

use arrow::array::{ArrayRef, BinaryArray, Float64Array, Int64Array, NullArray, UInt64Array};
use granary_storage::types::DataType;
use granary_storage::value::Value;
use sqlparser::ast::{
    BinaryOperator, CastKind, DateTimeField, Expr, FunctionArg, FunctionArgExpr, FunctionArguments,
    UnaryOperator, Value as SqlValue,
};

use super::expr::BoundExpr;
use crate::aggregates::{self, AggregateFunction};
use crate::error::{ErrorCode, QueryError, Result};
use crate::functions;
use crate::query_err;

/// How deep binding may recurse (aliases referring to aliases, nested calls).
const MAX_BIND_DEPTH: usize = 500;

/// An aggregate function call found while binding: evaluated by the aggregation step.
#[derive(Clone, Debug)]
pub struct AggregateCall {
    /// The resolved function.
    pub func: Arc<dyn AggregateFunction>,
    /// Its arguments, bound over the aggregation's input.
    pub args: Vec<BoundExpr>,
    /// ClickHouse's name of the call, e.g. `count()`, `sum(x)`.
    pub name: String,
}

/// The columns an expression may name: the input batch's columns.
#[derive(Clone, Debug, Default)]
pub struct Scope {
    /// (name, type) of each input column, by position; a column may also be reachable
    /// as `qualifier.name`.
    pub columns: Vec<(String, DataType)>,
    /// Table name or alias that may qualify column names.
    pub qualifiers: Vec<String>,
    /// Per-column qualifiers when the scope joins several tables (empty: every column
    /// takes `qualifiers`).
    pub column_qualifiers: Vec<Vec<String>>,
}

impl Scope {
    fn find(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|(n, _)| n == name)
    }

    /// The qualifiers that may prefix column `i`.
    pub fn qualifiers_of(&self, i: usize) -> &[String] {
        self.column_qualifiers
            .get(i)
            .map(|q| q.as_slice())
            .unwrap_or(&self.qualifiers)
    }

    /// Column `name` qualified by `qualifier` (`t.name`, `db.t.name`).
    fn find_qualified(&self, qualifier: &str, name: &str) -> Option<usize> {
        (0..self.columns.len()).find(|&i| {
            self.columns[i].0 == name && self.qualifiers_of(i).iter().any(|q| q == qualifier)
        })
    }
}

/// Binds expressions against a scope. Aggregate calls are either rejected or collected
/// into `aggregates` and replaced by a reference to the aggregation's output.
pub struct Binder<'a> {
    /// The input columns.
    pub scope: &'a Scope,
    /// SELECT aliases: name -> expression.
    pub aliases: &'a HashMap<String, Expr>,
    /// Collected aggregate calls, when aggregates are allowed here.
    pub aggregates: Option<&'a mut Vec<AggregateCall>>,
    /// Aliases being expanded (to stop cycles).
    expanding: Vec<String>,
    depth: usize,
    /// Where subqueries (`IN (SELECT ...)`, scalar subqueries) run; without it they are
    /// not allowed.
    context: Option<super::QueryContext>,
}

/// A marker column index meaning "aggregate call i", before the aggregation step assigns
/// real positions. See [`Binder::bind`].
pub const AGGREGATE_INDEX_BASE: usize = 1 << 40;

fn literal(value: ArrayRef, ty: DataType, name: String) -> BoundExpr {
    BoundExpr::Literal { value, ty, name }
}

/// The ClickHouse type of an integer literal: the smallest that holds it.
fn int_literal(text: &str) -> Result<BoundExpr> {
    if let Ok(v) = text.parse::<u64>() {
        let ty = match v {
            0..=255 => DataType::UInt8,
            256..=65_535 => DataType::UInt16,
            65_536..=4_294_967_295 => DataType::UInt32,
            _ => DataType::UInt64,
        };
        let arr: ArrayRef = Arc::new(UInt64Array::from(vec![v]));
        let arr = arrow::compute::cast(&arr, &ty.to_arrow())?;
        return Ok(literal(arr, ty, text.to_string()));
    }
    if let Ok(v) = text.parse::<i64>() {
        let ty = match v {
            -128..=127 => DataType::Int8,
            -32_768..=32_767 => DataType::Int16,
            -2_147_483_648..=2_147_483_647 => DataType::Int32,
            _ => DataType::Int64,
        };
        let arr: ArrayRef = Arc::new(Int64Array::from(vec![v]));
        let arr = arrow::compute::cast(&arr, &ty.to_arrow())?;
        return Ok(literal(arr, ty, text.to_string()));
    }
    let v: f64 = text.parse().map_err(|_| {
        QueryError::new(
            ErrorCode::SyntaxError,
            format!("Cannot parse number {text}"),
        )
    })?;
    Ok(literal(
        Arc::new(Float64Array::from(vec![v])),
        DataType::Float64,
        text.to_string(),
    ))
}

/// A String literal.
pub fn string_literal(s: &str) -> BoundExpr {
    literal(
        Arc::new(BinaryArray::from_vec(vec![s.as_bytes()])),
        DataType::String,
        format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'")),
    )
}

fn null_literal() -> BoundExpr {
    literal(
        Arc::new(NullArray::new(1)),
        DataType::Nullable(Box::new(DataType::Nothing)),
        "NULL".into(),
    )
}

/// ClickHouse's function name for a binary operator.
fn binary_function(op: &BinaryOperator) -> Option<&'static str> {
    Some(match op {
        BinaryOperator::Plus => "plus",
        BinaryOperator::Minus => "minus",
        BinaryOperator::Multiply => "multiply",
        BinaryOperator::Divide => "divide",
        BinaryOperator::Modulo => "modulo",
        BinaryOperator::Eq => "equals",
        BinaryOperator::NotEq => "notEquals",
        BinaryOperator::Lt => "less",
        BinaryOperator::LtEq => "lessOrEquals",
        BinaryOperator::Gt => "greater",
        BinaryOperator::GtEq => "greaterOrEquals",
        BinaryOperator::And => "and",
        BinaryOperator::Or => "or",
        BinaryOperator::Xor => "xor",
        BinaryOperator::StringConcat => "concat",
        BinaryOperator::DuckIntegerDivide | BinaryOperator::MyIntegerDivide => "intDiv",
        _ => return None,
    })
}

/// ClickHouse's unit function for an INTERVAL or EXTRACT field.
fn field_unit(f: &DateTimeField) -> Option<&'static str> {
    Some(match f {
        DateTimeField::Second | DateTimeField::Seconds => "Second",
        DateTimeField::Minute | DateTimeField::Minutes => "Minute",
        DateTimeField::Hour | DateTimeField::Hours => "Hour",
        DateTimeField::Day | DateTimeField::Days => "Day",
        DateTimeField::Week(_) | DateTimeField::Weeks => "Week",
        DateTimeField::Month | DateTimeField::Months => "Month",
        DateTimeField::Quarter => "Quarter",
        DateTimeField::Year | DateTimeField::Years => "Year",
        _ => return None,
    })
}

/// The bare name of an object name (`db.t` -> ["db", "t"]).
pub fn object_name_parts(name: &sqlparser::ast::ObjectName) -> Vec<String> {
    name.0
        .iter()
        .map(|p| match p {
            sqlparser::ast::ObjectNamePart::Identifier(i) => i.value.clone(),
            other => other.to_string(),
        })
        .collect()
}

/// The value of a constant expression as a storage [`Value`] (for aggregate parameters).
pub fn constant_value(e: &BoundExpr) -> Option<Value> {
    match e {
        BoundExpr::Literal { value, .. } => Value::from_array(value.as_ref(), 0),
        _ => None,
    }
}

impl<'a> Binder<'a> {
    /// A binder over `scope` with SELECT `aliases`; pass `aggregates` where aggregate
    /// calls are allowed (SELECT list, HAVING, ORDER BY of an aggregating query).
    pub fn new(
        scope: &'a Scope,
        aliases: &'a HashMap<String, Expr>,
        aggregates: Option<&'a mut Vec<AggregateCall>>,
    ) -> Binder<'a> {
        Binder {
            scope,
            aliases,
            aggregates,
            expanding: Vec::new(),
            depth: 0,
            context: None,
        }
    }

    /// Lets the binder run subqueries in `ctx`.
    pub fn with_context(mut self, ctx: &super::QueryContext) -> Self {
        self.context = Some(ctx.clone());
        self
    }

    /// Runs a subquery for IN or a scalar subquery.
    fn subquery(&self, q: &sqlparser::ast::Query) -> Result<super::select::QueryOutput> {
        match &self.context {
            Some(ctx) => super::select::execute_query(ctx, q),
            None => query_err!(NotImplemented, "Subqueries are not supported here"),
        }
    }

    /// `currentDatabase()`, `currentUser()`, `version()`, `timezone()`, `hostName()`, `uptime()`: constants
    /// of the server and session; `None` for other names.
    fn context_function(&self, name: &str, args: &[BoundExpr]) -> Result<Option<BoundExpr>> {
        let lower = name.to_ascii_lowercase();
        let value: BoundExpr = match lower.as_str() {
            "currentdatabase" | "database" => string_literal(
                &self
                    .context
                    .as_ref()
                    .map(|c| c.database.clone())
                    .unwrap_or_else(|| "default".into()),
            ),
            "currentuser" | "user" => {
                string_literal(self.context.as_ref().map_or("default", |c| c.user.as_str()))
            }
            "version" => string_literal(env!("CARGO_PKG_VERSION")),
            "timezone" | "servertimezone" => string_literal("UTC"),
            "hostname" => string_literal(&crate::session::host_name()),
            "uptime" => {
                let secs = crate::session::uptime_seconds();
                BoundExpr::Literal {
                    value: Arc::new(arrow::array::UInt32Array::from(vec![secs])),
                    ty: DataType::UInt32,
                    name: "uptime()".into(),
                }
            }
            _ => return Ok(None),
        };
        if !args.is_empty() {
            return query_err!(
                NumberOfArgumentsDoesntMatch,
                "Number of arguments for function {name} doesn't match: passed {}, should be 0",
                args.len()
            );
        }
        Ok(Some(match value {
            BoundExpr::Literal { value, ty, .. } => BoundExpr::Literal {
                value,
                ty,
                name: format!("{name}()"),
            },
            other => other,
        }))
    }

    /// `x [NOT] IN set` with a hash set of `values`.
    fn in_set(
        &mut self,
        x: BoundExpr,
        values: ArrayRef,
        values_type: DataType,
        negated: bool,
    ) -> Result<BoundExpr> {
        let set_type =
            crate::functions::least_supertype(&[x.data_type().clone(), values_type.clone()])?;
        let set_type = match set_type {
            DataType::LowCardinality(i) => *i,
            other => other,
        };
        let func = Arc::new(crate::functions::in_set::InSet::new(
            &values,
            &values_type,
            set_type,
            negated,
        )?);
        let ty = crate::functions::ScalarFunction::return_type(
            func.as_ref(),
            &[x.data_type().clone()],
            &[],
        )?;
        let name = format!(
            "{}({}, _set)",
            if negated { "notIn" } else { "in" },
            x.name()
        );
        Ok(BoundExpr::Function {
            func,
            args: vec![x],
            ty,
            name,
        })
    }

    /// Binds `e`. An aggregate call `i` becomes `Column { index: AGGREGATE_INDEX_BASE + i }`.
    pub fn bind(&mut self, e: &Expr) -> Result<BoundExpr> {
        self.depth += 1;
        if self.depth > MAX_BIND_DEPTH {
            return query_err!(
                TooDeepAst,
                "Expression is too deep (more than {MAX_BIND_DEPTH} levels)"
            );
        }
        let r = self.bind_inner(e);
        self.depth -= 1;
        r
    }

    fn call(&mut self, name: &str, args: Vec<BoundExpr>) -> Result<BoundExpr> {
        call_function(name, args)
    }

    fn identifier(&mut self, parts: &[String]) -> Result<BoundExpr> {
        let name = parts.join(".");
        // Full dotted name as a column first (ClickHouse allows dots in names), then a
        // qualified reference, then an alias.
        let found = self.scope.find(&name).or_else(|| {
            let n = parts.len();
            (n >= 2)
                .then(|| {
                    self.scope
                        .find_qualified(&parts[..n - 1].join("."), &parts[n - 1])
                })
                .flatten()
        });
        if let Some(i) = found {
            let (n, t) = &self.scope.columns[i];
            return Ok(BoundExpr::Column {
                index: i,
                ty: t.clone(),
                name: n.clone(),
            });
        }
        if parts.len() == 1 {
            if let Some(e) = self.aliases.get(&name) {
                if !self.expanding.contains(&name) {
                    self.expanding.push(name.clone());
                    let r = self.bind(&e.clone());
                    self.expanding.pop();
                    return r;
                }
            }
        }
        query_err!(
            UnknownIdentifier,
            "Unknown expression identifier `{name}` in scope"
        )
    }

    fn bind_inner(&mut self, e: &Expr) -> Result<BoundExpr> {
        match e {
            Expr::Identifier(id) => self.identifier(std::slice::from_ref(&id.value)),
            Expr::CompoundIdentifier(ids) => {
                let parts: Vec<String> = ids.iter().map(|i| i.value.clone()).collect();
                self.identifier(&parts)
            }
            Expr::Value(v) => match &v.value {
                SqlValue::Number(n, _) => int_literal(n),
                SqlValue::SingleQuotedString(s) | SqlValue::DoubleQuotedString(s) => {
                    Ok(string_literal(s))
                }
                SqlValue::Boolean(b) => {
                    let arr: ArrayRef = Arc::new(arrow::array::BooleanArray::from(vec![*b]));
                    Ok(literal(arr, DataType::Bool, b.to_string()))
                }
                SqlValue::Null => Ok(null_literal()),
                other => query_err!(NotImplemented, "Literal {other} is not supported"),
            },
            Expr::Nested(inner) => self.bind(inner),
            Expr::UnaryOp { op, expr } => {
                // Fold negative number literals so `-1` is Int8, as in ClickHouse.
                if let (UnaryOperator::Minus, Expr::Value(v)) = (op, expr.as_ref()) {
                    if let SqlValue::Number(n, _) = &v.value {
                        return int_literal(&format!("-{n}"));
                    }
                }
                let arg = self.bind(expr)?;
                match op {
                    UnaryOperator::Minus => self.call("negate", vec![arg]),
                    UnaryOperator::Plus => Ok(arg),
                    UnaryOperator::Not => self.call("not", vec![arg]),
                    other => query_err!(NotImplemented, "Unary operator {other} is not supported"),
                }
            }
            Expr::BinaryOp { left, op, right } => {
                // INTERVAL arithmetic: t + INTERVAL n UNIT -> addUNITs(t, n).
                if let Expr::Interval(iv) = right.as_ref() {
                    if matches!(op, BinaryOperator::Plus | BinaryOperator::Minus) {
                        let unit =
                            iv.leading_field
                                .as_ref()
                                .and_then(field_unit)
                                .ok_or_else(|| {
                                    QueryError::new(
                                        ErrorCode::NotImplemented,
                                        "INTERVAL needs a unit such as HOUR".to_string(),
                                    )
                                })?;
                        let t = self.bind(left)?;
                        let n = self.bind(&iv.value)?;
                        let f = if *op == BinaryOperator::Plus {
                            "add"
                        } else {
                            "subtract"
                        };
                        return self.call(&format!("{f}{unit}s"), vec![t, n]);
                    }
                }
                let name = binary_function(op).ok_or_else(|| {
                    QueryError::new(
                        ErrorCode::NotImplemented,
                        format!("Operator {op} is not supported"),
                    )
                })?;
                let l = self.bind(left)?;
                let r = self.bind(right)?;
                self.call(name, vec![l, r])
            }
            Expr::IsNull(x) => {
                let a = self.bind(x)?;
                self.call("isNull", vec![a])
            }
            Expr::IsNotNull(x) => {
                let a = self.bind(x)?;
                self.call("isNotNull", vec![a])
            }
            Expr::Between {
                expr,
                negated,
                low,
                high,
            } => {
                let x = self.bind(expr)?;
                let lo = self.bind(low)?;
                let hi = self.bind(high)?;
                let ge = self.call("greaterOrEquals", vec![x.clone(), lo])?;
                let le = self.call("lessOrEquals", vec![x, hi])?;
                let both = self.call("and", vec![ge, le])?;
                if *negated {
                    self.call("not", vec![both])
                } else {
                    Ok(both)
                }
            }
            Expr::Like {
                negated,
                expr,
                pattern,
                ..
            } => {
                let a = self.bind(expr)?;
                let p = self.bind(pattern)?;
                self.call(if *negated { "notLike" } else { "like" }, vec![a, p])
            }
            Expr::ILike {
                negated,
                expr,
                pattern,
                ..
            } => {
                let a = self.bind(expr)?;
                let p = self.bind(pattern)?;
                self.call(if *negated { "notILike" } else { "ilike" }, vec![a, p])
            }
            Expr::In {
                expr,
                target: sqlparser::ast::InTarget::List(list),
                negated,
                ..
            } => {
                let x = self.bind(expr)?;
                let items = list
                    .iter()
                    .map(|i| self.bind(i))
                    .collect::<Result<Vec<_>>>()?;
                if items.iter().all(|i| i.is_constant()) && !items.is_empty() {
                    // A constant list: one hash set.
                    let arr = call_function("array", items)?;
                    let one = super::source::empty_columns_batch(1)?;
                    let list_arr = arr.eval_array(&one)?;
                    let DataType::Array(elem) = arr.data_type().clone() else {
                        return query_err!(LogicalError, "array() is not an Array");
                    };
                    let values = arrow::array::AsArray::as_list::<i32>(&list_arr)
                        .values()
                        .clone();
                    return self.in_set(x, values, *elem, *negated);
                }
                let mut terms = Vec::new();
                for v in items {
                    terms.push(self.call("equals", vec![x.clone(), v])?);
                }
                let any = match terms.len() {
                    0 => int_literal("0")?,
                    1 => terms.pop().unwrap_or(int_literal("0")?),
                    _ => self.call("or", terms)?,
                };
                if *negated {
                    self.call("not", vec![any])
                } else {
                    Ok(any)
                }
            }
            Expr::In {
                expr,
                target: sqlparser::ast::InTarget::Subquery(q),
                negated,
                ..
            } => {
                let x = self.bind(expr)?;
                let out = self.subquery(q)?;
                if out.columns.len() != 1 {
                    return query_err!(
                        NumberOfArgumentsDoesntMatch,
                        "The subquery of IN must return one column, it returns {}",
                        out.columns.len()
                    );
                }
                let t = out.columns[0].1.clone();
                let parts: Vec<&dyn arrow::array::Array> =
                    out.batches.iter().map(|b| b.column(0).as_ref()).collect();
                let values = if parts.is_empty() {
                    arrow::array::new_empty_array(&t.to_arrow())
                } else {
                    arrow::compute::concat(&parts)?
                };
                self.in_set(x, values, t, *negated)
            }
            Expr::Subquery(q) => {
                // A scalar subquery: its single value as a constant (NULL/default if empty).
                let out = self.subquery(q)?;
                if out.columns.len() != 1 {
                    return query_err!(
                        NumberOfArgumentsDoesntMatch,
                        "A scalar subquery must return one column, it returns {}",
                        out.columns.len()
                    );
                }
                let t = out.columns[0].1.clone();
                let rows = out.num_rows();
                if rows > 1 {
                    return query_err!(
                        IncorrectResult,
                        "Scalar subquery returned more than one row"
                    );
                }
                let value = match out.batches.iter().find(|b| b.num_rows() > 0) {
                    Some(b) => b.column(0).slice(0, 1),
                    None => crate::columnar::type_default(&t, 1)?,
                };
                Ok(BoundExpr::Literal {
                    value,
                    ty: t,
                    name: "_subquery".into(),
                })
            }
            Expr::Case {
                operand,
                conditions,
                else_result,
                ..
            } => {
                let mut args = Vec::new();
                let op = operand.as_ref().map(|o| self.bind(o)).transpose()?;
                for cw in conditions {
                    let c = self.bind(&cw.condition)?;
                    let c = match &op {
                        Some(o) => self.call("equals", vec![o.clone(), c])?,
                        None => c,
                    };
                    args.push(c);
                    args.push(self.bind(&cw.result)?);
                }
                args.push(match else_result {
                    Some(e) => self.bind(e)?,
                    None => null_literal(),
                });
                self.call("multiIf", args)
            }
            Expr::Cast {
                kind,
                expr,
                data_type,
                ..
            } => {
                let a = self.bind(expr)?;
                let type_text = clickhouse_type_text(data_type);
                let target = DataType::parse(&type_text).map_err(QueryError::from)?;
                let t = string_literal(&target.to_string());
                let r = self.call("_CAST", vec![a, t]);
                match (kind, r) {
                    (CastKind::TryCast, Err(_)) => Ok(null_literal()),
                    (_, r) => r,
                }
            }
            Expr::Extract { field, expr, .. } => {
                let unit = field_unit(field).ok_or_else(|| {
                    QueryError::new(
                        ErrorCode::NotImplemented,
                        format!("EXTRACT({field}) is not supported"),
                    )
                })?;
                let f = match unit {
                    "Day" => "toDayOfMonth".to_string(),
                    u => format!("to{u}"),
                };
                let a = self.bind(expr)?;
                self.call(&f, vec![a])
            }
            Expr::Function(f) => self.function(f),
            Expr::Array(a) => {
                let items = a
                    .elem
                    .iter()
                    .map(|e| self.bind(e))
                    .collect::<Result<Vec<_>>>()?;
                self.call("array", items)
            }
            Expr::Dictionary(fields) => {
                let mut args = Vec::with_capacity(fields.len() * 2);
                for f in fields {
                    args.push(string_literal(&f.key.value));
                    args.push(self.bind(&f.value)?);
                }
                self.call("map", args)
            }
            Expr::CompoundFieldAccess { root, access_chain } => {
                let mut cur = self.bind(root)?;
                for access in access_chain {
                    match access {
                        sqlparser::ast::AccessExpr::Subscript(
                            sqlparser::ast::Subscript::Index { index },
                        ) => {
                            let i = self.bind(index)?;
                            cur = self.call("arrayElement", vec![cur, i])?;
                        }
                        other => {
                            return query_err!(
                                NotImplemented,
                                "Access {other} is not supported yet"
                            )
                        }
                    }
                }
                Ok(cur)
            }
            other => query_err!(NotImplemented, "Expression {other} is not supported yet"),
        }
    }

    fn function(&mut self, f: &sqlparser::ast::Function) -> Result<BoundExpr> {
        let name = object_name_parts(&f.name).join(".");
        let mut distinct = false;
        let mut arg_exprs: Vec<&Expr> = Vec::new();
        let mut star = false;
        match &f.args {
            FunctionArguments::None => {}
            FunctionArguments::Subquery(_) => {
                return query_err!(
                    NotImplemented,
                    "Subqueries as function arguments are not supported yet"
                )
            }
            FunctionArguments::List(list) => {
                distinct = matches!(
                    list.duplicate_treatment,
                    Some(sqlparser::ast::DuplicateTreatment::Distinct)
                );
                for a in &list.args {
                    match a {
                        FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) => arg_exprs.push(e),
                        FunctionArg::Unnamed(FunctionArgExpr::Wildcard) => star = true,
                        other => {
                            return query_err!(
                                NotImplemented,
                                "Function argument {other} is not supported"
                            )
                        }
                    }
                }
            }
        }
        let params: Vec<&Expr> = match &f.parameters {
            FunctionArguments::List(list) => list
                .args
                .iter()
                .filter_map(|a| match a {
                    FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) => Some(e),
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        };
        let agg_registry = aggregates::registry();
        if agg_registry.is_aggregate(&name) || (name.eq_ignore_ascii_case("count") && star) {
            return self.aggregate(&name, distinct, &params, &arg_exprs);
        }
        if distinct {
            return query_err!(
                UnknownAggregateFunction,
                "Unknown aggregate function {name}"
            );
        }
        // Special forms.
        if name.eq_ignore_ascii_case("date_trunc") || name.eq_ignore_ascii_case("datetrunc") {
            // date_trunc('unit', t): the unit is a constant string.
            let args = arg_exprs
                .iter()
                .map(|a| self.bind(a))
                .collect::<Result<Vec<_>>>()?;
            return self.call("date_trunc", args);
        }
        let args = arg_exprs
            .iter()
            .map(|a| self.bind(a))
            .collect::<Result<Vec<_>>>()?;
        // Functions of the server and session: constants for the query.
        if let Some(v) = self.context_function(&name, &args)? {
            return Ok(v);
        }
        // toTypeName(x) is the constant name of x's type.
        if name == "toTypeName" {
            if args.len() != 1 {
                return query_err!(
                    NumberOfArgumentsDoesntMatch,
                    "Number of arguments for function toTypeName doesn't match: passed {}, should be 1",
                    args.len()
                );
            }
            let mut lit = string_literal(&args[0].data_type().to_string());
            if let BoundExpr::Literal { name: n, .. } = &mut lit {
                *n = format!("toTypeName({})", args[0].name());
            }
            return Ok(lit);
        }
        self.call(&name, args)
    }

    fn aggregate(
        &mut self,
        name: &str,
        distinct: bool,
        params: &[&Expr],
        args: &[&Expr],
    ) -> Result<BoundExpr> {
        let Some(collected) = self.aggregates.as_deref_mut() else {
            return query_err!(
                IllegalAggregation,
                "Aggregate function {name} is found in WHERE, GROUP BY or inside another aggregate function in query"
            );
        };
        let _ = collected;
        // Arguments of an aggregate are bound without aggregates allowed.
        let saved = self.aggregates.take();
        let bound_args: Result<Vec<BoundExpr>> = args.iter().map(|a| self.bind(a)).collect();
        let bound_params: Result<Vec<BoundExpr>> = params.iter().map(|p| self.bind(p)).collect();
        self.aggregates = saved;
        let bound_args = bound_args?;
        let params = bound_params?
            .iter()
            .map(|p| {
                constant_value(p).ok_or_else(|| {
                    QueryError::new(
                        ErrorCode::BadArguments,
                        format!("Parameters of aggregate function {name} must be literals"),
                    )
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let base = if name.eq_ignore_ascii_case("count") && distinct {
            "uniqExact".to_string()
        } else if distinct {
            format!("{name}Distinct")
        } else {
            name.to_string()
        };
        let types: Vec<DataType> = bound_args.iter().map(|a| a.data_type().clone()).collect();
        let func = aggregates::registry()
            .get(&base, &params, &types)?
            .ok_or_else(|| {
                QueryError::new(
                    ErrorCode::UnknownAggregateFunction,
                    format!("Unknown aggregate function {name}"),
                )
            })?;
        let arg_names: Vec<&str> = bound_args.iter().map(|a| a.name()).collect();
        let display = if name.eq_ignore_ascii_case("count") && distinct {
            format!("countDistinct({})", arg_names.join(", "))
        } else if distinct {
            format!("{name}Distinct({})", arg_names.join(", "))
        } else {
            let p: Vec<String> = params.iter().map(value_text).collect();
            let n = if name.eq_ignore_ascii_case("count") {
                "count"
            } else {
                name
            };
            if p.is_empty() {
                format!("{n}({})", arg_names.join(", "))
            } else {
                format!("{n}({})({})", p.join(", "), arg_names.join(", "))
            }
        };
        let ty = func.return_type();
        if base.eq_ignore_ascii_case("sum") && params.is_empty() && bound_args.len() == 1 {
            if let Some(e) = self.sum_as_sum_and_count(name, &bound_args[0], &ty, &display)? {
                return Ok(e);
            }
        }
        self.collect(func, bound_args, display, ty)
    }

    /// `sum(x ± k)` as `sum(x) ± k * count(x)` (see [`super::sum_rewrite`]), named as the
    /// original call; `None` when the argument does not have that form. `sum` is the name
    /// as written (`SUM(x)` elsewhere in the query shares the same aggregate).
    fn sum_as_sum_and_count(
        &mut self,
        sum_name: &str,
        arg: &BoundExpr,
        ty: &DataType,
        display: &str,
    ) -> Result<Option<BoundExpr>> {
        let Some((x, k, minus)) = super::sum_rewrite::split(arg) else {
            return Ok(None);
        };
        let types = [x.data_type().clone()];
        let (Some(sum), Some(count)) = (
            aggregates::registry().get("sum", &[], &types)?,
            aggregates::registry().get("count", &[], &types)?,
        ) else {
            return Ok(None);
        };
        if &sum.return_type() != ty {
            return Ok(None);
        }
        let sum_ty = sum.return_type();
        let count_ty = count.return_type();
        let sum = self.collect(
            sum,
            vec![x.clone()],
            format!("{sum_name}({})", x.name()),
            sum_ty,
        )?;
        let count = self.collect(
            count,
            vec![x.clone()],
            format!("count({})", x.name()),
            count_ty,
        )?;
        let type_name = string_literal(&ty.to_string());
        let count = call_function("_CAST", vec![count, type_name.clone()])?;
        let shift = call_function("multiply", vec![k, count])?;
        let total = call_function(if minus { "minus" } else { "plus" }, vec![sum, shift])?;
        let mut e = call_function("_CAST", vec![total, type_name])?;
        if let BoundExpr::Function { name, .. } = &mut e {
            *name = display.to_string();
        }
        Ok(Some(e))
    }

    /// Adds an aggregate call (identical calls share one) and returns its result column.
    fn collect(
        &mut self,
        func: Arc<dyn AggregateFunction>,
        bound_args: Vec<BoundExpr>,
        display: String,
        ty: DataType,
    ) -> Result<BoundExpr> {
        let collected = self.aggregates.as_deref_mut().ok_or_else(|| {
            QueryError::new(
                ErrorCode::LogicalError,
                "aggregates disappeared".to_string(),
            )
        })?;
        // Identical calls share one aggregate.
        let idx = match collected.iter().position(|c| c.name == display) {
            Some(i) => i,
            None => {
                collected.push(AggregateCall {
                    func,
                    args: bound_args,
                    name: display.clone(),
                });
                collected.len() - 1
            }
        };
        Ok(BoundExpr::Column {
            index: AGGREGATE_INDEX_BASE + idx,
            ty,
            name: display,
        })
    }
}

fn value_text(v: &Value) -> String {
    match v {
        Value::Null => "NULL".into(),
        Value::UInt(x) => x.to_string(),
        Value::Int(x) => x.to_string(),
        Value::Float(x) => x.to_string(),
        Value::Decimal(x) => x.to_string(),
        Value::Bytes(b) => format!("'{}'", String::from_utf8_lossy(b)),
    }
}

/// Calls scalar function `name` on bound arguments: resolves it and its result type.
/// Constant calls stay symbolic (evaluated per batch as constants).
pub fn call_function(name: &str, args: Vec<BoundExpr>) -> Result<BoundExpr> {
    let func = functions::registry().get(name).ok_or_else(|| {
        QueryError::new(
            ErrorCode::UnknownFunction,
            format!("Unknown function {name}"),
        )
    })?;
    let types: Vec<DataType> = args.iter().map(|a| a.data_type().clone()).collect();
    let constants: Vec<Option<ArrayRef>> = args
        .iter()
        .map(|a| match a {
            BoundExpr::Literal { value, .. } => Some(value.clone()),
            _ => None,
        })
        .collect();
    let ty = func.return_type(&types, &constants)?;
    let arg_names: Vec<&str> = args.iter().map(|a| a.name()).collect();
    let name = format!("{}({})", func.name(), arg_names.join(", "));
    Ok(BoundExpr::Function {
        func,
        args,
        ty,
        name,
    })
}

/// The ClickHouse spelling of a sqlparser data type (sqlparser prints some differently,
/// e.g. `STRING`).
pub fn clickhouse_type_text(t: &sqlparser::ast::DataType) -> String {
    use sqlparser::ast::DataType as S;
    match t {
        S::String(_) | S::Text => "String".into(),
        other => other.to_string(),
    }
}
