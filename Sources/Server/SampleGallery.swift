import Datasets
import Foundation

/// Example ECG images, one per class, read once at start and served from memory.
///
/// They come from a folder with one sub-folder per class (`Data/test/<class>/` or the bundled
/// `samples/<class>/`). A sample is named by its class only, and looked up in the list read at
/// start, so no request can name a path outside the folder.
public struct SampleGallery: Sendable {
    public struct Sample: Sendable, Codable, Equatable {
        /// The name to send as `sample` (the class name).
        public let id: String
        /// The true class of the image.
        public let label: String
        public let filename: String
        /// Where the image is served.
        public let url: String
        public let contentType: String

        enum CodingKeys: String, CodingKey {
            case id, label, filename, url
            case contentType = "content_type"
        }
    }

    /// The samples, in class order.
    public let samples: [Sample]
    /// Where they were read from, or nil when there are none.
    public let directory: URL?
    private let bytes: [String: [UInt8]]

    /// No samples.
    public init() {
        samples = []
        directory = nil
        bytes = [:]
    }

    /// Reads the first image (by file name) of each class folder under `directory`.
    /// - Throws: `DatasetError` when the folder is missing or holds no images in class folders.
    public init(directory: URL) throws {
        let folder = try ImageFolder(directory: directory)
        var samples: [Sample] = []
        var bytes: [String: [UInt8]] = [:]
        for (label, name) in folder.classes.enumerated() {
            guard let file = folder.files.first(where: { $0.label == label }),
                  let data = FileManager.default.contents(atPath: file.url.path) else { continue }
            let filename = file.url.lastPathComponent
            let encoded = name.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(["/"])) ?? name
            let type = (filename as NSString).pathExtension.lowercased() == "png" ? "image/png" : "image/jpeg"
            samples.append(Sample(id: name, label: name, filename: filename, url: "/samples/\(encoded)", contentType: type))
            bytes[name] = Array(data)
        }
        self.samples = samples
        self.directory = directory
        self.bytes = bytes
    }

    /// The sample called `id`.
    /// - Throws: ``APIError`` 404 `unknown_sample` for any other name.
    public func sample(_ id: String) throws(APIError) -> (sample: Sample, bytes: [UInt8]) {
        guard let sample = samples.first(where: { $0.id == id }), let data = bytes[id] else {
            let known = samples.map(\.id).joined(separator: ", ")
            throw APIError(.notFound, "unknown_sample", "unknown sample \"\(id)\" (known: \(known.isEmpty ? "none" : known))")
        }
        return (sample, data)
    }
}
