#include <png.h>
#include <setjmp.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>

/*
 * libpng reports a fatal error by calling the error callback and then
 * longjmp-ing to the caller's setjmp. A longjmp must never cross a Swift frame,
 * so every libpng call that can fail sits in one of the small C functions below:
 * each sets its own jump target, and an error turns into a return value of 0
 * plus a message in `tessera_png_source.message`. The Swift side only ever sees
 * plain return codes. The functions are `static inline` so that this header stays
 * the whole shim (the compiler emits them into the importing module).
 */

/* Where the PNG bytes come from, and where an error message goes. */
typedef struct {
    const unsigned char *data;
    size_t size;
    size_t offset;
    char message[256];
} tessera_png_source;

static void tessera_png_on_error(png_structp png, png_const_charp text) {
    tessera_png_source *source = (tessera_png_source *)png_get_error_ptr(png);
    strncpy(source->message, text ? text : "unknown libpng error", sizeof(source->message) - 1);
    source->message[sizeof(source->message) - 1] = 0;
    png_longjmp(png, 1);
}

/* Warnings (bad ancillary chunks, extra data) are not failures: drop them so the
   library never prints. */
static void tessera_png_on_warning(png_structp png, png_const_charp text) {
    (void)png;
    (void)text;
}

static void tessera_png_on_read(png_structp png, png_bytep out, size_t count) {
    tessera_png_source *source = (tessera_png_source *)png_get_io_ptr(png);
    if (count > source->size - source->offset) {
        png_error(png, "file is truncated");
    }
    memcpy(out, source->data + source->offset, count);
    source->offset += count;
}

/* Chunks libpng does not know, critical ones included, are skipped as Pillow
   skips them (the image data does not depend on them). */
static int tessera_png_skip_unknown(png_structp png, png_unknown_chunkp chunk) {
    (void)png;
    (void)chunk;
    return 1;
}

/* Creates the read structures over `source`; 0 when libpng cannot allocate them. */
static inline int tessera_png_create(tessera_png_source *source, png_structp *png, png_infop *info) {
    *png = png_create_read_struct(PNG_LIBPNG_VER_STRING, source, tessera_png_on_error, tessera_png_on_warning);
    if (!*png) {
        strcpy(source->message, "libpng could not allocate its read structure");
        return 0;
    }
    *info = png_create_info_struct(*png);
    if (!*info) {
        strcpy(source->message, "libpng could not allocate its info structure");
        return 0;
    }
    png_set_read_fn(*png, source, tessera_png_on_read);
    /* A chunk before the image data that fails its CRC is an error even when
       ancillary (libpng would drop it with a warning), as in Pillow. */
    png_set_crc_action(*png, PNG_CRC_DEFAULT, PNG_CRC_ERROR_QUIT);
    png_set_read_user_chunk_fn(*png, NULL, tessera_png_skip_unknown);
    return 1;
}

static inline void tessera_png_destroy(png_structp *png, png_infop *info) {
    png_destroy_read_struct(png, info, NULL);
}

/*
 * Reads the header up to the first image data and sets the only transforms the
 * decoder wants from libpng: sub-byte samples unpacked to one byte each (values
 * unscaled) and Adam7 passes merged. Sixteen-bit samples stay big-endian and
 * palette indices stay indices; the Swift side converts them. Images wider or
 * taller than `max_side` are refused before any pixel buffer exists.
 */
static inline int tessera_png_read_header(png_structp png, png_infop info, uint32_t max_side,
                                          uint32_t *width, uint32_t *height, int *bit_depth,
                                          int *color_type, size_t *row_bytes) {
    if (setjmp(png_jmpbuf(png))) {
        return 0;
    }
    png_set_user_limits(png, max_side, max_side);
    png_read_info(png, info);
    /* The depth stored in the file (unpacking below makes libpng report 8). */
    *bit_depth = png_get_bit_depth(png, info);
    if (*bit_depth < 8) {
        png_set_packing(png);
    }
    png_set_interlace_handling(png);
    png_read_update_info(png, info);
    *width = png_get_image_width(png, info);
    *height = png_get_image_height(png, info);
    *color_type = png_get_color_type(png, info);
    *row_bytes = png_get_rowbytes(png, info);
    return 1;
}

/*
 * Decodes every row (all interlace passes) into `rows`. libpng checks the end of
 * the image data (zlib's checksum, the last IDAT's CRC) on the last row. What
 * follows it (text chunks, IEND) is not read, as Pillow does not read it: a file
 * cut inside IEND, or with a damaged chunk after the image data, still decodes.
 */
static inline int tessera_png_read_pixels(png_structp png, png_infop info, png_bytepp rows) {
    (void)info;
    if (setjmp(png_jmpbuf(png))) {
        return 0;
    }
    png_read_image(png, rows);
    return 1;
}

/* The PLTE entries (RGB triples) and the count; 0 entries when there is none. */
static inline int tessera_png_palette(png_structp png, png_infop info, const png_color **entries) {
    png_colorp palette = NULL;
    int count = 0;
    if (png_get_PLTE(png, info, &palette, &count) != PNG_INFO_PLTE) {
        *entries = NULL;
        return 0;
    }
    *entries = palette;
    return count;
}

/* Where encoded PNG bytes go: a buffer grown with realloc (the caller frees `data`). */
typedef struct {
    unsigned char *data;
    size_t size;
    size_t capacity;
    char message[256];
} tessera_png_sink;

static void tessera_png_on_sink_error(png_structp png, png_const_charp text) {
    tessera_png_sink *sink = (tessera_png_sink *)png_get_error_ptr(png);
    strncpy(sink->message, text ? text : "unknown libpng error", sizeof(sink->message) - 1);
    sink->message[sizeof(sink->message) - 1] = 0;
    png_longjmp(png, 1);
}

static void tessera_png_on_write(png_structp png, png_bytep bytes, size_t count) {
    tessera_png_sink *sink = (tessera_png_sink *)png_get_io_ptr(png);
    if (count > sink->capacity - sink->size) {
        size_t capacity = sink->capacity ? sink->capacity : 65536;
        while (capacity - sink->size < count) {
            capacity *= 2;
        }
        unsigned char *grown = (unsigned char *)realloc(sink->data, capacity);
        if (!grown) {
            png_error(png, "out of memory");
        }
        sink->data = grown;
        sink->capacity = capacity;
    }
    memcpy(sink->data + sink->size, bytes, count);
    sink->size += count;
}

static void tessera_png_on_flush(png_structp png) { (void)png; }

/*
 * Encodes `height` rows of `width` 8-bit RGB pixels (`rows[i]` the i-th) into `sink`:
 * non-interlaced, libpng's default filters, zlib level `level` (0-9; -1: libpng's default, 6).
 * Returns 0 with a message on failure.
 */
static inline int tessera_png_write_rgb(tessera_png_sink *sink, unsigned char **rows, uint32_t width, uint32_t height,
                                        int level) {
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, sink, tessera_png_on_sink_error, tessera_png_on_warning);
    if (!png) {
        strcpy(sink->message, "libpng could not allocate its write structure");
        return 0;
    }
    png_infop info = png_create_info_struct(png);
    if (!info) {
        png_destroy_write_struct(&png, NULL);
        strcpy(sink->message, "libpng could not allocate its info structure");
        return 0;
    }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        return 0;
    }
    png_set_write_fn(png, sink, tessera_png_on_write, tessera_png_on_flush);
    if (level >= 0) {
        png_set_compression_level(png, level);
    }
    png_set_IHDR(png, info, width, height, 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
                 PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    png_write_image(png, rows);
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    return 1;
}
