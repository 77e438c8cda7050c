/*
 * tessera_edge.h: the C interface of the Tessera edge engine (libTesseraEdge).
 *
 * An engine is a student bundle (.tsb, written by `tessera export`) opened for
 * inference: the bundle's checksums verified and its models built. It turns a
 * slide folder of {x}x_{y}y.png tiles into one safetensors file (tile_embeds,
 * coords, the slide encoder's outputs, teacher_tile_embeds when the bundle has
 * a teacher-space head, logits and probabilities when it has a fine-tuned
 * classifier), or RGB tiles in memory into tile embeddings. A classifier's
 * answer for a slide also comes back in memory (tessera_edge_classify_folder).
 *
 * Failures return NULL or -1; tessera_edge_last_error() then says what went
 * wrong and where (file, tensor, byte offset). An engine may be used by one
 * thread at a time; distinct engines are independent.
 */
#ifndef TESSERA_EDGE_H
#define TESSERA_EDGE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct tessera_edge tessera_edge;

/* Opens and checks the bundle at bundle_path and builds its models; NULL on failure. */
tessera_edge *tessera_edge_open(const char *bundle_path);

/* Worker threads of the process's engines (default: all cores). 0, or -1 when threads is not in 1...1024. */
int tessera_edge_set_threads(int threads);

/* D, the floats of one tile embedding. */
size_t tessera_edge_tile_dim(const tessera_edge *engine);

/* Embeds the .png tiles of slide_dir (in file-name order) and writes the result to
 * output_path (safetensors, written atomically). Unreadable tiles are skipped and
 * listed in the output's metadata (skipped_tiles). Before any work, output_path is
 * refused (-1, nothing read or written) when its folder is missing or not writable,
 * when it is a directory, device, FIFO or socket, and when it is, under any name, the
 * engine's bundle or a file of slide_dir. 0, or -1 on failure. */
int tessera_edge_embed_folder(tessera_edge *engine, const char *slide_dir, const char *output_path);

/* Embeds count RGB tiles held in memory: each width x height pixels of interleaved
 * R, G, B bytes, rows top to bottom, packed one after another at rgb. They go through
 * the bundle's tile transform and tile encoder; embeddings receives count * D floats.
 * 0, or -1 on failure. */
int tessera_edge_embed_rgb(tessera_edge *engine, const uint8_t *rgb, size_t count, size_t width, size_t height,
                           float *embeddings);

/* C, the classes of the bundle's fine-tuned classifier; 0 when the bundle has none. */
size_t tessera_edge_class_count(const tessera_edge *engine);

/* The name of class index (0...C-1, the order of logits and probabilities), NUL-terminated
 * printable ASCII, valid until the engine is closed; NULL when index is not below the class count. */
const char *tessera_edge_class_name(const tessera_edge *engine, size_t index);

/* How the classifier was trained, so how probabilities are made from logits: "multi_class" or
 * "binary" (a softmax over the classes: they sum to 1) or "multi_label" (a sigmoid per class);
 * valid until the engine is closed; NULL when the bundle has no classifier. */
const char *tessera_edge_class_setting(const tessera_edge *engine);

/* As tessera_edge_embed_folder (output_path may also be NULL: nothing is written), then the
 * classifier on the slide: logits and probabilities each receive tessera_edge_class_count()
 * floats, in class order. 0, or -1 on failure (a bundle without a classifier included; then
 * nothing is read or written). */
int tessera_edge_classify_folder(tessera_edge *engine, const char *slide_dir, const char *output_path,
                                 float *logits, float *probabilities);

/* The message of this thread's last failure ("" when its last call succeeded); valid
 * until the thread's next call into this library. */
const char *tessera_edge_last_error(void);

/* Frees the engine (NULL is allowed). */
void tessera_edge_close(tessera_edge *engine);

#ifdef __cplusplus
}
#endif

#endif
