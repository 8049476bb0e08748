import Foundation
import Synchronization
import VigilTesting

/// A camera on loopback: the ffmpeg CLI serves vtest.avi, looped at its own frame rate, as MPEG-TS over
/// TCP. ffmpeg's TCP listener takes one client and exits when it leaves, so the server starts it again each
/// time — a camera outlives the worker that watched it, and the next worker can connect.
final class CameraServer: Sendable {
    let port: Int
    private let state = Mutex<(stopped: Bool, process: ChildProcess?)>((false, nil))
    private let video: String

    init(video: String) throws {
        let listener = try SilentListener()
        port = listener.port
        listener.close()
        self.video = video
        Thread.detachNewThread { [self] in serve() }
    }

    var url: String { "tcp://127.0.0.1:\(port)" }

    private func serve() {
        while true {
            let process: ChildProcess? = state.withLock { s in
                guard !s.stopped else { return nil }
                s.process = try? ChildProcess(["ffmpeg", "-v", "error", "-nostdin", "-re", "-stream_loop", "-1", "-i", video,
                                               "-c:v", "mpeg4", "-g", "10", "-f", "mpegts", "\(url)?listen=1"],
                                              stdout: .discard, stderr: .discard)
                return s.process
            }
            guard let process else { return }
            process.wait(timeout: 3600)
            // A client that left (or a port still held by the last one): try again shortly.
            Thread.sleep(forTimeInterval: 0.1)
        }
    }

    func stop() {
        let process = state.withLock { s in
            s.stopped = true
            return s.process
        }
        process?.signal(SIGKILL)
    }

    deinit { stop() }
}
