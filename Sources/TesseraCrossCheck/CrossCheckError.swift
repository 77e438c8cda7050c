/// Why a run or a comparison could not finish; the message names the file and place.
struct CrossCheckError: Error {
    let message: String
}
