/// What each opcode does. Returns the final value at STOP, nil otherwise.
extension Unpickler {
    mutating func execute(_ opcode: PickleOpcode) throws -> PickleValue? {
        switch opcode {
        case .proto:
            let version = try read(UInt8.self)
            guard version <= 5 else { throw PickleError("unsupported pickle protocol \(version)") }
        case .frame:
            let length = try read(UInt64.self)
            guard length <= UInt64(bytes.count - position) else {
                throw PickleError("frame of \(length) bytes exceeds the \(bytes.count - position) bytes left")
            }
        case .stop:
            let result = try pop()
            return result.value
        case .mark: try pushMark()
        case .pop:
            if stack.count > floor { _ = try pop() } else { _ = try popMark() }
        case .popMark: _ = try popMark()
        case .dup:
            guard stack.count > floor else { throw PickleError("DUP with an empty stack") }
            try push(stack[stack.count - 1].value, depth: stack[stack.count - 1].depth)

        case .none: try push(.none)
        case .newTrue: try push(.bool(true))
        case .newFalse: try push(.bool(false))
        case .binInt: try push(.int(Int64(try read(Int32.self))))
        case .binInt1: try push(.int(Int64(try read(UInt8.self))))
        case .binInt2: try push(.int(Int64(try read(UInt16.self))))
        case .long1: try push(try readLong(length: Int(try read(UInt8.self))))
        case .long4:
            let length = try read(Int32.self)
            guard length >= 0 else { throw PickleError("LONG4 with negative length \(length)") }
            try push(try readLong(length: Int(length)))
        case .binFloat: try push(.float(Double(bitPattern: try read(UInt64.self).byteSwapped)))  // big-endian
        case .shortBinUnicode: try push(.string(try readText(length: Int(try read(UInt8.self)))))
        case .binUnicode: try push(.string(try readText(length: Int(try read(UInt32.self)))))
        case .binUnicode8: try push(.string(try readText(length: try readLength64())))
        case .shortBinBytes: try push(.bytes(try readBytes(Int(try read(UInt8.self)))))
        case .binBytes: try push(.bytes(try readBytes(Int(try read(UInt32.self)))))
        case .binBytes8, .byteArray8: try push(.bytes(try readBytes(try readLength64())))
        case .shortBinString: try push(pythonTwoString(try readBytes(Int(try read(UInt8.self)))))
        case .binString:
            let length = try read(Int32.self)
            guard length >= 0 else { throw PickleError("BINSTRING with negative length \(length)") }
            try push(pythonTwoString(try readBytes(Int(length))))

        case .emptyTuple: try push(.tuple([]), depth: 1)
        case .tuple:
            let slots = try popMark()
            try push(container: .tuple(slots.map(\.value)), holding: slots)
        case .tuple1, .tuple2, .tuple3:
            let count = Int(opcode.rawValue - PickleOpcode.tuple1.rawValue) + 1
            var slots: [Slot] = []
            for _ in 0..<count { slots.insert(try pop(), at: 0) }
            try push(container: .tuple(slots.map(\.value)), holding: slots)
        case .emptyList, .emptySet: try push(.list([]), depth: 1)
        case .list, .frozenSet:
            let slots = try popMark()
            try push(container: .list(slots.map(\.value)), holding: slots)
        case .append:
            let item = try pop()
            try append([item])
        case .appends, .addItems: try append(try popMark())
        case .emptyDict: try push(.dict([]), depth: 1)
        case .dict:
            let slots = try popMark()
            try push(container: .dict(try pairs(slots)), holding: slots)
        case .setItem:
            let value = try pop(), key = try pop()
            try setItems([key, value])
        case .setItems: try setItems(try popMark())

        case .binPut: try memoPut(Int(try read(UInt8.self)))
        case .longBinPut: try memoPut(Int(try read(UInt32.self)))
        case .memoize: try memoPut(memo.count)
        case .binGet: try memoGet(Int(try read(UInt8.self)))
        case .longBinGet: try memoGet(Int(try read(UInt32.self)))

        case .global:
            let module = try readLine(), name = try readLine()
            try push(.global(module + "." + name))
        case .stackGlobal:
            let name = try pop(), module = try pop()
            guard let n = name.value.string, let m = module.value.string else {
                throw PickleError("STACK_GLOBAL needs two strings, got \(module.value.kind) and \(name.value.kind)")
            }
            try push(.global(m + "." + n))
        case .reduce:
            let arguments = try pop(), callable = try pop()
            try pushResult(try TorchGlobals.reduce(callable.value, arguments.value), of: [arguments])
        case .build:
            let state = try pop()
            try modifyTop(addingDepth: state.depth) { value in
                if case .object(let name, let arguments, _) = value {
                    value = .object(className: name, arguments: arguments, state: state.value)
                }
                return 0
            }
        case .newObj:
            let arguments = try pop(), type = try pop()
            try pushResult(try instance(of: type.value, arguments.value.items ?? [arguments.value]), of: [arguments])
        case .newObjEx:
            let keywords = try pop(), arguments = try pop(), type = try pop()
            let values = (arguments.value.items ?? [arguments.value]) + [keywords.value]
            try pushResult(try instance(of: type.value, values), of: [arguments, keywords])
        case .inst:
            let module = try readLine(), name = try readLine()
            let slots = try popMark()
            try pushResult(try instance(of: .global(module + "." + name), slots.map(\.value)), of: slots)
        case .obj:
            let slots = try popMark()
            guard let type = slots.first else { throw PickleError("OBJ without a class") }
            try pushResult(try instance(of: type.value, slots.dropFirst().map(\.value)), of: slots)
        case .binPersId:
            let id = try pop()
            try push(try persistentLoad(id.value))

        case .int, .long, .float, .string, .unicode, .put, .get, .persId:
            throw PickleError("unsupported protocol-0 opcode '\(Character(UnicodeScalar(opcode.rawValue)))'")
        case .ext1, .ext2, .ext4:
            throw PickleError("extension-registry opcode \(opcode) refused (it names code by number)")
        case .nextBuffer, .readonlyBuffer:
            throw PickleError("out-of-band buffer opcode \(opcode) refused")
        }
        return nil
    }

    /// Pushes what REDUCE/NEWOBJ built: tensors and scalars are flat, anything
    /// else is counted one level deeper than its arguments. A tensor that
    /// cannot be read is stamped with the offset of the opcode that built it.
    private mutating func pushResult(_ value: PickleValue, of arguments: [Slot]) throws {
        if case .unreadableTensor(let reason, nil) = value {
            return try push(.unreadableTensor(reason: reason, offset: opcodeOffset))
        }
        switch value {
        case .tensor, .unreadableTensor, .storage, .none, .bool, .int, .bigInt, .float, .string, .bytes, .global:
            try push(value)
        case .list, .tuple, .dict, .object:
            try push(container: value, holding: arguments)
        }
    }

    /// `type.__new__(type, *arguments)` as data: an empty dict for OrderedDict,
    /// an inert `.object` otherwise.
    private func instance(of type: PickleValue, _ arguments: [PickleValue]) throws -> PickleValue {
        guard case .global(let name) = type else { throw PickleError("instance of a \(type.kind), not a class") }
        if name == "collections.OrderedDict" { return .dict([]) }
        return .object(className: name, arguments: arguments, state: nil)
    }

    /// APPEND(S) into a list; into an unknown object the items are recorded as arguments.
    /// The container is taken out of `target` with `if case` and `target`
    /// emptied before it grows: a `switch` on `target` would keep a second
    /// reference to it alive and copy the whole container at every batch.
    private mutating func append(_ items: [Slot]) throws {
        try modifyTop(addingDepth: items.map(\.depth).max() ?? 0) { target in
            if case .list(var list) = target {
                target = .none
                let copies = Self.copiesToMakeUnique(&list)
                list.append(contentsOf: items.map(\.value))
                target = .list(list)
                return copies
            }
            if case .object(let name, var arguments, let state) = target {
                target = .none
                let copies = Self.copiesToMakeUnique(&arguments)
                arguments.append(contentsOf: items.map(\.value))
                target = .object(className: name, arguments: arguments, state: state)
                return copies
            }
            throw PickleError("APPEND to a \(target.kind)")
        }
    }

    /// SETITEM(S) into a dict; into an unknown object the pairs are recorded as its state.
    private mutating func setItems(_ slots: [Slot]) throws {
        let newPairs = try pairs(slots)
        try modifyTop(addingDepth: slots.map(\.depth).max() ?? 0) { target in
            if case .dict(var entries) = target {
                target = .none
                let copies = Self.copiesToMakeUnique(&entries)
                entries.append(contentsOf: newPairs)
                target = .dict(entries)
                return copies
            }
            if case .object(let name, let arguments, var state) = target {
                target = .none
                var entries = state?.entries ?? []
                state = nil
                let copies = Self.copiesToMakeUnique(&entries)
                entries.append(contentsOf: newPairs)
                target = .object(className: name, arguments: arguments, state: .dict(entries))
                return copies
            }
            throw PickleError("SETITEM on a \(target.kind)")
        }
    }

    /// Makes `array` uniquely referenced before it grows; returns how many
    /// elements that copied (0 when nothing else held its buffer).
    private static func copiesToMakeUnique<T>(_ array: inout [T]) -> Int {
        let before = array.withUnsafeBufferPointer { $0.baseAddress }
        let after = array.withUnsafeMutableBufferPointer { UnsafePointer($0.baseAddress) }
        return before == after ? 0 : array.count
    }

    private func pairs(_ slots: [Slot]) throws -> [(key: PickleValue, value: PickleValue)] {
        guard slots.count % 2 == 0 else { throw PickleError("odd number of values (\(slots.count)) for dict items") }
        return stride(from: 0, to: slots.count, by: 2).map { (slots[$0].value, slots[$0 + 1].value) }
    }

    // MARK: - Arguments

    mutating func read<T: FixedWidthInteger>(_: T.Type) throws -> T {
        guard let value = bytes.littleEndian(T.self, at: position) else {
            throw PickleError("argument of \(MemoryLayout<T>.size) bytes runs past the end")
        }
        position += MemoryLayout<T>.size
        return value
    }

    private mutating func readLength64() throws -> Int {
        let length = try read(UInt64.self)
        guard let n = Int(exactly: length) else { throw PickleError("length \(length) is too large") }
        return n
    }

    private mutating func readBytes(_ length: Int) throws -> [UInt8] {
        guard let range = bytes.range(at: position, length: length) else {
            throw PickleError("length \(length) exceeds the \(bytes.count - position) bytes left")
        }
        position = range.upperBound
        return Array(bytes[range])
    }

    private mutating func readText(length: Int) throws -> String {
        let raw = try readBytes(length)
        guard let text = String(validating: raw, as: UTF8.self) else { throw PickleError("string is not valid UTF-8") }
        return text
    }

    /// A newline-terminated ASCII line (GLOBAL and INST names).
    private mutating func readLine() throws -> String {
        var end = position
        while end < bytes.count, bytes[end] != 0x0A {
            guard bytes[end] >= 0x20, bytes[end] < 0x7F else { throw PickleError("global name holds byte \(bytes[end])") }
            end += 1
        }
        guard end < bytes.count else { throw PickleError("global name runs past the end") }
        let line = String(decoding: bytes[position..<end], as: UTF8.self)
        position = end + 1
        return line
    }

    /// A little-endian two's complement integer of `length` bytes.
    private mutating func readLong(length: Int) throws -> PickleValue {
        let raw = try readBytes(length)
        guard let last = raw.last else { return .int(0) }
        let fill: UInt8 = last & 0x80 != 0 ? 0xFF : 0
        if raw.dropFirst(8).contains(where: { $0 != fill }) { return .bigInt(raw) }
        var value: UInt64 = fill == 0 ? 0 : ~0
        for (i, byte) in raw.prefix(8).enumerated() {
            value &= ~(UInt64(0xFF) << (8 * i))
            value |= UInt64(byte) << (8 * i)
        }
        // Beyond 8 bytes the fill must continue the sign of byte 7.
        if raw.count > 8, (value >> 63 != 0) != (fill != 0) { return .bigInt(raw) }
        return .int(Int64(bitPattern: value))
    }

    /// Python 2 `str`: text when it is UTF-8, bytes otherwise.
    private func pythonTwoString(_ raw: [UInt8]) -> PickleValue {
        String(validating: raw, as: UTF8.self).map { .string($0) } ?? .bytes(raw)
    }
}
