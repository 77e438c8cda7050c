import XCTest
@testable import TesseraFinetune

/// Upstream's task configs, and the hostile ones: every error names the file and the field.
final class TaskConfigTests: XCTestCase {
    /// panda.yaml as upstream ships it: integer keys become the class names "0"..."5".
    func testPanda() throws {
        let yaml = """
        name: panda
        setting: multi_class
        label_dict:
          0: 0
          1: 1
          2: 2
          3: 3
          4: 4
          5: 5
        max_tiles: 1000000
        shuffle_tiles: true
        add_metrics: ['qwk']
        """
        let task = try TaskConfig(yaml: yaml, file: "panda.yaml")
        XCTAssertEqual(task.name, "panda")
        XCTAssertEqual(task.setting, .multiClass)
        XCTAssertEqual(task.classNames, ["0", "1", "2", "3", "4", "5"])
        XCTAssertEqual(task.addMetrics, [.qwk])
        XCTAssertEqual(task.maxTiles, 1_000_000)
        XCTAssertEqual(task.shuffleTiles, true)
    }

    /// mutation_5_gene.yaml; no add_metrics; names sorted by value, not by the file's order.
    func testMultiLabelAndOrder() throws {
        let yaml = "name: m\nsetting: multi_label\nlabel_dict:\n  TP53: 4\n  EGFR: 0\n  KRAS: 2\n  FAT1: 1\n  LRP1B: 3\n"
        let task = try TaskConfig(yaml: yaml, file: "m.yaml")
        XCTAssertEqual(task.setting, .multiLabel)
        XCTAssertEqual(task.classNames, ["EGFR", "FAT1", "KRAS", "LRP1B", "TP53"])
        XCTAssertEqual(task.addMetrics, [])
        XCTAssertNil(task.maxTiles)
        XCTAssertEqual(task.labelDict["KRAS"], 2)
    }

    /// No setting: multi_class, as upstream's `task_cfg.get('setting', 'multi_class')`.
    func testDefaultSetting() throws {
        XCTAssertEqual(try TaskConfig(yaml: "label_dict: {a: 0, b: 1}", file: "t.yaml").setting, .multiClass)
    }

    func testHostile() {
        let cases: [(String, String)] = [
            ("label_dict: [a, b", "t.yaml: not valid YAML"),
            ("- a\n- b\n", "t.yaml: expected a YAML mapping of task fields"),
            ("name: x\n", "t.yaml: label_dict: missing"),
            ("label_dict: 3\n", "t.yaml: label_dict: expected a non-empty mapping"),
            ("label_dict: {a: 0, b: 2}\n", "t.yaml: label_dict: 'b' maps to 2; the 2 indices must be 0...1"),
            ("label_dict: {a: 0, b: 0}\n", "t.yaml: label_dict: 'a' and 'b' both map to 0"),
            ("label_dict: {a: zero}\n", "t.yaml: label_dict: 'a' maps to 'zero', expected an integer index"),
            ("label_dict: {a: '0'}\n", "t.yaml: label_dict: 'a' maps to '0', expected an integer index"),
            ("label_dict: {1: 0, '1': 1}\n", "t.yaml: label_dict: the key '1' appears twice"),
            ("setting: multiclass\nlabel_dict: {a: 0}\n", "t.yaml: setting: expected one of multi_class, binary, multi_label, got 'multiclass'"),
            ("setting: binary\nlabel_dict: {a: 0, b: 1, c: 2}\n", "t.yaml: label_dict: a binary task has 2 classes, not 3"),
            ("label_dict: {a: 0}\nadd_metrics: [qwk, f1]\n", "t.yaml: add_metrics: unknown metric 'f1' (known: qwk)"),
            ("label_dict: {a: 0}\nadd_metrics: qwk\n", "t.yaml: add_metrics: expected a list, got 'qwk'"),
            ("label_dict: {a: 0}\nmax_tiles: many\n", "t.yaml: max_tiles: expected a positive integer, got 'many'"),
            ("label_dict: {a: 0}\nshuffle_tiles: 2\n", "t.yaml: shuffle_tiles: expected true or false, got '2'"),
        ]
        for (yaml, message) in cases {
            XCTAssertThrowsError(try TaskConfig(yaml: yaml, file: "t.yaml"), yaml) { error in
                XCTAssertTrue("\(error)".hasPrefix(message), "\(yaml): \(error)")
                XCTAssertFalse("\(error)".contains("\n"), "one line: \(error)")
            }
        }
    }

    func testMissingFile() {
        XCTAssertThrowsError(try TaskConfig.load(path: "/nonexistent/task.yaml")) {
            XCTAssertEqual($0 as? FinetuneError, .badInput(file: "/nonexistent/task.yaml", reason: "cannot read the task config"))
        }
    }
}
