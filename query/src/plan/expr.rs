//! Bound expressions: names resolved to input columns, functions resolved in the registry,
//! every node typed with ClickHouse's rules. Evaluated a whole batch at a time.

use std::sync::Arc;

use arrow::array::{new_null_array, ArrayRef};
use arrow::record_batch::RecordBatch;
use granary_storage::types::DataType;

use crate::columnar::ColumnarValue;
use crate::error::Result;
use crate::functions::ScalarFunction;

/// A typed expression over the columns of an input batch.
#[derive(Clone, Debug)]
pub enum BoundExpr {
    /// Input column `index`.
    Column {
        /// Position in the input batch.
        index: usize,
        /// Its type.
        ty: DataType,
        /// ClickHouse's name for it.
        name: String,
    },
    /// A constant: a 1-row array of the type's Arrow carrier.
    Literal {
        /// The value.
        value: ArrayRef,
        /// Its type.
        ty: DataType,
        /// ClickHouse's name for it (`1`, `'abc'`, `NULL`).
        name: String,
    },
    /// A scalar function call.
    Function {
        /// The resolved function.
        func: Arc<dyn ScalarFunction>,
        /// Its arguments.
        args: Vec<BoundExpr>,
        /// Its result type.
        ty: DataType,
        /// ClickHouse's name for it, e.g. `plus(a, 1)`.
        name: String,
    },
}

impl BoundExpr {
    /// The result type.
    pub fn data_type(&self) -> &DataType {
        match self {
            BoundExpr::Column { ty, .. }
            | BoundExpr::Literal { ty, .. }
            | BoundExpr::Function { ty, .. } => ty,
        }
    }

    /// ClickHouse's canonical name of the expression (the default column name).
    pub fn name(&self) -> &str {
        match self {
            BoundExpr::Column { name, .. }
            | BoundExpr::Literal { name, .. }
            | BoundExpr::Function { name, .. } => name,
        }
    }

    /// Whether the expression reads no column.
    pub fn is_constant(&self) -> bool {
        match self {
            BoundExpr::Column { .. } => false,
            BoundExpr::Literal { .. } => true,
            BoundExpr::Function { args, .. } => args.iter().all(|a| a.is_constant()),
        }
    }

    /// Input columns the expression reads.
    pub fn columns(&self, out: &mut Vec<usize>) {
        match self {
            BoundExpr::Column { index, .. } => {
                if !out.contains(index) {
                    out.push(*index);
                }
            }
            BoundExpr::Literal { .. } => {}
            BoundExpr::Function { args, .. } => args.iter().for_each(|a| a.columns(out)),
        }
    }

    /// Rewrites column indices through `map` (old index -> new index).
    pub fn remap_columns(&mut self, map: &dyn Fn(usize) -> usize) {
        match self {
            BoundExpr::Column { index, .. } => *index = map(*index),
            BoundExpr::Literal { .. } => {}
            BoundExpr::Function { args, .. } => args.iter_mut().for_each(|a| a.remap_columns(map)),
        }
    }

    /// Evaluates over `batch`.
    pub fn eval(&self, batch: &RecordBatch) -> Result<ColumnarValue> {
        match self {
            BoundExpr::Column { index, .. } => {
                Ok(ColumnarValue::Array(batch.column(*index).clone()))
            }
            BoundExpr::Literal { value, .. } => Ok(ColumnarValue::Scalar(value.clone())),
            BoundExpr::Function { func, args, ty, .. } => {
                let values = args
                    .iter()
                    .map(|a| a.eval(batch))
                    .collect::<Result<Vec<_>>>()?;
                let types: Vec<DataType> = args.iter().map(|a| a.data_type().clone()).collect();
                func.eval(&values, &types, ty, batch.num_rows())
            }
        }
    }

    /// Evaluates over `batch` into an array of `batch.num_rows()` rows.
    pub fn eval_array(&self, batch: &RecordBatch) -> Result<ArrayRef> {
        let v = self.eval(batch)?;
        if let ColumnarValue::Scalar(s) = &v {
            if s.data_type() == &arrow::datatypes::DataType::Null {
                return Ok(new_null_array(
                    &self.data_type().to_arrow(),
                    batch.num_rows(),
                ));
            }
        }
        v.into_array(batch.num_rows())
    }
}
