import XCTest
@testable import TesseraFinetune

/// Upstream's dataset CSVs through a task's label_dict, and the hostile ones.
final class SlideLabelsTests: XCTestCase {
    let panda = TaskConfig(name: "panda", classNames: ["0", "1", "2", "3", "4", "5"], addMetrics: [.qwk])
    let genes = TaskConfig(setting: .multiLabel, classNames: ["EGFR", "KRAS"])

    /// PANDA.csv's shape: slide_id, data_provider, label; ".svs" removed from the ids.
    func testMultiClass() throws {
        let csv = "slide_id,data_provider,label\nabc.svs,karolinska,0\ndef,radboud,5\nghi,radboud, 2 \n"
        let labels = try SlideLabels(csv: csv, file: "p.csv", task: panda)
        XCTAssertEqual(labels.slideIDs, ["abc", "def", "ghi"])
        XCTAssertEqual(labels.csvSlideIDs, ["abc.svs", "def", "ghi"])
        XCTAssertEqual(labels.classIndex, [0, 5, 2])
        XCTAssertEqual(labels.targets[1], [0, 0, 0, 0, 0, 1])
        XCTAssertNil(labels.patientIDs)
    }

    /// The mutation CSV's shape: pandas' unnamed index column, True/False gene columns, pat_id.
    func testMultiLabel() throws {
        let csv = ",slide_id,EGFR,TP53,KRAS,pat_id\n0,s1,True,False,False,p1\n1,s2,False,True,True,p1\n2,s3,1,0,0,p2\n"
        let labels = try SlideLabels(csv: csv, file: "m.csv", task: genes)
        XCTAssertEqual(labels.targets, [[1, 0], [0, 1], [1, 0]])
        XCTAssertNil(labels.classIndex)
        XCTAssertEqual(labels.patientIDs, ["p1", "p1", "p2"])
        XCTAssertEqual(try labels.keys(.patientID), ["p1", "p1", "p2"])
    }

    func testHostile() {
        let cases: [(String, TaskConfig, String)] = [
            ("slide_id,label\na,0\nb,7\n", panda, "l.csv: data row 2: label '7' is not in the task's label_dict"),
            ("slide,label\na,0\n", panda, "l.csv: no 'slide_id' column (columns: slide, label)"),
            ("slide_id,grade\na,0\n", panda, "l.csv: no 'label' column"),
            ("slide_id,label\na,0\nb,1\na.svs,2\n", panda, "l.csv: data row 3: slide_id 'a.svs' repeats data row 1"),
            ("slide_id,label\na,0,extra\n", panda, "l.csv: data row 1: 3 fields, the header has 2"),
            ("slide_id,label\n,0\n", panda, "l.csv: data row 1: empty slide_id"),
            ("slide_id,label\na,0\n../b,1\n", panda, "l.csv: data row 2: slide_id '../b' is not a file name"),
            ("slide_id,label\n...svs,0\n", panda, "l.csv: data row 1: slide_id '...svs' is not a file name"),
            ("slide_id,label\na/b.svs,0\n", panda, "l.csv: data row 1: slide_id 'a/b.svs' is not a file name"),
            ("slide_id,EGFR\na,1\n", genes, "l.csv: no 'KRAS' column"),
            ("slide_id,EGFR,KRAS\na,1,maybe\n", genes, "l.csv: data row 1: column 'KRAS' holds 'maybe', expected 0 or 1"),
            ("", panda, "l.csv: no CSV header row"),
        ]
        for (csv, task, message) in cases {
            XCTAssertThrowsError(try SlideLabels(csv: csv, file: "l.csv", task: task), csv) { error in
                XCTAssertTrue("\(error)".hasPrefix(message), "\(csv): \(error)")
            }
        }
        let labels = try? SlideLabels(csv: "slide_id,label\na,0\n", file: "l.csv", task: panda)
        XCTAssertThrowsError(try labels?.keys(.patientID)) {
            XCTAssertEqual("\($0)", "l.csv: no pat_id column to split by patient")
        }
    }
}
