//! The audit log's Merkle tree, as RFC 9162 (Certificate Transparency 2.0) defines it:
//! leaf hash `SHA-256(0x00 ‖ entry)`, node hash `SHA-256(0x01 ‖ left ‖ right)`, the tree of `n`
//! leaves split at the largest power of two below `n`, inclusion and consistency proofs and
//! their verification.
//!
//! Storage is the caller's: a tree is kept as its *perfect nodes* ([`NodeId`]: `2^level` leaves
//! from a multiple of `2^level`), which never change once complete, plus the [`Frontier`] — the
//! perfect nodes of the right edge, enough to append the next leaf and to compute the root. A
//! proof is a list of subtree ranges ([`inclusion_ranges`], [`consistency_ranges`]); each range
//! is the hash of a few perfect nodes ([`range_nodes`], [`range_hash`]), which the caller reads
//! in one query.

use sha2::{Digest, Sha256};

/// A SHA-256 digest.
pub type Hash = [u8; 32];

/// `SHA-256(0x00 ‖ entry)`: the hash of one leaf (one entry's bytes).
pub fn leaf_hash(entry: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0x00]);
    h.update(entry);
    h.finalize().into()
}

/// `SHA-256(0x01 ‖ left ‖ right)`: the hash of an interior node.
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([0x01]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// The root of the empty tree: `SHA-256()` of nothing.
pub fn empty_root() -> Hash {
    Sha256::digest([]).into()
}

/// A perfect subtree: the `2^level` leaves from `index << level`. Level 0 is a leaf.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeId {
    /// Height above the leaves.
    pub level: u8,
    /// Position among the nodes of its level, from 0.
    pub index: u64,
}

impl NodeId {
    /// The leaves it covers: `[start, end)`.
    pub fn span(self) -> (u64, u64) {
        (self.index << self.level, (self.index + 1) << self.level)
    }
}

/// The largest power of two strictly below `n` (`n >= 2`).
fn split(n: u64) -> u64 {
    debug_assert!(n >= 2);
    1 << (63 - (n - 1).leading_zeros())
}

/// The perfect nodes whose hashes make up the subtree `[start, end)` of a proof, left to right,
/// largest first. Every range [`inclusion_ranges`] and [`consistency_ranges`] return decomposes
/// this way (its start is a multiple of its largest block).
pub fn range_nodes(start: u64, end: u64) -> Vec<NodeId> {
    let mut nodes = Vec::new();
    let mut at = start;
    while at < end {
        let left = end - at;
        let mut level = 63 - left.leading_zeros();
        // The largest block that fits and is aligned at `at`.
        while at & ((1u64 << level) - 1) != 0 {
            level -= 1;
        }
        nodes.push(NodeId {
            level: level as u8,
            index: at >> level,
        });
        at += 1 << level;
    }
    nodes
}

/// The hash of the subtree `[start, end)` from its perfect nodes (see [`range_nodes`]), as
/// `node` gives them; `None` when `node` lacks one.
pub fn range_hash(start: u64, end: u64, node: impl Fn(NodeId) -> Option<Hash>) -> Option<Hash> {
    let mut hashes = range_nodes(start, end)
        .into_iter()
        .map(node)
        .collect::<Option<Vec<_>>>()?;
    let mut acc = hashes.pop()?;
    while let Some(left) = hashes.pop() {
        acc = node_hash(&left, &acc);
    }
    Some(acc)
}

/// The subtrees whose hashes form the inclusion proof of leaf `index` in the tree of `size`
/// leaves, in proof order (nearest the leaf first): RFC 9162 `PATH(m, D[n])`. Empty for a tree of
/// one leaf; `None` when `index >= size`.
pub fn inclusion_ranges(index: u64, size: u64) -> Option<Vec<(u64, u64)>> {
    if index >= size {
        return None;
    }
    let mut ranges = Vec::new();
    let (mut start, mut end, mut m) = (0, size, index);
    while end - start > 1 {
        let k = split(end - start);
        if m < k {
            ranges.push((start + k, end));
            end = start + k;
        } else {
            ranges.push((start, start + k));
            start += k;
            m -= k;
        }
    }
    ranges.reverse();
    Some(ranges)
}

/// The subtrees whose hashes form the consistency proof from the tree of `old` leaves to the
/// tree of `new` leaves, in proof order: RFC 9162 `PROOF(m, D[n])`. Empty when `old` is 0 or
/// equals `new`; `None` when `old > new`.
pub fn consistency_ranges(old: u64, new: u64) -> Option<Vec<(u64, u64)>> {
    if old > new {
        return None;
    }
    if old == 0 || old == new {
        return Some(Vec::new());
    }
    // SUBPROOF(m, D[start:end], whole): the hashes are appended on the way back up, so they are
    // collected top-down and reversed.
    let mut ranges = Vec::new();
    let (mut start, mut end, mut m, mut whole) = (0, new, old, true);
    loop {
        let n = end - start;
        if m == n {
            if !whole {
                ranges.push((start, end));
            }
            break;
        }
        let k = split(n);
        if m <= k {
            ranges.push((start + k, end));
            end = start + k;
        } else {
            ranges.push((start, start + k));
            start += k;
            m -= k;
            whole = false;
        }
    }
    ranges.reverse();
    Some(ranges)
}

/// The inclusion proof of leaf `index` in the tree of `size` leaves, from the perfect nodes `node`
/// gives (a log's node store): `None` when `index >= size` or a node is missing.
pub fn inclusion_proof(
    index: u64,
    size: u64,
    node: impl Fn(NodeId) -> Option<Hash>,
) -> Option<Vec<Hash>> {
    inclusion_ranges(index, size)?
        .into_iter()
        .map(|(start, end)| range_hash(start, end, &node))
        .collect()
}

/// The consistency proof from the tree of `old` leaves to the tree of `new` leaves, from the
/// perfect nodes `node` gives: `None` when `old > new` or a node is missing.
pub fn consistency_proof(
    old: u64,
    new: u64,
    node: impl Fn(NodeId) -> Option<Hash>,
) -> Option<Vec<Hash>> {
    consistency_ranges(old, new)?
        .into_iter()
        .map(|(start, end)| range_hash(start, end, &node))
        .collect()
}

/// Checks that `leaf` is leaf `index` of the tree of `size` leaves whose root is `root`, with the
/// inclusion `proof` (RFC 9162, section 2.1.3.2).
pub fn verify_inclusion(leaf: &Hash, index: u64, size: u64, proof: &[Hash], root: &Hash) -> bool {
    if index >= size {
        return false;
    }
    let (mut f, mut s) = (index, size - 1);
    let mut r = *leaf;
    for p in proof {
        if s == 0 {
            return false;
        }
        if f & 1 == 1 || f == s {
            r = node_hash(p, &r);
            while f & 1 == 0 && f != 0 {
                f >>= 1;
                s >>= 1;
            }
        } else {
            r = node_hash(&r, p);
        }
        f >>= 1;
        s >>= 1;
    }
    s == 0 && r == *root
}

/// Checks that the tree of `old` leaves with root `old_root` is a prefix of the tree of `new`
/// leaves with root `new_root`, with the consistency `proof` (RFC 9162, section 2.1.4.2).
pub fn verify_consistency(
    old: u64,
    new: u64,
    old_root: &Hash,
    new_root: &Hash,
    proof: &[Hash],
) -> bool {
    if old > new {
        return false;
    }
    if old == new {
        return proof.is_empty() && old_root == new_root;
    }
    if old == 0 {
        return proof.is_empty();
    }
    let mut path: Vec<Hash> = Vec::with_capacity(proof.len() + 1);
    if old.is_power_of_two() {
        path.push(*old_root);
    }
    path.extend_from_slice(proof);
    let Some((first, rest)) = path.split_first() else {
        return false;
    };
    let (mut f, mut s) = (old - 1, new - 1);
    while f & 1 == 1 {
        f >>= 1;
        s >>= 1;
    }
    let (mut fr, mut sr) = (*first, *first);
    for c in rest {
        if s == 0 {
            return false;
        }
        if f & 1 == 1 || f == s {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            while f & 1 == 0 && f != 0 {
                f >>= 1;
                s >>= 1;
            }
        } else {
            sr = node_hash(&sr, c);
        }
        f >>= 1;
        s >>= 1;
    }
    fr == *old_root && sr == *new_root && s == 0
}

/// The right edge of a tree: its size and the perfect nodes that are not inside a larger one,
/// largest first. Appending a leaf completes zero or more perfect nodes; the root is a fold of
/// the frontier.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Frontier {
    size: u64,
    nodes: Vec<Hash>,
}

impl Frontier {
    /// The frontier of the empty tree.
    pub fn new() -> Self {
        Self::default()
    }

    /// The tree's number of leaves.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Appends a leaf (its hash); returns every perfect node it completed, the leaf itself
    /// first, from the lowest level up.
    pub fn push(&mut self, leaf: Hash) -> Vec<(NodeId, Hash)> {
        let index = self.size;
        let mut done = vec![(NodeId { level: 0, index }, leaf)];
        let mut hash = leaf;
        let mut level = 0u8;
        // One merge per trailing one bit of the old size.
        while (index >> level) & 1 == 1 {
            let Some(left) = self.nodes.pop() else {
                break;
            };
            hash = node_hash(&left, &hash);
            level += 1;
            done.push((
                NodeId {
                    level,
                    index: index >> level,
                },
                hash,
            ));
        }
        self.nodes.push(hash);
        self.size += 1;
        done
    }

    /// The root hash of the tree (RFC 9162 `MTH`).
    pub fn root(&self) -> Hash {
        let mut nodes = self.nodes.iter().rev();
        let Some(last) = nodes.next() else {
            return empty_root();
        };
        nodes.fold(*last, |acc, left| node_hash(left, &acc))
    }

    /// The frontier of a tree of `size` leaves from its perfect nodes, largest first (those of
    /// [`range_nodes`]`(0, size)`); `None` when their number is not the frontier's.
    pub fn from_nodes(size: u64, nodes: Vec<Hash>) -> Option<Self> {
        (nodes.len() == size.count_ones() as usize).then_some(Self { size, nodes })
    }

    /// The frontier as bytes: the size (8 bytes, big-endian) then each node's hash.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(8 + 32 * self.nodes.len());
        out.extend_from_slice(&self.size.to_be_bytes());
        for n in &self.nodes {
            out.extend_from_slice(n);
        }
        out
    }

    /// A frontier read back from [`Self::to_bytes`]; `None` when the bytes cannot be one.
    pub fn from_bytes(bytes: &[u8]) -> Option<Self> {
        let (size, rest) = bytes.split_first_chunk::<8>()?;
        if rest.len() % 32 != 0 {
            return None;
        }
        let nodes = rest
            .chunks_exact(32)
            .map(|c| <Hash>::try_from(c).ok())
            .collect::<Option<Vec<_>>>()?;
        Self::from_nodes(u64::from_be_bytes(*size), nodes)
    }
}

/// A log's tree held in memory: every perfect node, and the frontier. What a node store holds,
/// for tools and tests that build a log without a database.
#[derive(Debug, Clone, Default)]
pub struct MemoryTree {
    nodes: std::collections::HashMap<NodeId, Hash>,
    frontier: Frontier,
}

impl MemoryTree {
    /// The empty tree.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends a leaf (its hash).
    pub fn push(&mut self, leaf: Hash) {
        self.nodes.extend(self.frontier.push(leaf));
    }

    /// The number of leaves.
    pub fn size(&self) -> u64 {
        self.frontier.size()
    }

    /// The root of the whole tree.
    pub fn root(&self) -> Hash {
        self.frontier.root()
    }

    /// The root of the tree of the first `size` leaves; `None` beyond the tree.
    pub fn root_at(&self, size: u64) -> Option<Hash> {
        match size {
            0 => Some(empty_root()),
            n if n <= self.size() => range_hash(0, n, |id| self.node(id)),
            _ => None,
        }
    }

    /// A perfect node.
    pub fn node(&self, id: NodeId) -> Option<Hash> {
        self.nodes.get(&id).copied()
    }

    /// The inclusion proof of leaf `index` in the tree of the first `size` leaves.
    pub fn inclusion_proof(&self, index: u64, size: u64) -> Option<Vec<Hash>> {
        if size > self.size() {
            return None;
        }
        inclusion_proof(index, size, |id| self.node(id))
    }

    /// The consistency proof from the first `old` leaves to the first `new`.
    pub fn consistency_proof(&self, old: u64, new: u64) -> Option<Vec<Hash>> {
        if new > self.size() {
            return None;
        }
        consistency_proof(old, new, |id| self.node(id))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    /// RFC 9162 `MTH`, straight from its definition.
    fn mth(leaves: &[Hash]) -> Hash {
        match leaves.len() {
            0 => empty_root(),
            1 => leaves[0],
            n => {
                let k = split(n as u64) as usize;
                node_hash(&mth(&leaves[..k]), &mth(&leaves[k..]))
            }
        }
    }

    /// RFC 9162 `PATH`, straight from its definition.
    fn path(m: usize, leaves: &[Hash]) -> Vec<Hash> {
        let n = leaves.len();
        if n <= 1 {
            return Vec::new();
        }
        let k = split(n as u64) as usize;
        if m < k {
            let mut p = path(m, &leaves[..k]);
            p.push(mth(&leaves[k..]));
            p
        } else {
            let mut p = path(m - k, &leaves[k..]);
            p.push(mth(&leaves[..k]));
            p
        }
    }

    /// RFC 9162 `SUBPROOF`, straight from its definition.
    fn subproof(m: usize, leaves: &[Hash], whole: bool) -> Vec<Hash> {
        let n = leaves.len();
        if m == n {
            return if whole { Vec::new() } else { vec![mth(leaves)] };
        }
        let k = split(n as u64) as usize;
        if m <= k {
            let mut p = subproof(m, &leaves[..k], whole);
            p.push(mth(&leaves[k..]));
            p
        } else {
            let mut p = subproof(m - k, &leaves[k..], false);
            p.push(mth(&leaves[..k]));
            p
        }
    }

    fn leaves(n: usize) -> Vec<Hash> {
        (0..n)
            .map(|i| leaf_hash(format!("entry {i}").as_bytes()))
            .collect()
    }

    /// Every perfect node of a tree, as the frontier reports them on the way.
    fn store(leaves: &[Hash]) -> (Frontier, HashMap<NodeId, Hash>) {
        let mut frontier = Frontier::new();
        let mut nodes = HashMap::new();
        for l in leaves {
            nodes.extend(frontier.push(*l));
        }
        (frontier, nodes)
    }

    fn proof_from(ranges: &[(u64, u64)], nodes: &HashMap<NodeId, Hash>) -> Vec<Hash> {
        ranges
            .iter()
            .map(|&(a, b)| range_hash(a, b, |id| nodes.get(&id).copied()).expect("every node"))
            .collect()
    }

    #[test]
    fn the_frontier_root_is_the_tree_root_at_every_size() {
        let all = leaves(300);
        let mut frontier = Frontier::new();
        assert_eq!(frontier.root(), mth(&[]));
        for (i, l) in all.iter().enumerate() {
            frontier.push(*l);
            assert_eq!(frontier.root(), mth(&all[..=i]), "size {}", i + 1);
            let again = Frontier::from_bytes(&frontier.to_bytes()).expect("round trip");
            assert_eq!(again, frontier);
        }
    }

    #[test]
    fn perfect_nodes_hash_their_span() {
        let all = leaves(130);
        let (_, nodes) = store(&all);
        for (id, hash) in &nodes {
            let (a, b) = id.span();
            assert_eq!(*hash, mth(&all[a as usize..b as usize]), "{id:?}");
        }
        // 130 leaves: 130 + 65 + 32 + 16 + 8 + 4 + 2 + 1 perfect nodes.
        assert_eq!(nodes.len(), 130 + 65 + 32 + 16 + 8 + 4 + 2 + 1);
    }

    #[test]
    fn inclusion_proofs_match_the_definition_and_verify_for_every_leaf_and_size() {
        let all = leaves(300);
        let (_, nodes) = store(&all);
        let mut frontier = Frontier::new();
        for size in 1..=all.len() {
            frontier.push(all[size - 1]);
            let root = frontier.root();
            assert_eq!(root, mth(&all[..size]));
            for m in 0..size {
                let ranges = inclusion_ranges(m as u64, size as u64).expect("in range");
                let proof = proof_from(&ranges, &nodes);
                // The definition's recursion is slow: every proof up to 64 leaves, then a few.
                if size <= 64 || m % 37 == 0 || m + 1 == size {
                    assert_eq!(proof, path(m, &all[..size]), "m {m} size {size}");
                }
                assert!(verify_inclusion(
                    &all[m],
                    m as u64,
                    size as u64,
                    &proof,
                    &root
                ));
                let other = (m + 1) % size;
                if other != m {
                    assert!(!verify_inclusion(
                        &all[other],
                        m as u64,
                        size as u64,
                        &proof,
                        &root
                    ));
                }
            }
        }
        assert_eq!(inclusion_ranges(5, 5), None);
    }

    #[test]
    fn consistency_proofs_match_the_definition_and_verify_for_every_pair_of_sizes() {
        let all = leaves(300);
        let (_, nodes) = store(&all);
        let roots: Vec<Hash> = (0..=all.len()).map(|n| mth(&all[..n])).collect();
        for new in 1..=all.len() {
            let new_root = roots[new];
            for old in 1..=new {
                let old_root = roots[old];
                let ranges = consistency_ranges(old as u64, new as u64).expect("old <= new");
                let proof = proof_from(&ranges, &nodes);
                if new <= 64 || old % 29 == 0 {
                    let expected = if old == new {
                        Vec::new()
                    } else {
                        subproof(old, &all[..new], true)
                    };
                    assert_eq!(proof, expected, "{old} -> {new}");
                }
                assert!(
                    verify_consistency(old as u64, new as u64, &old_root, &new_root, &proof),
                    "{old} -> {new}"
                );
                if old < new {
                    let wrong = roots[old - 1];
                    assert!(!verify_consistency(
                        old as u64, new as u64, &wrong, &new_root, &proof
                    ));
                }
            }
        }
    }

    #[test]
    fn a_memory_tree_proves_every_leaf_of_every_prefix_as_the_definitions_do() {
        let all = leaves(100);
        let mut tree = MemoryTree::new();
        for leaf in &all {
            tree.push(*leaf);
        }
        assert_eq!(tree.root(), mth(&all));
        for size in 0..=all.len() {
            let root = tree.root_at(size as u64).expect("a prefix");
            assert_eq!(root, mth(&all[..size]));
            for m in 0..size {
                let proof = tree
                    .inclusion_proof(m as u64, size as u64)
                    .expect("in range");
                assert_eq!(proof, path(m, &all[..size]), "m {m} size {size}");
            }
            for old in 1..size {
                let proof = tree
                    .consistency_proof(old as u64, size as u64)
                    .expect("old < new");
                assert_eq!(proof, subproof(old, &all[..size], true), "{old} -> {size}");
            }
        }
        assert_eq!(tree.root_at(101), None);
        assert_eq!(tree.inclusion_proof(3, 101), None);
        assert_eq!(tree.consistency_proof(3, 101), None);
    }

    #[test]
    fn a_changed_leaf_changes_the_root_and_fails_its_proof() {
        let mut all = leaves(37);
        let root = mth(&all);
        let (_, nodes) = store(&all);
        let proof = proof_from(&inclusion_ranges(20, 37).expect("in range"), &nodes);
        all[20] = leaf_hash(b"altered");
        assert_ne!(mth(&all), root);
        assert!(!verify_inclusion(&all[20], 20, 37, &proof, &root));
    }

    #[test]
    fn frontier_bytes_of_the_wrong_shape_are_refused() {
        let (frontier, _) = store(&leaves(5));
        let mut bytes = frontier.to_bytes();
        bytes.pop();
        assert_eq!(Frontier::from_bytes(&bytes), None);
        assert_eq!(Frontier::from_bytes(&[0; 7]), None);
        let mut wrong_size = frontier.to_bytes();
        wrong_size[7] = 7;
        assert_eq!(Frontier::from_bytes(&wrong_size), None);
    }
}
