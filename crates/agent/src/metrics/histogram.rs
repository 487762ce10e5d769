//! A fixed-bucket histogram, as Prometheus exposes them.

/// Counts observations into buckets by upper bound.
#[derive(Debug, Clone, PartialEq)]
pub struct Histogram {
    bounds: &'static [f64],
    counts: Vec<u64>,
    sum: f64,
    count: u64,
}

impl Histogram {
    /// An empty histogram with these bucket upper bounds (ascending).
    pub fn new(bounds: &'static [f64]) -> Histogram {
        Histogram {
            bounds,
            counts: vec![0; bounds.len()],
            sum: 0.0,
            count: 0,
        }
    }

    /// Adds one observation.
    pub fn observe(&mut self, value: f64) {
        if let Some(slot) = self.bounds.iter().position(|bound| value <= *bound) {
            self.counts[slot] += 1;
        }
        self.sum += value;
        self.count += 1;
    }

    /// Each bucket's bound and the observations that fell in it alone (not cumulative).
    pub fn buckets(&self) -> impl Iterator<Item = (f64, u64)> + '_ {
        self.bounds.iter().copied().zip(self.counts.iter().copied())
    }

    /// The sum of all observations.
    pub fn sum(&self) -> f64 {
        self.sum
    }

    /// The number of observations.
    pub fn count(&self) -> u64 {
        self.count
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_into_the_first_bucket_that_holds_the_value() {
        let mut histogram = Histogram::new(&[1.0, 10.0]);
        for value in [0.5, 1.0, 3.0, 20.0] {
            histogram.observe(value);
        }
        let buckets: Vec<(f64, u64)> = histogram.buckets().collect();
        assert_eq!(buckets, [(1.0, 2), (10.0, 1)]);
        assert_eq!(histogram.count(), 4);
        assert_eq!(histogram.sum(), 24.5);
    }
}
