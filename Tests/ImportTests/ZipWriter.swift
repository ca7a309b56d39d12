import Foundation

/// Writes small zip archives for hostile-file tests: stored members, or members given as raw
/// deflate data with whatever sizes a test declares.
struct ZipWriter {
    struct Member {
        var name: String
        var data: [UInt8]
        var method: UInt16 = 0
        /// The uncompressed size and CRC the directory declares (the data's own by default).
        var declaredSize: UInt32? = nil
        var crc: UInt32? = nil
    }

    var members: [Member] = []

    mutating func add(_ name: String, _ data: [UInt8]) { members.append(Member(name: name, data: data)) }

    var bytes: [UInt8] {
        var out: [UInt8] = [], directory: [UInt8] = []
        for member in members {
            let offset = UInt32(out.count)
            let crc = member.crc ?? crc32(member.data)
            let size = member.declaredSize ?? UInt32(member.data.count)
            var common: [UInt8] = []
            common += le16(20) + le16(0) + le16(member.method) + le16(0) + le16(0)
            common += le32(crc) + le32(UInt32(member.data.count)) + le32(size)
            common += le16(UInt16(member.name.utf8.count)) + le16(0)
            out += [0x50, 0x4B, 3, 4] + common + Array(member.name.utf8) + member.data
            directory += [0x50, 0x4B, 1, 2] + le16(20) + common + le16(0) + le16(0) + le16(0) + le32(0) + le32(offset)
            directory += Array(member.name.utf8)
        }
        let start = UInt32(out.count)
        out += directory
        out += [0x50, 0x4B, 5, 6] + le16(0) + le16(0) + le16(UInt16(members.count)) + le16(UInt16(members.count))
        out += le32(UInt32(directory.count)) + le32(start) + le16(0)
        return out
    }

    private func le16(_ v: UInt16) -> [UInt8] { [UInt8(v & 0xFF), UInt8(v >> 8)] }
    private func le32(_ v: UInt32) -> [UInt8] { (0..<4).map { UInt8((v >> (8 * $0)) & 0xFF) } }
}

/// CRC-32 (IEEE), bit by bit: fine for test-sized data.
func crc32(_ data: [UInt8]) -> UInt32 {
    var crc: UInt32 = 0xFFFF_FFFF
    for byte in data {
        crc ^= UInt32(byte)
        for _ in 0..<8 { crc = crc & 1 != 0 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
    }
    return ~crc
}

/// Writes `bytes` to a new file in `folder`.
func write(_ bytes: [UInt8], _ name: String, in folder: URL) throws -> URL {
    let url = folder.appendingPathComponent(name)
    try Data(bytes).write(to: url)
    return url
}
