import Checkpoints
import Foundation
import Hummingbird
import ImageIO
import Inference
import NIOCore
import NIOHTTP1

/// An error answered to the client as `{"error": code, "message": text}` with an HTTP status.
///
/// Every failure a request can meet is mapped to one of these (see ``init(_:)``), so the API
/// never answers with an unexplained 500 for bad input.
public struct APIError: Error, Sendable, Equatable, CustomStringConvertible {
    public let status: HTTPResponse.Status
    /// A stable, machine-readable code (`unknown_model`, `image_too_large`, …).
    public let code: String
    /// One human-readable sentence.
    public let message: String
    /// Seconds after which the client may retry (sent as `Retry-After`), for 503 answers.
    public let retryAfter: Int?
    /// The page check's findings, for `not_an_ecg` (sent as `score` and `reasons`).
    public var gate: PageReport?

    public init(_ status: HTTPResponse.Status, _ code: String, _ message: String, retryAfter: Int? = nil) {
        self.status = status
        self.code = code
        self.message = message
        self.retryAfter = retryAfter
    }

    public var description: String { "\(status.code) \(code): \(message)" }

    /// The JSON body sent to the client.
    struct Body: Codable, Sendable {
        let error: String
        let message: String
        /// For `not_an_ecg`: the page check's score and why it refused the image.
        var score: Double? = nil
        var reasons: [String]? = nil
        /// For `not_an_ecg` from a model with a novelty check: its distance, threshold and verdict.
        var novelty: NoveltyScore? = nil
    }

    // MARK: - Named errors

    static func payloadTooLarge(limit: Int) -> APIError {
        APIError(.contentTooLarge, "payload_too_large", "the request body is larger than the limit of \(limit / 1_000_000) MB")
    }
    static func unsupportedMediaType(_ message: String) -> APIError {
        APIError(.unsupportedMediaType, "unsupported_media_type", message)
    }
    static func badRequest(_ message: String) -> APIError { APIError(.badRequest, "bad_request", message) }
    static func notFound(_ message: String) -> APIError { APIError(.notFound, "not_found", message) }
    /// The model's queue is full.
    public static func busy(model: String) -> APIError {
        APIError(.serviceUnavailable, "busy", "the queue for model \(model) is full; retry shortly", retryAfter: 1)
    }
    /// The server's shared upload budget is spent (``RequestBudget/maxBufferedBytes``, ``RequestBudget/maxConcurrentUploads``).
    static func serverBusy(_ reason: String) -> APIError {
        APIError(.serviceUnavailable, "server_busy", "\(reason); retry shortly", retryAfter: 1)
    }
    static func tooManyFields(limit: Int) -> APIError {
        APIError(.badRequest, "too_many_fields", "the form has more than \(limit) fields")
    }
    static func fieldTooLong(_ what: String, limit: Int) -> APIError {
        APIError(.badRequest, "field_too_long", "\(what) is longer than \(limit) bytes")
    }
    static func duplicateField(_ name: String) -> APIError {
        APIError(.badRequest, "duplicate_field", "the field \"\(name)\" is sent more than once")
    }
    /// The client closed its connection before the request was read or answered: nothing can be
    /// sent, and it is the client's doing, so it is logged and counted as 499 (nginx's code for
    /// it), never as a server error.
    static let clientClosed = APIError(
        HTTPResponse.Status(code: 499, reasonPhrase: "Client Closed Request"), "client_closed",
        "the client closed the connection before the request was complete")
}

extension APIError {
    /// Maps an error from a lower module (or Hummingbird) to the answer the client gets.
    init(_ error: any Error) {
        switch error {
        case let error as APIError:
            self = error
        case let error as ImageDecodingError:
            self = Self(decoding: error)
        case let error as NotAnECGPage:
            self = .notAnECG(error)
        case let error as RegistryError:
            switch error {
            case .unknownModel: self = APIError(.notFound, "unknown_model", error.description)
            case .notInstalled: self = APIError(.serviceUnavailable, "model_not_installed", error.description)
            case .unreadable, .invalid: self = APIError(.serviceUnavailable, "model_unavailable", error.description)
            }
        case let error as CheckpointError:
            self = APIError(.serviceUnavailable, "model_unavailable", "the model failed to load: \(error)")
        case let error as HTTPParserError:
            self = Self(parsing: error)
        case let error as ChannelError where error == .eof || error == .ioOnClosedChannel || error == .inputClosed:
            self = .clientClosed
        case let error as HTTPError:
            self = APIError(error.status, Self.code(for: error.status), error.body ?? Self.message(for: error.status))
        case let error as any HTTPResponseError:
            self = APIError(error.status, Self.code(for: error.status), Self.message(for: error.status))
        default:
            self = APIError(.internalServerError, "internal_error", String(describing: error))
        }
    }

    /// A request the HTTP parser refused. An incomplete body (the connection closed before its
    /// `Content-Length` arrived) is the client going away, not a server error.
    init(parsing error: HTTPParserError) {
        switch error {
        case .invalidEOFState: self = .clientClosed
        case .headerOverflow: self = APIError(.requestHeaderFieldsTooLarge, "headers_too_large", "the request line or headers are too large")
        case .invalidContentLength, .unexpectedContentLength:
            self = APIError(.badRequest, "bad_content_length", "the Content-Length header is not a valid length")
        default: self = APIError(.badRequest, "malformed_request", "the request is not valid HTTP/1.1 (\(error))")
        }
    }

    private init(decoding error: ImageDecodingError) {
        switch error {
        case .empty: self = APIError(.badRequest, "empty_image", error.description)
        case .unsupportedFormat: self = APIError(.unprocessableContent, "not_an_image", error.description)
        case .unsupportedColorSpace: self = APIError(.unprocessableContent, "unsupported_image", error.description)
        case .truncated: self = APIError(.unprocessableContent, "truncated_image", error.description)
        case .corrupt: self = APIError(.unprocessableContent, "corrupt_image", error.description)
        case .tooManyPixels: self = APIError(.unprocessableContent, "image_too_large", error.description)
        case .tooManyScans: self = APIError(.unprocessableContent, "too_many_scans", error.description)
        }
    }

    private static func code(for status: HTTPResponse.Status) -> String {
        switch status {
        case .notFound: "not_found"
        case .methodNotAllowed: "method_not_allowed"
        case .contentTooLarge: "payload_too_large"
        case .badRequest: "bad_request"
        default: status.code >= 500 ? "internal_error" : "bad_request"
        }
    }

    private static func message(for status: HTTPResponse.Status) -> String {
        status == .notFound ? "no such page or endpoint" : status.reasonPhrase
    }
}
