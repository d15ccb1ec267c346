//! Random identifiers shaped like the ones the real services hand out.

const URL_SAFE: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";

/// A random UUID-looking string (`8-4-4-4-12` hex), as DashScope uses for `request_id`.
pub(crate) fn uuid() -> String {
    let hex = format!("{:032x}", fastrand::u128(..));
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// `len` random characters of the URL-safe base64 alphabet.
pub(crate) fn url_safe(len: usize) -> String {
    (0..len)
        .map(|_| char::from(URL_SAFE[fastrand::usize(..URL_SAFE.len())]))
        .collect()
}

/// `len` random decimal digits, the first one non-zero.
pub(crate) fn digits(len: usize) -> String {
    (0..len)
        .map(|i| {
            let low = if i == 0 { 1 } else { 0 };
            char::from(b'0' + fastrand::u8(low..10))
        })
        .collect()
}
