import Determinism

/// The three parts of a split, in the order they are filled and written.
public enum SplitName: String, CaseIterable, Codable, Sendable, Comparable {
    case train, validation, test

    public static func < (a: SplitName, b: SplitName) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}

/// The share of distinct images each split should get, per class.
public struct SplitFractions: Codable, Equatable, Sendable {
    public let train: Double, validation: Double, test: Double

    /// Returns nil unless both are in 0..<1 and leave something to train on.
    public init?(validation: Double, test: Double) {
        guard (0..<1).contains(validation), (0..<1).contains(test), validation + test < 1 else { return nil }
        self.train = 1 - validation - test
        self.validation = validation
        self.test = test
    }

    public subscript(split: SplitName) -> Double {
        switch split {
        case .train: train
        case .validation: validation
        case .test: test
        }
    }
}

/// Assigns whole groups of files to splits so that each class's distinct images come close to the
/// target fractions (stratified group split).
///
/// Groups are taken largest first (ties in a seeded random order); each goes to the split whose
/// classes most lack it: the split with the highest sum, over the group's classes, of the group's
/// images times that class's remaining shortfall as a fraction of the class's images.
public enum SplitPlan {
    /// The split of each group.
    ///
    /// - Parameters:
    ///   - groupImages: For each group, its distinct images per class (`classCount` numbers).
    ///   - fractions: The targets.
    ///   - seed: Orders groups of equal size; the same seed gives the same split.
    public static func assign(groupImages: [[Int]], fractions: SplitFractions, seed: UInt64) -> [SplitName] {
        let bins = assign(groupImages: groupImages, shares: SplitName.allCases.map { fractions[$0] }, seed: seed)
        return bins.map { SplitName.allCases[$0] }
    }

    /// The bin of each group, for any number of bins: what both a split and the folds of a
    /// cross-validation (`CrossValidationFolds`, `k` bins of share `1/k`) are made of.
    ///
    /// - Parameters:
    ///   - groupImages: For each group, its distinct images per class (`classCount` numbers).
    ///   - shares: Each bin's target share of every class; bins with share 0 get nothing.
    ///   - seed: Orders groups of equal size; the same seed gives the same assignment.
    /// - Returns: An index into `shares` per group.
    public static func assign(groupImages: [[Int]], shares: [Double], seed: UInt64) -> [Int] {
        let classCount = groupImages.first?.count ?? 0
        let classTotals = (0..<classCount).map { c in groupImages.reduce(0) { $0 + $1[c] } }
        let bins = shares.indices.filter { shares[$0] > 0 }
        precondition(!bins.isEmpty, "some bin must have a positive share")
        var generator = SplitMix64(seed: seed)
        let order = shuffled(Array(groupImages.indices), using: &generator)
            .enumerated()
            .sorted { a, b in
                let (sizeA, sizeB) = (groupImages[a.element].reduce(0, +), groupImages[b.element].reduce(0, +))
                return sizeA != sizeB ? sizeA > sizeB : a.offset < b.offset
            }
            .map(\.element)
        var assigned = Array(repeating: [Int](repeating: 0, count: classCount), count: shares.count)
        var result = Array(repeating: bins[0], count: groupImages.count)
        for group in order {
            var best = bins[0], bestScore = -Double.infinity
            for bin in bins {
                var score = 0.0
                for c in 0..<classCount where groupImages[group][c] > 0 {
                    let shortfall = shares[bin] * Double(classTotals[c]) - Double(assigned[bin][c])
                    score += Double(groupImages[group][c]) * shortfall / Double(classTotals[c])
                }
                if score > bestScore { (best, bestScore) = (bin, score) }
            }
            result[group] = best
            for c in 0..<classCount { assigned[best][c] += groupImages[group][c] }
        }
        return result
    }
}

/// Fisher-Yates with SplitMix64: the same order for a seed on every platform and Swift version
/// (the standard library's `shuffled(using:)` does not promise its algorithm).
public func shuffled<Element>(_ elements: [Element], using generator: inout SplitMix64) -> [Element] {
    var elements = elements
    guard elements.count > 1 else { return elements }
    for index in stride(from: elements.count - 1, to: 0, by: -1) {
        let other = Int(generator.next() % UInt64(index + 1))
        elements.swapAt(index, other)
    }
    return elements
}
