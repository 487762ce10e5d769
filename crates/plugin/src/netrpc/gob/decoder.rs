//! Reading one direction of a gob stream: type definitions are remembered, values are decoded
//! by the definitions the peer sent (so any Go struct decodes; the caller picks fields by
//! name, as gob itself matches fields).

use std::collections::HashMap;

use super::primitives::Reader;
use super::value::{
    BOOL_ID, BYTES_ID, FIRST_USER_ID, FLOAT_ID, GobValue, INT_ID, STRING_ID, UINT_ID,
};
use super::wire_type::{WireType, for_each_field, read_wire_type};
use super::{GobError, MAX_DEPTH, MAX_TYPES, MAX_VALUES_PER_MESSAGE};

/// The reading end of one gob stream, with the type table the peer has built so far.
#[derive(Debug, Default)]
pub(crate) struct Decoder {
    types: HashMap<i64, WireType>,
}

impl Decoder {
    /// A decoder for a new stream.
    #[cfg(test)]
    pub(crate) fn new() -> Self {
        Decoder::default()
    }

    /// Reads one message (without its length prefix; see
    /// [`take_message`](super::take_message)): `None` for a type definition, which is kept
    /// for the values that follow, or the value.
    pub(crate) fn decode_message(&mut self, message: &[u8]) -> Result<Option<GobValue>, GobError> {
        let mut reader = Reader::new(message);
        let id = reader.read_int()?;
        if id < 0 {
            self.define(id.checked_neg().unwrap_or(i64::MAX), &mut reader)?;
            return Ok(None);
        }
        if id >= FIRST_USER_ID && !self.types.contains_key(&id) {
            return Err(GobError::UnknownType(id));
        }
        let mut budget = MAX_VALUES_PER_MESSAGE;
        let value = if matches!(self.types.get(&id), Some(WireType::Struct { .. })) {
            self.decode(&mut reader, id, 0, &mut budget)?
        } else {
            // A value that is not a struct travels as the only field of one.
            if reader.read_uint()? != 0 {
                return Err(GobError::Malformed(
                    "a single value without its zero field tag".to_string(),
                ));
            }
            self.decode(&mut reader, id, 0, &mut budget)?
        };
        expect_end(&reader)?;
        Ok(Some(value))
    }

    fn define(&mut self, id: i64, reader: &mut Reader<'_>) -> Result<(), GobError> {
        if id < FIRST_USER_ID {
            return Err(GobError::Malformed(format!(
                "a definition of reserved type id {id}"
            )));
        }
        if self.types.contains_key(&id) {
            return Err(GobError::Malformed(format!("type id {id} defined twice")));
        }
        if self.types.len() >= MAX_TYPES {
            return Err(GobError::Malformed(format!(
                "more than {MAX_TYPES} type definitions"
            )));
        }
        let wire = read_wire_type(reader)?;
        expect_end(reader)?;
        self.types.insert(id, wire);
        Ok(())
    }

    fn decode(
        &self,
        reader: &mut Reader<'_>,
        id: i64,
        depth: usize,
        budget: &mut usize,
    ) -> Result<GobValue, GobError> {
        *budget = budget.checked_sub(1).ok_or(GobError::TooManyValues)?;
        Ok(match id {
            BOOL_ID => GobValue::Bool(reader.read_uint()? != 0),
            INT_ID => GobValue::Int(reader.read_int()?),
            UINT_ID => GobValue::Uint(reader.read_uint()?),
            FLOAT_ID => GobValue::Float(reader.read_float()?),
            BYTES_ID => GobValue::Bytes(reader.read_bytes()?.to_vec()),
            STRING_ID => GobValue::String(reader.read_string()?),
            _ => {
                if depth >= MAX_DEPTH {
                    return Err(GobError::TooDeep);
                }
                return self.decode_defined(reader, id, depth + 1, budget);
            }
        })
    }

    fn decode_defined(
        &self,
        reader: &mut Reader<'_>,
        id: i64,
        depth: usize,
        budget: &mut usize,
    ) -> Result<GobValue, GobError> {
        let wire = match self.types.get(&id) {
            Some(wire) => wire,
            None if id < FIRST_USER_ID => {
                return Err(GobError::Unsupported(format!("with id {id}")));
            }
            None => return Err(GobError::UnknownType(id)),
        };
        match wire {
            WireType::Struct { fields, .. } => {
                let mut values = Vec::new();
                for_each_field(reader, fields.len(), |number, reader| {
                    let (name, field_id) = &fields[number];
                    values.push((name.clone(), self.decode(reader, *field_id, depth, budget)?));
                    Ok(())
                })?;
                Ok(GobValue::Struct(values))
            }
            WireType::Map { key, elem } => {
                let count = reader.read_count("map size", 2)?;
                let mut pairs = Vec::with_capacity(count.min(*budget));
                for _ in 0..count {
                    let key = self.decode(reader, *key, depth, budget)?;
                    pairs.push((key, self.decode(reader, *elem, depth, budget)?));
                }
                Ok(GobValue::Map(pairs))
            }
            WireType::Slice { elem } => self.decode_elements(reader, *elem, None, depth, budget),
            WireType::Array { elem, len } => {
                self.decode_elements(reader, *elem, Some(*len), depth, budget)
            }
        }
    }

    fn decode_elements(
        &self,
        reader: &mut Reader<'_>,
        elem: i64,
        expected_len: Option<u64>,
        depth: usize,
        budget: &mut usize,
    ) -> Result<GobValue, GobError> {
        let count = reader.read_count("element count", 1)?;
        if expected_len.is_some_and(|len| len != count as u64) {
            return Err(GobError::Malformed(format!(
                "an array of {count} elements for its type's {expected_len:?}"
            )));
        }
        let mut elements = Vec::with_capacity(count.min(*budget));
        for _ in 0..count {
            elements.push(self.decode(reader, elem, depth, budget)?);
        }
        Ok(GobValue::Slice(elements))
    }
}

fn expect_end(reader: &Reader<'_>) -> Result<(), GobError> {
    match reader.remaining() {
        0 => Ok(()),
        extra => Err(GobError::Malformed(format!(
            "{extra} bytes after the value"
        ))),
    }
}
