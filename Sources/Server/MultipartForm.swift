#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// A `multipart/form-data` body (RFC 7578) split into its parts, without copying them to disk.
///
/// NOTE: only what browsers and curl send is accepted: CRLF line ends, one level of parts, and
/// `Content-Disposition: form-data; name="…"` on every part. Anything else is a 400.
///
/// Why not vapor/multipart-kit 4.7.1 (issue 17 asked to weigh it): measured with
/// `tools/bench/multipart` (release build, median of 5, 2-core Xeon VM), this splitter takes
/// 0.3 ms for a normal 1 MB upload and 25 ms for 20 MB where multipart-kit's streaming parser
/// takes 12 ms and 280 ms; on a 19 MB field name multipart-kit gathers the whole header before any
/// cap can see it (4.3 s, against 23 ms here to find the header block too long). Its one win is a
/// body of 200,000 fields, which streaming stops after 65 KB (11 ms against 20 ms). Its callbacks
/// cannot throw and neither it nor `FormDataDecoder` bounds the parts, so the caps of
/// ``RequestBudget`` would be written around it anyway; this splitter finds delimiters with
/// `memchr` and checks each cap before decoding any text.
struct MultipartForm {
    struct Part {
        let name: String
        /// The file name of a file field (empty when a browser sends no file).
        let filename: String?
        let contentType: String?
        let body: ArraySlice<UInt8>
        /// False for the last part of a prefix (``init(prefix:boundary:budget:)``) that runs on
        /// past it: `body` is then the start of the part.
        var isComplete = true
    }

    let parts: [Part]

    /// The value of `boundary` in a `multipart/form-data` content type, or nil.
    static func boundary(contentType: String) -> String? {
        let (type, parameters) = parseHeaderValue(contentType)
        guard type == "multipart/form-data", let boundary = parameters["boundary"],
              (1...70).contains(boundary.utf8.count) else { return nil }
        return boundary
    }

    /// Splits `body` on `boundary`, within the budget's field count, field name length and
    /// part header length, each checked before the part's headers are decoded as text.
    /// - Throws: ``APIError`` (400) when the body is not well-formed multipart, has more fields
    ///   than allowed (`too_many_fields`), too long a header or name (`field_too_long`), or a
    ///   field twice (`duplicate_field`).
    init(body: [UInt8], boundary: String, budget: RequestBudget = RequestBudget()) throws(APIError) {
        try self.init(body, boundary: boundary, budget: budget, isPrefix: false)
    }

    /// The parts in the first bytes of a body that is still arriving, for refusals that need
    /// not wait for the rest: the parts complete in `prefix`, then the start of the one that runs
    /// on past it (``Part/isComplete`` false). A part header block already longer than the
    /// budget's is refused here, as are the other caps on the parts seen; running out of bytes is not an error.
    /// - Throws: ``APIError`` (400), as ``init(body:boundary:budget:)`` but for truncation.
    init(prefix: [UInt8], boundary: String, budget: RequestBudget = RequestBudget()) throws(APIError) {
        try self.init(prefix, boundary: boundary, budget: budget, isPrefix: true)
    }

    private init(_ body: [UInt8], boundary: String, budget: RequestBudget, isPrefix: Bool) throws(APIError) {
        let delimiter = Array("\r\n--\(boundary)".utf8)
        // The first delimiter may start the body, without a leading CRLF.
        let prefixed = [13, 10] + body
        var parts: [Part] = []
        guard var cursor = Self.find(delimiter, in: prefixed, from: 0) else {
            if isPrefix {
                self.parts = []
                return
            }
            throw .badRequest("the multipart body has no boundary line")
        }
        let headerBlockTooLong = APIError.fieldTooLong("a multipart part's header block", limit: budget.maxPartHeaderBytes)
        while true {
            cursor += delimiter.count
            if prefixed[cursor..<min(cursor + 2, prefixed.count)].elementsEqual("--".utf8) { break }
            guard let headerEnd = Self.find(Array("\r\n\r\n".utf8), in: prefixed, from: cursor) else {
                guard isPrefix else { throw .badRequest("the multipart body is truncated") }
                if prefixed.count - cursor > budget.maxPartHeaderBytes + 4 { throw headerBlockTooLong }
                break
            }
            let next = Self.find(delimiter, in: prefixed, from: headerEnd + 4)
            if next == nil, !isPrefix { throw .badRequest("the multipart body is truncated") }
            guard parts.count < budget.maxFormFields else { throw .tooManyFields(limit: budget.maxFormFields) }
            guard headerEnd - cursor <= budget.maxPartHeaderBytes else { throw headerBlockTooLong }
            let headerText = String(decoding: prefixed[cursor..<headerEnd], as: UTF8.self)
            var part = try Self.part(headers: headerText, body: prefixed[(headerEnd + 4)..<(next ?? prefixed.count)])
            part.isComplete = next != nil
            guard part.name.utf8.count <= budget.maxFieldNameBytes else {
                throw .fieldTooLong("a field name", limit: budget.maxFieldNameBytes)
            }
            guard !parts.contains(where: { $0.name == part.name }) else { throw .duplicateField(part.name) }
            parts.append(part)
            guard let next else { break }
            cursor = next
        }
        self.parts = parts
    }

    /// The part called `name` (there is at most one).
    subscript(name: String) -> Part? { parts.first { $0.name == name } }

    private static func part(headers: String, body: ArraySlice<UInt8>) throws(APIError) -> Part {
        var disposition: (String, [String: String])?
        var contentType: String?
        for line in headers.split(separator: "\r\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon].trimmingSpaces().lowercased()
            let value = String(line[line.index(after: colon)...].trimmingSpaces())
            if name == "content-disposition" { disposition = parseHeaderValue(value) }
            if name == "content-type" { contentType = value }
        }
        guard let (kind, parameters) = disposition, kind == "form-data", let name = parameters["name"] else {
            throw .badRequest("a multipart part has no Content-Disposition: form-data name")
        }
        return Part(name: name, filename: parameters["filename"], contentType: contentType, body: body)
    }

    /// Where `needle` next occurs in `haystack` at or after `start`.
    ///
    /// - Complexity: O(n) for our needles: candidates are found with `memchr` on the first byte,
    ///   a CR, which occurs nowhere else in a delimiter, so compares cannot overlap much.
    private static func find(_ needle: [UInt8], in haystack: [UInt8], from start: Int) -> Int? {
        guard let first = needle.first, start <= haystack.count else { return nil }
        return haystack.withUnsafeBytes { hay in
            needle.withUnsafeBytes { pin in
                var offset = start
                while offset + pin.count <= hay.count {
                    guard let hit = memchr(hay.baseAddress! + offset, Int32(first), hay.count - offset - pin.count + 1) else {
                        return nil
                    }
                    let position = hay.baseAddress!.distance(to: UnsafeRawPointer(hit))
                    if memcmp(hay.baseAddress! + position, pin.baseAddress!, pin.count) == 0 { return position }
                    offset = position + 1
                }
                return nil
            }
        }
    }
}

/// Splits a header value such as `form-data; name="image"; filename="a b.png"` into its
/// lower-cased first token and its parameters (names lower-cased, quotes removed).
func parseHeaderValue(_ value: String) -> (String, [String: String]) {
    var fields: [Substring] = []
    var current = Substring()
    var quoted = false
    var escaped = false
    for character in value {
        if escaped {
            current.append(character)
            escaped = false
        } else if quoted && character == "\\" {
            escaped = true
        } else if character == "\"" {
            quoted.toggle()
        } else if character == ";" && !quoted {
            fields.append(current)
            current = ""
        } else {
            current.append(character)
        }
    }
    fields.append(current)
    var parameters: [String: String] = [:]
    for field in fields.dropFirst() {
        guard let equals = field.firstIndex(of: "=") else { continue }
        parameters[field[..<equals].trimmingSpaces().lowercased()] = String(field[field.index(after: equals)...].trimmingSpaces())
    }
    return (fields[0].trimmingSpaces().lowercased(), parameters)
}

extension StringProtocol {
    func trimmingSpaces() -> Substring {
        let text = Substring(self)
        guard let first = text.firstIndex(where: { $0 != " " && $0 != "\t" }) else { return "" }
        let last = text.lastIndex(where: { $0 != " " && $0 != "\t" })!
        return text[first...last]
    }
}
