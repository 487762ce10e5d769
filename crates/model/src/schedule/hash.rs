//! The `~` placeholder: a per-job value that spreads jobs written with the same spec.

/// Returns `spec` with every `~` replaced by a value derived from `job_name`.
///
/// The value is the sum of the name's Unicode code points, reduced into the range of the field
/// the `~` stands in (seconds and minutes `% 60`, hours `% 24`, day of month `% 28 + 1`,
/// month `% 12 + 1`, day of week `% 7`). Fields are counted by splitting on single spaces,
/// skipping `TZ=`/`CRON_TZ=` parts; a spec with any part starting with `@` is returned
/// unchanged, so descriptors are never hashed. This is exactly what Dkron does, so a job keeps
/// its fire times when it moves between the two.
pub fn hash_spec(spec: &str, job_name: &str) -> String {
    if !spec.contains('~') {
        return spec.to_string();
    }
    let parts: Vec<&str> = spec.split(' ').collect();
    if parts.iter().any(|part| part.starts_with('@')) {
        return spec.to_string();
    }
    let name_sum: u64 = job_name.chars().map(u64::from).sum();
    let mut field_index = 0usize;
    let mut hashed_parts = Vec::with_capacity(parts.len());
    for part in parts {
        if part.starts_with("TZ=") || part.starts_with("CRON_TZ=") {
            hashed_parts.push(part.to_string());
            continue;
        }
        let value = match field_index {
            2 => name_sum % 24,
            3 => name_sum % 28 + 1,
            4 => name_sum % 12 + 1,
            5 => name_sum % 7,
            _ => name_sum % 60,
        };
        hashed_parts.push(part.replace('~', &value.to_string()));
        field_index += 1;
    }
    hashed_parts.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_dkron_examples() {
        // "test_job" sums to 858.
        assert_eq!(hash_spec("0 0 ~ * * *", "test_job"), "0 0 18 * * *");
        assert_eq!(
            hash_spec("TZ=Europe/Madrid 0 0 1 * ~ *", "test_job"),
            "TZ=Europe/Madrid 0 0 1 * 7 *"
        );
        assert_eq!(
            hash_spec("TZ=Europe/Madrid @at something with ~", "test_job"),
            "TZ=Europe/Madrid @at something with ~"
        );
        assert_eq!(hash_spec("~/15 * * * * *", "test_job"), "18/15 * * * * *");
    }

    #[test]
    fn reduces_each_field_into_its_range() {
        assert_eq!(hash_spec("~ ~ ~ ~ ~ ~", "test_job"), "18 18 18 19 7 4");
        assert_eq!(hash_spec("~ ~ ~ ~ ~ ~", ""), "0 0 0 1 1 0");
        // Non-ASCII names count code points, not bytes: 'é' is 233.
        assert_eq!(hash_spec("~ * * * * *", "é"), "53 * * * * *");
    }

    #[test]
    fn counts_empty_parts_as_fields_like_dkron() {
        assert_eq!(hash_spec("0  ~ * * *", "test_job"), "0  18 * * *");
        assert_eq!(hash_spec("0 0 0 ~ * *", "test_job"), "0 0 0 19 * *");
    }

    #[test]
    fn leaves_specs_without_tilde_alone() {
        assert_eq!(hash_spec("@daily", "x"), "@daily");
        assert_eq!(hash_spec("0 0 * * * *", "x"), "0 0 * * * *");
    }
}
