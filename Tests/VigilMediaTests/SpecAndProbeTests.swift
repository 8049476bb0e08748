import Foundation
import Testing
import VigilCore
import VigilMedia

/// A mapping node from `key: value` pairs, positioned line by line like a small YAML file.
func mapping(_ pairs: [(String, ConfigNode.Value)]) -> ConfigNode {
    let entries = pairs.enumerated().map { i, pair in
        ConfigNode.Entry(key: pair.0, keyLocation: SourceLocation(file: "p.yaml", line: i + 2, column: 5),
                         value: ConfigNode(pair.1, at: SourceLocation(file: "p.yaml", line: i + 2, column: 10)))
    }
    return ConfigNode(.mapping(entries), at: SourceLocation(file: "p.yaml", line: 1, column: 3))
}

@Suite("video source spec")
struct VideoSourceSpecTests {
    @Test func readsEveryKey() {
        let sink = DiagnosticSink()
        let reconnect = mapping([("initial_delay", .scalar("250ms")), ("max_delay", .scalar("1m"))])
        let spec = VideoSourceSpec(config: ConfigReader(mapping([
            ("url", .scalar("rtsp://cam1/stream")), ("fps", .scalar("5")), ("start", .scalar("1m")),
            ("end", .scalar("2m30s")), ("loop", .scalar("true")), ("rtsp_transport", .scalar("udp")),
            ("read_timeout", .scalar("5s")), ("reconnect", reconnect.value), ("threads", .scalar("3")),
            ("pixel_format", .scalar("gray8")), ("width", .scalar("640")), ("height", .scalar("360")),
        ]), diagnostics: sink, handledKeys: ["type"]))
        #expect(sink.diagnostics.isEmpty, "\(sink.diagnostics)")
        #expect(spec.url == "rtsp://cam1/stream")
        #expect(spec.fps == 5 && spec.start == 60 && spec.end == 150 && spec.loop)
        #expect(spec.rtspTransport == .udp && spec.readTimeout == 5 && spec.threads == 3)
        #expect(spec.reconnect.initialDelay == 0.25 && spec.reconnect.maxDelay == 60)
        #expect(spec.requirement(context: makeContext()) == FrameRequirement(pixelFormat: .gray8, maxWidth: 640, maxHeight: 360))
        #expect(VideoSourceSpec.typeName == "video" && VideoSourceSpec.role == .source)
        #expect(spec.outputPort == .frames && spec.inputPorts.isEmpty)
    }

    @Test func reportsEveryProblemWithItsPosition() {
        let sink = DiagnosticSink()
        _ = VideoSourceSpec(config: ConfigReader(mapping([
            ("fps", .scalar("fast")), ("rtsp_transport", .scalar("quic")), ("read_timout", .scalar("5s")),
            ("start", .scalar("10s")), ("end", .scalar("5s")),
        ]), diagnostics: sink))
        let text = sink.diagnostics.map(\.description)
        #expect(text.contains("p.yaml:1:3: missing required key 'url'"))
        #expect(text.contains { $0.hasPrefix("p.yaml:2:10: invalid value 'fast' for 'fps'") })
        #expect(text.contains { $0.hasPrefix("p.yaml:3:10: invalid value 'quic' for 'rtsp_transport'") })
        #expect(text.contains("p.yaml:4:5: unknown key 'read_timout'; did you mean 'read_timeout'?"))
        #expect(text.contains { $0.hasPrefix("p.yaml:6:10: 'end'") })
        #expect(sink.diagnostics.count == 5)
    }

    @Test func rejectsAnUnknownScheme() {
        let sink = DiagnosticSink()
        _ = VideoSourceSpec(config: ConfigReader(mapping([("url", .scalar("gopher://x/y"))]), diagnostics: sink))
        #expect(sink.diagnostics.count == 1)
    }
}

@Suite("MediaProbe")
struct MediaProbeTests {
    @Test func describesASample() throws {
        let path = try Samples.path("vtest.avi")
        let probe = try MediaProbe.probe(path)
        #expect(probe.format == "avi")
        #expect((probe.width, probe.height) == (768, 576))
        #expect(probe.fps == 10)
        #expect(probe.codec == "msmpeg4v3")
        #expect(probe.frameCount == 795 && !probe.frameCountIsExact)
        #expect(abs((probe.duration ?? 0) - 79.5) < 0.01)
        #expect(probe.streams.count == 1 && probe.streams[0].type == "video")
        #expect(probe.description.contains("768x576"))
        let json = try probe.jsonString()
        #expect(json.contains("\"frame_count\" : 795"))
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        #expect(try decoder.decode(MediaProbe.self, from: Data(json.utf8)) == probe)
    }

    @Test func countsFramesByDecodingWhenAsked() async throws {
        let path = try Samples.path("bikes.mp4")
        let probe = try MediaProbe.probe(path, countFrames: true)
        let ffprobe = try await Tools.ffprobeFrameCount(path)
        #expect(probe.frameCount == ffprobe)
        #expect(probe.frameCountIsExact)
    }

    @Test func failsWithTheSameTypedErrors() {
        #expect(throws: VigilError.self) { try MediaProbe.probe("/nonexistent/clip.mp4") }
    }
}
