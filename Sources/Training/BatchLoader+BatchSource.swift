import Datasets

/// The data set loader feeds the trainer directly: batches are decoded, cropped, augmented and
/// preprocessed on a background thread while the previous step computes.
extension BatchLoader: BatchSource {
    public var imageCount: Int { files.count }

    public func forEachBatch(epoch: Int, _ body: (Batch) throws -> Void) throws {
        try forEachBatch(epoch: epoch) { (loaded: LoadedBatch) in
            try body(Batch(images: loaded.images, labels: loaded.labels))
        }
    }
}
