//! Node and client names: a client's constant head, and a name's number.

/// The part of each of `client`'s requests to `node` that is the same in each.
pub(super) fn head(client: &str, node: &str) -> Vec<u8> {
    let mut head = Vec::with_capacity(client.len() + node.len() + 32);
    echo_wire::frame::echo_head(&mut head, client.as_bytes(), node.as_bytes());
    head
}

/// `k` of a name `{prefix}{k}` (`n3`, `c12`), written as Maelstrom writes it (no leading
/// zero).
pub(super) fn n_index(name: &[u8], prefix: u8) -> Option<usize> {
    let digits = name.strip_prefix(&[prefix])?;
    if digits.is_empty() || digits.len() > 19 || (digits[0] == b'0' && digits.len() > 1) {
        return None;
    }
    digits.iter().try_fold(0usize, |k, &d| {
        d.is_ascii_digit().then(|| k * 10 + (d - b'0') as usize)
    })
}
