import Inference

extension APIError {
    /// 422 `not_an_ecg`: the page check refused the image; the body carries the score and reasons.
    static func notAnECG(_ refusal: NotAnECGPage) -> APIError {
        var error = APIError(
            .unprocessableContent, "not_an_ecg",
            "\(refusal.description). If it is an ECG page, send it again with gate=0 to classify it anyway.")
        error.gate = PageReport(refusal.verdict, checked: true)
        return error
    }
}
