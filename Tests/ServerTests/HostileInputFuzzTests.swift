import Determinism
import Dispatch
import Foundation
import Hummingbird
import HummingbirdTesting
import ImageIO
import Server
import Testing

/// A small deterministic generator (SplitMix64), so that every fuzz run sends the same cases.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// One hostile request: its content type and body, and what kind of damage it carries.
struct FuzzCase {
    let kind: String
    let contentType: String
    let body: [UInt8]
}

/// Hostile requests made from valid ones: images with bytes flipped, cut short, segments
/// repeated or sizes patched; multipart bodies with their structure damaged; url-encoded bodies
/// of random bytes; odd content types.
struct HostileInputGenerator {
    var random: SplitMix64
    let png: [UInt8]
    let jpeg: [UInt8]
    let progressive: [UInt8]

    init(seed: UInt64) {
        random = SplitMix64(seed: seed)
        let page = RGBImage(width: 64, height: 48, pixels: (0..<(64 * 48 * 3)).map { UInt8(truncatingIfNeeded: $0 * 7) })
        png = Array(try! ImageEncoder.png(page))
        jpeg = Array(try! ImageEncoder.jpeg(page))
        progressive = Array(try! ImageEncoder.jpeg(page, progressive: true))
    }

    mutating func int(_ range: Range<Int>) -> Int { Int.random(in: range, using: &random) }
    mutating func byte() -> UInt8 { UInt8.random(in: 0...255, using: &random) }

    /// `bytes` with a few random bytes changed.
    mutating func flipped(_ bytes: [UInt8]) -> [UInt8] {
        var bytes = bytes
        for _ in 0..<int(1..<8) { bytes[int(0..<bytes.count)] = byte() }
        return bytes
    }

    /// `bytes` with a random stretch repeated many times (scans, chunks, segments).
    mutating func repeated(_ bytes: [UInt8]) -> [UInt8] {
        let start = int(2..<(bytes.count - 2))
        let end = min(bytes.count, start + int(1..<200))
        let copies = int(1..<400)
        return Array(bytes[..<end]) + Array([ArraySlice<UInt8>](repeating: bytes[start..<end], count: copies).joined()) + Array(bytes[end...])
    }

    /// `image` (a JPEG or PNG) with its declared width and height set to random values.
    mutating func resized(_ image: [UInt8]) -> [UInt8] {
        var image = image
        let (width, height) = (int(0..<65_536), int(0..<65_536))
        if image.starts(with: [0x89, 0x50]) {
            // IHDR's width and height are big-endian 32-bit values at bytes 16 and 20.
            for (offset, value) in [(16, width), (20, height)] {
                for index in 0..<4 { image[offset + index] = UInt8(truncatingIfNeeded: value >> (24 - 8 * index)) }
            }
        } else if let sof = (0..<(image.count - 1)).first(where: { image[$0] == 0xFF && (image[$0 + 1] == 0xC0 || image[$0 + 1] == 0xC2) }) {
            image.replaceSubrange((sof + 5)...(sof + 8), with: [UInt8(height >> 8), UInt8(height & 0xFF), UInt8(width >> 8), UInt8(width & 0xFF)])
        }
        return image
    }

    mutating func image() -> [UInt8] {
        let base = [png, jpeg, progressive][int(0..<3)]
        switch int(0..<5) {
        case 0: return flipped(base)
        case 1: return Array(base.prefix(int(0..<base.count)))
        case 2: return repeated(base)
        case 3: return resized(base)
        default: return (0..<int(0..<2000)).map { _ in byte() }
        }
    }

    mutating func next() -> FuzzCase {
        let multipart = "multipart/form-data; boundary=\(Multipart.boundary)"
        switch int(0..<6) {
        case 0, 1:
            return FuzzCase(kind: "image", contentType: multipart, body: form(image: image()))
        case 2:
            return FuzzCase(kind: "multipart structure", contentType: multipart, body: flipped(form(image: png)))
        case 3:
            var body = Multipart()
            for _ in 0..<int(0..<24) {
                let name = String(decoding: (0..<int(0..<40)).map { _ in UInt8(int(32..<127)) }, as: UTF8.self)
                body.field(name.replacingOccurrences(of: "\"", with: ""), String(repeating: "v", count: int(0..<100)))
            }
            return FuzzCase(kind: "fields", contentType: multipart, body: Array(body.finished.readableBytesView))
        case 4:
            let text = (0..<int(0..<3000)).map { _ in ["a", "=", "&", "%", "%2", "+", "sample", "model", "Normal", "\u{0}", "é"][int(0..<11)] }
            return FuzzCase(kind: "url-encoded", contentType: "application/x-www-form-urlencoded", body: Array(text.joined().utf8))
        default:
            let types = ["multipart/form-data", "multipart/form-data; boundary=", "multipart/form-data; boundary=\"\"",
                         "multipart/form-data; boundary=\(String(repeating: "b", count: 80))", "text/plain", "image/png", ""]
            return FuzzCase(kind: "content type", contentType: types[int(0..<types.count)], body: form(image: png))
        }
    }

    private func form(image: [UInt8]) -> [UInt8] {
        Array(Multipart.form(image: image, imageType: "image/jpeg").readableBytesView)
    }
}

/// The process's resident memory, in bytes (0 where /proc is missing).
func residentBytes() -> Int {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
          let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
          let kilobytes = Int(line.split(separator: " ").dropFirst().first ?? "") else { return 0 }
    return kilobytes * 1024
}

@Suite("Hostile-input fuzzing (a few hundred cases; ECG_FUZZ=1 for thousands)")
struct HostileInputFuzzTests {
    static let optIn = ProcessInfo.processInfo.environment["ECG_FUZZ"] == "1"
    static let caseCount = optIn ? 5000 : 300
    /// /health's bound: the issue's 50 ms in the opt-in run; 250 ms in CI, whose 2 cores may be
    /// shared (a loaded 2-core machine measured 69-96 ms with the decoders idle between cases).
    static let healthBound = optIn ? 0.05 : 0.25
    /// Each case's bound: the issue's 2 s in the opt-in run; 10 s in CI, where this suite runs
    /// beside the others on 2 cores (the decoders' own refusals are bounded in HostileImageTests).
    static let caseBound = optIn ? 2.0 : 10.0

    @Test("Every hostile request gets a 2xx or 4xx quickly, memory stays bounded and /health keeps answering")
    func fuzz() async throws {
        try await withFixture { fixture in
            // 4 MP: the cases test the parsers and decoders' refusals, not decoding throughput.
            try await withRouter(fixture.server(maxPixels: 4_000_000)) { client in
                var generator = HostileInputGenerator(seed: 17)
                let startMemory = residentBytes()
                var worstCase = 0.0
                var worstHealth = 0.0
                var statuses: [Int: Int] = [:]
                for index in 0..<Self.caseCount {
                    let fuzzCase = generator.next()
                    let start = DispatchTime.now()
                    let response = try await client.execute(
                        uri: "/api/v1/predict", method: .post,
                        headers: [.contentType: fuzzCase.contentType, .contentLength: String(fuzzCase.body.count)],
                        body: ByteBuffer(bytes: fuzzCase.body))
                    let seconds = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
                    worstCase = max(worstCase, seconds)
                    statuses[response.status.code, default: 0] += 1
                    #expect((200..<500).contains(response.status.code), "case \(index) (\(fuzzCase.kind)): \(response.status) \(response.text)")
                    #expect(seconds < Self.caseBound, "case \(index) (\(fuzzCase.kind)) took \(seconds) s")
                    if index % 10 == 0 {
                        let healthStart = DispatchTime.now()
                        #expect(try await client.execute(uri: "/health", method: .get).status == .ok)
                        worstHealth = max(worstHealth, Double(DispatchTime.now().uptimeNanoseconds - healthStart.uptimeNanoseconds) / 1e9)
                    }
                }
                let grown = residentBytes() - startMemory
                print("fuzz: \(Self.caseCount) cases, statuses \(statuses.sorted { $0.key < $1.key }), worst \(String(format: "%.3f", worstCase)) s, "
                      + "worst /health \(String(format: "%.1f", worstHealth * 1000)) ms, RSS grew \(grown / 1_000_000) MB")
                #expect(worstHealth < Self.healthBound, "/health took \(worstHealth * 1000) ms")
                #expect(grown < 500_000_000, "RSS grew \(grown / 1_000_000) MB")
                #expect(statuses.keys.contains { (400..<500).contains($0) })
            }
        }
    }
}
