/// Disjoint sets over `0..<count` (union by size, path halving).
public struct UnionFind: Sendable {
    private var parent: [Int]
    private var size: [Int]

    public init(count: Int) {
        parent = Array(0..<count)
        size = Array(repeating: 1, count: count)
    }

    /// The representative of `element`'s set.
    public mutating func find(_ element: Int) -> Int {
        var element = element
        while parent[element] != element {
            parent[element] = parent[parent[element]]
            element = parent[element]
        }
        return element
    }

    /// Merges the sets of `a` and `b`.
    public mutating func union(_ a: Int, _ b: Int) {
        var (rootA, rootB) = (find(a), find(b))
        guard rootA != rootB else { return }
        if size[rootA] < size[rootB] { swap(&rootA, &rootB) }
        parent[rootB] = rootA
        size[rootA] += size[rootB]
    }

    /// Each element's set as a number `0..<setCount`, numbered in order of first appearance.
    public mutating func components() -> [Int] {
        var numbers: [Int: Int] = [:]
        return parent.indices.map { element in
            let root = find(element)
            if let number = numbers[root] { return number }
            numbers[root] = numbers.count
            return numbers.count - 1
        }
    }
}

/// Which files show the same image: equal file bytes, equal decoded pixels, or perceptual hashes
/// within `nearThreshold` bits of each other.
public struct DuplicateGroups: Sendable {
    /// A near-duplicate pair: files `first < second`, their hash distance.
    public struct NearPair: Equatable, Codable, Sendable {
        public let first: Int, second: Int, distance: Int
    }

    /// The distinct image (exact or near duplicates merged) of each file, numbered from 0.
    public let imageOfFile: [Int]
    /// The number of distinct images.
    public let imageCount: Int
    /// Pairs of files with different pixels whose hashes are within the threshold.
    public let nearPairs: [NearPair]
    /// Files whose bytes equal an earlier file's.
    public let identicalFileCount: Int
    /// Files whose bytes differ from every earlier file's but whose pixels equal one's.
    public let identicalPixelCount: Int
    /// The smallest hash distance between two files of different images, or nil with fewer than two images.
    public let smallestDistinctDistance: Int?

    /// The default near-duplicate threshold for 1024-bit hashes, from the shared data set: re-encoding,
    /// a changed pixel or a 10 % brightness change flip at most about 10 bits; distinct pages differ in 40 or more.
    public static let defaultNearThreshold = 20

    /// Groups the files by their fingerprints.
    ///
    /// - Complexity: O(n²) hash comparisons (a few hundred thousand for a thousand files).
    public init(_ fingerprints: [ImageFingerprint], nearThreshold: Int = defaultNearThreshold) {
        var sets = UnionFind(count: fingerprints.count)
        var firstWithBytes: [String: Int] = [:], firstWithPixels: [String: Int] = [:]
        var identicalFiles = 0, identicalPixels = 0
        // One representative per distinct pixel content; near pairs are looked for among those.
        var representatives: [Int] = []
        for (index, print) in fingerprints.enumerated() {
            if let earlier = firstWithBytes[print.fileSHA256] {
                sets.union(earlier, index)
                identicalFiles += 1
            } else if let earlier = firstWithPixels[print.pixelSHA256] {
                sets.union(earlier, index)
                identicalPixels += 1
            } else {
                representatives.append(index)
            }
            if firstWithBytes[print.fileSHA256] == nil { firstWithBytes[print.fileSHA256] = index }
            if firstWithPixels[print.pixelSHA256] == nil { firstWithPixels[print.pixelSHA256] = index }
        }
        var pairs: [NearPair] = []
        var distances: [(first: Int, second: Int, distance: Int)] = []
        for (position, first) in representatives.enumerated() {
            for second in representatives[(position + 1)...] {
                let distance = fingerprints[first].perceptualHash.distance(to: fingerprints[second].perceptualHash)
                distances.append((first, second, distance))
                if distance <= nearThreshold {
                    pairs.append(NearPair(first: first, second: second, distance: distance))
                    sets.union(first, second)
                }
            }
        }
        imageOfFile = sets.components()
        imageCount = (imageOfFile.max() ?? -1) + 1
        smallestDistinctDistance = distances.lazy.filter { [imageOfFile] in imageOfFile[$0.first] != imageOfFile[$0.second] }
            .map(\.distance).min()
        nearPairs = pairs
        identicalFileCount = identicalFiles
        identicalPixelCount = identicalPixels
    }
}
