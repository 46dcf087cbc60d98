//! Node and client names: the nodes' names and what a node is known by, a client's
//! constant head, and a name's number.

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

/// The nodes' names, and how a node is known by its name.
pub struct Names {
    /// The nodes' names, in order (a [`crate::config::Config`]'s are `n{first_node}`,
    /// then each one more).
    names: Vec<String>,
    /// The number in the first node's name (`n0`: 0, `n1`: 1): node `k` is `names[k -
    /// first_node]`.
    first_node: usize,
    /// Whether every name is `n{first_node + k}`, as a [`crate::config::Config`]'s always
    /// are (the router's caller may give others).
    plain: bool,
    /// `["n1","n2",...]`, as every init carries it.
    node_ids: Vec<u8>,
}

impl Names {
    /// The nodes named `names`, in order.
    pub fn new(names: Vec<String>) -> Names {
        let first_node = names
            .first()
            .and_then(|n| n_index(n.as_bytes(), b'n'))
            .unwrap_or(0);
        let plain = names
            .iter()
            .enumerate()
            .all(|(k, name)| *name == format!("n{}", first_node + k));
        Names {
            node_ids: echo_wire::frame::node_ids(&names),
            first_node,
            plain,
            names,
        }
    }

    /// Every node's name, in order.
    pub fn all(&self) -> &[String] {
        &self.names
    }

    /// How many nodes there are.
    pub fn count(&self) -> usize {
        self.names.len()
    }

    /// Node `k`'s name.
    pub fn of(&self, k: usize) -> &str {
        &self.names[k]
    }

    /// `["n1","n2",...]`, as every init carries it.
    pub fn node_ids(&self) -> &[u8] {
        &self.node_ids
    }

    /// The index of the node named `name` (its bytes), if one is.
    #[inline]
    pub fn index(&self, name: &[u8]) -> Option<usize> {
        let k = n_index(name, b'n')?.checked_sub(self.first_node)?;
        // Names `n{first_node + k}` are known from their digits (no leading zero).
        if k >= self.names.len() || (!self.plain && self.names[k].as_bytes() != name) {
            return None;
        }
        Some(k)
    }
}
