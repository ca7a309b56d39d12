#!/usr/bin/env python3
"""Writes the non-ECG image bank that the input gate must refuse (`ecg gate-report --bank DIR`).

Everything comes from packages installed in the reference venv (never at ECGLens run time):
scikit-image's and scikit-learn's bundled sample photographs, text documents rendered with
Pillow, blank and noise images, pink ECG grids without a trace (with and without a header),
synthetic sunsets, and matplotlib charts. Photographs are written as shipped and also stretched
to the data set's page size (1106 x 786), so that the gate cannot refuse them on shape alone.

Usage (from the repository root; Data/ is git-ignored):
    /path/to/venv/bin/python tools/reference/make_gate_bank.py --out Data/gate-bank

Deterministic: a fixed seed, so the bank is the same on every run.
"""
import argparse
import io
import os
import random

import numpy as np
from PIL import Image, ImageDraw, ImageFont

PAGE = (1106, 786)  # the data set's page size, landscape (width, height)


def save(image, out, kind, name, jpeg=False):
    folder = os.path.join(out, kind)
    os.makedirs(folder, exist_ok=True)
    image = image.convert("RGB")
    if jpeg:
        image.save(os.path.join(folder, name + ".jpg"), quality=90)
    else:
        image.save(os.path.join(folder, name + ".png"))


def photographs(out):
    """scikit-image and scikit-learn sample photographs, as shipped and stretched to page size."""
    import skimage.data as data
    from sklearn.datasets import load_sample_images

    images = {}
    for name in ["astronaut", "camera", "cat", "chelsea", "coffee", "coins", "horse", "moon", "page", "text",
                 "rocket", "retina", "immunohistochemistry", "hubble_deep_field", "colorwheel", "logo", "motorcycle",
                 "brick", "grass", "gravel", "checkerboard", "clock", "binary_blobs", "cell", "microaneurysms",
                 "shepp_logan_phantom", "lily", "skin", "eagle"]:
        try:
            value = getattr(data, "stereo_motorcycle" if name == "motorcycle" else name)()
        except Exception as error:  # not bundled with this version (needs a download): skip it
            print(f"skipping skimage {name}: {type(error).__name__}")
            continue
        if isinstance(value, tuple):
            value = value[0]
        value = np.asarray(value)
        if value.dtype == bool:
            value = value.astype(np.uint8) * 255
        if value.dtype != np.uint8:
            value = (255 * (value.astype(float) - value.min()) / max(1e-9, float(np.ptp(value)))).astype(np.uint8)
        if value.ndim == 3 and value.shape[2] == 4:
            value = value[..., :3]
        if value.ndim == 3 and value.shape[2] not in (3,):
            continue
        images["skimage-" + name] = Image.fromarray(value)
    for index, value in enumerate(load_sample_images().images):
        images[f"sklearn-{['china', 'flower'][index] if index < 2 else index}"] = Image.fromarray(value)
    for name, image in images.items():
        save(image, out, "photo", name, jpeg=True)
        save(image.convert("RGB").resize(PAGE, Image.BILINEAR), out, "photo", name + "-page", jpeg=True)
    return len(images) * 2


def font(size):
    for path in ["/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf"]:
        if os.path.exists(path):
            return ImageFont.truetype(path, size)
    return ImageFont.load_default(size=size)


WORDS = ("patient report summary the of and rhythm clinical findings normal result date name age sex "
         "heart rate interval department signature physician history medication dose daily follow up "
         "laboratory value reference range total protein glucose sodium potassium invoice amount paid").split()


def documents(out, rng):
    """Typed text pages: letters, forms and tables, landscape and portrait, some on tinted paper."""
    count = 0
    for index in range(24):
        size = PAGE if index % 2 == 0 else (PAGE[1], PAGE[0])
        paper = [(255, 255, 255), (250, 248, 240), (255, 240, 240), (245, 245, 250)][index % 4]
        image = Image.new("RGB", size, paper)
        draw = ImageDraw.Draw(image)
        text_font = font(rng.choice([12, 14, 16, 20]))
        y = rng.randint(20, 60)
        if index % 3 == 0:
            draw.text((40, y), "REPORT " + str(rng.randint(1000, 9999)), fill=(0, 0, 0), font=font(28))
            y += 50
        while y < size[1] - 40:
            line = " ".join(rng.choice(WORDS) for _ in range(rng.randint(4, 14)))
            draw.text((40, y), line, fill=(20, 20, 20), font=text_font)
            y += text_font.size + rng.randint(4, 12)
        if index % 4 == 1:  # a table's rules
            for row in range(0, size[1], 40):
                draw.line([(30, row), (size[0] - 30, row)], fill=(120, 120, 120), width=1)
            for column in range(30, size[0], 180):
                draw.line([(column, 0), (column, size[1])], fill=(120, 120, 120), width=1)
        if index % 5 == 2:  # a red letterhead line and stamp
            draw.rectangle([20, 10, size[0] - 20, 30], fill=(200, 40, 40))
        save(image, out, "document", f"document-{index:02d}", jpeg=index % 2 == 1)
        count += 1
    return count


def blanks_and_noise(out, rng):
    """Plain sheets of several colours and uniform, Gaussian and salt-and-pepper noise."""
    count = 0
    for name, colour in [("white", (255, 255, 255)), ("grey", (128, 128, 128)), ("black", (0, 0, 0)),
                         ("pink-paper", (250, 225, 225)), ("cream", (250, 245, 225)), ("red", (220, 30, 30))]:
        save(Image.new("RGB", PAGE, colour), out, "blank", name)
        count += 1
    generator = np.random.default_rng(7)
    for index in range(8):
        shape = (PAGE[1], PAGE[0], 3) if index % 2 == 0 else (512, 512, 3)
        if index < 3:
            values = generator.integers(0, 256, shape)
        elif index < 6:
            values = np.clip(generator.normal(128 + 40 * (index - 4), 50, shape), 0, 255)
        else:
            values = np.full(shape, 255.0)
            mask = generator.random(shape[:2]) < 0.05
            values[mask] = 0
        save(Image.fromarray(values.astype(np.uint8)), out, "noise", f"noise-{index}", jpeg=index % 3 == 0)
        count += 1
    return count


def pink_grid(size, rng, small=None, major_colour=None):
    """An empty ECG grid: light minor lines every `small` pixels, darker major lines every 5."""
    small = small or rng.choice([4, 5, 6, 8])
    image = Image.new("RGB", size, (255, 255, 255))
    draw = ImageDraw.Draw(image)
    minor = (250, 210, 210)
    major = major_colour or rng.choice([(240, 150, 150), (230, 120, 130), (220, 160, 170)])
    top = size[1] // 6
    for index, x in enumerate(range(20, size[0] - 20, small)):
        draw.line([(x, top), (x, size[1] - 20)], fill=major if index % 5 == 0 else minor)
    for index, y in enumerate(range(top, size[1] - 20, small)):
        draw.line([(20, y), (size[0] - 20, y)], fill=major if index % 5 == 0 else minor)
    return image


def empty_grids(out, rng):
    """Pink grids without a trace, some with a printed header, as a blank ECG form."""
    count = 0
    for index in range(12):
        size = PAGE if index % 3 else (1600, 1131)
        image = pink_grid(size, rng)
        if index % 2 == 1:
            draw = ImageDraw.Draw(image)
            draw.text((size[0] // 2 - 80, 10), "ECG REPORT", fill=(0, 0, 0), font=font(24))
            draw.text((20, 50), "ID :      Years  Male   cm   kg   mmHg   Room No.:", fill=(0, 0, 0), font=font(14))
        save(image, out, "empty-grid", f"grid-{index:02d}", jpeg=index % 2 == 0)
        count += 1
    return count


def sunsets(out, rng):
    """Sunset-like pictures: an orange-pink-purple sky gradient, a sun, a dark horizon, some noise."""
    generator = np.random.default_rng(11)
    count = 0
    for index in range(8):
        width, height = PAGE if index % 2 == 0 else (800, 600)
        t = np.linspace(0, 1, height)[:, None]
        top = np.array([70 + 20 * index, 40, 110]) / 255
        bottom = np.array([255, 140 + 10 * index, 90]) / 255
        sky = (1 - t)[..., None] * top + t[..., None] * bottom
        sky = np.broadcast_to(sky, (height, width, 3)).copy()
        yy, xx = np.mgrid[0:height, 0:width]
        sun = ((xx - width * (0.3 + 0.05 * index)) ** 2 + (yy - height * 0.62) ** 2) < (height * 0.08) ** 2
        sky[sun] = [1.0, 0.85, 0.6]
        horizon = yy > height * (0.7 + 0.02 * np.sin(xx / 37.0 + index))
        sky[horizon] = [0.08, 0.05, 0.1]
        sky += generator.normal(0, 0.02, sky.shape)
        image = Image.fromarray((np.clip(sky, 0, 1) * 255).astype(np.uint8))
        save(image, out, "sunset", f"sunset-{index}", jpeg=True)
        count += 1
    return count


def charts(out, rng):
    """matplotlib line, bar, scatter and signal plots, with and without grids, several styles."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    generator = np.random.default_rng(3)
    styles = ["default", "ggplot", "seaborn-v0_8-whitegrid", "bmh", "classic", "grayscale"]
    count = 0
    for index in range(24):
        style = styles[index % len(styles)]
        with plt.style.context(style):
            figure, axes = plt.subplots(figsize=(11.06, 7.86) if index % 4 else (7.86, 11.06), dpi=100)
            kind = index % 4
            x = np.linspace(0, 10, 800)
            if kind == 0:
                for k in range(3):
                    axes.plot(x, np.sin(x * (k + 1)) + generator.normal(0, 0.1, x.size), linewidth=1)
            elif kind == 1:
                axes.bar(range(12), generator.integers(1, 20, 12))
            elif kind == 2:
                axes.scatter(generator.normal(size=300), generator.normal(size=300), s=8)
            else:  # a signal trace on a fine red grid: the closest chart to an ECG strip
                beats = np.sin(2 * np.pi * 1.2 * x) ** 63 * 1.5 + 0.1 * np.sin(2 * np.pi * 0.3 * x)
                axes.plot(x, beats, color="black", linewidth=0.8)
                axes.grid(True, which="both", color=(1.0, 0.6, 0.6), linewidth=0.5)
                axes.minorticks_on()
            if index % 3 == 0:
                axes.grid(True)
            axes.set_title(f"Chart {index}")
            buffer = io.BytesIO()
            figure.savefig(buffer, format="png")
            plt.close(figure)
        buffer.seek(0)
        save(Image.open(buffer), out, "chart", f"chart-{index:02d}", jpeg=index % 2 == 1)
        count += 1
    return count


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="Data/gate-bank", help="output folder (git-ignored)")
    arguments = parser.parse_args()
    rng = random.Random(2026)
    counts = {
        "photo": photographs(arguments.out),
        "document": documents(arguments.out, rng),
        "blank+noise": blanks_and_noise(arguments.out, rng),
        "empty-grid": empty_grids(arguments.out, rng),
        "sunset": sunsets(arguments.out, rng),
        "chart": charts(arguments.out, rng),
    }
    print(f"wrote {sum(counts.values())} images to {arguments.out}: " + ", ".join(f"{k} {v}" for k, v in counts.items()))


if __name__ == "__main__":
    main()
