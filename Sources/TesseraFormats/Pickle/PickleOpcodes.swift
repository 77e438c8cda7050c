/// The pickle opcodes of protocols 0-5 (CPython `Lib/pickle.py` names).
/// The unpickler executes the binary ones torch writes and rejects the rest.
enum PickleOpcode: UInt8 {
    // Framing and control.
    case proto = 0x80, frame = 0x95, stop = 0x2E /* . */
    case mark = 0x28 /* ( */, pop = 0x30 /* 0 */, popMark = 0x31 /* 1 */, dup = 0x32 /* 2 */

    // Scalars.
    case none = 0x4E /* N */, newTrue = 0x88, newFalse = 0x89
    case binInt = 0x4A /* J */, binInt1 = 0x4B /* K */, binInt2 = 0x4D /* M */
    case long1 = 0x8A, long4 = 0x8B
    case binFloat = 0x47 /* G */
    case shortBinUnicode = 0x8C, binUnicode = 0x58 /* X */, binUnicode8 = 0x8D
    case shortBinBytes = 0x43 /* C */, binBytes = 0x42 /* B */, binBytes8 = 0x8E, byteArray8 = 0x96
    case shortBinString = 0x55 /* U */, binString = 0x54 /* T */

    // Containers.
    case emptyTuple = 0x29 /* ) */, tuple = 0x74 /* t */, tuple1 = 0x85, tuple2 = 0x86, tuple3 = 0x87
    case emptyList = 0x5D /* ] */, list = 0x6C /* l */, append = 0x61 /* a */, appends = 0x65 /* e */
    case emptyDict = 0x7D /* } */, dict = 0x64 /* d */, setItem = 0x73 /* s */, setItems = 0x75 /* u */
    case emptySet = 0x8F, addItems = 0x90, frozenSet = 0x91

    // Memo.
    case binPut = 0x71 /* q */, longBinPut = 0x72 /* r */, memoize = 0x94
    case binGet = 0x68 /* h */, longBinGet = 0x6A /* j */

    // Objects: recorded, never called.
    case global = 0x63 /* c */, stackGlobal = 0x93
    case reduce = 0x52 /* R */, build = 0x62 /* b */
    case newObj = 0x81, newObjEx = 0x92, inst = 0x69 /* i */, obj = 0x6F /* o */
    case binPersId = 0x51 /* Q */

    // Known but refused: text forms of protocol 0, the extension registry, out-of-band buffers.
    case int = 0x49 /* I */, long = 0x4C /* L */, float = 0x46 /* F */, string = 0x53 /* S */
    case unicode = 0x56 /* V */, put = 0x70 /* p */, get = 0x67 /* g */, persId = 0x50 /* P */
    case ext1 = 0x82, ext2 = 0x83, ext4 = 0x84, nextBuffer = 0x97, readonlyBuffer = 0x98
}
