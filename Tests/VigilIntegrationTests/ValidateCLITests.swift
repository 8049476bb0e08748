import Foundation
import Testing

@Suite("vigil validate and graph")
struct ValidateCLITests {
    @Test func shippedPipelinesValidate() throws {
        let pipelines = try FileManager.default.contentsOfDirectory(atPath: CLI.packageRoot.appendingPathComponent("Pipelines").path)
            .filter { $0.hasSuffix(".yaml") }.map { "Pipelines/\($0)" }
        try #require(!pipelines.isEmpty)
        let result = try CLI.run(["validate"] + pipelines)
        #expect(result.status == 0, "\(result.stderr)")
    }

    @Test func brokenFileReportsEveryErrorWithPositionAndFails() throws {
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
        let result = try CLI.run(["validate", file.path])
        #expect(result.status != 0)
        #expect(result.stderr.contains("\(file.path):5:5: unknown key 'fsp'; did you mean 'fps'?"))
        #expect(result.stderr.contains("\(file.path):9:14: unknown input 'camm' of 'out'; did you mean 'cam'?"))
    }

    @Test func missingFileIsAClearError() throws {
        let result = try CLI.run(["validate", "/nonexistent/pipeline.yaml"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("/nonexistent/pipeline.yaml: cannot read the pipeline file"))
    }

    @Test func graphPrintsDotAndMermaid() throws {
        let dot = try CLI.run(["graph", "Pipelines/people-detect.yaml"])
        #expect(dot.status == 0)
        #expect(dot.stdout.hasPrefix("digraph"))
        #expect(dot.stdout.contains("\"camera\" -> \"people\" [label=\"frames\"]"))
        let mermaid = try CLI.run(["graph", "Pipelines/people-detect.yaml", "--format", "mermaid"])
        #expect(mermaid.status == 0)
        #expect(mermaid.stdout.hasPrefix("flowchart LR"))
    }
}
