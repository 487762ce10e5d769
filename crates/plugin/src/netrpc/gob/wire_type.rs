//! Gob type definitions as they travel: a `wireType` value (itself a gob struct of gob's
//! predefined types) describing a struct, map, slice or array type by the ids of its parts.

use super::GobError;
use super::primitives::{Reader, put_bytes, put_int, put_uint};

/// A type the peer defined.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum WireType {
    /// A struct: its name and its fields' (name, type id), in field order.
    Struct {
        /// The Go type's name.
        name: String,
        /// Field names and type ids.
        fields: Vec<(String, i64)>,
    },
    /// `map[key]elem`.
    Map {
        /// The key's type id.
        key: i64,
        /// The value's type id.
        elem: i64,
    },
    /// `[]elem`.
    Slice {
        /// The element's type id.
        elem: i64,
    },
    /// `[len]elem`.
    Array {
        /// The element's type id.
        elem: i64,
        /// The length.
        len: u64,
    },
}

// Field numbers of gob's wireType struct, in its declaration order.
const ARRAY_T: usize = 0;
const SLICE_T: usize = 1;
const STRUCT_T: usize = 2;
const MAP_T: usize = 3;
const WIRE_TYPE_FIELDS: usize = 7;

/// The most fields a defined struct may have (Go structs in plugin calls have a handful).
const MAX_STRUCT_FIELDS: usize = 1024;

/// Calls `on_field` with each field number of a gob struct value and the reader positioned at
/// that field's value, until the struct's end mark. A field number past `field_count` is an
/// error; every step reads at least one byte, so a message cannot make this loop forever.
pub(crate) fn for_each_field(
    reader: &mut Reader<'_>,
    field_count: usize,
    mut on_field: impl FnMut(usize, &mut Reader<'_>) -> Result<(), GobError>,
) -> Result<(), GobError> {
    let mut previous: Option<usize> = None;
    loop {
        let delta = reader.read_uint()?;
        if delta == 0 {
            return Ok(());
        }
        let number = usize::try_from(delta)
            .ok()
            .and_then(|delta| {
                previous.map_or(Some(delta - 1), |previous| previous.checked_add(delta))
            })
            .filter(|number| *number < field_count)
            .ok_or_else(|| {
                GobError::Malformed(format!(
                    "field delta {delta} past the struct's {field_count} fields"
                ))
            })?;
        previous = Some(number);
        on_field(number, reader)?;
    }
}

/// Reads a `wireType` value.
pub(crate) fn read_wire_type(reader: &mut Reader<'_>) -> Result<WireType, GobError> {
    let mut found: Option<WireType> = None;
    for_each_field(reader, WIRE_TYPE_FIELDS, |number, reader| {
        if found.is_some() {
            return Err(GobError::Malformed(
                "a type definition describes two types".to_string(),
            ));
        }
        found = Some(match number {
            ARRAY_T => read_array(reader)?,
            SLICE_T => read_slice(reader)?,
            STRUCT_T => read_struct(reader)?,
            MAP_T => read_map(reader)?,
            _ => {
                return Err(GobError::Unsupported(
                    "GobEncoder/BinaryMarshaler/TextMarshaler".to_string(),
                ));
            }
        });
        Ok(())
    })?;
    found.ok_or_else(|| GobError::Malformed("an empty type definition".to_string()))
}

/// Reads a `CommonType` (name, id); the id repeats the definition's and is not needed.
fn read_common(reader: &mut Reader<'_>) -> Result<String, GobError> {
    let mut name = String::new();
    for_each_field(reader, 2, |number, reader| {
        if number == 0 {
            name = reader.read_string()?;
        } else {
            reader.read_int()?;
        }
        Ok(())
    })?;
    Ok(name)
}

fn read_array(reader: &mut Reader<'_>) -> Result<WireType, GobError> {
    let (mut elem, mut len) = (0, 0);
    for_each_field(reader, 3, |number, reader| {
        match number {
            0 => drop(read_common(reader)?),
            1 => elem = reader.read_int()?,
            _ => len = reader.read_int()?,
        }
        Ok(())
    })?;
    let len = u64::try_from(len).map_err(|_| GobError::Malformed(format!("array length {len}")))?;
    Ok(WireType::Array { elem, len })
}

fn read_slice(reader: &mut Reader<'_>) -> Result<WireType, GobError> {
    let mut elem = 0;
    for_each_field(reader, 2, |number, reader| {
        match number {
            0 => drop(read_common(reader)?),
            _ => elem = reader.read_int()?,
        }
        Ok(())
    })?;
    Ok(WireType::Slice { elem })
}

fn read_map(reader: &mut Reader<'_>) -> Result<WireType, GobError> {
    let (mut key, mut elem) = (0, 0);
    for_each_field(reader, 3, |number, reader| {
        match number {
            0 => drop(read_common(reader)?),
            1 => key = reader.read_int()?,
            _ => elem = reader.read_int()?,
        }
        Ok(())
    })?;
    Ok(WireType::Map { key, elem })
}

fn read_struct(reader: &mut Reader<'_>) -> Result<WireType, GobError> {
    let mut name = String::new();
    let mut fields = Vec::new();
    for_each_field(reader, 2, |number, reader| {
        if number == 0 {
            name = read_common(reader)?;
            return Ok(());
        }
        let count = reader.read_count("struct field count", 1)?;
        if count > MAX_STRUCT_FIELDS {
            return Err(GobError::Malformed(format!("a struct of {count} fields")));
        }
        fields = Vec::with_capacity(count);
        for _ in 0..count {
            fields.push(read_field(reader)?);
        }
        Ok(())
    })?;
    Ok(WireType::Struct { name, fields })
}

fn read_field(reader: &mut Reader<'_>) -> Result<(String, i64), GobError> {
    let (mut name, mut id) = (String::new(), 0);
    for_each_field(reader, 2, |number, reader| {
        match number {
            0 => name = reader.read_string()?,
            _ => id = reader.read_int()?,
        }
        Ok(())
    })?;
    Ok((name, id))
}

/// Appends the `wireType` value defining type `id`.
pub(crate) fn put_wire_type(out: &mut Vec<u8>, id: i64, name: &str, wire: &WireType) {
    let field = match wire {
        WireType::Array { .. } => ARRAY_T,
        WireType::Slice { .. } => SLICE_T,
        WireType::Struct { .. } => STRUCT_T,
        WireType::Map { .. } => MAP_T,
    };
    put_uint(out, field as u64 + 1);
    put_uint(out, 1);
    put_common(out, id, name);
    match wire {
        WireType::Array { elem, len } => {
            put_field_int(out, 1, *elem);
            put_field_int(out, 1, i64::try_from(*len).unwrap_or(i64::MAX));
        }
        WireType::Slice { elem } => put_field_int(out, 1, *elem),
        WireType::Map { key, elem } => {
            put_field_int(out, 1, *key);
            put_field_int(out, 1, *elem);
        }
        WireType::Struct { fields, .. } => {
            put_uint(out, 1);
            put_uint(out, fields.len() as u64);
            for (name, id) in fields {
                put_uint(out, 1);
                put_bytes(out, name.as_bytes());
                put_field_int(out, 1, *id);
                put_uint(out, 0);
            }
        }
    }
    // Ends the described type's struct, then the wireType struct.
    put_uint(out, 0);
    put_uint(out, 0);
}

fn put_common(out: &mut Vec<u8>, id: i64, name: &str) {
    if !name.is_empty() {
        put_uint(out, 1);
        put_bytes(out, name.as_bytes());
        put_field_int(out, 1, id);
    } else {
        put_field_int(out, 2, id);
    }
    put_uint(out, 0);
}

fn put_field_int(out: &mut Vec<u8>, delta: u64, value: i64) {
    put_uint(out, delta);
    put_int(out, value);
}
