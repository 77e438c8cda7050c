import Foundation
import TestSupport
import XCTest
@testable import TesseraFinetune

/// Upstream's split files, and the folds Tessera makes when there are none.
final class FoldSplitsTests: XCTestCase {
    let task = TaskConfig(classNames: ["a", "b", "c"])

    /// 30 slides: 15 of class a, 9 of b, 6 of c; patients p0...p9 with three slides each.
    func labels() throws -> SlideLabels {
        var csv = "slide_id,label,pat_id\n"
        for i in 0..<30 { csv += "s\(i).svs,\(i < 15 ? "a" : i < 24 ? "b" : "c"),p\(i / 3)\n" }
        return try SlideLabels(csv: csv, file: "l.csv", task: task)
    }

    func testCrossValidation() throws {
        let labels = try labels()
        let splits = try FoldSplits.crossValidation(labels: labels, key: .slideID, folds: 3, valRatio: 0.25, seed: 7)
        XCTAssertEqual(splits.folds.count, 3)
        // Every slide in exactly one test fold; the parts of a fold are disjoint and cover every slide.
        XCTAssertEqual(splits.folds.flatMap(\.test).sorted(), labels.slideIDs.sorted())
        for fold in splits.folds {
            let all = fold.train + fold.val + fold.test
            XCTAssertEqual(Set(all).count, all.count)
            XCTAssertEqual(Set(all), Set(labels.slideIDs))
            XCTAssertEqual(fold.test.count, 10)
            // Stratified: each class split evenly across test folds (15, 9, 6 over 3 folds).
            let rows = try splits.rows(fold: splits.folds.firstIndex(of: fold)!, labels: labels)
            let testClasses = rows.test.map { labels.classIndex![$0] }
            XCTAssertEqual([0, 1, 2].map { k in testClasses.filter { $0 == k }.count }, [5, 3, 2])
            // Validation: round(0.25 × the class's training slides) of each class: 10 → 3 (2.5 rounds away from zero), 6 → 2 (1.5), 4 → 1.
            XCTAssertEqual(fold.val.count, 3 + 2 + 1)
            XCTAssertTrue(rows.unmatched.isEmpty)
        }
        // Deterministic for a seed, different for another.
        XCTAssertEqual(splits, try FoldSplits.crossValidation(labels: labels, key: .slideID, folds: 3, valRatio: 0.25, seed: 7))
        XCTAssertNotEqual(splits, try FoldSplits.crossValidation(labels: labels, key: .slideID, folds: 3, valRatio: 0.25, seed: 8))
    }

    /// By patient: a patient's slides stay together.
    func testPatientFolds() throws {
        let labels = try labels()
        let splits = try FoldSplits.crossValidation(labels: labels, key: .patientID, folds: 5, valRatio: 0, seed: 1)
        for k in splits.folds.indices {
            let rows = try splits.rows(fold: k, labels: labels)
            XCTAssertTrue(rows.val.isEmpty)
            let patients = { (part: [Int]) in Set(part.map { labels.patientIDs![$0] }) }
            XCTAssertTrue(patients(rows.train).isDisjoint(with: patients(rows.test)))
            XCTAssertEqual(rows.train.count + rows.test.count, 30)
        }
    }

    /// What `write` writes, `read` reads back; upstream's own form (pandas index column, whole rows) reads too.
    func testWriteAndRead() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        let labels = try labels()
        for key in FoldSplits.Key.allCases {
            let splits = try FoldSplits.crossValidation(labels: labels, key: key, folds: 4, valRatio: 0.2, seed: 3)
            try splits.write(to: folder.path, labels: labels)
            XCTAssertEqual(try FoldSplits.read(folder: folder.path, key: key), splits)
        }
        let written = try String(contentsOfFile: folder.file("test_0.csv"), encoding: .utf8)
        XCTAssertTrue(written.hasPrefix(",pat_id,slide_id\n0,p"), written)

        let upstream = try TemporaryFolder()
        defer { upstream.cleanUp() }
        try ",slide_id,data_provider,label\n0,s1.svs,karolinska,a\n1,s2.svs,radboud,b\n".write(toFile: upstream.file("train_0.csv"), atomically: true, encoding: .utf8)
        try ",slide_id,data_provider,label\n".write(toFile: upstream.file("val_0.csv"), atomically: true, encoding: .utf8)
        try "slide_id,data_provider,label\ns3,karolinska,c\nunknown,x,a\n".write(toFile: upstream.file("test_0.csv"), atomically: true, encoding: .utf8)
        let read = try FoldSplits.read(folder: upstream.path, key: .slideID)
        XCTAssertEqual(read.folds, [FoldSplits.Fold(train: ["s1", "s2"], val: [], test: ["s3", "unknown"])])
        let rows = try read.rows(fold: 0, labels: labels)
        XCTAssertEqual(rows.train, [1, 2])
        XCTAssertEqual(rows.test, [3])
        XCTAssertEqual(rows.unmatched, ["unknown"])
    }

    func testHostile() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        try "slide_id\na\nb\n".write(toFile: folder.file("train_0.csv"), atomically: true, encoding: .utf8)
        try "slide_id\n".write(toFile: folder.file("val_0.csv"), atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try FoldSplits.read(folder: folder.path, key: .slideID)) {
            XCTAssertTrue("\($0)".hasPrefix(folder.file("test_0.csv") + ": missing"), "\($0)")
        }
        try "slide_id\nb\n".write(toFile: folder.file("test_0.csv"), atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try FoldSplits.read(folder: folder.path, key: .slideID)) {
            XCTAssertEqual("\($0)", folder.file("test_0.csv") + ": slide_id 'b' is also in \(folder.file("train_0.csv")): a fold's parts must not overlap")
        }
        XCTAssertThrowsError(try FoldSplits.read(folder: folder.path, key: .patientID)) {
            XCTAssertTrue("\($0)".hasPrefix(folder.file("train_0.csv") + ": no 'pat_id' column"), "\($0)")
        }
        let labels = try labels()
        XCTAssertThrowsError(try FoldSplits.crossValidation(labels: labels, key: .slideID, folds: 1, valRatio: 0, seed: 0))
        XCTAssertThrowsError(try FoldSplits.crossValidation(labels: labels, key: .slideID, folds: 31, valRatio: 0, seed: 0))
        XCTAssertThrowsError(try FoldSplits.crossValidation(labels: labels, key: .slideID, folds: 3, valRatio: 1, seed: 0))
    }
}
