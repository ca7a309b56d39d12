import Foundation

extension WeightsMetadata {
    /// `text` with every absolute path cut to its last two components
    /// (`/home/ana/ecglens/Data/train` → `Data/train`, `/tmp/runs/a.safetensors` → `runs/a.safetensors`).
    ///
    /// Provenance names the data folders and the command that made the weights; written as the
    /// trainer typed them, those would record the training machine's user names and folder
    /// layout in a file that is shared. Two components keep what a reader needs (which split,
    /// which file). Relative paths (`Data/train`, `../shared/x.h5`) and URLs stay as they are.
    public static func portable(_ text: String) -> String {
        // A path starts with "/" at the text's start or after a space, "=", "(", "[" or a quote;
        // it runs to the next space, comma, semicolon, bracket or quote.
        guard let pattern = try? NSRegularExpression(pattern: #"(?<=^|[\s=(\["'])/[^\s,;\[\]()"']+"#) else { return text }
        var result = text
        for match in pattern.matches(in: text, range: NSRange(text.startIndex..., in: text)).reversed() {
            guard let range = Range(match.range, in: result) else { continue }
            let components = result[range].split(separator: "/")
            result.replaceSubrange(range, with: components.suffix(2).joined(separator: "/"))
        }
        return result
    }
}
