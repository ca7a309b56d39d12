import Foundation

/// One line of a batch job's output: a file scored by a model, or why it could not be.
///
/// JSON lines carry every key on every line (`null` where there is no value), so that readers
/// see one schema; CSV has one `p_<class>` column per class.
public struct BatchRecord: Sendable, Equatable {
    /// Whether the file was scored.
    public enum Status: String, Sendable, Codable { case ok, error }

    /// The file's path as the manifest lists it: the key a rerun and a merge match on.
    public var file: String
    /// The registry key of the model.
    public var model: String
    /// False when the model's weights are random (its answers mean nothing).
    public var trained: Bool
    public var status: Status
    /// The most probable class (nil on error).
    public var prediction: String?
    /// The input gate's verdict where a gate checked the page: `accepted`, `not_an_ecg` (the page
    /// check refused it) or `out_of_distribution` (the model's novelty check refused it); nil where
    /// none did (the file could not be read). Under `--no-gate` a refused page is scored (status
    /// `ok`) and keeps its verdict here.
    public var gate: String?
    /// Class names and their probabilities, in the model's order (empty on error).
    public var classes: [String]
    public var probabilities: [Float]
    /// Milliseconds reading and decoding, preparing, and this page's share of the forward pass.
    public var decodeMilliseconds: Double?
    public var preprocessMilliseconds: Double?
    public var inferenceMilliseconds: Double?
    /// Why the file was not scored (nil when it was).
    public var error: String?

    public init(file: String, model: String, trained: Bool, status: Status, prediction: String? = nil, gate: String? = nil,
                classes: [String] = [], probabilities: [Float] = [], decodeMilliseconds: Double? = nil,
                preprocessMilliseconds: Double? = nil, inferenceMilliseconds: Double? = nil, error: String? = nil) {
        self.file = file
        self.model = model
        self.trained = trained
        self.status = status
        self.prediction = prediction
        self.gate = gate
        self.classes = classes
        self.probabilities = probabilities
        self.decodeMilliseconds = decodeMilliseconds
        self.preprocessMilliseconds = preprocessMilliseconds
        self.inferenceMilliseconds = inferenceMilliseconds
        self.error = error
    }
}

/// How a batch job writes its records.
public enum BatchFormat: String, Sendable, CaseIterable {
    case jsonl, csv

    /// CSV for a `.csv` path, else JSON lines.
    public init(path: String) {
        self = (path as NSString).pathExtension.lowercased() == "csv" ? .csv : .jsonl
    }
}

// MARK: - JSON lines

extension BatchRecord: Codable {
    private enum CodingKeys: String, CodingKey {
        case file, model, trained, status, prediction, gate, probabilities, error
        case decodeMilliseconds = "decode_ms", preprocessMilliseconds = "preprocess_ms", inferenceMilliseconds = "inference_ms"
    }

    public init(from decoder: any Decoder) throws {
        let values = try decoder.container(keyedBy: CodingKeys.self)
        file = try values.decode(String.self, forKey: .file)
        model = try values.decode(String.self, forKey: .model)
        trained = try values.decode(Bool.self, forKey: .trained)
        status = try values.decode(Status.self, forKey: .status)
        prediction = try values.decodeIfPresent(String.self, forKey: .prediction)
        gate = try values.decodeIfPresent(String.self, forKey: .gate)
        let probabilities = try values.decodeIfPresent([String: Float].self, forKey: .probabilities) ?? [:]
        classes = probabilities.keys.sorted()
        self.probabilities = classes.map { probabilities[$0]! }
        decodeMilliseconds = try values.decodeIfPresent(Double.self, forKey: .decodeMilliseconds)
        preprocessMilliseconds = try values.decodeIfPresent(Double.self, forKey: .preprocessMilliseconds)
        inferenceMilliseconds = try values.decodeIfPresent(Double.self, forKey: .inferenceMilliseconds)
        error = try values.decodeIfPresent(String.self, forKey: .error)
    }

    public func encode(to encoder: any Encoder) throws {
        var values = encoder.container(keyedBy: CodingKeys.self)
        try values.encode(file, forKey: .file)
        try values.encode(model, forKey: .model)
        try values.encode(trained, forKey: .trained)
        try values.encode(status, forKey: .status)
        try values.encode(prediction, forKey: .prediction)
        try values.encode(gate, forKey: .gate)
        try values.encode(status == .ok ? Dictionary(uniqueKeysWithValues: zip(classes, probabilities)) : nil, forKey: .probabilities)
        try values.encode(decodeMilliseconds.map(rounded), forKey: .decodeMilliseconds)
        try values.encode(preprocessMilliseconds.map(rounded), forKey: .preprocessMilliseconds)
        try values.encode(inferenceMilliseconds.map(rounded), forKey: .inferenceMilliseconds)
        try values.encode(error, forKey: .error)
    }

    /// The record as one JSON line (keys sorted, no newline).
    public func jsonLine() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding strings, numbers and booleans cannot fail.
        return String(decoding: try! encoder.encode(self), as: UTF8.self)
    }
}

/// Timings to a microsecond: finer digits are noise and only lengthen the output.
private func rounded(_ milliseconds: Double) -> Double { (milliseconds * 1000).rounded() / 1000 }

// MARK: - CSV

extension BatchRecord {
    /// The CSV header for records over `classes`.
    public static func csvHeader(classes: [String]) -> [String] {
        ["file", "model", "trained", "status", "prediction", "gate"] + classes.map { "p_\($0)" }
            + ["decode_ms", "preprocess_ms", "inference_ms", "error"]
    }

    /// The record as one CSV row (no newline) under ``csvHeader(classes:)``; a probability of a
    /// class the record lacks is left empty.
    public func csvRow(classes: [String]) -> String {
        let probability = Dictionary(uniqueKeysWithValues: zip(self.classes, probabilities))
        let fields = [file, model, String(trained), status.rawValue, prediction ?? "", gate ?? ""]
            + classes.map { probability[$0].map { "\($0)" } ?? "" }
            + [decodeMilliseconds, preprocessMilliseconds, inferenceMilliseconds].map { $0.map { "\(rounded($0))" } ?? "" }
            + [error ?? ""]
        return fields.map(csvField).joined(separator: ",")
    }

    /// Reads a row of a CSV with `header` (as ``csvHeader(classes:)`` writes it).
    /// - Returns: nil when a required column is missing or a value does not parse.
    public init?(csvRow row: [String], header: [String]) {
        var field: [String: String] = [:]
        for (name, value) in zip(header, row) { field[name] = value }
        guard let file = field["file"], let model = field["model"], let trained = field["trained"].flatMap(Bool.init),
              let status = field["status"].flatMap(Status.init(rawValue:)) else { return nil }
        var classes: [String] = [], probabilities: [Float] = []
        for name in header where name.hasPrefix("p_") {
            guard let text = field[name], !text.isEmpty else { continue }
            guard let value = Float(text) else { return nil }
            classes.append(String(name.dropFirst(2)))
            probabilities.append(value)
        }
        func optional(_ name: String) -> String? { field[name].flatMap { $0.isEmpty ? nil : $0 } }
        self.init(file: file, model: model, trained: trained, status: status, prediction: optional("prediction"),
                  gate: optional("gate"), classes: classes, probabilities: probabilities,
                  decodeMilliseconds: optional("decode_ms").flatMap(Double.init),
                  preprocessMilliseconds: optional("preprocess_ms").flatMap(Double.init),
                  inferenceMilliseconds: optional("inference_ms").flatMap(Double.init), error: optional("error"))
    }
}

/// A CSV field, quoted (RFC 4180) when it holds a comma, a quote or a line break.
private func csvField(_ text: String) -> String {
    guard text.contains(where: { $0 == "," || $0 == "\"" || $0.isNewline }) else { return text }
    return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
}
