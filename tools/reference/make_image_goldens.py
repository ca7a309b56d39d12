#!/usr/bin/env python3
"""Generate the ImageIO test fixtures (Tests/ImageIOTests/Fixtures/).

Every input image is synthesised here, so no external image is ever committed.
The reference outputs are what the Python pipelines produce:

* decoding: ``Image.open(f).convert("RGB")`` (Pillow), stored as raw RGB bytes;
* resizing: ``Image.resize(size, filter)`` (Pillow), stored as PNG;
* preprocessing: torchvision's ``ToTensor`` + ``Normalize`` arithmetic, done
  with the same float32 torch operations, stored as little-endian float32.

Corrupt, truncated and oversized inputs are derived from the good files.

Usage: /work/venv/bin/python tools/reference/make_image_goldens.py
"""

import io
import json
import struct
import zlib
from pathlib import Path

import numpy as np
import PIL
import torch
from PIL import Image

OUT = Path(__file__).resolve().parents[2] / "Tests" / "ImageIOTests" / "Fixtures"

PATTERN_SIZE = (97, 61)  # width, height
LARGE_SIZE = (1106, 786)  # the size of a typical ECG page at 100 dpi


def pattern_rgb(width: int, height: int) -> np.ndarray:
    """A deterministic RGB pattern with sharp edges, gradients and a disc."""
    y, x = np.mgrid[0:height, 0:width]
    r = (x * 255 // max(width - 1, 1)).astype(np.uint8)  # horizontal ramp
    g = np.where(((x // 7) + (y // 5)) % 2 == 0, 230, 25).astype(np.uint8)  # checkerboard
    disc = (x - width / 3) ** 2 + (y - height / 2) ** 2 < (height / 3) ** 2
    b = np.where(disc, 250, (y * 255 // max(height - 1, 1))).astype(np.uint8)
    b[:, width // 2] = 0  # a one-pixel black line
    return np.stack([r, g, b], axis=-1)


def large_rgb(width: int, height: int) -> np.ndarray:
    """A large procedural image; ImageIOTests rebuilds it with the same integer formula."""
    y, x = np.mgrid[0:height, 0:width].astype(np.int64)
    r = (x * 3 + y) % 256
    g = ((x // 24 + y // 24) % 2) * 200 + 20
    b = ((x // 16) * 37 + (y // 16) * 91) % 256
    return np.stack([r, g, b], axis=-1).astype(np.uint8)


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def raw_png(width: int, height: int, color_type: int, bit_depth: int, samples: np.ndarray,
            extra_chunks: list[bytes] = ()) -> bytes:
    """A minimal PNG writer, for the 16-bit layouts Pillow cannot write itself."""
    rows = samples.astype(">u2" if bit_depth == 16 else np.uint8).reshape(height, -1)
    raw = b"".join(b"\x00" + row.tobytes() for row in rows)
    header = struct.pack(">IIBBBBB", width, height, bit_depth, color_type, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", header) + b"".join(extra_chunks)
            + png_chunk(b"IDAT", zlib.compress(raw, 9)) + png_chunk(b"IEND", b""))


def insert_chunk_after_ihdr(png: bytes, chunk: bytes) -> bytes:
    end_of_ihdr = 8 + 8 + 13 + 4
    return png[:end_of_ihdr] + chunk + png[end_of_ihdr:]


def encode(image: Image.Image, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def make_inputs() -> dict[str, bytes]:
    """All good input files, keyed by fixture name."""
    w, h = PATTERN_SIZE
    rgb = pattern_rgb(w, h)
    rng = np.random.default_rng(1234)
    files: dict[str, bytes] = {}

    base = Image.fromarray(rgb, "RGB")
    files["rgb.png"] = encode(base, "PNG")
    files["rgb_q90.jpg"] = encode(base, "JPEG", quality=90)
    files["rgb_q95_444.jpg"] = encode(base, "JPEG", quality=95, subsampling=0)
    files["rgb_progressive.jpg"] = encode(base, "JPEG", quality=85, progressive=True)
    files["gray_q90.jpg"] = encode(base.convert("L"), "JPEG", quality=90)
    files["gray.png"] = encode(base.convert("L"), "PNG")
    files["gray_1bit.png"] = encode(base.convert("L").point(lambda v: 255 if v > 128 else 0).convert("1"), "PNG")

    alpha = rng.integers(0, 256, size=(h, w), dtype=np.uint8)
    alpha[:5, :] = 0  # fully transparent rows keep their colour under convert("RGB")
    files["rgba.png"] = encode(Image.fromarray(np.dstack([rgb, alpha]), "RGBA"), "PNG")
    files["gray_alpha.png"] = encode(Image.fromarray(np.dstack([rgb[..., 1], alpha]), "LA"), "PNG")

    palette = base.quantize(colors=37)
    files["palette.png"] = encode(palette, "PNG", transparency=3)
    files["palette_4bit.png"] = encode(base.quantize(colors=12), "PNG", bits=4)

    # 16-bit layouts. Gray values straddle 255 because Pillow clips I;16 -> RGB there.
    wide = rgb.astype(np.uint16) * 257 + rng.integers(0, 257, size=rgb.shape, dtype=np.uint16)
    gray16 = (rgb[..., 0].astype(np.uint16) * 2 + rgb[..., 2]) % 600
    files["gray16.png"] = raw_png(w, h, 0, 16, gray16)
    files["rgb16.png"] = raw_png(w, h, 2, 16, wide)
    alpha16 = alpha.astype(np.uint16) * 257
    files["rgba16.png"] = raw_png(w, h, 6, 16, np.dstack([wide, alpha16]))
    files["gray_alpha16.png"] = raw_png(w, h, 4, 16, np.dstack([wide[..., 1], alpha16]))

    # Colour-space chunks that libpng would otherwise act on and Pillow ignores.
    gamma_one = png_chunk(b"gAMA", struct.pack(">I", 100000))
    files["rgb_gamma1.png"] = insert_chunk_after_ihdr(files["rgb.png"], gamma_one)
    files["rgb16_srgb.png"] = raw_png(33, 21, 2, 16, wide[:21, :33], [png_chunk(b"sRGB", b"\x00")])
    return files


def make_invalid(files: dict[str, bytes]) -> dict[str, bytes]:
    """Inputs that must be rejected, each with the error ImageIOTests expects."""
    jpeg = files["rgb_q90.jpg"]
    png = files["rgb.png"]
    idat = png.index(b"IDAT")
    idat_length = struct.unpack(">I", png[idat - 4:idat])[0]
    broken_crc = bytearray(png)
    broken_crc[idat + 4 + idat_length] ^= 0xFF  # the IDAT CRC itself; the data still inflates
    corrupt_data = bytearray(png)
    corrupt_data[idat + 20] ^= 0xFF  # a byte inside the compressed data
    huge = (b"\x89PNG\r\n\x1a\n"
            + png_chunk(b"IHDR", struct.pack(">IIBBBBB", 100_000, 100_000, 8, 2, 0, 0, 0))
            + png_chunk(b"IEND", b""))
    huge_jpeg = bytearray(jpeg)
    sof = huge_jpeg.index(b"\xff\xc0")
    huge_jpeg[sof + 5:sof + 9] = struct.pack(">HH", 60_000, 60_000)  # height, width
    return {
        "truncated_half.jpg": jpeg[: len(jpeg) // 2],
        "truncated_idat.png": png[: idat + 200],
        "broken_crc.png": bytes(broken_crc),
        "corrupt_idat.png": bytes(corrupt_data),
        "random.bin": np.random.default_rng(99).integers(0, 256, 4096, dtype=np.uint8).tobytes(),
        "empty.bin": b"",
        "huge_header.png": huge,
        "huge_header.jpg": bytes(huge_jpeg),
        "cmyk.jpg": encode(Image.fromarray(pattern_rgb(*PATTERN_SIZE), "RGB").convert("CMYK"), "JPEG"),
    }


def pil_decode(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))


def check_pil_rejects(name: str, data: bytes) -> None:
    """Invalid inputs should also fail in Pillow; the known exceptions are deliberate."""
    if name.startswith("huge"):
        return  # Pillow only refuses these through its own (warning) bomb limit.
    if name == "cmyk.jpg":
        return  # Pillow converts CMYK naively; ImageIO refuses it as an unsupported colour space.
    if name == "broken_crc.png":
        return  # Pillow skips IDAT CRCs; libpng (and ImageIO) reject the file as corrupt.
    try:
        pil_decode(data)
    except Exception:  # noqa: BLE001 - any Pillow failure counts
        return
    raise SystemExit(f"Pillow unexpectedly decoded {name}")


FILTERS = {
    "bicubic": Image.Resampling.BICUBIC,
    "bilinear": Image.Resampling.BILINEAR,
    "nearest": Image.Resampling.NEAREST,
}
PATTERN_TARGETS = [(31, 23), (150, 101), (200, 40), (97, 17)]
LARGE_TARGETS = [(224, 224)]


def torch_preprocess(values: np.ndarray, mode: str) -> np.ndarray:
    """torchvision ToTensor (+ Normalize) arithmetic on HWC uint8, returned as float32 HWC."""
    tensor = torch.from_numpy(values).permute(2, 0, 1).contiguous().to(torch.float32).div(255)
    if mode != "rescale":
        mean, std = {"imagenet": ((0.485, 0.456, 0.406), (0.229, 0.224, 0.225)),
                     "standard": ((0.5, 0.5, 0.5), (0.5, 0.5, 0.5))}[mode]
        mean_t = torch.as_tensor(mean, dtype=torch.float32)[:, None, None]
        std_t = torch.as_tensor(std, dtype=torch.float32)[:, None, None]
        tensor = tensor.sub(mean_t).div(std_t)
    return tensor.permute(1, 2, 0).contiguous().numpy()


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.iterdir():
        if old.name != ".gitkeep":
            old.unlink()
    manifest: dict = {"pillow": PIL.__version__, "decode": {}, "resize": [], "invalid": []}

    files = make_inputs()
    goldens: dict[bytes, str] = {}  # identical decodes share one golden file
    for name, data in files.items():
        (OUT / name).write_bytes(data)
        pixels = pil_decode(data).tobytes()
        golden = goldens.setdefault(pixels, Path(name).stem + ".rgb")
        (OUT / golden).write_bytes(pixels)
        height, width = pil_decode(data).shape[:2]
        manifest["decode"][name] = {"width": width, "height": height, "rgb": golden}

    for name, data in make_invalid(files).items():
        check_pil_rejects(name, data)
        (OUT / name).write_bytes(data)
        manifest["invalid"].append(name)

    pattern = Image.fromarray(pattern_rgb(*PATTERN_SIZE), "RGB")
    large = Image.fromarray(large_rgb(*LARGE_SIZE), "RGB")
    default = pattern.resize((31, 23))  # Image.resize's default filter must be the bicubic one
    assert np.array_equal(np.asarray(default), np.asarray(pattern.resize((31, 23), Image.Resampling.BICUBIC)))
    for source, source_name, targets in [(pattern, "pattern", PATTERN_TARGETS), (large, "large", LARGE_TARGETS)]:
        for filter_name, resample in FILTERS.items():
            for width, height in targets:
                out_name = f"resize_{source_name}_{filter_name}_{width}x{height}.png"
                (OUT / out_name).write_bytes(encode(source.resize((width, height), resample), "PNG"))
                manifest["resize"].append({"source": source_name, "filter": filter_name,
                                           "width": width, "height": height, "file": out_name})

    ramp = np.repeat(np.arange(256, dtype=np.uint8)[None, :, None], 3, axis=2)  # 1x256 image, r=g=b=v
    for mode in ["rescale", "imagenet", "standard"]:
        (OUT / f"preprocess_{mode}.f32").write_bytes(torch_preprocess(ramp, mode).astype("<f4").tobytes())

    (OUT / "manifest.json").write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    total = sum(p.stat().st_size for p in OUT.iterdir())
    print(f"wrote {len(list(OUT.iterdir()))} files, {total / 1024:.0f} KiB, Pillow {PIL.__version__}")


if __name__ == "__main__":
    main()
