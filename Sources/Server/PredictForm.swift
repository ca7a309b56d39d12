import Foundation
import Hummingbird
import ImageIO
import NIOCore

/// The fields of a prediction request, from a `multipart/form-data` or
/// `application/x-www-form-urlencoded` body: `model`, and either an `image` file or a `sample`.
struct PredictForm: Sendable {
    /// What to classify.
    enum Input {
        case upload([UInt8])
        case sample(String)
    }

    var model: String?
    var input: Input
    /// The upload's room in the server's ``UploadGate``, held until the form (and so the answer)
    /// is done with.
    var reservation: UploadReservation?
    /// Run the page check and refuse non-ECG images (the default); `gate=0` classifies them anyway.
    var gate = true
    /// Add a Grad-CAM explanation to the answer (`explain=1`; see ``ExplanationService``).
    var explain = false
    /// Also digitise the page and measure its trace (`measure=1`, as a field or in the query),
    /// and with `overlay=1` return the traces drawn over the page (see ``PageMeasurer``).
    var measure = false
    var overlay = false

    /// The media types accepted for the `image` part (`application/octet-stream` is what some
    /// clients send when they do not know).
    static let imageTypes: Set<String> = ["image/png", "image/jpeg", "image/jpg", "image/pjpeg", "application/octet-stream"]

    /// The answer to a form with neither an image nor a sample.
    static let noInput = APIError.badRequest("send an image file in the field \"image\", or a sample name in \"sample\"")

    /// Reads and checks the body of `request` within `server`'s ``RequestBudget``.
    ///
    /// Before a byte of the body is read: the declared length against the body limit (413) and
    /// the upload gate (503 `server_busy`). While it is read: a `model` field that arrives before
    /// the image is looked up at once, so a full queue answers 503 `busy` without reading the
    /// rest of the upload.
    /// - Parameter preferSample: When both a file and a sample arrive, use the sample (an HTML
    ///   form's sample button was pressed after a file was chosen); otherwise that is a 400.
    /// - Throws: ``APIError``: 413 past the limit, 415 for other body or image types, 400 for a
    ///   malformed body or missing fields, 503 when the server or the model is busy.
    static func read(_ request: Request, server: ECGServer, preferSample: Bool) async throws -> PredictForm {
        let budget = server.budget
        let contentType = request.headers[.contentType] ?? ""
        let (mediaType, _) = parseHeaderValue(contentType)
        guard mediaType == "multipart/form-data" || mediaType == "application/x-www-form-urlencoded" else {
            throw APIError.unsupportedMediaType(
                "send multipart/form-data (fields image or sample, and model), not \(contentType.isEmpty ? "no content type" : contentType)")
        }
        let isURLEncoded = mediaType == "application/x-www-form-urlencoded"
        let limit = isURLEncoded ? budget.maxURLEncodedBytes : budget.maxBodyBytes
        let declared = request.headers[.contentLength].flatMap(Int.init)
        if let declared, declared > limit { throw APIError.payloadTooLarge(limit: limit) }
        let reservation = try server.uploadGate.reserve(declared ?? limit)
        let boundary = isURLEncoded ? nil : MultipartForm.boundary(contentType: contentType)
        if !isURLEncoded, boundary == nil {
            throw APIError.badRequest("the multipart/form-data content type has no valid boundary")
        }

        var buffer = ByteBuffer()
        var lookingEarly = boundary != nil
        for try await chunk in request.body {
            guard buffer.readableBytes + chunk.readableBytes <= limit else { throw APIError.payloadTooLarge(limit: limit) }
            buffer.writeImmutableBuffer(chunk)
            if lookingEarly, let boundary {
                lookingEarly = try !refuseEarly(buffer, boundary: boundary, server: server, checkImage: !preferSample)
            }
        }
        // Copying and splitting up to 20 MB is the request's heaviest work before decoding: a
        // large body is split with the compute, not on the request threads. A small one (a page,
        // a sample name) is split here, in well under a millisecond: under load the compute
        // threads wait seconds for a CPU, and a form refused from its fields or its image's
        // header (400, 404, 422, 503) should not wait with them.
        let received = buffer
        buffer = ByteBuffer()
        let split = { @Sendable () throws(APIError) -> PredictForm in
            let body = Array(received.readableBytesView)
            return if let boundary {
                try multipart(MultipartForm(body: body, boundary: boundary, budget: budget), preferSample: preferSample)
            } else {
                try urlEncoded(body, budget: budget, preferSample: preferSample)
            }
        }
        var form = try received.readableBytes < inlineSplitBytes ? split() : await offloaded { try split() }
        form.reservation = reservation
        let query = request.uri.queryParameters
        form.measure = try form.measure || flagField("measure", query["measure"].map(String.init))
        form.overlay = try form.overlay || flagField("overlay", query["overlay"].map(String.init))
        form.explain = try form.explain || flagField("explain", query["explain"].map(String.init))
        return form
    }

    /// Bodies smaller than this are split on the request thread, larger ones on the compute pool.
    static let inlineSplitBytes = 1 << 20

    /// How far into a multipart body the early refusals look while the body arrives.
    static let earlyWindow = 65_536
    /// How far into an image its JPEG header is followed when it goes on past ``earlyWindow``
    /// (long EXIF or ICC segments; or junk whose random "segments" are long).
    static let earlyImageWindow = 262_144

    /// Refusals decided from the first bytes of a multipart body (up to ``earlyWindow``), before
    /// the rest is read: the model's queue is full (503 `busy`), or the model field is already
    /// longer than any model's name (404 `unknown_model`); a part's header block is too
    /// long, or another cap on the parts is passed (400); with `checkImage`, an image that is not
    /// a JPEG or PNG (415), or a JPEG whose header is corrupt or too large (422, as the whole
    /// file would be: ``ImageDecoder/checkLimits(prefix:limits:)``; followed up to
    /// ``earlyImageWindow`` into the image). A 20 MB upload of junk behind a JPEG signature is
    /// then refused from its first 64 to 256 KB, not after all 20 MB.
    /// Called as chunks arrive; returns whether it is done (the windows are full or the header
    /// judged, or the image part is all in and the normal checks follow at once).
    private static func refuseEarly(_ buffer: ByteBuffer, boundary: String, server: ECGServer, checkImage: Bool) throws -> Bool {
        let view = buffer.readableBytesView
        let window = Array(view.prefix(earlyWindow))
        let form = try MultipartForm(prefix: window, boundary: boundary, budget: server.budget)
        if let part = form["model"] {
            let name = text(part.body)
            if part.isComplete, !name.isEmpty, let worker = try? server.catalog.worker(name), worker.isFull {
                throw APIError.busy(model: name)
            }
            // A name still arriving and already longer than every registered key is none of them.
            if !part.isComplete, name.utf8.count > server.catalog.registry.entries.map(\.key.utf8.count).max() ?? 0 {
                _ = try server.catalog.worker(name)  // 404 unknown_model
            }
        }
        let full = window.count >= earlyWindow
        guard let image = form["image"] ?? form["file"] else { return full }
        guard !image.isComplete else { return true }
        guard checkImage, full else { return full }
        try checkImageType(image)
        // The part's body is a slice of the window with a CRLF put in front (MultipartForm).
        let start = image.body.startIndex - 2
        let prefix = Array(view.dropFirst(start).prefix(earlyImageWindow))
        let judged = try ImageDecoder.checkLimits(prefix: prefix, limits: server.budget.image)
        return judged || prefix.count >= earlyImageWindow
    }

    /// Refuses an image part declared as, or starting like, a type other than JPEG or PNG (415).
    private static func checkImageType(_ image: MultipartForm.Part) throws(APIError) {
        if let declared = image.contentType.map({ parseHeaderValue($0).0 }), !imageTypes.contains(declared) {
            throw .unsupportedMediaType("\(declared) is not supported: send a JPEG or PNG image")
        }
        if let format = otherImageFormat(image.body) {
            throw .unsupportedMediaType("\(format) images are not supported: send a JPEG or PNG image")
        }
    }

    private static func multipart(_ form: MultipartForm, preferSample: Bool) throws(APIError) -> PredictForm {
        for name in ["model", "sample"] where form[name].map({ text($0.body).isEmpty }) == true {
            throw .badRequest("the field \"\(name)\" is empty: leave it out or give a value")
        }
        let model = form["model"].map { text($0.body) }
        let sample = form["sample"].map { text($0.body) }
        // Browsers send an empty file part when no file was chosen. `file` is the old app's name.
        let image = (form["image"] ?? form["file"]).flatMap { $0.body.isEmpty && ($0.filename ?? "").isEmpty ? nil : $0 }
        let gate = try gateField(form["gate"].map { text($0.body) })
        let explain = try flagField("explain", form["explain"].map { text($0.body) })
        let measure = try flagField("measure", form["measure"].map { text($0.body) })
        let overlay = try flagField("overlay", form["overlay"].map { text($0.body) })
        if let sample, image == nil || preferSample {
            return PredictForm(model: model, input: .sample(sample), gate: gate, explain: explain, measure: measure, overlay: overlay)
        }
        guard let image else { throw noInput }
        guard sample == nil else { throw .badRequest("send either an image or a sample, not both") }
        try checkImageType(image)
        return PredictForm(model: model, input: .upload(Array(image.body)), gate: gate, explain: explain, measure: measure, overlay: overlay)
    }

    /// A url-encoded form, which can only name a sample. The body is at most
    /// ``RequestBudget/maxURLEncodedBytes``; fields and name lengths are counted before decoding.
    private static func urlEncoded(_ body: [UInt8], budget: RequestBudget, preferSample: Bool) throws(APIError) -> PredictForm {
        let pairs = body.split(separator: UInt8(ascii: "&"))
        guard pairs.count <= budget.maxFormFields else { throw .tooManyFields(limit: budget.maxFormFields) }
        var fields: [String: String] = [:]
        for pair in pairs {
            let halves = pair.split(separator: UInt8(ascii: "="), maxSplits: 1, omittingEmptySubsequences: false)
            guard halves[0].count <= budget.maxFieldNameBytes else { throw .fieldTooLong("a field name", limit: budget.maxFieldNameBytes) }
            let decode = { (bytes: ArraySlice<UInt8>) in
                let text = String(decoding: bytes, as: UTF8.self).replacingOccurrences(of: "+", with: " ")
                return text.removingPercentEncoding ?? text
            }
            let name = decode(halves[0])
            guard fields[name] == nil else { throw .duplicateField(name) }
            fields[name] = halves.count > 1 ? decode(halves[1]) : ""
        }
        for name in ["model", "sample"] where fields[name]?.isEmpty == true {
            throw .badRequest("the field \"\(name)\" is empty: leave it out or give a value")
        }
        guard let sample = fields["sample"] else {
            throw .badRequest("a url-encoded form can only name a sample; upload images as multipart/form-data")
        }
        return PredictForm(model: fields["model"], input: .sample(sample), gate: try gateField(fields["gate"]),
                           explain: try flagField("explain", fields["explain"]),
                           measure: try flagField("measure", fields["measure"]), overlay: try flagField("overlay", fields["overlay"]))
    }

    /// The `gate` field: absent, `1`, `on` or `true` run the page check; `0`, `off` or `false` skip its refusal.
    static func gateField(_ value: String?) throws(APIError) -> Bool {
        switch value?.lowercased() {
        case nil, "1", "on", "true", "yes": true
        case "0", "off", "false", "no": false
        case let other?: throw .badRequest("the field \"gate\" is \(other): give 1 (check the page, the default) or 0 (classify anyway)")
        }
    }

    /// An on/off field such as `measure` or `explain`: absent, `0`, `off`, `false` or `no` are off; `1`, `on`, `true` or `yes` on.
    static func flagField(_ name: String, _ value: String?) throws(APIError) -> Bool {
        switch value?.lowercased() {
        case nil, "0", "off", "false", "no": false
        case "1", "on", "true", "yes": true
        case let other?: throw .badRequest("the field \"\(name)\" is \(other): give 1 or 0")
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

    /// A text field's value: its bytes as UTF-8, ASCII white space and line breaks trimmed from
    /// both ends. Trimmed as bytes: Foundation's `trimmingCharacters` walks the value as UTF-16
    /// several times, and the unknown-model flood's 2 MB names made that a tenth of the server's
    /// CPU under `tools/load/attack.sh`.
    private static func text(_ bytes: ArraySlice<UInt8>) -> String {
        let isSpace = { (byte: UInt8) in byte == 0x20 || (0x09...0x0D).contains(byte) }
        guard let first = bytes.firstIndex(where: { !isSpace($0) }), let last = bytes.lastIndex(where: { !isSpace($0) }) else {
            return ""
        }
        return String(decoding: bytes[first...last], as: UTF8.self)
    }
}
