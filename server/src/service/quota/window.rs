//! The windows the allowances count in: the minute (fixed, from :00) and
//! the calendar month, both UTC, in milliseconds since the epoch.

const MINUTE_MS: i64 = 60_000;
const DAY_MS: i64 = 86_400_000;

/// The windows that contain one instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Windows {
    /// The start of the minute.
    pub minute_start: i64,
    /// The start of the next minute.
    pub minute_end: i64,
    /// The first instant of the month.
    pub month_start: i64,
    /// The first instant of the next month.
    pub month_end: i64,
    /// The next month's number (1–12), for "it resets on 1 January".
    pub next_month: u32,
}

impl Windows {
    /// The windows of `now_ms`.
    ///
    /// ```
    /// use prompt_preflight_server::service::quota::Windows;
    /// // 2026-12-31T23:59:30Z
    /// let w = Windows::at(1_798_761_570_000);
    /// assert_eq!(w.next_month, 1);
    /// assert_eq!(w.month_end, 1_798_761_600_000); // 2027-01-01
    /// assert_eq!(w.minute_end - w.minute_start, 60_000);
    /// ```
    pub fn at(now_ms: i64) -> Windows {
        let minute_start = now_ms.div_euclid(MINUTE_MS) * MINUTE_MS;
        let (y, m, _) = prompt_preflight::contract::civil_date(now_ms.div_euclid(DAY_MS));
        let month_start = days_from_civil(y, m, 1) * DAY_MS;
        let (ny, nm) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
        Windows {
            minute_start,
            minute_end: minute_start + MINUTE_MS,
            month_start,
            month_end: days_from_civil(ny, nm, 1) * DAY_MS,
            next_month: nm,
        }
    }
}

/// Days since 1970-01-01 of a date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `YYYY-MM-DD` of an instant, for the usage view's days.
pub fn day_of(ms: i64) -> String {
    let (y, m, d) = prompt_preflight::contract::civil_date(ms.div_euclid(DAY_MS));
    format!("{y:04}-{m:02}-{d:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_round_trip_across_leap_years() {
        for day in (-800_000..800_000).step_by(37) {
            let (y, m, d) = prompt_preflight::contract::civil_date(day);
            assert_eq!(days_from_civil(y, m, d), day);
        }
        assert_eq!(prompt_preflight::contract::civil_date(0), (1970, 1, 1));
        assert_eq!(day_of(951_782_400_000), "2000-02-29");
        let feb = Windows::at(951_782_400_000);
        assert_eq!(day_of(feb.month_start), "2000-02-01");
        assert_eq!(day_of(feb.month_end), "2000-03-01");
        assert_eq!(feb.next_month, 3);
    }
}
