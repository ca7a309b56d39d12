/// FNV-1a, 64-bit, of a byte sequence: a fast non-cryptographic hash that, unlike Swift's
/// `hashValue`, is the same in every process and on every platform. Used where a name or a
/// listing must map to the same number on every run (per-parameter seeds, data-set fingerprints).
/// - Complexity: O(n) in the number of bytes.
public func fnv1a64<Bytes: Sequence>(_ bytes: Bytes) -> UInt64 where Bytes.Element == UInt8 {
    bytes.reduce(0xcbf2_9ce4_8422_2325) { ($0 ^ UInt64($1)) &* 0x100_0000_01b3 }
}
