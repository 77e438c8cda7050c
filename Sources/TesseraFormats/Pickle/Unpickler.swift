/// A restricted pickle virtual machine (protocols 2-5) that never imports or
/// calls anything: globals stay names, REDUCE on the names torch uses rebuilds
/// tensors and containers (`TorchGlobals`), and everything else becomes an inert
/// `.object`. It runs iteratively (no recursion on nesting) within `PickleLimits`.
///
/// Python containers are shared mutable objects; here they are values. A
/// container memoized while it is still being filled (pickle's usual order:
/// EMPTY_DICT, BINPUT, MARK, ..., SETITEMS) stays linked to its stack slot until
/// it is popped, so a later BINGET sees it complete.
public struct Unpickler {
    public typealias PersistentLoad = (PickleValue) throws -> PickleValue

    struct Slot {
        var value: PickleValue
        /// Containers nested inside `value` (0 for scalars).
        var depth: Int
        /// Memo keys still linked to this slot.
        var memoKeys: [Int] = []
    }

    enum MemoEntry {
        case value(PickleValue, depth: Int)
        case slot(Int)
    }

    let bytes: UnsafeRawBufferPointer
    let limits: PickleLimits
    let persistentLoad: PersistentLoad
    var position: Int
    var stack: [Slot] = []
    /// Stack heights at each open MARK; values below the last one are out of reach.
    var marks: [Int] = []
    var memo: [Int: MemoEntry] = [:]
    /// Offset of the opcode being executed.
    var opcodeOffset = 0
    /// Values copied so far because a container to grow was shared (see `modifyTop`), and the bound on them.
    var copied = 0
    let maxCopies: Int

    /// Unpickles from `bytes[start...]`; `persistentLoad` turns persistent ids
    /// (BINPERSID) into values, typically `.storage`.
    public init(bytes: UnsafeRawBufferPointer, startingAt start: Int = 0, limits: PickleLimits = .standard,
                persistentLoad: @escaping PersistentLoad = { _ in throw PickleError("unexpected persistent id") }) {
        self.bytes = bytes
        self.position = start
        self.limits = limits
        self.persistentLoad = persistentLoad
        self.maxCopies = limits.maxCopies(length: max(0, bytes.count - start))
    }

    /// The offset just past the STOP opcode once `load()` has returned.
    public var endOffset: Int { position }

    /// Runs the pickle up to STOP and returns the value it leaves on the stack.
    public mutating func load() throws -> PickleValue {
        while true {
            let start = position
            opcodeOffset = start
            guard let byte = bytes.littleEndian(UInt8.self, at: position) else {
                throw PickleError("the pickle ends without STOP", offset: start)
            }
            position += 1
            guard let opcode = PickleOpcode(rawValue: byte) else {
                throw PickleError("unknown opcode 0x\(String(byte, radix: 16))", offset: start)
            }
            do {
                if let result = try execute(opcode) { return result }
            } catch var error as PickleError {
                error.offset = error.offset ?? start
                throw error
            } catch {
                throw PickleError("\(error)", offset: start)
            }
        }
    }

    // MARK: - Stack

    /// Index of the lowest value the current opcode may touch.
    var floor: Int { marks.last ?? 0 }

    mutating func push(_ value: PickleValue, depth: Int = 0) throws {
        guard depth <= limits.maxDepth else { throw PickleError("values nested deeper than \(limits.maxDepth)") }
        guard stack.count + marks.count < limits.maxStack else {
            throw PickleError("more than \(limits.maxStack) values on the stack")
        }
        stack.append(Slot(value: value, depth: depth))
    }

    /// Pushes a container holding values of depths `depths`.
    mutating func push(container value: PickleValue, holding slots: [Slot]) throws {
        try push(value, depth: 1 + (slots.map(\.depth).max() ?? 0))
    }

    mutating func pop() throws -> Slot {
        guard stack.count > floor else { throw PickleError("stack underflow") }
        unlink(stack.count - 1)
        return stack.removeLast()
    }

    /// The values above the last MARK, which is removed.
    mutating func popMark() throws -> [Slot] {
        guard let mark = marks.popLast() else { throw PickleError("no MARK to pop to") }
        for index in stride(from: stack.count - 1, through: mark, by: -1) { unlink(index) }
        let slots = Array(stack[mark...])
        stack.removeSubrange(mark...)
        return slots
    }

    mutating func pushMark() throws {
        guard stack.count + marks.count < limits.maxStack else {
            throw PickleError("more than \(limits.maxStack) values and marks on the stack")
        }
        marks.append(stack.count)
    }

    /// Changes the top value in place (APPEND, SETITEM, BUILD), keeping it
    /// uniquely referenced so that growing a container does not copy it.
    /// `body` returns how many values it had to copy (a container also held
    /// elsewhere); their total is bounded, or repeated copies would take
    /// time quadratic in the pickle's length.
    mutating func modifyTop(addingDepth childDepth: Int, _ body: (inout PickleValue) throws -> Int) throws {
        guard stack.count > floor else { throw PickleError("stack underflow") }
        let top = stack.count - 1
        let depth = max(stack[top].depth, childDepth + 1)
        guard depth <= limits.maxDepth else { throw PickleError("values nested deeper than \(limits.maxDepth)") }
        var value = stack[top].value
        stack[top].value = .none
        defer { stack[top].value = value }
        copied += try body(&value)
        guard copied <= maxCopies else {
            throw PickleError("more than \(maxCopies) values copied to grow shared containers "
                              + "(\(limits.copiesPerByte) per byte of pickle; real pickles copy none)")
        }
        stack[top].depth = depth
    }

    // MARK: - Memo

    /// Memoizes the top value under `key`, linked to its slot until it is popped.
    mutating func memoPut(_ key: Int) throws {
        guard stack.count > floor else { throw PickleError("memo put with an empty stack") }
        if memo[key] == nil, memo.count >= limits.maxMemo {
            throw PickleError("more than \(limits.maxMemo) memo entries")
        }
        let top = stack.count - 1
        memo[key] = .slot(top)
        stack[top].memoKeys.append(key)
    }

    /// Pushes a memoized value. A frozen entry moves onto the stack, linked
    /// again, so that growing it there does not copy it.
    mutating func memoGet(_ key: Int) throws {
        switch memo[key] {
        case .value(let value, let depth):
            try push(value, depth: depth)
            memo[key] = .slot(stack.count - 1)
            stack[stack.count - 1].memoKeys.append(key)
        case .slot(let index): try push(stack[index].value, depth: stack[index].depth)
        case nil: throw PickleError("memo key \(key) was never set")
        }
    }

    /// Freezes the memo entries linked to the slot at `index`, which is leaving the stack.
    private mutating func unlink(_ index: Int) {
        for key in stack[index].memoKeys {
            if case .slot(index) = memo[key] { memo[key] = .value(stack[index].value, depth: stack[index].depth) }
        }
    }
}
