import Foundation

/// The EXIF orientation of a photograph: how the stored pixels must be turned to show the scene upright.
///
/// Phones store a photo in the sensor's orientation and record in the EXIF tag 0x0112 how to turn it;
/// a page photographed in portrait and stored as landscape pixels is upright only after that turn.
/// The raw values are those of the EXIF/TIFF specification (1 to 8).
///
/// See: EXIF 2.32 (CIPA DC-008), tag 0x0112 "Orientation"; Pillow's `ImageOps.exif_transpose`.
public enum ExifOrientation: Int, Sendable, CaseIterable {
    /// 1: stored upright.
    case up = 1
    /// 2: mirrored left-right.
    case upMirrored = 2
    /// 3: upside down (turn 180 degrees).
    case down = 3
    /// 4: mirrored top-bottom.
    case downMirrored = 4
    /// 5: transposed (mirrored about the top-left to bottom-right diagonal).
    case leftMirrored = 5
    /// 6: turn 90 degrees clockwise to show upright (a phone held upright, camera on the left).
    case right = 6
    /// 7: transversed (mirrored about the other diagonal).
    case rightMirrored = 7
    /// 8: turn 90 degrees counter-clockwise (270 clockwise) to show upright.
    case left = 8

    /// The most JPEG segments read before giving up: an Exif block sits in the first few.
    static let maximumSegments = 64

    /// Reads the orientation from a JPEG's APP1 Exif segment.
    ///
    /// A bounded parser: it walks at most ``maximumSegments`` marker segments before the first scan,
    /// checks every offset against the data, reads only IFD0, and never throws. Missing, malformed or
    /// out-of-range values give `.up` (the image is shown as stored), as image viewers do.
    ///
    /// - Parameter bytes: The whole JPEG file (or at least its header segments).
    /// - Returns: The orientation, `.up` when there is none.
    public static func read(jpeg bytes: UnsafeRawBufferPointer) -> ExifOrientation {
        guard bytes.count >= 4, bytes[0] == 0xFF, bytes[1] == 0xD8 else { return .up }
        var offset = 2
        for _ in 0..<maximumSegments {
            // Each segment: 0xFF, marker, 2-byte big-endian length that counts itself.
            guard offset + 4 <= bytes.count, bytes[offset] == 0xFF else { return .up }
            let marker = bytes[offset + 1]
            if marker == 0xFF { offset += 1; continue }  // fill byte
            // Start of scan or end of image: the headers are over.
            if marker == 0xDA || marker == 0xD9 { return .up }
            let length = Int(bytes[offset + 2]) << 8 | Int(bytes[offset + 3])
            guard length >= 2, offset + 2 + length <= bytes.count else { return .up }
            if marker == 0xE1, let value = orientation(inApp1: UnsafeRawBufferPointer(rebasing: bytes[(offset + 4)..<(offset + 2 + length)])) {
                return value
            }
            offset += 2 + length
        }
        return .up
    }

    /// Reads the orientation from any encoded image; only JPEGs carry it here (`.up` for others).
    public static func read(_ data: some ContiguousBytes) -> ExifOrientation {
        data.withUnsafeBytes { read(jpeg: $0) }
    }

    /// The orientation tag in an APP1 payload (after the length), or nil when it is not an Exif
    /// block or has no valid tag 0x0112 in IFD0.
    private static func orientation(inApp1 payload: UnsafeRawBufferPointer) -> ExifOrientation? {
        // "Exif\0\0", then a TIFF header: byte order ("II" little or "MM" big), 42, IFD0's offset.
        let exifHeader: [UInt8] = [0x45, 0x78, 0x69, 0x66, 0x00, 0x00]
        guard payload.count >= 14, payload.starts(with: exifHeader) else { return nil }
        let tiff = UnsafeRawBufferPointer(rebasing: payload[6...])
        let littleEndian: Bool
        switch (tiff[0], tiff[1]) {
        case (0x49, 0x49): littleEndian = true
        case (0x4D, 0x4D): littleEndian = false
        default: return nil
        }
        func u16(_ at: Int) -> Int? {
            guard at >= 0, at + 2 <= tiff.count else { return nil }
            let (a, b) = (Int(tiff[at]), Int(tiff[at + 1]))
            return littleEndian ? a | b << 8 : a << 8 | b
        }
        func u32(_ at: Int) -> Int? {
            guard let low = u16(littleEndian ? at : at + 2), let high = u16(littleEndian ? at + 2 : at) else { return nil }
            return high << 16 | low
        }
        guard u16(2) == 42, let ifd = u32(4), let count = u16(ifd) else { return nil }
        // Entries of 12 bytes: tag, type, count, value (a SHORT sits in the value's first 2 bytes).
        for entry in 0..<count {
            let at = ifd + 2 + entry * 12
            guard let tag = u16(at) else { return nil }
            guard tag == 0x0112 else { continue }
            guard u16(at + 2) == 3, let value = u16(at + 8) else { return nil }
            return ExifOrientation(rawValue: value)
        }
        return nil
    }
}
