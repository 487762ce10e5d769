//! Prometheus text exposition (format 0.0.4), written by hand: a few metric families, no
//! registry needed.

use std::fmt::Write;

use super::histogram::Histogram;

/// Content type of the exposition.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// A metric family's kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Counter,
    Gauge,
    Histogram,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::Counter => "counter",
            Kind::Gauge => "gauge",
            Kind::Histogram => "histogram",
        }
    }
}

/// Accumulates the exposition text.
#[derive(Debug, Default)]
pub struct Exposition {
    text: String,
}

impl Exposition {
    /// Starts a metric family.
    pub fn family(&mut self, name: &str, help: &str, kind: Kind) {
        let _infallible = writeln!(self.text, "# HELP {name} {}", escape_help(help));
        let _infallible = writeln!(self.text, "# TYPE {name} {}", kind.as_str());
    }

    /// Writes one sample.
    pub fn sample(&mut self, name: &str, labels: &[(&str, &str)], value: f64) {
        self.text.push_str(name);
        write_labels(&mut self.text, labels, None);
        let _infallible = writeln!(self.text, " {}", number(value));
    }

    /// Writes a histogram's buckets, sum and count.
    pub fn histogram(&mut self, name: &str, labels: &[(&str, &str)], histogram: &Histogram) {
        let mut cumulative = 0;
        for (bound, count) in histogram.buckets() {
            cumulative += count;
            self.text.push_str(name);
            self.text.push_str("_bucket");
            write_labels(&mut self.text, labels, Some(&number(bound)));
            let _infallible = writeln!(self.text, " {cumulative}");
        }
        self.text.push_str(name);
        self.text.push_str("_bucket");
        write_labels(&mut self.text, labels, Some("+Inf"));
        let _infallible = writeln!(self.text, " {}", histogram.count());
        self.sample(&format!("{name}_sum"), labels, histogram.sum());
        self.sample(&format!("{name}_count"), labels, histogram.count() as f64);
    }

    /// Returns the text.
    pub fn finish(self) -> String {
        self.text
    }
}

fn write_labels(text: &mut String, labels: &[(&str, &str)], le: Option<&str>) {
    if labels.is_empty() && le.is_none() {
        return;
    }
    text.push('{');
    let mut first = true;
    let all = labels.iter().copied().chain(le.map(|bound| ("le", bound)));
    for (key, value) in all {
        if !first {
            text.push(',');
        }
        first = false;
        let _infallible = write!(text, "{key}=\"{}\"", escape_label(value));
    }
    text.push('}');
}

/// Label values escape backslash, double quote and line feed.
fn escape_label(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// Help text escapes backslash and line feed.
fn escape_help(help: &str) -> String {
    help.replace('\\', "\\\\").replace('\n', "\\n")
}

fn number(value: f64) -> String {
    if value.is_nan() {
        "NaN".to_string()
    } else if value.is_infinite() {
        if value > 0.0 { "+Inf" } else { "-Inf" }.to_string()
    } else {
        format!("{value}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_families_samples_and_escaped_labels() {
        let mut out = Exposition::default();
        out.family("dkron_jobs", "Jobs by status.", Kind::Gauge);
        out.sample("dkron_jobs", &[("status", "success")], 3.0);
        out.sample("dkron_paused", &[], 0.0);
        out.sample("x", &[("job_name", "a\"b\\c\nd")], 1.5);
        assert_eq!(
            out.finish(),
            "# HELP dkron_jobs Jobs by status.\n# TYPE dkron_jobs gauge\n\
             dkron_jobs{status=\"success\"} 3\ndkron_paused 0\nx{job_name=\"a\\\"b\\\\c\\nd\"} 1.5\n"
        );
    }

    #[test]
    fn writes_cumulative_histogram_buckets() {
        let mut histogram = Histogram::new(&[0.1, 1.0]);
        histogram.observe(0.05);
        histogram.observe(0.5);
        histogram.observe(5.0);
        let mut out = Exposition::default();
        out.histogram("d", &[("job_name", "j")], &histogram);
        assert_eq!(
            out.finish(),
            "d_bucket{job_name=\"j\",le=\"0.1\"} 1\nd_bucket{job_name=\"j\",le=\"1\"} 2\n\
             d_bucket{job_name=\"j\",le=\"+Inf\"} 3\nd_sum{job_name=\"j\"} 5.55\nd_count{job_name=\"j\"} 3\n"
        );
    }
}
