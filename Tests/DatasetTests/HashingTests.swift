import Datasets
import Foundation
import ImageIO
import Testing

@Suite("Content and perceptual hashes")
struct HashingTests {
    @Test("SHA-256 matches the FIPS 180-4 test vectors, in one piece or many")
    func sha256Vectors() {
        #expect(SHA256.hex([UInt8]()) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hex(Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        let twoBlocks = Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)
        #expect(SHA256.hex(twoBlocks) == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        var pieces = SHA256()
        var remaining = [UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)[...]
        for size in [1, 63, 64, 65, 127, 1000].cycled() {
            guard !remaining.isEmpty else { break }
            pieces.update(remaining.prefix(size))
            remaining = remaining.dropFirst(size)
        }
        #expect(pieces.finalizeHex() == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test("re-encoding or touching one pixel keeps the perceptual hash close; another page is far")
    func perceptualHashDistances() throws {
        let page = SyntheticPages.page(seed: 1)
        let hash = PerceptualHash(page)
        #expect(hash.bitCount == 1024)
        #expect(PerceptualHash(hex: hash.description) == hash)
        let reencoded = try ImageDecoder.decode(ImageEncoder.jpeg(page, quality: 75))
        #expect(reencoded != page)
        #expect(hash.distance(to: PerceptualHash(reencoded)) <= DuplicateGroups.defaultNearThreshold)
        #expect(hash.distance(to: PerceptualHash(SyntheticPages.touched(page))) <= 2)
        for seed in 2...6 as ClosedRange<UInt64> {
            #expect(hash.distance(to: PerceptualHash(SyntheticPages.page(seed: seed))) > 3 * DuplicateGroups.defaultNearThreshold)
        }
    }

    @Test("identical bytes, identical pixels and near duplicates each join an image; distinct pages do not")
    func duplicateGroups() throws {
        let page = SyntheticPages.page(seed: 7)
        let jpeg = try ImageEncoder.jpeg(page, quality: 85)
        let decoded = try ImageDecoder.decode(jpeg)
        let samePixels = try ImageEncoder.png(decoded)  // other bytes, the JPEG's pixels
        let prints = [
            ImageFingerprint(fileBytes: jpeg, image: decoded),
            ImageFingerprint(fileBytes: jpeg, image: decoded),
            ImageFingerprint(fileBytes: samePixels, image: try ImageDecoder.decode(samePixels)),
            try fingerprint(SyntheticPages.touched(page)),
            try fingerprint(SyntheticPages.page(seed: 8)),
            try fingerprint(SyntheticPages.page(seed: 9)),
        ]
        let groups = DuplicateGroups(prints)
        #expect(groups.imageOfFile == [0, 0, 0, 0, 1, 2])
        #expect(groups.imageCount == 3)
        #expect(groups.identicalFileCount == 1)
        #expect(groups.identicalPixelCount == 1)
        #expect(groups.nearPairs.map { [$0.first, $0.second] } == [[0, 3]])
        #expect(groups.smallestDistinctDistance! > DuplicateGroups.defaultNearThreshold)
        #expect(DuplicateGroups(prints, nearThreshold: 0).imageCount == 4)
    }

    @Test("a file that is not an image is an error naming it")
    func unreadableFile() throws {
        let root = try SyntheticPages.temporaryFolder("hash")
        defer { try? FileManager.default.removeItem(at: root) }
        try SyntheticPages.write(Data("not an image".utf8), to: root, "A", "bad.png")
        let url = root.appendingPathComponent("A/bad.png")
        #expect(throws: DatasetError.unreadableImage(url.path, reason: ImageDecodingError.unsupportedFormat.description)) {
            try ImageFingerprint.compute([url])
        }
    }

    private func fingerprint(_ image: RGBImage) throws -> ImageFingerprint {
        ImageFingerprint(fileBytes: try ImageEncoder.png(image), image: image)
    }
}

extension Array {
    /// The elements repeated forever.
    func cycled() -> some Sequence<Element> { sequence(state: 0) { index in defer { index += 1 }; return self[index % count] } }
}
