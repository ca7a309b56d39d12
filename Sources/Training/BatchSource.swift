import Determinism
import Tensors

/// A batch of preprocessed images (`N x S x S x 3`) and their class indices.
public struct Batch: Sendable {
    public var images: Tensor
    public var labels: [Int]

    public init(images: Tensor, labels: [Int]) {
        precondition(images.shape.first == labels.count, "one label per image")
        self.images = images
        self.labels = labels
    }
}

/// Where a trainer gets its batches: a folder of images decoded and augmented in the
/// background, or tensors already in memory.
public protocol BatchSource {
    /// The number of images in one epoch.
    var imageCount: Int { get }
    /// The number of batches in one epoch.
    var batchCount: Int { get }
    /// Calls `body` with each batch of epoch `epoch` (from 0) in turn; a source that shuffles or
    /// augments does so afresh, and reproducibly, for each epoch.
    func forEachBatch(epoch: Int, _ body: (Batch) throws -> Void) throws
}

/// Batches cut from images already preprocessed in memory, in a fresh order each epoch
/// (reproducible for a seed) when `shuffled`.
public struct InMemoryBatches: BatchSource {
    public let images: Tensor
    public let labels: [Int]
    public let batchSize: Int
    public let shuffled: Bool
    public let seed: UInt64

    /// - Parameter images: `N x ...`, one row per label.
    public init(images: Tensor, labels: [Int], batchSize: Int, shuffled: Bool = true, seed: UInt64 = 0) {
        precondition(images.shape.first == labels.count && batchSize > 0, "one label per image, positive batch size")
        self.images = images
        self.labels = labels
        self.batchSize = batchSize
        self.shuffled = shuffled
        self.seed = seed
    }

    public var imageCount: Int { labels.count }
    public var batchCount: Int { (labels.count + batchSize - 1) / batchSize }

    public func forEachBatch(epoch: Int, _ body: (Batch) throws -> Void) throws {
        var order = Array(labels.indices)
        if shuffled {
            var generator = SplitMix64(seed: seed &+ UInt64(epoch) &* 0x9E37_79B9)
            order.shuffle(using: &generator)
        }
        let rowShape = Array(images.shape.dropFirst())
        let rowSize = rowShape.reduce(1, *)
        for start in stride(from: 0, to: order.count, by: batchSize) {
            let rows = order[start ..< min(start + batchSize, order.count)]
            let batch = Tensor(shape: [rows.count] + rowShape) { destination in
                images.withPointer { source in
                    for (slot, row) in rows.enumerated() {
                        (destination + slot * rowSize).update(from: source + row * rowSize, count: rowSize)
                    }
                }
            }
            try body(Batch(images: batch, labels: rows.map { labels[$0] }))
        }
    }
}
