// The two server types MultipartForm.swift refers to, reduced to what it uses (the real ones,
// Sources/Server/APIError.swift and RequestBudget.swift, need Hummingbird).

enum APIError: Error {
    case badRequest(String)
    case tooManyFields(limit: Int)
    case fieldTooLong(String, limit: Int)
    case duplicateField(String)
}

/// The limits of `ecg serve`'s RequestBudget that the splitter checks, with the same defaults.
struct RequestBudget {
    var maxFormFields = 16
    var maxFieldNameBytes = 256
    var maxPartHeaderBytes = 8192
}
