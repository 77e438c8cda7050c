import TesseraCore

/// What the restricted unpickler builds: plain data and tensors, never code.
/// Any global it does not know becomes `.object`, an inert record of the
/// class name and whatever arguments/state the pickle gave it.
public indirect enum PickleValue {
    case none
    case bool(Bool)
    case int(Int64)
    case float(Double)
    case string(String)
    case bytes([UInt8])
    case list([PickleValue])
    case tuple([PickleValue])
    /// Insertion-ordered (dict and OrderedDict alike).
    case dict([(key: PickleValue, value: PickleValue)])
    case tensor(Tensor)
    /// An inert placeholder for an unknown global, e.g. "argparse.Namespace".
    case object(className: String, arguments: [PickleValue], state: PickleValue?)
}
