import Foundation
import Testing
import VigilCore
@testable import VigilVision

@Suite("model registry")
struct ModelRegistryTests {
    @Test("the fetched registry lists the pinned models and every file verifies")
    func verifyFetched() throws {
        let registry = try TestSupport.registry()
        #expect(registry.entries.map(\.id).contains("yolo-fastest-1.1_body"))
        for entry in registry.entries { try registry.verifyFiles(of: entry) }
        let body = try registry.entry("yolo-fastest-1.1_body")
        #expect(body.inputWidth == 320 && body.inputHeight == 320 && body.letterbox == false)
        #expect(try registry.classNames(of: body) == ["person"])
        let coco = try registry.entry("yolo-fastest-1.1_coco")
        #expect(try registry.classNames(of: coco).count == 80)
    }

    @Test("SHA-256 of the bridge matches sha256sum")
    func sha256() throws {
        let path = TestSupport.modelsDirectory + "/body.names"
        #expect(try OpenCVRuntime.sha256(ofFile: path) == "9e2ec912af5dff2a72300863864fc4da04e81999339d9fac5c7590ba8a3f4e11")
        let empty = NSTemporaryDirectory() + "vigil-empty-\(UUID().uuidString)"
        _ = FileManager.default.createFile(atPath: empty, contents: Data())
        defer { try? FileManager.default.removeItem(atPath: empty) }
        #expect(try OpenCVRuntime.sha256(ofFile: empty) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    @Test("an unparsable or incomplete models.yaml names the file and line")
    func badManifest() throws {
        let directory = NSTemporaryDirectory() + "vigil-registry-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try "models:\n  m:\n    format: darknet\n    weights: m.weights\n    input_size: big\n"
            .write(toFile: directory + "/models.yaml", atomically: true, encoding: .utf8)
        let error = #expect(throws: VigilError.self) { try ModelRegistry(directory: directory) }
        #expect(error?.message.contains("models.yaml:5:17") == true)
        #expect(error?.message.contains("missing required key 'sha256'") == true)

        let none = #expect(throws: VigilError.self) { try ModelRegistry(directory: directory + "/nowhere") }
        #expect(none?.message.contains("scripts/fetch-models") == true)
    }
}
