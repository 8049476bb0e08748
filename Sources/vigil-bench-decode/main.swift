// Decodes a file and converts every frame to BGR24 at source size into pooled buffers, the work a
// `video` source does for a full-size consumer. Prints one line: frames, seconds, frames/s.
// Usage: vigil-bench-decode FILE [THREADS]
import Foundation
import VigilCore
import VigilMedia

let arguments = CommandLine.arguments
guard arguments.count >= 2 else {
    FileHandle.standardError.write(Data("usage: vigil-bench-decode FILE [THREADS]\n".utf8))
    exit(2)
}
let threads = arguments.count >= 3 ? Int(arguments[2]) : nil
do {
    let clock = ContinuousClock()
    let began = clock.now
    let reader = try VideoReader(url: arguments[1], options: VideoReaderOptions(threads: threads))
    let pool = FramePool()
    let requirement = FrameRequirement(pixelFormat: .bgr24)
    var frames = 0
    while try reader.next() != nil {
        _ = try reader.makeImage(requirement, pool: pool)
        frames += 1
    }
    let elapsed = clock.now - began
    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    print("frames=\(frames) seconds=\(String(format: "%.3f", seconds)) fps=\(String(format: "%.1f", Double(frames) / seconds)) buffers=\(pool.allocatedCount)")
} catch {
    FileHandle.standardError.write(Data("vigil-bench-decode: \(error)\n".utf8))
    exit(1)
}
