import Determinism
import Foundation
import ImageIO
import Tensors

/// One batch from a ``BatchLoader``.
public struct LoadedBatch: Sendable {
    /// `N x S x S x 3`, preprocessed as the transform says.
    public let images: Tensor
    /// The class index of each image.
    public let labels: [Int]
    /// The file of each image.
    public let files: [LabeledFile]
}

/// Batches of images for training and evaluation: decoded, cropped, resized, augmented and
/// preprocessed on background threads, a bounded number of batches ahead of the consumer, so
/// loading overlaps the training step.
///
/// Each image is decoded once: the crop, resized to a cache resolution, is kept (up to
/// `cacheBytes`) and later epochs start from it. Without augmentation the cache holds the exact
/// input-size image `InputSpec.resized` gives, so batches equal `InputSpec.apply`. With
/// augmentation it holds a `cacheScale` times larger square, which is augmented and then resized
/// to the input size, so shifts and rotations keep detail.
public final class BatchLoader: Sendable {
    public let files: [LabeledFile]
    public let transform: InputSpec
    public let augmentation: Augmentation
    public let batchSize: Int
    public let shuffle: Bool, dropLast: Bool
    public let seed: UInt64
    /// Loading threads, and how many batches they may prepare beyond the one being consumed.
    public let workers: Int, prefetch: Int
    /// The side of the cached square when augmenting, as a multiple of the input size.
    public static let cacheScale = 1.25
    let cache: ImageCache

    /// - Parameters:
    ///   - workers: Loading threads; one by default, leaving the other cores to compute.
    ///   - prefetch: Batches prepared ahead of the consumer (at least 1).
    ///   - cacheBytes: The most decoded pixels kept between epochs; images beyond it are decoded again.
    public init(files: [LabeledFile], transform: InputSpec, augmentation: Augmentation = .none, batchSize: Int,
                shuffle: Bool = true, dropLast: Bool = false, seed: UInt64 = 0, workers: Int = 1, prefetch: Int = 2,
                cacheBytes: Int = 1 << 30) {
        precondition(batchSize > 0 && workers > 0 && prefetch > 0, "batch size, workers and prefetch must be positive")
        self.files = files
        self.transform = transform
        self.augmentation = augmentation
        self.batchSize = batchSize
        self.shuffle = shuffle
        self.dropLast = dropLast
        self.seed = seed
        self.workers = workers
        self.prefetch = prefetch
        cache = ImageCache(limit: cacheBytes)
    }

    /// Batches per epoch.
    public var batchCount: Int { dropLast ? files.count / batchSize : (files.count + batchSize - 1) / batchSize }

    /// The order of `files` in epoch `epoch`: shuffled afresh per epoch (the same for a seed), or as given.
    public func order(epoch: Int) -> [Int] {
        guard shuffle else { return Array(files.indices) }
        var generator = SplitMix64(seed: seed &+ 0x9E37_79B9_7F4A_7C15 &* UInt64(epoch + 1))
        return shuffled(Array(files.indices), using: &generator)
    }

    /// Starts loading epoch `epoch`; read its batches with ``Epoch/next()``.
    public func epoch(_ epoch: Int) -> Epoch {
        let order = order(epoch: epoch)
        let batches = (0..<batchCount).map { Array(order[($0 * batchSize)..<min(($0 + 1) * batchSize, order.count)]) }
        return Epoch(loader: self, epoch: epoch, batches: batches)
    }

    /// Calls `body` with each batch of epoch `epoch` in turn.
    public func forEachBatch(epoch: Int, _ body: (LoadedBatch) throws -> Void) throws {
        let batches = self.epoch(epoch)
        while let batch = try batches.next() { try body(batch) }
    }

    /// The batch of files at `indices`, image `i` augmented with a generator seeded by (seed, epoch, file).
    func load(_ indices: [Int], epoch: Int) throws(DatasetError) -> LoadedBatch {
        let size = transform.inputSize
        var inputs: [RGBImage] = []
        for index in indices {
            var image = try cached(index)
            if !augmentation.isIdentity {
                var generator = SplitMix64(seed: seed ^ (UInt64(epoch) &* 0xD1B5_4A32_D192_ED03) ^ (UInt64(index) &* 0x9E37_79B9_7F4A_7C15))
                image = augmentation.apply(to: image, using: &generator)
            }
            inputs.append(image)
        }
        // The rest of the contract's pipeline (resize to the input size, preprocessing) is the
        // InputSpec's, as at inference: without augmentation the input equals `transform.apply`.
        let images = Tensor(shape: [indices.count, size, size, 3]) { destination in
            for (slot, image) in inputs.enumerated() {
                transform.apply(toResized: image, into: destination + slot * transform.valuesPerImage)
            }
        }
        return LoadedBatch(images: images, labels: indices.map { files[$0].label }, files: indices.map { files[$0] })
    }

    /// File `index` cropped and resized to the cache resolution, decoded at most once while the cache has room.
    private func cached(_ index: Int) throws(DatasetError) -> RGBImage {
        if let image = cache[index] { return image }
        let page = try readImage(files[index].url, for: transform).image
        let side = augmentation.isIdentity ? transform.inputSize : Int((Double(transform.inputSize) * Self.cacheScale).rounded())
        let image = transform.resized(page, side: side)
        cache[index] = image
        return image
    }
}

/// Decoded images by file index, up to a byte limit (first come, first kept).
final class ImageCache: @unchecked Sendable {
    private var images: [Int: RGBImage] = [:]
    private var bytes = 0
    private let limit: Int
    private let lock = NSLock()

    init(limit: Int) { self.limit = limit }

    subscript(index: Int) -> RGBImage? {
        get { lock.withLock { images[index] } }
        set {
            guard let newValue else { return }
            lock.withLock {
                guard images[index] == nil, bytes + newValue.pixels.count <= limit else { return }
                images[index] = newValue
                bytes += newValue.pixels.count
            }
        }
    }

    /// How many images are kept.
    var count: Int { lock.withLock { images.count } }
}
