/*
 * The C interface's test program (built and run by EdgeCInterfaceTests):
 *
 *   test_edge BUNDLE SLIDE_DIR OUT.safetensors TILE.rgb WIDTH HEIGHT EMBEDDING.f32 HOSTILE.tsb [CLASSIFIER.tsb PREDICTION.f32]
 *
 * Opens BUNDLE, embeds SLIDE_DIR into OUT.safetensors, embeds the raw RGB tile TILE.rgb
 * (WIDTH x HEIGHT x 3 bytes) twice over in one call and writes its D floats to EMBEDDING.f32,
 * then checks that every failure is reported rather than crashing: a hostile bundle, a
 * missing folder, an output that is the bundle or lies in a missing folder (refused before
 * any work), NULL arguments, a zero thread count. Prints each failed check; exit 0
 * when all pass. BUNDLE has no classifier: the classifier calls say so. With CLASSIFIER.tsb (a
 * bundle with a fine-tuned classifier) it also classifies SLIDE_DIR in memory and writes the C
 * logits, then the C probabilities, as floats to PREDICTION.f32. The test compares the files
 * it wrote with the engine's own results.
 */
#include "tessera_edge.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures = 0;

static void check(int ok, const char *what) {
    if (!ok) {
        fprintf(stderr, "FAILED: %s (last error: %s)\n", what, tessera_edge_last_error());
        failures++;
    }
}

static unsigned char *read_file(const char *path, size_t expected) {
    FILE *file = fopen(path, "rb");
    if (!file) return NULL;
    unsigned char *bytes = malloc(expected);
    size_t got = bytes ? fread(bytes, 1, expected, file) : 0;
    fclose(file);
    if (got != expected) {
        free(bytes);
        return NULL;
    }
    return bytes;
}

int main(int argc, char **argv) {
    if (argc != 9 && argc != 11) {
        fprintf(stderr, "usage: test_edge BUNDLE SLIDE_DIR OUT TILE.rgb WIDTH HEIGHT EMBEDDING.f32 HOSTILE.tsb [CLASSIFIER.tsb PREDICTION.f32]\n");
        return 2;
    }
    size_t width = (size_t)strtoul(argv[5], NULL, 10), height = (size_t)strtoul(argv[6], NULL, 10);

    check(tessera_edge_set_threads(2) == 0, "set_threads(2)");
    tessera_edge *engine = tessera_edge_open(argv[1]);
    check(engine != NULL, "open the bundle");
    if (!engine) return 1;
    check(strcmp(tessera_edge_last_error(), "") == 0, "no error after a successful open");
    size_t dim = tessera_edge_tile_dim(engine);
    check(dim > 0, "tile_dim > 0");

    check(tessera_edge_embed_folder(engine, argv[2], argv[3]) == 0, "embed the slide folder");

    size_t tile_bytes = width * height * 3;
    unsigned char *tile = read_file(argv[4], tile_bytes);
    check(tile != NULL, "read the RGB tile");
    unsigned char *two = malloc(2 * tile_bytes);
    float *embeddings = malloc(2 * dim * sizeof(float));
    if (tile && two && embeddings) {
        memcpy(two, tile, tile_bytes);
        memcpy(two + tile_bytes, tile, tile_bytes);
        check(tessera_edge_embed_rgb(engine, two, 2, width, height, embeddings) == 0, "embed two RGB tiles");
        check(memcmp(embeddings, embeddings + dim, dim * sizeof(float)) == 0, "the same tile gives the same embedding");
        FILE *out = fopen(argv[7], "wb");
        check(out && fwrite(embeddings, sizeof(float), dim, out) == dim, "write the embedding");
        if (out) fclose(out);
    }
    free(tile);
    free(two);
    free(embeddings);

    /* Failures come back as -1 / NULL with a message, never as a crash. */
    check(tessera_edge_embed_folder(engine, "/nonexistent/slide", argv[3]) == -1, "a missing folder fails");
    check(strstr(tessera_edge_last_error(), "/nonexistent/slide") != NULL, "the error names the missing folder");
    check(tessera_edge_embed_folder(engine, argv[2], argv[1]) == -1, "the bundle as output is refused");
    check(strstr(tessera_edge_last_error(), "is the input bundle_path") != NULL, "the error names the bundle");
    check(tessera_edge_embed_folder(engine, argv[2], "/nonexistent/out.safetensors") == -1, "a missing output folder fails");
    check(strstr(tessera_edge_last_error(), "output_path /nonexistent/out.safetensors") != NULL, "the error names the output");
    check(tessera_edge_embed_folder(engine, NULL, argv[3]) == -1, "a NULL folder fails");
    check(tessera_edge_embed_rgb(engine, NULL, 1, width, height, NULL) == -1, "NULL buffers fail");
    check(tessera_edge_set_threads(0) == -1, "zero threads fail");
    check(tessera_edge_set_threads(1025) == -1, "more than 1024 threads fail");
    check(strstr(tessera_edge_last_error(), "1...1024") != NULL, "the error gives the bounds");

    /* A bundle without a classifier says so. */
    float none[1];
    check(tessera_edge_class_count(engine) == 0, "no classes without a classifier");
    check(tessera_edge_class_name(engine, 0) == NULL, "no class names without a classifier");
    check(tessera_edge_class_setting(engine) == NULL, "no setting without a classifier");
    check(tessera_edge_classify_folder(engine, argv[2], NULL, none, none) == -1, "classify fails without a classifier");
    check(strstr(tessera_edge_last_error(), "no classifier") != NULL, "the error says there is no classifier");
    tessera_edge_close(engine);

    if (argc == 11) {
        tessera_edge *classifier = tessera_edge_open(argv[9]);
        check(classifier != NULL, "open the classifier bundle");
        if (!classifier) return 1;
        size_t classes = tessera_edge_class_count(classifier);
        check(classes > 0, "class count > 0");
        for (size_t i = 0; i < classes; i++) check(tessera_edge_class_name(classifier, i) != NULL, "every class has a name");
        check(tessera_edge_class_name(classifier, classes) == NULL, "no class past the count");
        const char *setting = tessera_edge_class_setting(classifier);
        check(setting != NULL && (strcmp(setting, "multi_class") == 0 || strcmp(setting, "binary") == 0
                                  || strcmp(setting, "multi_label") == 0), "a known setting");
        float *prediction = malloc(2 * (classes + 1) * sizeof(float));
        if (prediction) {
            check(tessera_edge_classify_folder(classifier, argv[2], NULL, prediction, prediction + classes) == 0,
                  "classify the slide folder");
            check(tessera_edge_classify_folder(classifier, NULL, NULL, prediction, prediction) == -1, "a NULL folder fails");
            FILE *out = fopen(argv[10], "wb");
            check(out && fwrite(prediction, sizeof(float), 2 * classes, out) == 2 * classes, "write the prediction");
            if (out) fclose(out);
        }
        free(prediction);
        tessera_edge_close(classifier);
    }
    tessera_edge_close(NULL);

    check(tessera_edge_open(argv[8]) == NULL, "a hostile bundle is refused");
    check(strstr(tessera_edge_last_error(), argv[8]) != NULL, "the error names the hostile bundle");
    check(tessera_edge_open(NULL) == NULL, "a NULL path is refused");

    return failures == 0 ? 0 : 1;
}
