import Datasets
import Foundation
import ImageIO
import Tensors
import Testing

@Suite("Batch loader")
struct BatchLoaderTests {
    static let transform = InputSpec(inputSize: 24, resize: .bilinear, preprocessing: .standard, crop: CropBox(left: 0.05, top: 0.1, right: 0.95, bottom: 0.9))

    /// `count` distinct pages as PNG files in two classes.
    static func makeFiles(_ count: Int) throws -> (root: URL, files: [LabeledFile]) {
        let root = try SyntheticPages.temporaryFolder("loader")
        for index in 0..<count {
            try SyntheticPages.write(try ImageEncoder.png(SyntheticPages.page(seed: UInt64(index))), to: root,
                                     index % 2 == 0 ? "A" : "B", String(format: "%03d.png", index))
        }
        return (root, try ImageFolder(directory: root).files)
    }

    @Test("every file appears once per epoch; the order changes between epochs and repeats for a seed")
    func epochs() throws {
        let (root, files) = try Self.makeFiles(11)
        defer { try? FileManager.default.removeItem(at: root) }
        let loader = BatchLoader(files: files, transform: Self.transform, batchSize: 4, seed: 9, workers: 2)
        var orders: [[URL]] = []
        for epoch in 0..<3 {
            var seen: [LabeledFile] = []
            var sizes: [Int] = []
            try loader.forEachBatch(epoch: epoch) { batch in
                #expect(batch.images.shape == [batch.files.count, 24, 24, 3])
                #expect(batch.labels == batch.files.map(\.label))
                sizes.append(batch.files.count)
                seen += batch.files
            }
            #expect(sizes == [4, 4, 3])
            #expect(Set(seen) == Set(files) && seen.count == files.count)
            orders.append(seen.map(\.url))
        }
        #expect(orders[0] != orders[1] && orders[1] != orders[2])
        let again = BatchLoader(files: files, transform: Self.transform, batchSize: 4, seed: 9)
        var repeated: [URL] = []
        try again.forEachBatch(epoch: 1) { repeated += $0.files.map(\.url) }
        #expect(repeated == orders[1])
        let dropping = BatchLoader(files: files, transform: Self.transform, batchSize: 4, shuffle: false, dropLast: true)
        #expect(dropping.batchCount == 2)
        var unshuffled: [URL] = []
        try dropping.forEachBatch(epoch: 0) { unshuffled += $0.files.map(\.url) }
        #expect(unshuffled == files.prefix(8).map(\.url))
    }

    @Test("without augmentation a batch equals InputSpec.apply of each image, in every epoch")
    func matchesInputSpec() throws {
        let (root, files) = try Self.makeFiles(5)
        defer { try? FileManager.default.removeItem(at: root) }
        let loader = BatchLoader(files: files, transform: Self.transform, batchSize: 5)
        for epoch in 0..<2 {
            try loader.forEachBatch(epoch: epoch) { batch in
                let values = batch.images.scalars
                for (slot, file) in batch.files.enumerated() {
                    let image = try ImageDecoder.decode(Data(contentsOf: file.url))
                    var expected = [Float](repeating: 0, count: Self.transform.valuesPerImage)
                    expected.withUnsafeMutableBufferPointer { Self.transform.apply(to: image, into: $0.baseAddress!) }
                    let offset = slot * Self.transform.valuesPerImage
                    #expect(Array(values[offset..<(offset + expected.count)]) == expected)
                }
            }
        }
    }

    @Test("augmented batches differ between epochs, repeat for a seed, and keep the input size")
    func augmented() throws {
        let (root, files) = try Self.makeFiles(4)
        defer { try? FileManager.default.removeItem(at: root) }
        func images(epoch: Int, workers: Int) throws -> [Float] {
            let loader = BatchLoader(files: files, transform: Self.transform, augmentation: .ecg, batchSize: 4, shuffle: false,
                                     seed: 3, workers: workers)
            var values: [Float] = []
            try loader.forEachBatch(epoch: epoch) { values += $0.images.scalars }
            return values
        }
        let first = try images(epoch: 0, workers: 1)
        #expect(first.count == 4 * Self.transform.valuesPerImage)
        #expect(try images(epoch: 0, workers: 2) == first)
        #expect(try images(epoch: 1, workers: 1) != first)
    }

    @Test("the loaders run ahead: after the queue fills, the consumer takes that many batches without waiting")
    func prefetches() throws {
        let (root, files) = try Self.makeFiles(12)
        defer { try? FileManager.default.removeItem(at: root) }
        let loader = BatchLoader(files: files, transform: Self.transform, batchSize: 2, prefetch: 3)
        let epoch = loader.epoch(0)
        #expect(epoch.waitUntilPrefetched(timeout: 120))
        for _ in 0..<3 { #expect(try epoch.next() != nil) }
        #expect(epoch.waits == 0)
        var remaining = 0
        while try epoch.next() != nil { remaining += 1 }
        #expect(remaining == 3)
    }

    @Test("a corrupt file makes its batch throw an error naming it, after the batches before it")
    func corruptFile() throws {
        let (root, files) = try Self.makeFiles(6)
        defer { try? FileManager.default.removeItem(at: root) }
        let broken = files[4].url
        try Data([0xFF, 0xD8, 0xFF, 0x00, 0x01]).write(to: broken)
        let loader = BatchLoader(files: files, transform: Self.transform, batchSize: 2, shuffle: false, workers: 2)
        let epoch = loader.epoch(0)
        #expect(try epoch.next() != nil)
        #expect(try epoch.next() != nil)
        #expect {
            _ = try epoch.next()
        } throws: { error in
            guard case DatasetError.unreadableImage(let path, _) = error else { return false }
            return path == broken.path
        }
        #expect(try epoch.next() == nil)
    }

    @Test("dropping an epoch half-read stops its loaders without blocking")
    func abandonEpoch() throws {
        let (root, files) = try Self.makeFiles(8)
        defer { try? FileManager.default.removeItem(at: root) }
        let loader = BatchLoader(files: files, transform: Self.transform, batchSize: 1, prefetch: 1)
        do {
            let epoch = loader.epoch(0)
            _ = try epoch.next()
        }
        var count = 0
        try loader.forEachBatch(epoch: 1) { _ in count += 1 }
        #expect(count == 8)
    }
}
