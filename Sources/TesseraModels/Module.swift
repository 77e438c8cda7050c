// TesseraModels: the tile and slide encoders and their preprocessing.
