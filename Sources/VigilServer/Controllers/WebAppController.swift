import Crypto
import Foundation
import Hummingbird
import HTTPTypes

/// The web dashboard: `GET /` is the app's page and `/assets/{hash}/...` its scripts, styles and
/// images, from `Public/app` (plain HTML, CSS and JavaScript modules; nothing fetched from elsewhere).
/// `{hash}` is the content hash of all the assets together: asset URLs change whenever any asset does,
/// so they are cached for a year (`immutable`) and the page itself is revalidated every time. Modules
/// import each other by relative paths, which stay inside one hash. Text assets are sent gzip-compressed
/// to clients that accept it.
struct WebAppController {
    let app: WebAppBundle

    func register(on router: Router<AppRequestContext>) {
        router.get("/") { request, _ in try app.page(request) }
        router.get("assets/:hash/**") { request, context in
            guard context.parameters.get("hash") == app.hash else { throw APIError.notFound("asset (the page is older than this server; reload it)") }
            let path = context.parameters.getCatchAll().joined(separator: "/")
            return try app.asset(path, request)
        }
    }
}

/// The files of `Public/app`, read and hashed once.
struct WebAppBundle: Sendable {
    struct Asset: Sendable {
        var data: Data
        var gzipped: Data?
        var contentType: String
    }

    let hash: String
    let assets: [String: Asset]
    let index: Data

    static let types = ["html": "text/html; charset=utf-8", "js": "text/javascript; charset=utf-8", "css": "text/css; charset=utf-8",
                        "svg": "image/svg+xml", "png": "image/png", "ico": "image/x-icon", "json": "application/json"]

    /// The bundle of `folder` (the module's `Public/app`); an empty one when the folder is missing.
    static func load(from folder: URL?) -> WebAppBundle {
        var files: [String: Data] = [:]
        if let folder, let walker = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: [.isRegularFileKey]) {
            for case let url as URL in walker where (try? url.resourceValues(forKeys: [.isRegularFileKey]))?.isRegularFile == true {
                let relative = String(url.standardizedFileURL.path.dropFirst(folder.standardizedFileURL.path.count + 1))
                if let data = try? Data(contentsOf: url) { files[relative] = data }
            }
        }
        var digest = SHA256()
        for name in files.keys.sorted() where name != "index.html" {
            digest.update(data: Data(name.utf8))
            digest.update(data: files[name]!)
        }
        let hash = digest.finalize().prefix(8).map { String(format: "%02x", $0) }.joined()
        var assets: [String: Asset] = [:]
        for (name, data) in files where name != "index.html" {
            let ext = String(name.split(separator: ".").last ?? "")
            let type = types[ext] ?? "application/octet-stream"
            let compressible = type.hasPrefix("text/") || type == "image/svg+xml" || type == "application/json"
            assets[name] = Asset(data: data, gzipped: compressible ? Gzip.compress(data) : nil, contentType: type)
        }
        let page = String(decoding: files["index.html"] ?? Data("<!doctype html><title>Vigil</title><p>The web app is not installed.".utf8), as: UTF8.self)
            .replacingOccurrences(of: "{{assets}}", with: "/assets/\(hash)")
        return WebAppBundle(hash: hash, assets: assets, index: Data(page.utf8))
    }

    func page(_ request: Request) throws -> Response {
        respond(Asset(data: index, gzipped: Gzip.compress(index), contentType: Self.types["html"]!), request, cache: "no-cache")
    }

    func asset(_ path: String, _ request: Request) throws -> Response {
        guard let asset = assets[path] else { throw APIError.notFound("asset") }
        return respond(asset, request, cache: "public, max-age=31536000, immutable")
    }

    private func respond(_ asset: Asset, _ request: Request, cache: String) -> Response {
        var headers: HTTPFields = [.contentType: asset.contentType, .cacheControl: cache, .vary: "Accept-Encoding"]
        let accepts = (request.headers[.acceptEncoding] ?? "").lowercased().split(separator: ",").contains {
            $0.trimmingCharacters(in: .whitespaces).hasPrefix("gzip") && !$0.contains("q=0")
        }
        if accepts, let gzipped = asset.gzipped, gzipped.count < asset.data.count {
            headers[.contentEncoding] = "gzip"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: gzipped)))
        }
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: asset.data)))
    }
}
