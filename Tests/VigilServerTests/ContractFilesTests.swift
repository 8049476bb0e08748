import Foundation
import Testing

/// The contracts the tests validate against are copies of `../shared/contracts` (a fresh clone has no
/// `../shared`); where the originals are beside the repository, the copies must equal them.
@Suite struct ContractFilesTests {
    static let copies = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Contracts")
    static let originals = copies.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("shared/contracts")

    @Test(.enabled(if: FileManager.default.fileExists(atPath: originals.path), "../shared/contracts is not beside the repository"))
    func copiesEqualTheSharedContracts() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: Self.originals.path).filter { $0.hasSuffix(".json") }
        #expect(!names.isEmpty)
        for name in names {
            let copy = try? Data(contentsOf: Self.copies.appendingPathComponent(name))
            #expect(copy == (try Data(contentsOf: Self.originals.appendingPathComponent(name))), "Contracts/\(name) differs from ../shared/contracts/\(name)")
        }
    }
}
