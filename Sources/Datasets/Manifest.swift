import Foundation

/// A CSV file with a header row, one row per image file: the shared data set's `manifest.csv`
/// (`cls,file,sha256,...,header_id,...`), read to group files further when splitting.
public struct Manifest: Sendable {
    /// The column names, from the header row.
    public let columns: [String]
    /// The rows, each as many fields as `columns`.
    public let rows: [[String]]

    /// Reads `url`.
    ///
    /// - Throws: ``DatasetError/badManifest(_:reason:)`` when the file cannot be read, has no header,
    ///   has a row of the wrong width or an unterminated quote.
    public init(contentsOf url: URL) throws(DatasetError) {
        guard let text = try? String(contentsOf: url, encoding: .utf8) else {
            throw .badManifest(url.path, reason: "cannot be read as UTF-8 text")
        }
        try self.init(csv: text, path: url.path)
    }

    /// Parses CSV text (RFC 4180: fields in double quotes may hold commas, quotes doubled, newlines).
    public init(csv text: String, path: String = "manifest") throws(DatasetError) {
        var records: [[String]] = []
        var record: [String] = [], field = "", quoted = false, afterQuote = false
        for character in text {
            if quoted {
                if character == "\"" { quoted = false; afterQuote = true } else { field.append(character) }
                continue
            }
            switch character {
            case "\"" where field.isEmpty && !afterQuote: quoted = true
            case "\"": quoted = true; field.append("\"")  // a doubled quote inside a quoted field
            case ",": record.append(field); field = ""; afterQuote = false
            case "\n", "\r\n", "\r":
                record.append(field); field = ""; afterQuote = false
                if record != [""] { records.append(record) }
                record = []
            default: field.append(character)
            }
        }
        guard !quoted else { throw .badManifest(path, reason: "a quoted field is not closed") }
        if !field.isEmpty || !record.isEmpty { records.append(record + [field]) }
        guard let header = records.first else { throw .badManifest(path, reason: "it is empty") }
        for (number, row) in records.enumerated().dropFirst() where row.count != header.count {
            throw .badManifest(path, reason: "row \(number + 1) has \(row.count) fields, the header \(header.count)")
        }
        columns = header
        rows = Array(records.dropFirst())
    }

    /// The value of `column` for each file, keyed by `class/file name` when the manifest has `cls` and
    /// `file` columns, else by file name (a `file` or `path` column's last path component).
    ///
    /// - Throws: ``DatasetError/badManifest(_:reason:)`` when `column` or a file column is missing.
    public func values(of column: String, path: String = "manifest") throws(DatasetError) -> [String: String] {
        guard let valueIndex = columns.firstIndex(of: column) else {
            throw .badManifest(path, reason: "it has no column \(column) (columns: \(columns.joined(separator: ", ")))")
        }
        guard let fileIndex = columns.firstIndex(of: "file") ?? columns.firstIndex(of: "path") else {
            throw .badManifest(path, reason: "it has no file or path column")
        }
        let classIndex = columns.firstIndex(of: "cls") ?? columns.firstIndex(of: "class")
        var values: [String: String] = [:]
        for row in rows {
            values[Self.key(file: row[fileIndex], className: classIndex.map { row[$0] })] = row[valueIndex]
        }
        return values
    }

    /// The key ``values(of:path:)`` uses for a file.
    public static func key(file: String, className: String?) -> String {
        let name = (file as NSString).lastPathComponent
        return className.map { "\($0)/\(name)" } ?? name
    }
}
