import Foundation
import Hummingbird
import NIOCore

/// The fields of a prediction request, from a `multipart/form-data` or
/// `application/x-www-form-urlencoded` body: `model`, and either an `image` file or a `sample`.
struct PredictForm {
    /// What to classify.
    enum Input {
        case upload([UInt8])
        case sample(String)
    }

    var model: String?
    var input: Input
    /// Run the page check and refuse non-ECG images (the default); `gate=0` classifies them anyway.
    var gate = true

    /// The media types accepted for the `image` part (`application/octet-stream` is what some
    /// clients send when they do not know).
    static let imageTypes: Set<String> = ["image/png", "image/jpeg", "image/jpg", "image/pjpeg", "application/octet-stream"]

    /// Reads and checks the body of `request`, at most `limit` bytes.
    /// - Parameter preferSample: When both a file and a sample arrive, use the sample (an HTML
    ///   form's sample button was pressed after a file was chosen); otherwise that is a 400.
    /// - Throws: ``APIError``: 413 past the limit, 415 for other body or image types, 400 for a
    ///   malformed body or missing fields.
    static func read(_ request: Request, limit: Int, preferSample: Bool) async throws -> PredictForm {
        if let length = request.headers[.contentLength].flatMap(Int.init), length > limit {
            throw APIError.payloadTooLarge(limit: limit)
        }
        let contentType = request.headers[.contentType] ?? ""
        let (mediaType, _) = parseHeaderValue(contentType)
        guard mediaType == "multipart/form-data" || mediaType == "application/x-www-form-urlencoded" else {
            throw APIError.unsupportedMediaType(
                "send multipart/form-data (fields image or sample, and model), not \(contentType.isEmpty ? "no content type" : contentType)")
        }
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: limit)
        } catch is NIOTooManyBytesError {
            throw APIError.payloadTooLarge(limit: limit)
        }
        let body = Array(buffer.readableBytesView)
        if mediaType == "application/x-www-form-urlencoded" {
            return try urlEncoded(body, preferSample: preferSample)
        }
        guard let boundary = MultipartForm.boundary(contentType: contentType) else {
            throw APIError.badRequest("the multipart/form-data content type has no valid boundary")
        }
        return try multipart(MultipartForm(body: body, boundary: boundary), preferSample: preferSample)
    }

    private static func multipart(_ form: MultipartForm, preferSample: Bool) throws(APIError) -> PredictForm {
        for name in ["model", "sample"] where form[name].map({ text($0.body).isEmpty }) == true {
            throw .badRequest("the field \"\(name)\" is empty: leave it out or give a value")
        }
        let model = form["model"].map { text($0.body) }
        let sample = form["sample"].map { text($0.body) }
        // Browsers send an empty file part when no file was chosen.
        let image = form["image"].flatMap { $0.body.isEmpty && ($0.filename ?? "").isEmpty ? nil : $0 }
        let gate = try gateField(form["gate"].map { text($0.body) })
        if let sample, image == nil || preferSample { return PredictForm(model: model, input: .sample(sample), gate: gate) }
        guard let image else { throw .badRequest("send an image file in the field \"image\", or a sample name in \"sample\"") }
        guard sample == nil else { throw .badRequest("send either an image or a sample, not both") }
        if let declared = image.contentType.map({ parseHeaderValue($0).0 }), !imageTypes.contains(declared) {
            throw .unsupportedMediaType("\(declared) is not supported: send a JPEG or PNG image")
        }
        if let format = otherImageFormat(image.body) {
            throw .unsupportedMediaType("\(format) images are not supported: send a JPEG or PNG image")
        }
        return PredictForm(model: model, input: .upload(Array(image.body)), gate: gate)
    }

    private static func urlEncoded(_ body: [UInt8], preferSample: Bool) throws(APIError) -> PredictForm {
        var fields: [String: String] = [:]
        for pair in String(decoding: body, as: UTF8.self).split(separator: "&") {
            let halves = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let decode = { (text: Substring) in
                text.replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(text)
            }
            let name = decode(halves[0])
            if fields[name] == nil { fields[name] = halves.count > 1 ? decode(halves[1]) : "" }
        }
        for name in ["model", "sample"] where fields[name]?.isEmpty == true {
            throw .badRequest("the field \"\(name)\" is empty: leave it out or give a value")
        }
        guard let sample = fields["sample"] else {
            throw .badRequest("a url-encoded form can only name a sample; upload images as multipart/form-data")
        }
        return PredictForm(model: fields["model"], input: .sample(sample), gate: try gateField(fields["gate"]))
    }

    /// The `gate` field: absent, `1`, `on` or `true` run the page check; `0`, `off` or `false` skip its refusal.
    static func gateField(_ value: String?) throws(APIError) -> Bool {
        switch value?.lowercased() {
        case nil, "1", "on", "true", "yes": true
        case "0", "off", "false", "no": false
        case let other?: throw .badRequest("the field \"gate\" is \(other): give 1 (check the page, the default) or 0 (classify anyway)")
        }
    }

    /// The name of a well-known image format other than JPEG and PNG that `bytes` starts with.
    static func otherImageFormat(_ bytes: ArraySlice<UInt8>) -> String? {
        let signatures: [(String, [UInt8])] = [
            ("GIF", Array("GIF8".utf8)), ("BMP", Array("BM".utf8)), ("TIFF", [0x49, 0x49, 0x2A, 0x00]),
            ("TIFF", [0x4D, 0x4D, 0x00, 0x2A]), ("ICO", [0x00, 0x00, 0x01, 0x00]),
        ]
        if let match = signatures.first(where: { bytes.starts(with: $0.1) }) { return match.0 }
        if bytes.count >= 12, bytes.prefix(4).elementsEqual("RIFF".utf8),
           bytes.dropFirst(8).prefix(4).elementsEqual("WEBP".utf8) { return "WebP" }
        if bytes.count >= 12, bytes.dropFirst(4).prefix(4).elementsEqual("ftyp".utf8) { return "HEIF/AVIF" }
        return nil
    }

    private static func text(_ bytes: ArraySlice<UInt8>) -> String {
        String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
