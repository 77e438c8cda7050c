/*
 * HDF5 (libhdf5-dev): the per-slide feature files of CLAM, TRIDENT and prov-gigapath's
 * fine-tuning. The library parses the file itself (superblock, object headers, B-trees,
 * filters): Tessera only validates what it returns (shapes, types, values).
 *
 * Debian installs the serial build's headers in /usr/include/hdf5/serial and its library in
 * /usr/lib/<triple>/hdf5/serial; pkg-config's "hdf5" (Package.swift) gives both paths.
 *
 * The type and property-list constants are macros that call H5open() first (H5T_NATIVE_FLOAT
 * is `(H5OPEN H5T_NATIVE_FLOAT_g)`): Swift cannot import them, so they are reached through
 * the functions below.
 */
#include <hdf5.h>
#include <stdio.h>
#include <string.h>

static inline hid_t tessera_h5_native_float(void) { return H5T_NATIVE_FLOAT; }
static inline hid_t tessera_h5_native_double(void) { return H5T_NATIVE_DOUBLE; }
static inline hid_t tessera_h5_default(void) { return H5P_DEFAULT; }
static inline hid_t tessera_h5_all(void) { return H5S_ALL; }
static inline unsigned tessera_h5_read_only(void) { return H5F_ACC_RDONLY; }

/* Stops the library printing its error stack to stderr on every failed call: a library of
   Tessera's never prints, the failure comes back as a return value and a message. */
static inline void tessera_h5_silence(void) { H5Eset_auto2(H5E_DEFAULT, NULL, NULL); }

typedef struct {
    char text[512];
    int found;
} tessera_h5_message;

static herr_t tessera_h5_take_first(unsigned n, const H5E_error2_t *error, void *data) {
    (void)n;
    tessera_h5_message *message = (tessera_h5_message *)data;
    if (message->found || !error) {
        return 0;
    }
    char minor[160] = "";
    if (H5Eget_msg(error->min_num, NULL, minor, sizeof(minor)) < 0) {
        minor[0] = 0;
    }
    const char *desc = error->desc ? error->desc : "";
    if (minor[0] && desc[0]) {
        snprintf(message->text, sizeof(message->text), "%s (%s)", desc, minor);
    } else {
        snprintf(message->text, sizeof(message->text), "%s", desc[0] ? desc : minor);
    }
    message->found = 1;
    return 0;
}

/* The most specific entry of the current error stack (where the library found the problem,
   e.g. "truncated file: eof = 1400, sblock->base_addr = 0, stored_eof = 4096"), then clears
   the stack. An empty text when there is none. */
static inline void tessera_h5_last_error(tessera_h5_message *message) {
    message->text[0] = 0;
    message->found = 0;
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, tessera_h5_take_first, message);
    H5Eclear2(H5E_DEFAULT);
}
