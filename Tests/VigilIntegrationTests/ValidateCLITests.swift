import Foundation
import Testing

@Suite("vigil validate and graph")
struct ValidateCLITests {
    @Test func shippedPipelinesValidate() async throws {
        let pipelines = try FileManager.default.contentsOfDirectory(atPath: CLI.packageRoot.appendingPathComponent("Pipelines").path)
            .filter { $0.hasSuffix(".yaml") }.map { "Pipelines/\($0)" }
        try #require(!pipelines.isEmpty)
        let result = try await CLI.run(["validate"] + pipelines)
        #expect(result.status == 0, "\(result.stderr)")
    }

    @Test func brokenFileReportsEveryErrorWithPositionAndFails() async throws {
        let dir = try CLI.temporaryDirectory()
        let file = dir.appendingPathComponent("broken.yaml")
        try """
        sources:
          cam:
            type: video
            url: samples/vtest.avi
            fsp: 5
        sinks:
          out:
            type: jsonl
            inputs: [camm]
            path: out.jsonl
        """.write(to: file, atomically: true, encoding: .utf8)
        let result = try await CLI.run(["validate", file.path])
        #expect(result.status != 0)
        #expect(result.stderr.contains("\(file.path):5:5: unknown key 'fsp'; did you mean 'fps'?"))
        #expect(result.stderr.contains("\(file.path):9:14: unknown input 'camm' of 'out'; did you mean 'cam'?"))
    }

    /// Mistakes inside components do not hide graph errors, and every value present is checked: one run
    /// reports all of them, in file order, each at its position.
    @Test func everyMistakeOfAFileIsReportedInOneRun() async throws {
        let dir = try CLI.temporaryDirectory()
        let file = dir.appendingPathComponent("mistakes.yaml")
        try """
        name: mistakes
        sourcs: {}
        sources:
          camera:
            type: video
            url: samples/vtest.avi
            fsp: 5
        stages:
          people:
            type: detect
            inputs: [camera_one]
            kind: dnn
            max_interval: 5 parsecs
          tracks:
            type: track
            inputs: [people, ids]
            match_iou: 1.5
          ids:
            type: reidentify
            inputs: [tracks, out]
        sinks:
          out:
            type: jsonl
            inputs: [tracks]
            pathh: out.jsonl
          db:
            type: postgress
            inputs: [ids]
          slow:
            type: jsonl
            inputs: [ids]
            path: out/slow.jsonl
            buffer: {max_events: 0, when_full: drop_latest}
        """.write(to: file, atomically: true, encoding: .utf8)
        let result = try await CLI.run(["validate", file.path])
        #expect(result.status != 0)
        let prefix = file.path + ":"
        let all: [String] = result.stderr.split(separator: "\n").map(String.init)
        let lines: [String] = all.filter { $0.hasPrefix(prefix) }.map { String($0.dropFirst(prefix.count)) }
        #expect(lines == [
            "2:1: unknown top-level key 'sourcs'; did you mean 'sources'?",
            "7:5: unknown key 'fsp'; did you mean 'fps'?",
            "10:5: missing required key 'model'",
            "11:14: unknown input 'camera_one' of 'people'",
            "13:19: invalid value '5 parsecs' for 'max_interval': expected a frame count or a duration such as 2s",
            "13:19: 'max_interval' needs 'gate: motion'",
            "14:3: Cyclic dependency detected in the chain [ tracks -> ids -> tracks ]",
            "17:16: invalid value '1.5' for 'match_iou': expected a number in 0.0...1.0",
            "20:22: 'out' is a sink and has no output for 'ids' to read",
            "23:5: missing required key 'path'",
            "25:5: unknown key 'pathh'; did you mean 'path'?",
            "27:11: unknown sink type 'postgress'; did you mean 'postgres'?",
            "33:26: invalid value '0' for 'max_events': expected an integer in 1...100000",
            "33:40: invalid value 'drop_latest' for 'when_full': expected one of block, drop_newest, drop_oldest",
        ], "\(result.stderr)")
    }

    @Test func missingFileIsAClearError() async throws {
        let result = try await CLI.run(["validate", "/nonexistent/pipeline.yaml"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("/nonexistent/pipeline.yaml: cannot read the pipeline file"))
    }

    @Test func graphPrintsDotAndMermaid() async throws {
        let dot = try await CLI.run(["graph", "Pipelines/people-detect.yaml"])
        #expect(dot.status == 0)
        #expect(dot.stdout.hasPrefix("digraph"))
        #expect(dot.stdout.contains("\"camera\" -> \"people\" [label=\"frames\"]"))
        let mermaid = try await CLI.run(["graph", "Pipelines/people-detect.yaml", "--format", "mermaid"])
        #expect(mermaid.status == 0)
        #expect(mermaid.stdout.hasPrefix("flowchart LR"))
    }
}
