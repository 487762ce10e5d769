//! Writing one direction of a gob stream: the first value of each type is preceded by that
//! type's definition (and its parts'), each in a message of its own, as Go's encoder does.

use std::collections::HashMap;

use super::GobError;
use super::primitives::{put_bytes, put_float, put_int, put_uint};
use super::value::{FIRST_USER_ID, GobType, GobValue, StructType};
use super::wire_type::{WireType, put_wire_type};

/// The writing end of one gob stream, with the types already defined on it.
#[derive(Debug, Clone)]
pub(crate) struct Encoder {
    defined: HashMap<GobType, i64>,
    next_id: i64,
}

impl Default for Encoder {
    fn default() -> Self {
        Encoder {
            defined: HashMap::new(),
            next_id: FIRST_USER_ID,
        }
    }
}

impl Encoder {
    /// An encoder for a new stream.
    #[cfg(test)]
    pub(crate) fn new() -> Self {
        Encoder::default()
    }

    /// Appends to `out` the messages that send `value` of type `ty`: definitions of types not
    /// sent before, then the value. On error nothing is appended and no type is recorded.
    pub(crate) fn encode(
        &mut self,
        ty: &GobType,
        value: &GobValue,
        out: &mut Vec<u8>,
    ) -> Result<(), GobError> {
        let mut body = Vec::new();
        let mut definitions = Vec::new();
        let mut staged = HashMap::new();
        let id = self.type_id(ty, &mut staged, &mut definitions);
        put_int(&mut body, id);
        if !matches!(ty, GobType::Struct(_)) {
            // A value that is not a struct travels as the only field of one.
            put_uint(&mut body, 0);
        }
        put_value(&mut body, ty, value)?;
        for definition in definitions {
            put_message(out, &definition);
        }
        put_message(out, &body);
        self.next_id += staged.len() as i64;
        self.defined.extend(staged);
        Ok(())
    }

    /// The id of `ty`, defining it (and its parts first) when this stream has not seen it.
    fn type_id(
        &self,
        ty: &GobType,
        staged: &mut HashMap<GobType, i64>,
        definitions: &mut Vec<Vec<u8>>,
    ) -> i64 {
        if let Some(id) = ty.builtin_id() {
            return id;
        }
        if let Some(id) = self.defined.get(ty).or_else(|| staged.get(ty)) {
            return *id;
        }
        let wire = match ty {
            GobType::Struct(structure) => WireType::Struct {
                name: structure.name.clone(),
                fields: structure
                    .fields
                    .iter()
                    .map(|field| {
                        (
                            field.name.clone(),
                            self.type_id(&field.ty, staged, definitions),
                        )
                    })
                    .collect(),
            },
            GobType::Map(key, elem) => WireType::Map {
                key: self.type_id(key, staged, definitions),
                elem: self.type_id(elem, staged, definitions),
            },
            GobType::Slice(elem) => WireType::Slice {
                elem: self.type_id(elem, staged, definitions),
            },
            _ => unreachable!("basic types have builtin ids"),
        };
        let id = self.next_id + staged.len() as i64;
        staged.insert(ty.clone(), id);
        let mut definition = Vec::new();
        put_int(&mut definition, -id);
        put_wire_type(&mut definition, id, &ty.go_name(), &wire);
        definitions.push(definition);
        id
    }
}

fn put_message(out: &mut Vec<u8>, message: &[u8]) {
    put_uint(out, message.len() as u64);
    out.extend_from_slice(message);
}

fn put_value(out: &mut Vec<u8>, ty: &GobType, value: &GobValue) -> Result<(), GobError> {
    match (ty, value) {
        (GobType::Bool, GobValue::Bool(value)) => put_uint(out, u64::from(*value)),
        (GobType::Int, GobValue::Int(value)) => put_int(out, *value),
        (GobType::Uint, GobValue::Uint(value)) => put_uint(out, *value),
        (GobType::Float, GobValue::Float(value)) => put_float(out, *value),
        (GobType::Bytes, GobValue::Bytes(value)) => put_bytes(out, value),
        (GobType::String, GobValue::String(value)) => put_bytes(out, value.as_bytes()),
        (GobType::Struct(structure), GobValue::Struct(_)) => put_struct(out, structure, value)?,
        (GobType::Map(key_type, elem_type), GobValue::Map(pairs)) => {
            put_uint(out, pairs.len() as u64);
            for (key, elem) in pairs {
                put_value(out, key_type, key)?;
                put_value(out, elem_type, elem)?;
            }
        }
        (GobType::Slice(elem_type), GobValue::Slice(elements)) => {
            put_uint(out, elements.len() as u64);
            for element in elements {
                put_value(out, elem_type, element)?;
            }
        }
        (ty, value) => {
            return Err(GobError::Mismatch(format!(
                "a {} value for type {}",
                value.kind(),
                ty.go_name()
            )));
        }
    }
    Ok(())
}

fn put_struct(out: &mut Vec<u8>, structure: &StructType, value: &GobValue) -> Result<(), GobError> {
    let mut previous: i64 = -1;
    for (number, field) in structure.fields.iter().enumerate() {
        let Some(field_value) = value.field(&field.name) else {
            continue;
        };
        if field_value.is_omitted_when_a_field() {
            continue;
        }
        put_uint(out, (number as i64 - previous) as u64);
        previous = number as i64;
        put_value(out, &field.ty, field_value)?;
    }
    put_uint(out, 0);
    Ok(())
}
