/// safetensors: an 8-byte little-endian header length N, N bytes of JSON
/// header, then the data area. https://github.com/huggingface/safetensors
/// Written here (embeddable, for every output file); read by TesseraFormats.
public enum SafeTensors {
    /// Header lengths above this are refused (the Rust reference uses the same bound).
    public static let headerLimit = 100_000_000

    /// The name a tensor cannot have: the header keeps its metadata under it.
    public static let metadataKey = "__metadata__"
}
