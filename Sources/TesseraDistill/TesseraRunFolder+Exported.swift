// The run folder's types (`RunFolder`, `DistillationOptions`) are part of the distillation's API.
@_exported import TesseraRunFolder
