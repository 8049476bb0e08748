import VigilStore
import VigilCore

/// MOT-Challenge track files, one per camera, in a folder: `<camera>.txt` with
/// `frame,id,x,y,w,h,score,-1,-1,-1`, frame = the source frame index + 1 (MOT frames are 1-based and
/// number every frame of the sequence, as the source's frame rate does). Rows must come camera by
/// camera (``TabularQuery/Order/frame``). A camera with rows of two runs is an error: its track ids
/// would mix; export one run (`--run`).
final class MOTRowWriter: RowWriter {
    private let folder: OutputFolder
    private let camera, run, frame, track, x, y, w, h, score: Int
    private var file: OutputFile?
    private var current: (camera: String, run: Int?)?
    private var done: Set<String> = []

    init(columns: [SQLColumn], folder path: String) throws {
        folder = try OutputFolder(path: path)
        camera = try columnIndex("camera", in: columns, for: "mot")
        run = columns.firstIndex { $0.name == "run_id" } ?? -1
        frame = try columnIndex("frame_index", in: columns, for: "mot")
        track = try columnIndex("track_id", in: columns, for: "mot")
        x = try columnIndex("x", in: columns, for: "mot")
        y = try columnIndex("y", in: columns, for: "mot")
        w = try columnIndex("w", in: columns, for: "mot")
        h = try columnIndex("h", in: columns, for: "mot")
        score = try columnIndex("score", in: columns, for: "mot")
    }

    func write(_ row: [SQLValue]) throws {
        let name = row[camera].text ?? "camera"
        let runID = run >= 0 ? row[run].int : nil
        if current?.camera != name {
            try file?.commit()
            if done.contains(name) {
                throw VigilError(.invalidArgument, "MOT rows of camera '\(name)' are not contiguous")
            }
            done.insert(name)
            file = try OutputFile(path: folder.file(Self.fileName(name)))
            current = (name, runID)
        } else if current?.run != runID {
            throw VigilError(.invalidArgument, "camera '\(name)' has rows of several runs (\(current?.run ?? 0), \(runID ?? 0)): "
                             + "their track ids would mix in one MOT file; export one run with --run")
        }
        let record = MOTChallenge.Record(
            frame: (row[frame].int ?? 0) + 1, id: row[track].int ?? -1,
            box: BoundingBox(x: row[x].double ?? 0, y: row[y].double ?? 0, width: row[w].double ?? 0, height: row[h].double ?? 0),
            score: row[score].double ?? 1)
        var line = ""
        MOTChallenge.append(record, to: &line)
        try file?.write(line)
    }

    func finish() throws {
        try file?.commit()
        file = nil
        try folder.commit()
    }

    /// A file name for a camera name: path separators and leading dots replaced.
    static func fileName(_ camera: String) -> String {
        var name = String(camera.map { $0 == "/" || $0 == "\0" ? "_" : $0 })
        while name.hasPrefix(".") { name.removeFirst() }
        return (name.isEmpty ? "camera" : name) + ".txt"
    }
}
