import Foundation
import Testing
import VigilCore
import VigilPipeline

@Suite("Job files")
struct JobFileTests {
    func write(_ text: String, name: String = "job.yaml") throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-job-\(UUID().uuidString)/jobs")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let file = dir.appendingPathComponent(name)
        try text.write(to: file, atomically: true, encoding: .utf8)
        return file.path
    }

    @Test func readsPipelineInputsWindowAndPolicy() throws {
        let path = try write("""
        pipeline: ../Pipelines/site.yaml
        inputs:
          plaza: samples/vtest.avi
        from: 10s
        to: 1m
        rerun: resume
        """)
        #expect(JobFile.isJob(path))
        let job = try JobFile.load(path)
        let root = URL(fileURLWithPath: path).deletingLastPathComponent().deletingLastPathComponent().path
        #expect(job.pipeline == root + "/Pipelines/site.yaml")
        #expect(job.inputs == ["plaza": "samples/vtest.avi"])
        #expect(job.window == TimeWindow(start: 10, end: 60))
        #expect(job.rerun == .resume)
    }

    @Test func reportsEveryProblemWithItsPosition() throws {
        let path = try write("""
        pipeline: x.yaml
        inputz: {}
        to: 1x
        rerun: sometimes
        """)
        do {
            _ = try JobFile.load(path)
            Issue.record("a bad job file loaded")
        } catch let error as ValidationError {
            #expect(error.diagnostics.map { "\($0.location!.line):\($0.location!.column)" } == ["2:1", "3:5", "4:8"])
            #expect(error.diagnostics[0].message == "unknown key 'inputz'; did you mean 'inputs'?")
        }
    }

    @Test func aPipelineIsNotAJob() throws {
        let path = try write("sources:\n  cam: {type: video, url: a.mp4}\n")
        #expect(!JobFile.isJob(path))
    }
}
