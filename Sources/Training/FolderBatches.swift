import Datasets
import Dispatch
import Foundation
import ImageIO
import Tensors

/// Batches read from a folder of class folders: each image decoded, (augmented,) cropped,
/// resized and preprocessed by `InputTransform`, exactly as inference will see it. The next
/// batch is prepared on a background thread while the current one trains.
///
/// Without augmentation every image's transformed pixels are kept after the first epoch, so
/// later epochs (and every validation pass) skip decoding.
public final class FolderBatches: BatchSource {
    public let folder: ImageFolder
    public let transform: InputTransform
    /// Applied to each decoded page before the transform, afresh every epoch; nil for none.
    public let augment: (@Sendable (RGBImage, inout SplitMix64) -> RGBImage)?
    public let batchSize: Int
    public let shuffled: Bool
    public let seed: UInt64
    private let cache = ImageCache()

    public init(_ folder: ImageFolder, transform: InputTransform,
                augment: (@Sendable (RGBImage, inout SplitMix64) -> RGBImage)?, batchSize: Int,
                shuffled: Bool, seed: UInt64) {
        precondition(batchSize > 0, "batch size must be positive")
        self.folder = folder
        self.transform = transform
        self.augment = augment
        self.batchSize = batchSize
        self.shuffled = shuffled
        self.seed = seed
    }

    public var imageCount: Int { folder.files.count }
    public var batchCount: Int { (folder.files.count + batchSize - 1) / batchSize }

    public func forEachBatch(epoch: Int, _ body: (Batch) throws -> Void) throws {
        var order = Array(folder.files.indices)
        if shuffled {
            var generator = SplitMix64(seed: seed &+ UInt64(epoch) &* 0x9E37_79B9)
            order.shuffle(using: &generator)
        }
        let starts = Array(stride(from: 0, to: order.count, by: batchSize))
        let queue = DispatchQueue(label: "ecglens.batches")
        var pending: DispatchWorkItem?
        var next: Result<Batch, any Error>?
        func prepare(_ index: Int) {
            let rows = Array(order[starts[index] ..< min(starts[index] + batchSize, order.count)])
            let item = DispatchWorkItem { next = Result { try self.batch(rows, epoch: epoch) } }
            pending = item
            queue.async(execute: item)
        }
        prepare(0)
        for index in starts.indices {
            pending!.wait()
            let ready = try next!.get()
            if index + 1 < starts.count { prepare(index + 1) }
            try body(ready)
        }
    }

    /// The images at `rows` of `folder.files`, transformed, with their labels.
    private func batch(_ rows: [Int], epoch: Int) throws -> Batch {
        let perImage = transform.valuesPerImage
        let images = try Tensor(shape: [rows.count, transform.inputSize, transform.inputSize, 3]) { destination in
            for (slot, row) in rows.enumerated() {
                let image = try input(row, epoch: epoch)
                transform.preprocessing.apply(to: image, into: destination + slot * perImage)
            }
        }
        return Batch(images: images, labels: rows.map { folder.files[$0].label })
    }

    /// Image `row`, cropped and resized (and augmented first when augmenting).
    private func input(_ row: Int, epoch: Int) throws -> RGBImage {
        if augment == nil, let cached = cache[row] { return cached }
        let url = folder.files[row].url
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw CocoaError(.fileReadUnknown, userInfo: [NSFilePathErrorKey: url.path])
        }
        var page: RGBImage
        do {
            page = try ImageDecoder.decode(data)
        } catch {
            throw TrainingDataError.unreadableImage(path: url.path, reason: "\(error)")
        }
        if let augment {
            var generator = SplitMix64(seed: seed ^ (UInt64(epoch) << 32 | UInt64(row)))
            page = augment(page, &generator)
        }
        let resized = transform.resized(page)
        if augment == nil { cache[row] = resized }
        return resized
    }
}

/// Why a training image could not be used.
public enum TrainingDataError: Error, CustomStringConvertible {
    case unreadableImage(path: String, reason: String)

    public var description: String {
        switch self {
        case let .unreadableImage(path, reason): "\(path): \(reason)"
        }
    }
}

/// Transformed images by row, shared between the loading thread and the next epoch.
private final class ImageCache: @unchecked Sendable {
    private var images: [Int: RGBImage] = [:]
    private let lock = NSLock()

    subscript(row: Int) -> RGBImage? {
        get { lock.withLock { images[row] } }
        set { lock.withLock { images[row] = newValue } }
    }
}
