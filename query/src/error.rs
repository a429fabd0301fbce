//! The query engine's error: a ClickHouse error code and a message, printed on the wire as
//! `Code: N. DB::Exception: <message>. (NAME)`.

use std::fmt;

use granary_storage::StorageError;

/// ClickHouse error codes raised by the query engine (the numbers are ClickHouse's).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(missing_docs)] // each variant is named after its ClickHouse code
pub enum ErrorCode {
    CannotParseText = 6,
    NoSuchColumnInTable = 16,
    CannotParseDate = 38,
    CannotParseDatetime = 41,
    NumberOfArgumentsDoesntMatch = 42,
    IllegalTypeOfArgument = 43,
    IllegalColumn = 44,
    UnknownFunction = 46,
    UnknownIdentifier = 47,
    NotImplemented = 48,
    LogicalError = 49,
    UnknownType = 50,
    TypeMismatch = 53,
    UnknownTable = 60,
    SyntaxError = 62,
    UnknownAggregateFunction = 63,
    CannotConvertType = 70,
    CannotParseNumber = 72,
    UnknownFormat = 73,
    UnknownDatabase = 81,
    IllegalDivision = 153,
    NotAnAggregate = 215,
    UnknownSetting = 115,
    TooDeepAst = 167,
    IllegalAggregation = 184,
    ParameterOutOfBound = 12,
    BadArguments = 36,
    TimeoutExceeded = 159,
    TooManyRowsOrBytes = 396,
    MemoryLimitExceeded = 241,
    QueryWasCancelled = 394,
    CannotParseInputAssertionFailed = 27,
    CannotReadAllData = 33,
    IncorrectData = 117,
    ArgumentOutOfBound = 69,
    DecimalOverflow = 407,
    CannotCompileRegexp = 427,
    QueryIsTooLarge = 1062,
    IncorrectResult = 125,
    ExpectedAllOrDistinct = 558,
    TooDeepRecursion = 306,
    QueryNotAllowed = 620,
    CannotReadFromFileDescriptor = 74,
    FileDoesntExist = 107,
    DatabaseAccessDenied = 291,
    CannotExtractTableStructure = 636,
    Readonly = 164,
    UnknownQueryParameter = 456,
    BadQueryParameter = 457,
    StorageError = 0,
}

impl ErrorCode {
    /// The ClickHouse name printed in parentheses.
    pub fn name(self) -> &'static str {
        use ErrorCode::*;
        match self {
            CannotParseText => "CANNOT_PARSE_TEXT",
            NoSuchColumnInTable => "NO_SUCH_COLUMN_IN_TABLE",
            CannotParseDate => "CANNOT_PARSE_DATE",
            CannotParseDatetime => "CANNOT_PARSE_DATETIME",
            NumberOfArgumentsDoesntMatch => "NUMBER_OF_ARGUMENTS_DOESNT_MATCH",
            IllegalTypeOfArgument => "ILLEGAL_TYPE_OF_ARGUMENT",
            IllegalColumn => "ILLEGAL_COLUMN",
            UnknownFunction => "UNKNOWN_FUNCTION",
            UnknownIdentifier => "UNKNOWN_IDENTIFIER",
            NotImplemented => "NOT_IMPLEMENTED",
            LogicalError => "LOGICAL_ERROR",
            UnknownType => "UNKNOWN_TYPE",
            TypeMismatch => "TYPE_MISMATCH",
            UnknownTable => "UNKNOWN_TABLE",
            SyntaxError => "SYNTAX_ERROR",
            UnknownAggregateFunction => "UNKNOWN_AGGREGATE_FUNCTION",
            CannotConvertType => "CANNOT_CONVERT_TYPE",
            CannotParseNumber => "CANNOT_PARSE_NUMBER",
            UnknownFormat => "UNKNOWN_FORMAT",
            UnknownDatabase => "UNKNOWN_DATABASE",
            IllegalDivision => "ILLEGAL_DIVISION",
            NotAnAggregate => "NOT_AN_AGGREGATE",
            UnknownSetting => "UNKNOWN_SETTING",
            TooDeepAst => "TOO_DEEP_AST",
            IllegalAggregation => "ILLEGAL_AGGREGATION",
            ParameterOutOfBound => "PARAMETER_OUT_OF_BOUND",
            BadArguments => "BAD_ARGUMENTS",
            TimeoutExceeded => "TIMEOUT_EXCEEDED",
            TooManyRowsOrBytes => "TOO_MANY_ROWS_OR_BYTES",
            MemoryLimitExceeded => "MEMORY_LIMIT_EXCEEDED",
            QueryWasCancelled => "QUERY_WAS_CANCELLED",
            CannotParseInputAssertionFailed => "CANNOT_PARSE_INPUT_ASSERTION_FAILED",
            CannotReadAllData => "CANNOT_READ_ALL_DATA",
            IncorrectData => "INCORRECT_DATA",
            ArgumentOutOfBound => "ARGUMENT_OUT_OF_BOUND",
            DecimalOverflow => "DECIMAL_OVERFLOW",
            CannotCompileRegexp => "CANNOT_COMPILE_REGEXP",
            QueryIsTooLarge => "QUERY_IS_TOO_LARGE",
            IncorrectResult => "INCORRECT_RESULT_OF_SCALAR_SUBQUERY",
            ExpectedAllOrDistinct => "EXPECTED_ALL_OR_DISTINCT",
            TooDeepRecursion => "TOO_DEEP_RECURSION",
            QueryNotAllowed => "QUERY_NOT_ALLOWED",
            CannotReadFromFileDescriptor => "CANNOT_READ_FROM_FILE_DESCRIPTOR",
            FileDoesntExist => "FILE_DOESNT_EXIST",
            DatabaseAccessDenied => "DATABASE_ACCESS_DENIED",
            CannotExtractTableStructure => "CANNOT_EXTRACT_TABLE_STRUCTURE",
            Readonly => "READONLY",
            UnknownQueryParameter => "UNKNOWN_QUERY_PARAMETER",
            BadQueryParameter => "BAD_QUERY_PARAMETER",
            StorageError => "STORAGE_ERROR",
        }
    }
}

/// An error of the query engine.
#[derive(Debug)]
pub struct QueryError {
    code: i32,
    name: &'static str,
    message: String,
}

impl QueryError {
    /// An error with `code` and `message`.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> QueryError {
        QueryError {
            code: code as i32,
            name: code.name(),
            message: message.into(),
        }
    }

    /// The ClickHouse error code.
    pub fn code(&self) -> i32 {
        self.code
    }

    /// The ClickHouse name of the code.
    pub fn code_name(&self) -> &'static str {
        self.name
    }

    /// The message, without code.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The same error with `context` appended to its message (`<message>: <context>`),
    /// as ClickHouse adds "while pushing to view ..." and the like.
    pub fn with_context(self, context: &str) -> QueryError {
        let message = format!("{}: {context}", self.message);
        self.with_message(message)
    }

    /// The same error (code kept) with another message.
    pub fn with_message(self, message: impl Into<String>) -> QueryError {
        QueryError {
            message: message.into(),
            ..self
        }
    }

    /// The text ClickHouse puts on the wire.
    pub fn to_clickhouse_string(&self) -> String {
        format!(
            "Code: {}. DB::Exception: {}. ({})",
            self.code, self.message, self.name
        )
    }
}

impl fmt::Display for QueryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for QueryError {}

impl From<StorageError> for QueryError {
    fn from(e: StorageError) -> Self {
        QueryError {
            code: e.code(),
            name: e.code_name(),
            message: e.to_string(),
        }
    }
}

impl From<arrow::error::ArrowError> for QueryError {
    fn from(e: arrow::error::ArrowError) -> Self {
        use arrow::error::ArrowError as A;
        match e {
            A::DivideByZero => QueryError::new(ErrorCode::IllegalDivision, "Division by zero"),
            A::CastError(m) => QueryError::new(ErrorCode::CannotConvertType, m),
            A::ParseError(m) => QueryError::new(ErrorCode::CannotParseText, m),
            other => QueryError::new(ErrorCode::LogicalError, format!("arrow: {other}")),
        }
    }
}

/// The result type of the query engine.
pub type Result<T, E = QueryError> = std::result::Result<T, E>;

/// Shorthand: `Err(QueryError::new(code, format!(...)))`.
#[macro_export]
macro_rules! query_err {
    ($code:ident, $($arg:tt)*) => {
        Err($crate::error::QueryError::new($crate::error::ErrorCode::$code, format!($($arg)*)))
    };
}
