import Foundation
import Synchronization
import VigilCore

/// The dead-letter file: one JSON object per line for every delivery given up — when, why, the last
/// error, the attempts, the idempotency key, the receiver's URL (without credentials), and the event as
/// it would have been posted, so it can be replayed. Lines are appended to what earlier runs left.
final class DeadLetterFile: Sendable {
    let path: String
    private let handle: Mutex<FileHandle?>
    private let failure = Mutex<String?>(nil)

    init(path: String) throws {
        self.path = path
        if !FileManager.default.fileExists(atPath: path) {
            guard FileManager.default.createFile(atPath: path, contents: nil) else {
                throw VigilError(.io, "cannot create the dead-letter file", subject: path)
            }
        }
        do {
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
            try handle.seekToEnd()
            self.handle = Mutex(handle)
        } catch {
            throw VigilError(.io, "cannot open the dead-letter file: \(error.localizedDescription)", subject: path)
        }
    }

    /// The first write error, if any (later letters are still attempted).
    var writeError: String? { failure.withLock { $0 } }

    /// Appends `letters`, one line each; `time` is when they were given up.
    func write(_ letters: [DeadLetter], url: String, time: Date = Date()) {
        guard !letters.isEmpty else { return }
        var text = ""
        for letter in letters { text += Self.line(letter, url: url, time: time) + "\n" }
        handle.withLock { handle in
            guard let handle else { return }
            do { try handle.write(contentsOf: Data(text.utf8)) } catch {
                failure.withLock { $0 = $0 ?? error.localizedDescription }
            }
        }
    }

    func close() {
        handle.withLock { handle in
            try? handle?.synchronize()
            try? handle?.close()
            handle = nil
        }
    }

    static func line(_ letter: DeadLetter, url: String, time: Date) -> String {
        var w = JSONWriter()
        w.raw("{")
        w.key("time", first: true); w.string(JSONLinesEncoding.iso8601(time))
        w.key("reason"); w.string(letter.reason.rawValue)
        w.key("error"); w.string(letter.error)
        w.key("attempts"); w.number(letter.delivery.attempts)
        if let status = letter.delivery.lastStatus { w.key("status"); w.number(status) }
        w.key("delivery"); w.string(letter.delivery.key)
        w.key("url"); w.string(url)
        w.key("event"); w.raw(letter.delivery.body)
        w.raw("}")
        return w.text
    }
}
