//! Forgiving value types for the raw configuration, read the way Dkron (viper) reads them:
//! scalars become text, `true`/`T`/`yes`/`1` are booleans, a list may be written as one
//! comma-separated string, and `tags` may be a map or a list of one-entry maps.

use std::collections::BTreeMap;
use std::fmt;

use serde::Deserializer;
use serde::de::{self, Deserialize, MapAccess, SeqAccess, Unexpected, Visitor};

/// Text read from any scalar: `datacenter: 1` gives `"1"`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Text(pub(crate) String);

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(TextVisitor)
    }
}

struct TextVisitor;

impl Visitor<'_> for TextVisitor {
    type Value = Text;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("a string")
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<Text, E> {
        Ok(Text(value.to_string()))
    }

    fn visit_bool<E: de::Error>(self, value: bool) -> Result<Text, E> {
        Ok(Text(value.to_string()))
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<Text, E> {
        Ok(Text(value.to_string()))
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<Text, E> {
        Ok(Text(value.to_string()))
    }

    fn visit_f64<E: de::Error>(self, value: f64) -> Result<Text, E> {
        Ok(Text(value.to_string()))
    }

    fn visit_char<E: de::Error>(self, value: char) -> Result<Text, E> {
        Ok(Text(value.to_string()))
    }
}

/// A boolean that also accepts Go's `strconv.ParseBool` spellings and `yes`/`no`/`on`/`off`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Flag(pub(crate) bool);

/// Parses a boolean written as text, case-insensitively.
pub(crate) fn parse_bool_text(text: &str) -> Option<bool> {
    match text.trim().to_ascii_lowercase().as_str() {
        "1" | "t" | "true" | "yes" | "y" | "on" => Some(true),
        "0" | "f" | "false" | "no" | "n" | "off" => Some(false),
        _ => None,
    }
}

impl<'de> Deserialize<'de> for Flag {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(FlagVisitor)
    }
}

struct FlagVisitor;

impl Visitor<'_> for FlagVisitor {
    type Value = Flag;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("a boolean (true or false)")
    }

    fn visit_bool<E: de::Error>(self, value: bool) -> Result<Flag, E> {
        Ok(Flag(value))
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<Flag, E> {
        parse_bool_text(value)
            .map(Flag)
            .ok_or_else(|| E::invalid_value(Unexpected::Str(value), &self))
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<Flag, E> {
        match value {
            0 => Ok(Flag(false)),
            1 => Ok(Flag(true)),
            _ => Err(E::invalid_value(Unexpected::Unsigned(value), &self)),
        }
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<Flag, E> {
        match value {
            0 => Ok(Flag(false)),
            1 => Ok(Flag(true)),
            _ => Err(E::invalid_value(Unexpected::Signed(value), &self)),
        }
    }
}

/// A list of text items; a single string is split at commas (viper's rule for files).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct TextList(pub(crate) Vec<String>);

impl<'de> Deserialize<'de> for TextList {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(TextListVisitor)
    }
}

struct TextListVisitor;

impl<'de> Visitor<'de> for TextListVisitor {
    type Value = TextList;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("a list of strings or a comma-separated string")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<TextList, A::Error> {
        let mut items = Vec::new();
        while let Some(Text(item)) = seq.next_element::<Text>()? {
            items.push(item);
        }
        Ok(TextList(items))
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<TextList, E> {
        Ok(TextList(split_list(value, ListSeparators::Commas)))
    }

    fn visit_bool<E: de::Error>(self, value: bool) -> Result<TextList, E> {
        Ok(TextList(vec![value.to_string()]))
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<TextList, E> {
        Ok(TextList(vec![value.to_string()]))
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<TextList, E> {
        Ok(TextList(vec![value.to_string()]))
    }
}

/// How a list written as one string is cut into items.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ListSeparators {
    /// At commas only (header lists, whose values contain spaces).
    Commas,
    /// At whitespace only (`DKRON_TAG`, as Dkron reads it).
    Whitespace,
    /// At commas and whitespace.
    CommasAndWhitespace,
}

/// Splits one string into list items, trimming them and dropping empty ones.
pub(crate) fn split_list(text: &str, separators: ListSeparators) -> Vec<String> {
    let is_separator = |c: char| match separators {
        ListSeparators::Commas => c == ',',
        ListSeparators::Whitespace => c.is_whitespace(),
        ListSeparators::CommasAndWhitespace => c == ',' || c.is_whitespace(),
    };
    text.split(is_separator)
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(str::to_string)
        .collect()
}

/// The file's `tags`: a map, or a list of one-entry maps; values may be any scalar.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct RawTags(pub(crate) BTreeMap<String, String>);

impl<'de> Deserialize<'de> for RawTags {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(RawTagsVisitor)
    }
}

struct RawTagsVisitor;

impl<'de> Visitor<'de> for RawTagsVisitor {
    type Value = RawTags;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("a map of tag names to values")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawTags, A::Error> {
        let mut tags = BTreeMap::new();
        while let Some((key, Text(value))) = map.next_entry::<String, Text>()? {
            tags.insert(key, value);
        }
        Ok(RawTags(tags))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<RawTags, A::Error> {
        let mut tags = BTreeMap::new();
        while let Some(RawTags(entry)) = seq.next_element::<RawTags>()? {
            tags.extend(entry);
        }
        Ok(RawTags(tags))
    }
}

/// Returns the field names a struct's derived `Deserialize` asks for, without any input.
///
/// serde passes a struct's field list to `deserialize_struct`; this deserializer records it
/// and stops, so the list of accepted keys comes from the struct itself and cannot drift.
pub(crate) fn struct_field_names<'de, T: Deserialize<'de>>() -> &'static [&'static str] {
    let mut recorder = FieldNameRecorder { fields: &[] };
    // The recorder always fails after recording, so the result carries no information.
    let _ignored = T::deserialize(&mut recorder).is_ok();
    recorder.fields
}

struct FieldNameRecorder {
    fields: &'static [&'static str],
}

impl<'de> Deserializer<'de> for &mut FieldNameRecorder {
    type Error = de::value::Error;

    fn deserialize_any<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, Self::Error> {
        Err(de::Error::custom("not a struct"))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value, Self::Error> {
        self.fields = fields;
        Err(de::Error::custom("field names recorded"))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier
        ignored_any
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_lists_by_the_chosen_separators() {
        assert_eq!(
            split_list("a, b,,c", ListSeparators::Commas),
            ["a", "b", "c"]
        );
        assert_eq!(
            split_list(" a=b  c=d ", ListSeparators::Whitespace),
            ["a=b", "c=d"]
        );
        assert_eq!(
            split_list("a,b c", ListSeparators::CommasAndWhitespace),
            ["a", "b", "c"]
        );
        assert_eq!(
            split_list("X-A: 1, X-B: two words", ListSeparators::Commas),
            ["X-A: 1", "X-B: two words"]
        );
    }

    #[test]
    fn reads_go_booleans() {
        for yes in ["true", "T", "1", "YES", "on"] {
            assert_eq!(parse_bool_text(yes), Some(true), "{yes}");
        }
        for no in ["false", "F", "0", "no", "Off"] {
            assert_eq!(parse_bool_text(no), Some(false), "{no}");
        }
        assert_eq!(parse_bool_text("maybe"), None);
    }

    #[test]
    fn records_struct_field_names() {
        #[derive(serde::Deserialize)]
        #[serde(rename_all = "kebab-case")]
        #[allow(dead_code)]
        struct Sample {
            first_key: u8,
            #[serde(rename = "other")]
            second: u8,
        }
        assert_eq!(struct_field_names::<Sample>(), ["first-key", "other"]);
    }
}
