internal import CFFmpeg

enum FFmpegSetup {
    /// Silences FFmpeg's own stderr logging once per process: Vigil counts damaged packets and
    /// reports errors itself (set `VIGIL_FFMPEG_LOG=1` to see FFmpeg's messages while debugging).
    static let once: Void = {
        if getenv("VIGIL_FFMPEG_LOG") == nil { vigil_av_log_quiet() }
    }()
}
