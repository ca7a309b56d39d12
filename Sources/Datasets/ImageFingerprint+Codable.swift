/// Fingerprints stored beside cached features (`FeatureCache`), so that grouping duplicates
/// later needs no second pass over the images.
extension ImageFingerprint: Codable {
    enum CodingKeys: String, CodingKey {
        case fileSHA256 = "sha256", pixelSHA256 = "pixel_sha256", perceptualHash = "perceptual_hash", width, height
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let hash = try container.decode(String.self, forKey: .perceptualHash)
        guard let perceptualHash = PerceptualHash(hex: hash) else {
            throw DecodingError.dataCorruptedError(forKey: .perceptualHash, in: container, debugDescription: "not a hex hash")
        }
        self.perceptualHash = perceptualHash
        fileSHA256 = try container.decode(String.self, forKey: .fileSHA256)
        pixelSHA256 = try container.decode(String.self, forKey: .pixelSHA256)
        width = try container.decode(Int.self, forKey: .width)
        height = try container.decode(Int.self, forKey: .height)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(fileSHA256, forKey: .fileSHA256)
        try container.encode(pixelSHA256, forKey: .pixelSHA256)
        try container.encode(perceptualHash.description, forKey: .perceptualHash)
        try container.encode(width, forKey: .width)
        try container.encode(height, forKey: .height)
    }
}
