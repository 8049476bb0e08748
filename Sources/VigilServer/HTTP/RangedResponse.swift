import Foundation
import Hummingbird
import HTTPTypes

/// The answer to a GET of a representation of `size` bytes tagged `etag` that honours `Range` and
/// `If-Range` (RFC 9110 §13.1.5, §14): 200 with everything, 206 with one range, 416 for a range that
/// selects nothing. Export downloads and media files (evidence, playback clips) answer through it.
struct RangedResponse {
    var status: HTTPResponse.Status
    var headers: HTTPFields
    /// The bytes to send: nil for none (an empty representation, or a 416).
    var selected: ByteRange?

    init(_ request: Request, size: Int, etag: String, headers base: HTTPFields) {
        var headers = base
        headers[.acceptRanges] = "bytes"
        headers[.eTag] = etag
        var range = ByteRange.parse(request.headers[.range], size: size)
        // If-Range with another validator: the client's partial copy is stale, send everything.
        if let ifRange = request.headers[.ifRange], ifRange != etag { range = .whole }
        switch range {
        case .whole:
            status = .ok
            selected = size > 0 ? ByteRange(first: 0, last: size - 1) : nil
        case .partial(let r):
            status = .partialContent
            headers[.contentRange] = "bytes \(r.first)-\(r.last)/\(size)"
            selected = r
        case .unsatisfiable:
            status = .rangeNotSatisfiable
            headers[.contentRange] = "bytes */\(size)"
            selected = nil
        }
        self.headers = headers
    }

    /// A file on this machine's disk, streamed from disk a piece at a time; its validator is its size and
    /// modification time. 404 (`what`) when the file is gone.
    static func file(_ path: String, contentType: String, request: Request, context: AppRequestContext, what: String,
                     headers extra: HTTPFields = [:]) async throws -> Response {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
              let size = (attributes[.size] as? NSNumber)?.intValue else {
            throw APIError.notFound("\(what) (its file is no longer on this server's disk)")
        }
        let modified = (attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
        var headers = extra
        headers[.contentType] = contentType
        if headers[.cacheControl] == nil { headers[.cacheControl] = "private, max-age=300" }
        let answer = RangedResponse(request, size: size, etag: "\"\(size)-\(Int(modified * 1000))\"", headers: headers)
        guard let selected = answer.selected else {
            return Response(status: answer.status, headers: answer.headers, body: ResponseBody(byteBuffer: ByteBuffer()))
        }
        let body = try await FileIO().loadFile(path: path, range: selected.first...selected.last, context: context)
        return Response(status: answer.status, headers: answer.headers, body: body)
    }
}
