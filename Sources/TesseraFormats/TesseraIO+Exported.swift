// The embeddable half of the formats (safetensors writing, JSON values and text, atomic
// output files, FormatError) lives in TesseraIO; clients of the formats keep one import.
@_exported import TesseraIO
