//! JSON numbers as time claims: exact decimal arithmetic on the number's text, so that
//! no float rounding decides whether a token is expired.

/// Decomposed JSON number: sign, all significant digits, and the power of ten that
/// the last digit stands for.
fn decompose(n: &str) -> (bool, &str, &str, i64) {
    let (neg, rest) = match n.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, n),
    };
    let (mant, exp) = match rest.find(['e', 'E']) {
        Some(p) => {
            let e = &rest[p + 1..];
            let big = if e.starts_with('-') {
                i64::MIN
            } else {
                i64::MAX
            };
            (&rest[..p], e.parse::<i64>().unwrap_or(big))
        }
        None => (rest, 0),
    };
    let (int, frac) = match mant.find('.') {
        Some(p) => (&mant[..p], &mant[p + 1..]),
        None => (mant, ""),
    };
    (neg, int, frac, exp)
}

/// Truncate a JSON number toward zero to whole seconds; None when out of i64 range.
pub fn truncate_seconds(n: &str) -> Option<i64> {
    let (neg, int, frac, exp) = decompose(n);
    // value = int.frac * 10^exp; walk the digits, keeping those left of the point
    let mut acc: i128 = 0;
    let point = int.len() as i128 + exp as i128; // digits before the decimal point
    let mut count: i128 = 0;
    for d in int.bytes().chain(frac.bytes()) {
        if count >= point {
            break;
        }
        acc = acc.checked_mul(10)?.checked_add((d - b'0') as i128)?;
        if acc > i64::MAX as i128 + 1 {
            return None;
        }
        count += 1;
    }
    while count < point {
        if acc == 0 {
            break; // zeros stay zero however far the point moves
        }
        acc = acc.checked_mul(10)?;
        if acc > i64::MAX as i128 + 1 {
            return None;
        }
        count += 1;
    }
    let v = if neg { -acc } else { acc };
    i64::try_from(v).ok()
}

/// Scientific.toBoundedInteger semantics: exact integer value, or 0.
pub fn whole_or_zero(n: &str) -> i64 {
    let (neg, int, frac, exp) = decompose(n);
    let digits = || int.bytes().chain(frac.bytes());
    // digits standing left of the decimal point
    let point = int.len() as i128 + exp as i128;
    let total = (int.len() + frac.len()) as i128;
    // every digit right of the point must be zero
    if point < total && digits().skip(point.max(0) as usize).any(|d| d != b'0') {
        return 0;
    }
    let mut acc: i128 = 0;
    for (i, d) in digits().enumerate() {
        if i as i128 >= point {
            break;
        }
        acc = acc * 10 + (d - b'0') as i128;
        if acc > i64::MAX as i128 + 1 {
            return 0;
        }
    }
    if acc != 0 {
        let mut pad = point - total;
        while pad > 0 {
            acc *= 10;
            if acc > i64::MAX as i128 + 1 {
                return 0;
            }
            pad -= 1;
        }
    }
    let v = if neg { -acc } else { acc };
    i64::try_from(v).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncation_is_exact() {
        assert_eq!(truncate_seconds("1.999"), Some(1));
        assert_eq!(truncate_seconds("-1.999"), Some(-1));
        assert_eq!(truncate_seconds("9223372036854775807.5"), Some(i64::MAX));
        assert_eq!(truncate_seconds("9223372036854775808.5"), None);
        assert_eq!(truncate_seconds("1E+2"), Some(100));
        assert_eq!(truncate_seconds("0e999999999999"), Some(0));
        assert_eq!(truncate_seconds("5e-99999999999999999999"), Some(0));
    }

    #[test]
    fn whole_or_zero_is_exact() {
        assert_eq!(whole_or_zero("12"), 12);
        assert_eq!(whole_or_zero("-12"), -12);
        assert_eq!(whole_or_zero("12.0"), 12);
        assert_eq!(whole_or_zero("12.01"), 0);
        assert_eq!(whole_or_zero("1.2e1"), 12);
        assert_eq!(whole_or_zero("1.25e1"), 0);
        assert_eq!(whole_or_zero("120e-1"), 12);
        assert_eq!(whole_or_zero("9223372036854775807"), i64::MAX);
        assert_eq!(whole_or_zero("9223372036854775808"), 0);
        assert_eq!(whole_or_zero("-9223372036854775808"), i64::MIN);
        assert_eq!(whole_or_zero("0.5e-3"), 0);
        assert_eq!(whole_or_zero("1e999999999999999999999"), 0);
    }
}
