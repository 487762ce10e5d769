//! Gob values as data (what a decoder returns, whatever the peer's Go types are) and gob
//! types as data (what an encoder needs to describe and send our values).

/// A decoded or to-be-encoded gob value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum GobValue {
    /// `bool`.
    Bool(bool),
    /// Any signed integer kind.
    Int(i64),
    /// Any unsigned integer kind.
    Uint(u64),
    /// `float32` or `float64`.
    Float(f64),
    /// `[]byte`.
    Bytes(Vec<u8>),
    /// `string`.
    String(String),
    /// A struct (or pointer to one): its fields by name, in field order. Fields the encoder
    /// left out because they were zero are absent.
    Struct(Vec<(String, GobValue)>),
    /// A map, as (key, value) pairs.
    Map(Vec<(GobValue, GobValue)>),
    /// A slice or array.
    Slice(Vec<GobValue>),
}

impl GobValue {
    /// A struct's field by name, `None` when absent (sent as zero) or when this is no struct.
    pub(crate) fn field(&self, name: &str) -> Option<&GobValue> {
        match self {
            GobValue::Struct(fields) => fields
                .iter()
                .find(|(field, _)| field == name)
                .map(|(_, value)| value),
            _ => None,
        }
    }

    /// Whether gob leaves this value out of a struct (zero values are not sent; struct
    /// values always are).
    pub(crate) fn is_omitted_when_a_field(&self) -> bool {
        match self {
            GobValue::Bool(value) => !value,
            GobValue::Int(value) => *value == 0,
            GobValue::Uint(value) => *value == 0,
            GobValue::Float(value) => *value == 0.0,
            GobValue::Bytes(value) => value.is_empty(),
            GobValue::String(value) => value.is_empty(),
            GobValue::Map(value) => value.is_empty(),
            GobValue::Slice(value) => value.is_empty(),
            GobValue::Struct(_) => false,
        }
    }

    /// A short name of the value's kind, for error messages.
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            GobValue::Bool(_) => "bool",
            GobValue::Int(_) => "int",
            GobValue::Uint(_) => "uint",
            GobValue::Float(_) => "float",
            GobValue::Bytes(_) => "[]byte",
            GobValue::String(_) => "string",
            GobValue::Struct(_) => "struct",
            GobValue::Map(_) => "map",
            GobValue::Slice(_) => "slice",
        }
    }
}

/// The type of a value we send.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[allow(
    dead_code,
    reason = "the encoder covers the kinds the decoder reads; Dkron's calls send no float or slice"
)]
pub(crate) enum GobType {
    /// `bool`.
    Bool,
    /// A signed integer.
    Int,
    /// An unsigned integer.
    Uint,
    /// A float.
    Float,
    /// `[]byte`.
    Bytes,
    /// `string`.
    String,
    /// A named struct.
    Struct(StructType),
    /// `map[K]V`.
    Map(Box<GobType>, Box<GobType>),
    /// `[]T`.
    Slice(Box<GobType>),
}

/// A struct type we send: Go matches its fields by name, so the names are the contract.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct StructType {
    /// The type's name (informative: Go does not check it).
    pub(crate) name: String,
    /// Its fields, in order.
    pub(crate) fields: Vec<FieldType>,
}

/// One field of a [`StructType`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct FieldType {
    /// The exported Go field name.
    pub(crate) name: String,
    /// Its type.
    pub(crate) ty: GobType,
}

impl StructType {
    /// A struct type from its name and `(field name, type)` pairs.
    pub(crate) fn new(name: &str, fields: Vec<(&str, GobType)>) -> Self {
        StructType {
            name: name.to_string(),
            fields: fields
                .into_iter()
                .map(|(name, ty)| FieldType {
                    name: name.to_string(),
                    ty,
                })
                .collect(),
        }
    }
}

impl GobType {
    /// The id gob predefines for this type, if it is a basic one.
    pub(crate) fn builtin_id(&self) -> Option<i64> {
        match self {
            GobType::Bool => Some(BOOL_ID),
            GobType::Int => Some(INT_ID),
            GobType::Uint => Some(UINT_ID),
            GobType::Float => Some(FLOAT_ID),
            GobType::Bytes => Some(BYTES_ID),
            GobType::String => Some(STRING_ID),
            GobType::Struct(_) | GobType::Map(..) | GobType::Slice(_) => None,
        }
    }

    /// The type's name as Go spells it (`map[string]string`), sent in its definition.
    pub(crate) fn go_name(&self) -> String {
        match self {
            GobType::Bool => "bool".to_string(),
            GobType::Int => "int64".to_string(),
            GobType::Uint => "uint64".to_string(),
            GobType::Float => "float64".to_string(),
            GobType::Bytes => "[]uint8".to_string(),
            GobType::String => "string".to_string(),
            GobType::Struct(structure) => structure.name.clone(),
            GobType::Map(key, elem) => format!("map[{}]{}", key.go_name(), elem.go_name()),
            GobType::Slice(elem) => format!("[]{}", elem.go_name()),
        }
    }
}

/// Gob's predefined type ids.
pub(crate) const BOOL_ID: i64 = 1;
/// `int`.
pub(crate) const INT_ID: i64 = 2;
/// `uint`.
pub(crate) const UINT_ID: i64 = 3;
/// `float`.
pub(crate) const FLOAT_ID: i64 = 4;
/// `[]byte`.
pub(crate) const BYTES_ID: i64 = 5;
/// `string`.
pub(crate) const STRING_ID: i64 = 6;
/// The first id a stream may define; lower ones are gob's own.
pub(crate) const FIRST_USER_ID: i64 = 65;
