/// The `--help` texts: the overview, and each command with an example.
enum EdgeHelp {
    static let usage = """
    usage: tessera-edge run BUNDLE SLIDE -o OUT.safetensors [--threads N]
           tessera-edge run BUNDLE DATASET -o OUT_DIR [--shard K/N] [--threads N]
           tessera-edge inspect BUNDLE
           tessera-edge bench BUNDLE [--batch 8] [--iterations 5] [--threads N]
           tessera-edge --help | COMMAND --help
    """

    static let commands: [String: String] = [
        "run": """
        tessera-edge run BUNDLE SLIDE -o OUT.safetensors [--threads N]
        tessera-edge run BUNDLE DATASET -o OUT_DIR [--shard K/N] [--threads N]
          Embeds a slide with the bundle's tile transform and tile encoder, then its slide encoder,
          and writes OUT atomically: tile_embeds [N, D], coords [N, 2], layer_{i}_embed,
          last_layer_embed, encoder_out_embed, global_pool_embed, slide_embed, and
          teacher_tile_embeds when the bundle has a teacher-space head; the metadata lists the
          tiles, the skipped tiles and the bundle's sha256 (as `tessera embed` does). SLIDE is a
          folder of .png tiles (file-name order; named {x}x_{y}y.png for the slide encoder) or a
          whole-slide file (.svs, .ndpi, .tif, .mrxs...: any format OpenSlide reads), whose tiles
          are those `tessera tile SLIDE --level 0 --tile-size 256` writes, read as they are
          embedded (no PNG written); the metadata then records tile_level, tile_size,
          tile_downsample and tile_mpp_x/y. OUT may be neither the bundle, a tile nor the slide,
          and its folder must exist (checked first). A tile that cannot be read is reported by
          name and skipped. --threads: worker threads (default: all cores).
          A DATASET (a folder of slides, no tiles directly inside, or a .txt/.csv/.tsv manifest, one
          slide per line) writes OUT_DIR/<slide name>.safetensors per slide, each the file above
          plus the stamp tessera.dataset.input; a slide whose output records the same stamp is
          skipped (a rerun resumes), one that fails is reported by name and the others go on
          (exit 1), and OUT_DIR/summary.json, merged across runs, says what became of each.
          --shard K/N (0-based K): only slide i with i mod N = K, one job of a job array.
          example: tessera-edge run student.tsb slides/demo_slide -o demo.safetensors --threads 4
                   tessera-edge run student.tsb slides/a.svs -o a.safetensors
                   tessera-edge run student.tsb cohort.txt -o embeddings --shard 0/4
        """,
        "inspect": """
        tessera-edge inspect BUNDLE
          Shows the bundle's manifest (models, tile transform, outputs, provenance, tensors) and
          verifies the SHA-256 of the manifest and of every tensor.
          example: tessera-edge inspect student.tsb
        """,
        "bench": """
        tessera-edge bench BUNDLE [--batch 8] [--iterations 5] [--threads N]
          Times the tile encoder's forward pass on a fixed batch of images (one warm-up pass, then
          the median of --iterations passes) and prints one JSON object on stdout: ms_per_tile,
          tiles_per_s, threads, kernel (the matrix-product path), peak_rss_mb, batch, iterations.
          example: tessera-edge bench student.tsb --batch 8 --iterations 10 --threads 2
        """,
    ]

    static var overview: String {
        """
        tessera-edge: runs a Tessera student bundle (.tsb, from `tessera export`) on slides: folders of PNG tiles or whole-slide files.

        \(usage)

        \(EdgeCommand.commands.map { commands[$0]! }.joined(separator: "\n\n"))

        Exit status: 0 done, 1 a bad bundle, input or output (the message names it), 64 a usage error.
        """
    }
}
