import Determinism
import Foundation

/// The random draws the generator makes, on top of `SplitMix64`'s 64-bit words.
extension SplitMix64 {
    /// A generator for one item of a seeded series (page `index` of seed `seed`): the same numbers
    /// whichever thread makes the item, and unrelated streams for neighbouring indices.
    public init(seed: UInt64, stream: UInt64) {
        var seedMixer = SplitMix64(seed: seed)
        var streamMixer = SplitMix64(seed: stream &+ seedMixer.next())
        self.init(seed: streamMixer.next() ^ seedMixer.next())
    }

    /// A uniform draw from `range`.
    mutating func uniform(_ range: ClosedRange<Double>) -> Double {
        range.lowerBound + Double(next() >> 11) * 0x1p-53 * (range.upperBound - range.lowerBound)
    }

    /// A standard normal draw (Box–Muller).
    mutating func normal() -> Double {
        let u = max(uniform(0...1), 1e-300), v = uniform(0...1)
        return (-2 * log(u)).squareRoot() * cos(2 * .pi * v)
    }

    /// True with probability `p`.
    mutating func chance(_ p: Double) -> Bool { uniform(0...1) < p }

    /// One element of a non-empty array, uniformly.
    mutating func pick<T>(_ items: [T]) -> T { items[Int(next() % UInt64(items.count))] }

    /// A uniform integer in `range`.
    mutating func integer(_ range: ClosedRange<Int>) -> Int {
        range.lowerBound + Int(next() % UInt64(range.upperBound - range.lowerBound + 1))
    }
}
