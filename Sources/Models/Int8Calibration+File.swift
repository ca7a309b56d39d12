import Foundation
import NN

/// An int8 calibration file (`ecg calibrate-int8`): JSON, small enough to commit next to the weights.
///
/// ```json
/// {"format": "ecglens-int8-calibration", "model": "mobilenetv2", "images": 478, "data": "train",
///  "minimum_signal_to_noise_db": 40, "signal_to_noise_db": {"block_1_expand/kernel": 47.8, …}}
/// ```
/// A layer int8 does not change at all has `"inf"`.
public struct Int8CalibrationFile: Codable, Sendable, Equatable {
    public static let formatName = "ecglens-int8-calibration"

    public var format = Self.formatName
    /// The registry key of the model it was measured on.
    public var model: String
    /// How many calibration images, and the name (not the path) of their folder.
    public var images: Int
    public var data: String
    public var minimumSignalToNoise: Double
    public var signalToNoise: [String: Double]

    enum CodingKeys: String, CodingKey {
        case format, model, images, data
        case minimumSignalToNoise = "minimum_signal_to_noise_db", signalToNoise = "signal_to_noise_db"
    }

    public init(model: String, images: Int, data: String, calibration: Int8Calibration) {
        (self.model, self.images, self.data) = (model, images, data)
        (minimumSignalToNoise, signalToNoise) = (calibration.minimumSignalToNoise, calibration.signalToNoise)
    }

    /// What the network builder uses.
    public var calibration: Int8Calibration {
        Int8Calibration(signalToNoise: signalToNoise, minimumSignalToNoise: minimumSignalToNoise)
    }

    /// Reads one.
    /// - Throws: `Int8CalibrationError` naming the file when it cannot be read or is not a calibration file.
    public init(contentsOf url: URL) throws {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw Int8CalibrationError(path: url.path, reason: "cannot be read (\(error.localizedDescription))")
        }
        do {
            self = try Self.decoder.decode(Self.self, from: data)
        } catch {
            throw Int8CalibrationError(path: url.path, reason: "is not an int8 calibration file (\(error))")
        }
        guard format == Self.formatName else {
            throw Int8CalibrationError(path: url.path, reason: "has format \"\(format)\", not \"\(Self.formatName)\"")
        }
    }

    /// Writes it, keys sorted, atomically.
    public func write(to url: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        var bytes = try encoder.encode(self)
        bytes.append(0x0a)
        try bytes.write(to: url, options: .atomic)
    }

    private static var decoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return decoder
    }
}

/// A calibration file that cannot be used, with its path.
public struct Int8CalibrationError: Error, CustomStringConvertible, Equatable {
    public let path: String
    public let reason: String
    public var description: String { "\(path): \(reason)" }
}
