import Foundation
import MultipartKit
import NIOCore

// Each body is split by both parsers, five times; the median time is printed. multipart-kit gets
// the body as the server receives it, in 64 KB chunks, with the RequestBudget's caps checked in
// its callbacks and between chunks (its callbacks cannot throw, so a cap stops the feeding at the
// next chunk: that is how the server would have to wrap it).

let boundary = "ecglens-bench-boundary"

func part(_ name: String, filename: String? = nil, _ body: [UInt8]) -> [UInt8] {
    let disposition = "form-data; name=\"\(name)\"" + (filename.map { "; filename=\"\($0)\"" } ?? "")
    return Array("--\(boundary)\r\nContent-Disposition: \(disposition)\r\n\r\n".utf8) + body + Array("\r\n".utf8)
}

func form(_ parts: [[UInt8]]) -> [UInt8] { parts.flatMap { $0 } + Array("--\(boundary)--\r\n".utf8) }

func randomBytes(_ count: Int) -> [UInt8] {
    var generator = SystemRandomNumberGenerator()
    return (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
}

let bodies: [(String, [UInt8])] = [
    ("normal: model + 1 MB image", form([part("model", Array("small_cnn".utf8)), part("image", filename: "a.jpg", randomBytes(1_000_000))])),
    ("20 MB image", form([part("image", filename: "a.jpg", randomBytes(19_900_000))])),
    ("19 MB field name", form([part(String(repeating: "x", count: 19_000_000), Array("1".utf8))])),
    ("200,000 fields", form((0..<200_000).map { part("f\($0)", Array("1".utf8)) })),
    ("5 MB part header", Array("--\(boundary)\r\nX-Long: \(String(repeating: "h", count: 5_000_000))\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--\(boundary)--\r\n".utf8)),
]

func median(_ body: () -> Void) -> Double {
    var times: [Double] = []
    for _ in 0..<5 {
        let start = DispatchTime.now().uptimeNanoseconds
        body()
        times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
    }
    return times.sorted()[2]
}

/// multipart-kit's streaming parser with the budget's caps around it; returns how it ended.
func kit(_ body: [UInt8], budget: RequestBudget) -> String {
    let parser = MultipartParser(boundary: boundary)
    var parts = 0, headerBytes = 0, bodyBytes = 0
    var stop: String?
    parser.onHeader = { name, value in
        headerBytes += name.utf8.count + value.utf8.count
        if headerBytes > budget.maxPartHeaderBytes { stop = "field_too_long" }
    }
    parser.onBody = { buffer in bodyBytes += buffer.readableBytes }
    parser.onPartComplete = {
        parts += 1
        headerBytes = 0
        if parts > budget.maxFormFields { stop = "too_many_fields" }
    }
    var offset = 0
    while offset < body.count, stop == nil {
        let end = min(offset + 65_536, body.count)
        do { try parser.execute(ByteBuffer(bytes: body[offset..<end])) } catch { return "error \(error)" }
        offset = end
    }
    return stop.map { "\($0) after \(offset / 1000) KB" } ?? "\(parts) parts, \(bodyBytes) body bytes"
}

func handWritten(_ body: [UInt8], budget: RequestBudget) -> String {
    do {
        let form = try MultipartForm(body: body, boundary: boundary, budget: budget)
        return "\(form.parts.count) parts, \(form.parts.reduce(0) { $0 + $1.body.count }) body bytes"
    } catch {
        return "\(error)".prefix(60).description
    }
}

print("body | MultipartForm ms | outcome | multipart-kit ms | outcome")
print("---|---|---|---|---")
let budget = RequestBudget()
for (name, body) in bodies {
    var ours = "", theirs = ""
    let oursMs = median { ours = handWritten(body, budget: budget) }
    let theirsMs = median { theirs = kit(body, budget: budget) }
    print("\(name) | \(String(format: "%.1f", oursMs)) | \(ours) | \(String(format: "%.1f", theirsMs)) | \(theirs)")
}
