//! The statistics a rollout is judged on: a proportion with its Wilson
//! interval, and the two-proportion z-test between control and candidate.

use serde::Serialize;

/// The z of a 95% two-sided interval.
pub const Z95: f64 = 1.959_963_984_540_054;

/// A share of requests, with its 95% Wilson score interval.
///
/// ```
/// use prompt_preflight_server::service::rollout::stats::Proportion;
/// let p = Proportion::new(10, 100);
/// assert!((p.rate - 0.10).abs() < 1e-12);
/// assert!(p.low < 0.10 && p.high > 0.10);
/// assert!((p.low - 0.0552).abs() < 1e-3 && (p.high - 0.1744).abs() < 1e-3);
/// assert_eq!(Proportion::new(0, 0).rate, 0.0);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Proportion {
    /// How many had the property.
    pub count: u64,
    /// Out of how many.
    pub of: u64,
    /// `count / of` (0 when `of` is 0).
    pub rate: f64,
    /// The interval's lower end.
    pub low: f64,
    /// Its upper end.
    pub high: f64,
}

impl Proportion {
    /// `count` out of `of`, with its Wilson interval (0 to 1 when `of`
    /// is 0: nothing is known).
    pub fn new(count: u64, of: u64) -> Proportion {
        let count = count.min(of);
        if of == 0 {
            return Proportion {
                count,
                of,
                rate: 0.0,
                low: 0.0,
                high: 1.0,
            };
        }
        let n = of as f64;
        let p = count as f64 / n;
        let z2 = Z95 * Z95;
        let centre = (p + z2 / (2.0 * n)) / (1.0 + z2 / n);
        let half = Z95 / (1.0 + z2 / n) * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt();
        Proportion {
            count,
            of,
            rate: p,
            low: (centre - half).max(0.0),
            high: (centre + half).min(1.0),
        }
    }
}

/// The two-proportion z-test of `b` against `a` (pooled variance).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ZTest {
    /// `(b − a) / se`; positive when `b`'s rate is higher.
    pub z: f64,
    /// The two-sided p-value.
    pub p_value: f64,
    /// The one-sided p-value that `b`'s rate is higher than `a`'s.
    pub p_higher: f64,
}

/// Too few observations for the normal approximation: each group needs
/// this many, and the pooled count of each kind at least 5 per group.
pub const MIN_PER_GROUP: u64 = 30;

/// Tests whether `b`'s rate differs from `a`'s; `None` when the groups
/// are too small for the test to mean anything.
///
/// ```
/// use prompt_preflight_server::service::rollout::stats::{two_proportion, Proportion};
/// let t = two_proportion(Proportion::new(20, 1000), Proportion::new(45, 1000)).unwrap();
/// assert!(t.z > 3.0 && t.p_value < 0.01 && t.p_higher < 0.005);
/// assert!(two_proportion(Proportion::new(1, 10), Proportion::new(2, 10)).is_none());
/// ```
pub fn two_proportion(a: Proportion, b: Proportion) -> Option<ZTest> {
    if a.of < MIN_PER_GROUP || b.of < MIN_PER_GROUP {
        return None;
    }
    let (n1, n2) = (a.of as f64, b.of as f64);
    let pooled = (a.count + b.count) as f64 / (n1 + n2);
    // The normal approximation needs both kinds in both groups.
    let expected = |n: f64| (n * pooled).min(n * (1.0 - pooled));
    if expected(n1) < 5.0 || expected(n2) < 5.0 {
        return None;
    }
    let se = (pooled * (1.0 - pooled) * (1.0 / n1 + 1.0 / n2)).sqrt();
    let z = (b.rate - a.rate) / se;
    Some(ZTest {
        z,
        p_value: (2.0 * (1.0 - normal_cdf(z.abs()))).clamp(0.0, 1.0),
        p_higher: (1.0 - normal_cdf(z)).clamp(0.0, 1.0),
    })
}

/// The standard normal CDF (Abramowitz and Stegun 7.1.26 for `erf`,
/// absolute error below 1.5e-7).
pub fn normal_cdf(x: f64) -> f64 {
    0.5 * (1.0 + erf(x / std::f64::consts::SQRT_2))
}

fn erf(x: f64) -> f64 {
    let sign = if x < 0.0 { -1.0 } else { 1.0 };
    let x = x.abs();
    let t = 1.0 / (1.0 + 0.327_591_1 * x);
    let poly = t
        * (0.254_829_592
            + t * (-0.284_496_736
                + t * (1.421_413_741 + t * (-1.453_152_027 + t * 1.061_405_429))));
    sign * (1.0 - poly * (-x * x).exp())
}

/// A rate as people read it: `4.2%`, `0.35%`.
pub fn percent(rate: f64) -> String {
    let p = rate * 100.0;
    if p == 0.0 || p >= 10.0 {
        format!("{p:.0}%")
    } else if p >= 1.0 {
        format!("{p:.1}%")
    } else {
        format!("{p:.2}%")
    }
}

/// A p-value as people read it: `p = 0.03`, `p < 0.001`.
pub fn p_words(p: f64) -> String {
    if p < 0.001 {
        "p < 0.001".to_owned()
    } else {
        format!("p = {p:.3}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cdf_is_right_at_known_points() {
        assert!((normal_cdf(0.0) - 0.5).abs() < 1e-7);
        assert!((normal_cdf(1.959_964) - 0.975).abs() < 1e-6);
        assert!((normal_cdf(-2.326_348) - 0.01).abs() < 1e-6);
    }

    #[test]
    fn wilson_stays_inside_zero_and_one() {
        let none = Proportion::new(0, 50);
        assert_eq!(none.low, 0.0);
        assert!(none.high > 0.0 && none.high < 0.1);
        let all = Proportion::new(50, 50);
        assert_eq!(all.high, 1.0);
        assert!(all.low > 0.9);
        // More than `of` is clamped, not a rate above 1.
        assert_eq!(Proportion::new(9, 5).rate, 1.0);
    }

    #[test]
    fn equal_rates_are_not_significant() {
        let t = two_proportion(Proportion::new(50, 1000), Proportion::new(50, 1000)).unwrap();
        assert_eq!(t.z, 0.0);
        assert!((t.p_value - 1.0).abs() < 1e-6);
        assert!((t.p_higher - 0.5).abs() < 1e-6);
    }

    #[test]
    fn a_lower_candidate_is_not_higher() {
        let t = two_proportion(Proportion::new(80, 1000), Proportion::new(40, 1000)).unwrap();
        assert!(t.z < -3.0);
        assert!(t.p_higher > 0.99);
    }

    #[test]
    fn words_read_well() {
        assert_eq!(percent(0.042), "4.2%");
        assert_eq!(percent(0.0035), "0.35%");
        assert_eq!(percent(0.25), "25%");
        assert_eq!(p_words(0.0004), "p < 0.001");
        assert_eq!(p_words(0.25), "p = 0.250");
    }
}
