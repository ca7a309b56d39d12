import Datasets
import Foundation
import ImageIO
import Inference

/// A model's answer for one image of a labelled data set.
public struct ImageResult: Codable, Equatable, Sendable {
    /// The image's path relative to the data set's folder (`Normal/Normal(3).jpg`).
    public var file: String
    /// Index of the true class.
    public var label: Int
    /// One probability per class.
    public var probabilities: [Float]
    /// The distinct picture the file shows: files with the same number are copies or near
    /// duplicates of each other (`DuplicateGroups`, as `ecg split` finds them).
    public var image: Int

    public init(file: String, label: Int, probabilities: [Float], image: Int) {
        self.file = file
        self.label = label
        self.probabilities = probabilities
        self.image = image
    }

    /// Index of the predicted class.
    public var prediction: Int { argmax(probabilities) }
    /// The predicted class's probability.
    public var confidence: Double { Double(probabilities[prediction]) }
}

/// An image that could not be read, and why.
public struct UnreadableImage: Codable, Equatable, Sendable {
    public var file: String
    public var reason: String

    public init(file: String, reason: String) {
        self.file = file
        self.reason = reason
    }
}

/// Runs a classifier over every image of a one-folder-per-class data set.
public struct Evaluator: Sendable {
    public let classifier: Classifier
    /// Images per forward pass.
    public var batchSize: Int

    public init(classifier: Classifier, batchSize: Int = 8) {
        precondition(batchSize > 0, "batch size must be positive")
        self.classifier = classifier
        self.batchSize = batchSize
    }

    /// Classifies every image in `folder`, batch by batch.
    ///
    /// - Parameters:
    ///   - folder: The data, read with the classifier's classes (so labels are its output indices).
    ///   - progress: Called after each batch with the images done so far and the total.
    /// - Returns: One result per readable image, in the folder's order, each with its distinct
    ///   picture's number, and the unreadable ones.
    /// - Throws: `TensorError` only for a programming error in the network.
    public func run(
        on folder: ImageFolder, progress: (_ done: Int, _ total: Int) -> Void = { _, _ in }
    ) throws -> (results: [ImageResult], unreadable: [UnreadableImage]) {
        precondition(folder.classes == classifier.classes, "read the folder with the classifier's classes")
        var results: [ImageResult] = [], unreadable: [UnreadableImage] = []
        var fingerprints: [ImageFingerprint] = []
        for start in stride(from: 0, to: folder.files.count, by: batchSize) {
            let batch = folder.files[start..<min(start + batchSize, folder.files.count)]
            var images: [RGBImage] = [], read: [LabeledFile] = []
            for file in batch {
                // Read as the training loader reads; the classifier then applies its InputSpec,
                // the same function the loader's batches go through.
                do {
                    let (bytes, image) = try readImage(file.url, for: classifier.input)
                    images.append(image)
                    fingerprints.append(ImageFingerprint(fileBytes: bytes, image: image))
                    read.append(file)
                } catch {
                    let reason = if case let .unreadableImage(_, reason) = error { reason } else { error.description }
                    unreadable.append(UnreadableImage(file: classFolderPath(file.url), reason: reason))
                }
            }
            for (file, prediction) in zip(read, try classifier.classify(images)) {
                results.append(ImageResult(file: classFolderPath(file.url), label: file.label,
                                           probabilities: prediction.probabilities, image: 0))
            }
            progress(start + batch.count, folder.files.count)
        }
        for (index, image) in DuplicateGroups(fingerprints).imageOfFile.enumerated() { results[index].image = image }
        return (results, unreadable)
    }

    /// `<class folder>/<file name>`.
    private func classFolderPath(_ url: URL) -> String {
        url.deletingLastPathComponent().lastPathComponent + "/" + url.lastPathComponent
    }
}
