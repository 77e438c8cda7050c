"""Synthetic slides for the distillation benchmark: folders of 256 px `{x}x_{y}y.png` tiles cut and
augmented from the repository's fixture images (fixtures/slide_folder/demo_slide and
fixtures/preprocess), seeded, so that every run and both engines read the same pixels."""
import math
import os

import numpy as np
from PIL import Image

TILE = 256


def sources(root):
    """The fixture images as RGB arrays at least TILE px on each side (small ones upsampled)."""
    paths = [os.path.join(root, "fixtures", "preprocess", name)
             for name in ("ihc_512.png", "ihc_crop_300x200.png", "ihc_palette.png", "ihc_rgba.png")]
    demo = os.path.join(root, "fixtures", "slide_folder", "demo_slide")
    paths += sorted(os.path.join(demo, name) for name in os.listdir(demo) if name.endswith(".png"))
    images = []
    for path in paths:
        image = Image.open(path).convert("RGB")
        scale = 2 if min(image.size) < 2 * TILE else 1
        if min(image.size) * scale < TILE:
            scale = math.ceil(TILE / min(image.size))
        if scale > 1:
            image = image.resize((image.width * scale, image.height * scale), Image.BICUBIC)
        images.append(np.asarray(image))
    return images


def make_slide(folder, tiles, seed, images):
    """Writes `tiles` tiles into `folder` on a compact grid at a seeded place on the 1000 x 1000 cell
    grid; the slide gets its own stain (per-channel gain) and every tile its own crop, rotation,
    flip and jitter, so slides and tiles differ."""
    rng = np.random.default_rng(seed)
    os.makedirs(folder, exist_ok=True)
    columns = math.ceil(math.sqrt(tiles))
    rows = math.ceil(tiles / columns)
    column0, row0 = (int(v) for v in rng.integers(0, [1000 - columns, 1000 - rows]))
    stain = rng.uniform(0.75, 1.25, size=3)
    for i in range(tiles):
        image = images[int(rng.integers(len(images)))]
        y, x = (int(rng.integers(0, s - TILE + 1)) for s in image.shape[:2])
        tile = np.rot90(image[y:y + TILE, x:x + TILE], k=int(rng.integers(4)))
        if rng.integers(2):
            tile = tile[:, ::-1]
        gain = stain * rng.uniform(0.9, 1.1, size=3)
        tile = np.clip(tile.astype(np.float32) * gain + rng.normal(0, 4, size=tile.shape), 0, 255).astype(np.uint8)
        column, row = column0 + i % columns, row0 + i // columns
        Image.fromarray(tile).save(os.path.join(folder, f"{column * TILE}x_{row * TILE}y.png"), compress_level=1)


def make_dataset(folder, slides, tiles, seed, root, prefix="slide"):
    """A folder of `slides` slide folders (PREFIX_00, ...) of `tiles` tiles each; kept when a
    previous run made the same one (its stamp matches)."""
    stamp = os.path.join(folder, ".stamp")
    want = f"{slides} {tiles} {seed} {prefix}"
    if os.path.exists(stamp) and open(stamp).read() == want:
        return folder
    images = sources(root)
    for s in range(slides):
        slide = os.path.join(folder, f"{prefix}_{s:02d}")
        if os.path.isdir(slide):
            for name in os.listdir(slide):
                os.remove(os.path.join(slide, name))
        make_slide(slide, tiles, seed * 1000 + s, images)
    with open(stamp, "w") as f:
        f.write(want)
    return folder
