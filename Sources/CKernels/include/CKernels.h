// The GEMM micro-kernels, one set per instruction-set level, and the CPU feature detection
// that picks among them at run time (Sources/Kernels/KernelSet.swift).
//
// Every set computes the same tile: C[12 x W] (+)= A · B, W = 32 or 16, from a packed A panel
// (a[p * 12 + r] is row r, column p) and a packed B panel (b[p * W + j] is row p, column j), so the
// packing code is shared and the sets can be swapped at any tile. The whole tile of C is read
// (when accumulating) and written; rows of C are `ldc` floats apart.
//
// The fp32 tiles (packed and direct) end in the convolution's epilogue, applied as they store:
// C[r][j] = activation(sum + bias[j]), `sum` being what the tile would otherwise store (the
// accumulated value when accumulating). `bias` is W floats (the tile's columns), or NULL for none;
// `activation` an `ECG_ACTIVATION_*` code. A GEMM summed in depth slices passes NULL and
// ECG_ACTIVATION_IDENTITY on all but its last slice. The floats are those of Swift's
// `biasActivationForward` (Sources/Kernels/Activation.swift; the C definition is epilogue.h).
//
// Their last two arguments, `next` and `nextLines`, name weights the following tiles will read: the
// tile prefetches `nextLines` 64-byte lines from `next` into L2, spread over its depth loop (at most
// one line a step; prefetch.h). NULL (or 0) prefetches nothing. It changes no value, only when the
// next panel's weights arrive; the portable tiles ignore it.
//
// This file is compiled for the baseline CPU; the AVX2 and AVX-512 functions carry their own
// `target` attributes, so one binary holds all three and calls only what the CPU can run.
#ifndef ECG_CKERNELS_H
#define ECG_CKERNELS_H

#include <stdint.h>

/// Feature bits returned by `ecg_cpu_features`.
enum {
    ECG_CPU_AVX2_FMA = 1 << 0,    ///< AVX2 and FMA3, with the OS saving ymm state.
    ECG_CPU_AVX512F = 1 << 1,     ///< AVX-512 F/VL/DQ/BW, with the OS saving zmm state.
    ECG_CPU_AVX512_BF16 = 1 << 2, ///< AVX-512 BF16 (`vdpbf16ps`): the bf16 tiles below.
    ECG_CPU_AVX512_VNNI = 1 << 3, ///< AVX-512 VNNI (`vpdpbusd`): the int8 tiles below.
    ECG_CPU_NEON = 1 << 4,        ///< arm64 Advanced SIMD (always present on arm64).
};

/// The activation codes of the fp32 tiles' epilogue: Swift's `Activation` cases (`Activation.tileCode`).
enum {
    ECG_ACTIVATION_IDENTITY = 0, ///< No activation.
    ECG_ACTIVATION_RELU = 1,     ///< Values <= 0 become +0.
    ECG_ACTIVATION_RELU6 = 2,    ///< Values <= 0 become +0, values > 6 become 6.
};

/// The CPU's features (cpuid and xgetbv on x86-64; NEON on arm64), as `ECG_CPU_*` bits.
int32_t ecg_cpu_features(void);

/// Tells the CPU that the caller is spinning on a flag (x86 `pause`, arm64 `yield`): it saves
/// power and leaves the core's resources to the other hardware thread. For the kernels' thread
/// pool (Sources/Kernels/ThreadPool.swift).
void ecg_spin_pause(void);

/// The parameters of every fp32 packed tile below (Swift's `Tiles.Function`).
#define ECG_PACKED_TILE_PARAMETERS                                                                     \
    int64_t depth, const float *a, const float *b, float *c, int64_t ldc, int32_t accumulate, const float *bias, \
        int32_t activation, const float *next, int64_t nextLines

/// Portable C: plain loops the compiler vectorises for the baseline (SSE2 on x86-64, NEON on arm64).
void ecg_tile12x32_portable(ECG_PACKED_TILE_PARAMETERS);
void ecg_tile12x16_portable(ECG_PACKED_TILE_PARAMETERS);
/// AVX2 + FMA: 6 x 16 register tiles (12 ymm accumulators), four (or two) per 12 x 32 (12 x 16) tile.
/// Only call when `ecg_cpu_features()` has ECG_CPU_AVX2_FMA.
void ecg_tile12x32_avx2(ECG_PACKED_TILE_PARAMETERS);
void ecg_tile12x16_avx2(ECG_PACKED_TILE_PARAMETERS);
/// AVX-512: the 12 x 32 tile in 24 zmm accumulators. Only call when ECG_CPU_AVX512F is set.
void ecg_tile12x32_avx512(ECG_PACKED_TILE_PARAMETERS);
void ecg_tile12x16_avx512(ECG_PACKED_TILE_PARAMETERS);

/// Short tiles: the first R rows of the tiles above, for a panel's last rows (R = 4 and 8 for
/// AVX-512, 2 and 6 for AVX2). They read the same 12-row A panels and B panels, compute rows 0..<R only,
/// write R rows of C, and give the same floats as the 12-row tile of their set.
void ecg_tile4x32_avx512(ECG_PACKED_TILE_PARAMETERS);
void ecg_tile4x16_avx512(ECG_PACKED_TILE_PARAMETERS);
void ecg_tile8x32_avx512(ECG_PACKED_TILE_PARAMETERS);
void ecg_tile8x16_avx512(ECG_PACKED_TILE_PARAMETERS);
void ecg_tile6x32_avx2(ECG_PACKED_TILE_PARAMETERS);
void ecg_tile6x16_avx2(ECG_PACKED_TILE_PARAMETERS);
void ecg_tile2x32_avx2(ECG_PACKED_TILE_PARAMETERS);
void ecg_tile2x16_avx2(ECG_PACKED_TILE_PARAMETERS);

/// Direct convolution tiles: C[12 x W] = A · B (overwritten, with the epilogue), W = 32 or 16, with
/// A read straight from an NHWC input instead of a packed panel, for the 12 output pixels of one
/// row whose windows lie horizontally inside the image (or any 12 consecutive pixels of a 1x1
/// convolution). Patch value q of window row t for pixel r is `a[t * rowStride + r * pixelStride + q]`,
/// q in `0..<span` (span = KW · C: a window row's pixels are contiguous in NHWC); B's rows are those
/// `taps · span` patch values in the same order, `W` floats apart. No im2col copy: it pays where the
/// copy costs as much as the product, in layers with few input channels (the 3-channel stems).
/// Only the AVX2 and AVX-512 sets have them; the portable set packs.
#define ECG_DIRECT_TILE_PARAMETERS                                                                     \
    int64_t taps, int64_t span, const float *a, int64_t rowStride, int64_t pixelStride, const float *b, float *c, \
        int64_t ldc, const float *bias, int32_t activation, const float *next, int64_t nextLines
void ecg_direct12x32_avx2(ECG_DIRECT_TILE_PARAMETERS);
void ecg_direct12x16_avx2(ECG_DIRECT_TILE_PARAMETERS);
/// The first 24 columns of `ecg_direct12x32_avx2` (B still a 32-wide panel, C 24 columns).
void ecg_direct12x24_avx2(ECG_DIRECT_TILE_PARAMETERS);
void ecg_direct12x32_avx512(ECG_DIRECT_TILE_PARAMETERS);
void ecg_direct12x16_avx512(ECG_DIRECT_TILE_PARAMETERS);

/// Short direct tiles: the first R rows of the direct tiles above (R = 4 and 8 for AVX-512, 6 for
/// AVX2), for a row's last pixels; the same floats as the 12-row tile's rows.
void ecg_direct4x32_avx512(ECG_DIRECT_TILE_PARAMETERS);
void ecg_direct4x16_avx512(ECG_DIRECT_TILE_PARAMETERS);
void ecg_direct8x32_avx512(ECG_DIRECT_TILE_PARAMETERS);
void ecg_direct8x16_avx512(ECG_DIRECT_TILE_PARAMETERS);
void ecg_direct6x32_avx2(ECG_DIRECT_TILE_PARAMETERS);
void ecg_direct6x16_avx2(ECG_DIRECT_TILE_PARAMETERS);
void ecg_direct2x32_avx2(ECG_DIRECT_TILE_PARAMETERS);
void ecg_direct2x16_avx2(ECG_DIRECT_TILE_PARAMETERS);

/// Packs twelve rows into an A panel (pack.c): `panel[c · 12 + r] = sources[r][c]` for `c` in
/// `0..<count`, `r` in `0..<12`. The same floats whichever version runs; the avx2 one transposes
/// eight values of the twelve rows at a time in registers. Only call the avx2 one when
/// `ecg_cpu_features()` has ECG_CPU_AVX2_FMA.
void ecg_pack12_portable(const float *const *sources, int64_t count, float *panel);
void ecg_pack12_avx2(const float *const *sources, int64_t count, float *panel);

/// Four consecutive output pixels of a depthwise convolution (depthwise_avx512.c), the arithmetic of
/// `depthwiseQuad` in Sources/Kernels/DepthwiseConv2D.swift, which has the parameters' meaning: for
/// each of `channels` (a multiple of 16) channels, the bias (or +0), plus each tap's input times its
/// weight, window rows `firstRow ..< endRow` then columns in order, a multiply then an add, then
/// `activation` (`ECG_ACTIVATION_*`; values `< 0` become +0). Only call when `ecg_cpu_features()`
/// has ECG_CPU_AVX512F.
void ecg_depthwise4_avx512(const float *input, int64_t pixelStride, int64_t rowStride, int64_t firstRow,
                           int64_t endRow, int64_t kernelWidth, const float *weight, const float *bias,
                           int64_t channels, float *output, int64_t ldo, int32_t activation);

/// bfloat16 tiles (tile_bf16.c), for models that opt into bf16 inference: the same C[12 x W] (+)= A · B
/// with A and B rounded to bfloat16 (8-bit mantissa) and the products summed in fp32. Both operands
/// are packed in pairs of depth rows (`ecg_pack_bf16`): A as a[(p · 12 + r) · 2 + h] = A[r][2p + h],
/// B as b[(p · W + j) · 2 + h] = B[2p + h][j], for p in 0..<pairs; an odd depth ends in a zero row.
/// Only call when `ecg_cpu_features()` has ECG_CPU_AVX512_BF16.
void ecg_tile12x32_bf16(int64_t pairs, const uint16_t *a, const uint16_t *b, float *c, int64_t ldc, int32_t accumulate);
void ecg_tile12x16_bf16(int64_t pairs, const uint16_t *a, const uint16_t *b, float *c, int64_t ldc, int32_t accumulate);
/// Rounds a packed fp32 panel (`depth` rows of `width` values, `panel[p · width + j]`) to bfloat16,
/// to nearest even, into the pair layout above: `ceil(depth / 2) · width · 2` values. Width 12 packs
/// an A panel, 32 or 16 a B panel. Only call when ECG_CPU_AVX512_BF16 is set.
void ecg_pack_bf16(int64_t depth, int64_t width, const float *panel, uint16_t *out);

/// int8 tiles (tile_int8.c), for models that opt into int8 inference: C[12 x W] = A · B (overwritten)
/// with A quantized per row to unsigned bytes around 128 (`ecg_quantize_u8`) and B per column to
/// signed bytes (`ecg_quantize_s8`), both packed in quads of depth rows: A as a[(q · 12 + r) · 4 + h]
/// for depth 4q + h, B as b[(q · W + j) · 4 + h]. The exact int32 sums become
/// C[r][j] = (Σ a·b − 128 · columnSums[j]) · rowScales[r] · columnScales[j].
/// Only call when `ecg_cpu_features()` has ECG_CPU_AVX512_VNNI.
void ecg_tile12x32_int8(int64_t quads, const uint8_t *a, const int8_t *b, float *c, int64_t ldc,
                        const float *rowScales, const float *columnScales, const int32_t *columnSums);
void ecg_tile12x16_int8(int64_t quads, const uint8_t *a, const int8_t *b, float *c, int64_t ldc,
                        const float *rowScales, const float *columnScales, const int32_t *columnSums);
/// Quantizes a packed fp32 A panel (`depth` rows of 12, `panel[p · 12 + r]`) per row: scale_r =
/// max|x_r| / 127, a = round(x / scale_r) + 128 (128 past the depth), `ceil(depth / 4) · 48` bytes.
/// Only call when ECG_CPU_AVX512_VNNI is set.
void ecg_quantize_u8(int64_t depth, const float *panel, uint8_t *out, float *scales);
/// The int8 tiles and A quantizer in plain C, for any CPU: the same bytes and floats as the VNNI ones.
void ecg_tile12x32_int8_portable(int64_t quads, const uint8_t *a, const int8_t *b, float *c, int64_t ldc,
                                 const float *rowScales, const float *columnScales, const int32_t *columnSums);
void ecg_tile12x16_int8_portable(int64_t quads, const uint8_t *a, const int8_t *b, float *c, int64_t ldc,
                                 const float *rowScales, const float *columnScales, const int32_t *columnSums);
void ecg_quantize_u8_portable(int64_t depth, const float *panel, uint8_t *out, float *scales);
/// Quantizes a packed fp32 B panel (`depth` rows of `width`) per column: scale_j = max|w_j| / 127,
/// b = round(w / scale_j) (0 past the depth), `ceil(depth / 4) · width · 4` bytes; `sums[j]` = Σ b.
/// Plain C: runs anywhere, once per weight.
void ecg_quantize_s8(int64_t depth, int64_t width, const float *panel, int8_t *out, float *scales, int32_t *sums);

#endif
