// The AVX2 + FMA micro-kernel (see CKernels.h). A 6 x 16 register tile: 12 ymm accumulators,
// two ymm for a row of B and one broadcast of A, 15 of the 16 ymm registers, so nothing spills
// (the SIMD16 Swift kernel, written for AVX-512's 32 zmm, needed 48 ymm here and spilled).
// A 12 x 32 tile is four such tiles, a 12 x 16 tile two.
#include "CKernels.h"
#include "direct_dispatch.h"
#include "epilogue.h"
#include "prefetch.h"

#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>

#define ECG_AVX2 __attribute__((target("avx2,fma")))

typedef int32_t ecg_i32x8 __attribute__((vector_size(32)));
ECG_DEFINE_EPILOGUE(epilogue, ECG_AVX2, __m256, ecg_i32x8)

/// The 8 bias values from `bias`, or the no-bias identity (epilogue.h) when it is NULL.
ECG_AVX2 static inline __m256 loadBias(const float *bias) {
    return bias ? _mm256_loadu_ps(bias) : _mm256_set1_ps(ECG_NO_BIAS);
}

/// Part `index` of `parts` of a tile's prefetch (`next`, `nextLines`): the 6 x 16 tiles of a 12-row
/// tile run one after another, each prefetching its share of the lines, in order.
static inline const float *sharedNext(const float *next, int64_t nextLines, int64_t parts, int64_t index) {
    const int64_t each = (nextLines + parts - 1) / parts;
    return next && nextLines > index * each ? next + index * each * 16 : NULL;
}

static inline int64_t sharedLines(int64_t nextLines, int64_t parts, int64_t index) {
    const int64_t each = (nextLines + parts - 1) / parts, left = nextLines - index * each;
    return left < 0 ? 0 : left < each ? left : each;
}

/// The arguments for share `index` of `parts`.
#define ECG_SHARE(parts, index) sharedNext(next, nextLines, parts, index), sharedLines(nextLines, parts, index)

/// Stores row `row` of a 6 x 16 register tile (`v0` its columns 0..<8, `v1` 8..<16) to C: C's value
/// plus the row when `accumulate`, then the epilogue, with `c`, `ldc`, `accumulate`, `activation`
/// and the bias vectors `bias0`, `bias1` in scope.
#define ECG_STORE_ROW(row, v0, v1)                                                              \
    do {                                                                                        \
        float *q = c + (row) * ldc;                                                             \
        __m256 w0 = (v0), w1 = (v1);                                                            \
        if (accumulate) {                                                                       \
            w0 = _mm256_add_ps(_mm256_loadu_ps(q), w0);                                         \
            w1 = _mm256_add_ps(_mm256_loadu_ps(q + 8), w1);                                     \
        }                                                                                       \
        _mm256_storeu_ps(q, epilogue(w0, bias0, activation));                                  \
        _mm256_storeu_ps(q + 8, epilogue(w1, bias1, activation));                              \
    } while (0)

/// The six rows of a 6 x 16 register tile `c00` ... `c51`, stored by `ECG_STORE_ROW`, with the
/// tile's 16 bias values at `bias` (or NULL).
#define ECG_STORE_TILE()                                                                        \
    do {                                                                                        \
        const __m256 bias0 = loadBias(bias), bias1 = loadBias(bias ? bias + 8 : NULL);           \
        ECG_STORE_ROW(0, c00, c01); ECG_STORE_ROW(1, c10, c11); ECG_STORE_ROW(2, c20, c21);     \
        ECG_STORE_ROW(3, c30, c31); ECG_STORE_ROW(4, c40, c41); ECG_STORE_ROW(5, c50, c51);     \
    } while (0)

/// C[6 x 16] (+)= A · B, then the epilogue with the 16 values at `bias`: A rows `r0..<r0+6` of a
/// 12-row panel, B 16 columns of a panel `ldb` wide.
ECG_AVX2 static inline void tile6x16(int64_t depth, const float *a, const float *b, int64_t ldb, float *c,
                                     int64_t ldc, int32_t accumulate, const float *bias, int32_t activation,
                                     const float *next, int64_t nextLines) {
    ECG_PREFETCH_BEGIN(depth);
    __m256 c00 = _mm256_setzero_ps(), c01 = _mm256_setzero_ps(), c10 = _mm256_setzero_ps(), c11 = _mm256_setzero_ps();
    __m256 c20 = _mm256_setzero_ps(), c21 = _mm256_setzero_ps(), c30 = _mm256_setzero_ps(), c31 = _mm256_setzero_ps();
    __m256 c40 = _mm256_setzero_ps(), c41 = _mm256_setzero_ps(), c50 = _mm256_setzero_ps(), c51 = _mm256_setzero_ps();
    for (int64_t p = 0; p < depth; p++) {
        ECG_PREFETCH_STEP();
        const __m256 b0 = _mm256_loadu_ps(b), b1 = _mm256_loadu_ps(b + 8);
        __m256 s;
        s = _mm256_broadcast_ss(a + 0); c00 = _mm256_fmadd_ps(s, b0, c00); c01 = _mm256_fmadd_ps(s, b1, c01);
        s = _mm256_broadcast_ss(a + 1); c10 = _mm256_fmadd_ps(s, b0, c10); c11 = _mm256_fmadd_ps(s, b1, c11);
        s = _mm256_broadcast_ss(a + 2); c20 = _mm256_fmadd_ps(s, b0, c20); c21 = _mm256_fmadd_ps(s, b1, c21);
        s = _mm256_broadcast_ss(a + 3); c30 = _mm256_fmadd_ps(s, b0, c30); c31 = _mm256_fmadd_ps(s, b1, c31);
        s = _mm256_broadcast_ss(a + 4); c40 = _mm256_fmadd_ps(s, b0, c40); c41 = _mm256_fmadd_ps(s, b1, c41);
        s = _mm256_broadcast_ss(a + 5); c50 = _mm256_fmadd_ps(s, b0, c50); c51 = _mm256_fmadd_ps(s, b1, c51);
        a += 12;
        b += ldb;
    }
    ECG_STORE_TILE();
}

ECG_AVX2 void ecg_tile12x32_avx2(ECG_PACKED_TILE_PARAMETERS) {
    const float *bias16 = bias ? bias + 16 : NULL;
    tile6x16(depth, a, b, 32, c, ldc, accumulate, bias, activation, ECG_SHARE(4, 0));
    tile6x16(depth, a, b + 16, 32, c + 16, ldc, accumulate, bias16, activation, ECG_SHARE(4, 1));
    tile6x16(depth, a + 6, b, 32, c + 6 * ldc, ldc, accumulate, bias, activation, ECG_SHARE(4, 2));
    tile6x16(depth, a + 6, b + 16, 32, c + 6 * ldc + 16, ldc, accumulate, bias16, activation, ECG_SHARE(4, 3));
}

/// The first 6 rows of the 12 x 32 (12 x 16) tile: the upper half of its 6 x 16 tiles, the same
/// floats. For a panel's last rows.
ECG_AVX2 void ecg_tile6x32_avx2(ECG_PACKED_TILE_PARAMETERS) {
    tile6x16(depth, a, b, 32, c, ldc, accumulate, bias, activation, ECG_SHARE(2, 0));
    tile6x16(depth, a, b + 16, 32, c + 16, ldc, accumulate, bias ? bias + 16 : NULL, activation, ECG_SHARE(2, 1));
}

ECG_AVX2 void ecg_tile6x16_avx2(ECG_PACKED_TILE_PARAMETERS) {
    tile6x16(depth, a, b, 16, c, ldc, accumulate, bias, activation, ECG_SHARE(1, 0));
}

ECG_AVX2 void ecg_tile12x16_avx2(ECG_PACKED_TILE_PARAMETERS) {
    tile6x16(depth, a, b, 16, c, ldc, accumulate, bias, activation, ECG_SHARE(2, 0));
    tile6x16(depth, a + 6, b, 16, c + 6 * ldc, ldc, accumulate, bias, activation, ECG_SHARE(2, 1));
}
// Direct convolution tiles (see CKernels.h): the same 6 x 16 register tiles, with A read straight
// from the NHWC input. `PS` (the pixel stride) is a compile-time constant in the common cases, so
// the six broadcasts are immediate offsets from one pointer.
#define ECG_DIRECT_AVX2(PS)                                                                            \
    do {                                                                                               \
        __m256 c00 = _mm256_setzero_ps(), c01 = _mm256_setzero_ps(), c10 = _mm256_setzero_ps();         \
        __m256 c11 = _mm256_setzero_ps(), c20 = _mm256_setzero_ps(), c21 = _mm256_setzero_ps();         \
        __m256 c30 = _mm256_setzero_ps(), c31 = _mm256_setzero_ps(), c40 = _mm256_setzero_ps();         \
        __m256 c41 = _mm256_setzero_ps(), c50 = _mm256_setzero_ps(), c51 = _mm256_setzero_ps();         \
        ECG_PREFETCH_BEGIN(taps * span);                                                               \
        for (int64_t t = 0; t < taps; t++) {                                                           \
            const float *row = a + t * rowStride;                                                      \
            for (int64_t q = 0; q < span; q++) {                                                       \
                ECG_PREFETCH_STEP();                                                                   \
                const __m256 b0 = _mm256_loadu_ps(b), b1 = _mm256_loadu_ps(b + 8);                     \
                __m256 s;                                                                              \
                s = _mm256_broadcast_ss(row + 0 * (PS) + q); c00 = _mm256_fmadd_ps(s, b0, c00); c01 = _mm256_fmadd_ps(s, b1, c01); \
                s = _mm256_broadcast_ss(row + 1 * (PS) + q); c10 = _mm256_fmadd_ps(s, b0, c10); c11 = _mm256_fmadd_ps(s, b1, c11); \
                s = _mm256_broadcast_ss(row + 2 * (PS) + q); c20 = _mm256_fmadd_ps(s, b0, c20); c21 = _mm256_fmadd_ps(s, b1, c21); \
                s = _mm256_broadcast_ss(row + 3 * (PS) + q); c30 = _mm256_fmadd_ps(s, b0, c30); c31 = _mm256_fmadd_ps(s, b1, c31); \
                s = _mm256_broadcast_ss(row + 4 * (PS) + q); c40 = _mm256_fmadd_ps(s, b0, c40); c41 = _mm256_fmadd_ps(s, b1, c41); \
                s = _mm256_broadcast_ss(row + 5 * (PS) + q); c50 = _mm256_fmadd_ps(s, b0, c50); c51 = _mm256_fmadd_ps(s, b1, c51); \
                b += ldb;                                                                              \
            }                                                                                          \
        }                                                                                              \
        const int32_t accumulate = 0;                                                                  \
        ECG_STORE_TILE();                                                                              \
    } while (0)

/// C[6 x 16] = A · B, then the epilogue with the 16 values at `bias`: pixel r's values at
/// `a + r * pixelStride`, B 16 columns of a panel `ldb` wide.
ECG_AVX2 static void direct6x16(int64_t taps, int64_t span, const float *a, int64_t rowStride, int64_t pixelStride,
                                const float *b, int64_t ldb, float *c, int64_t ldc, const float *bias,
                                int32_t activation, const float *next, int64_t nextLines) {
    ECG_DIRECT_DISPATCH(ECG_DIRECT_AVX2, pixelStride)
}
#undef ECG_DIRECT_AVX2

/// C[12 x 8] = A · B, then the epilogue with the 8 values at `bias`: the 12 x 16 tiles' arithmetic
/// for 8 columns, 12 ymm accumulators. One B load and twelve broadcasts a step: on two load ports
/// it keeps the two FMA units nearly busy, where a 6 x 16 tile over 8 real columns keeps them half so.
#define ECG_DIRECT8_AVX2(PS)                                                                           \
    do {                                                                                               \
        __m256 c0 = _mm256_setzero_ps(), c1 = _mm256_setzero_ps(), c2 = _mm256_setzero_ps();           \
        __m256 c3 = _mm256_setzero_ps(), c4 = _mm256_setzero_ps(), c5 = _mm256_setzero_ps();           \
        __m256 c6 = _mm256_setzero_ps(), c7 = _mm256_setzero_ps(), c8 = _mm256_setzero_ps();           \
        __m256 c9 = _mm256_setzero_ps(), c10 = _mm256_setzero_ps(), c11 = _mm256_setzero_ps();         \
        ECG_PREFETCH_BEGIN(taps * span);                                                               \
        for (int64_t t = 0; t < taps; t++) {                                                           \
            const float *row = a + t * rowStride;                                                      \
            for (int64_t q = 0; q < span; q++) {                                                       \
                ECG_PREFETCH_STEP();                                                                   \
                const __m256 b0 = _mm256_loadu_ps(b);                                                  \
                c0 = _mm256_fmadd_ps(_mm256_broadcast_ss(row + 0 * (PS) + q), b0, c0);                 \
                c1 = _mm256_fmadd_ps(_mm256_broadcast_ss(row + 1 * (PS) + q), b0, c1);                 \
                c2 = _mm256_fmadd_ps(_mm256_broadcast_ss(row + 2 * (PS) + q), b0, c2);                 \
                c3 = _mm256_fmadd_ps(_mm256_broadcast_ss(row + 3 * (PS) + q), b0, c3);                 \
                c4 = _mm256_fmadd_ps(_mm256_broadcast_ss(row + 4 * (PS) + q), b0, c4);                 \
                c5 = _mm256_fmadd_ps(_mm256_broadcast_ss(row + 5 * (PS) + q), b0, c5);                 \
                c6 = _mm256_fmadd_ps(_mm256_broadcast_ss(row + 6 * (PS) + q), b0, c6);                 \
                c7 = _mm256_fmadd_ps(_mm256_broadcast_ss(row + 7 * (PS) + q), b0, c7);                 \
                c8 = _mm256_fmadd_ps(_mm256_broadcast_ss(row + 8 * (PS) + q), b0, c8);                 \
                c9 = _mm256_fmadd_ps(_mm256_broadcast_ss(row + 9 * (PS) + q), b0, c9);                 \
                c10 = _mm256_fmadd_ps(_mm256_broadcast_ss(row + 10 * (PS) + q), b0, c10);              \
                c11 = _mm256_fmadd_ps(_mm256_broadcast_ss(row + 11 * (PS) + q), b0, c11);              \
                b += ldb;                                                                              \
            }                                                                                          \
        }                                                                                              \
        const __m256 bias0 = loadBias(bias);                                                           \
        const __m256 rows[12] = {c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11};                    \
        for (int r = 0; r < 12; r++) _mm256_storeu_ps(c + r * ldc, epilogue(rows[r], bias0, activation)); \
    } while (0)

/// C[12 x 8] = A · B, then the epilogue with the 8 values at `bias`: pixel r's values at
/// `a + r * pixelStride`, B 8 columns of a panel `ldb` wide.
ECG_AVX2 static void direct12x8(int64_t taps, int64_t span, const float *a, int64_t rowStride, int64_t pixelStride,
                                const float *b, int64_t ldb, float *c, int64_t ldc, const float *bias,
                                int32_t activation, const float *next, int64_t nextLines) {
    ECG_DIRECT_DISPATCH(ECG_DIRECT8_AVX2, pixelStride)
}
#undef ECG_DIRECT8_AVX2

ECG_AVX2 void ecg_direct12x32_avx2(ECG_DIRECT_TILE_PARAMETERS) {
    const float *a6 = a + 6 * pixelStride;
    const float *bias16 = bias ? bias + 16 : NULL;
    direct6x16(taps, span, a, rowStride, pixelStride, b, 32, c, ldc, bias, activation, ECG_SHARE(4, 0));
    direct6x16(taps, span, a, rowStride, pixelStride, b + 16, 32, c + 16, ldc, bias16, activation, ECG_SHARE(4, 1));
    direct6x16(taps, span, a6, rowStride, pixelStride, b, 32, c + 6 * ldc, ldc, bias, activation, ECG_SHARE(4, 2));
    direct6x16(taps, span, a6, rowStride, pixelStride, b + 16, 32, c + 6 * ldc + 16, ldc, bias16, activation,
               ECG_SHARE(4, 3));
}

/// The first 24 columns of the direct 12 x 32 tile, the same floats, for a panel of 17-24 real
/// columns (MobileNetV2's 24-channel projections): its 6 x 16 tiles over columns 16 ..< 32 would
/// compute 8 zero columns and leave a scratch tile to copy.
ECG_AVX2 void ecg_direct12x24_avx2(ECG_DIRECT_TILE_PARAMETERS) {
    direct6x16(taps, span, a, rowStride, pixelStride, b, 32, c, ldc, bias, activation, ECG_SHARE(3, 0));
    direct6x16(taps, span, a + 6 * pixelStride, rowStride, pixelStride, b, 32, c + 6 * ldc, ldc, bias, activation,
               ECG_SHARE(3, 1));
    direct12x8(taps, span, a, rowStride, pixelStride, b + 16, 32, c + 16, ldc, bias ? bias + 16 : NULL, activation,
               ECG_SHARE(3, 2));
}

/// The first 6 rows of the direct 12 x 32 (12 x 16) tile: the upper half of its 6 x 16 tiles.
ECG_AVX2 void ecg_direct6x32_avx2(ECG_DIRECT_TILE_PARAMETERS) {
    direct6x16(taps, span, a, rowStride, pixelStride, b, 32, c, ldc, bias, activation, ECG_SHARE(2, 0));
    direct6x16(taps, span, a, rowStride, pixelStride, b + 16, 32, c + 16, ldc, bias ? bias + 16 : NULL, activation,
               ECG_SHARE(2, 1));
}

ECG_AVX2 void ecg_direct6x16_avx2(ECG_DIRECT_TILE_PARAMETERS) {
    direct6x16(taps, span, a, rowStride, pixelStride, b, 16, c, ldc, bias, activation, ECG_SHARE(1, 0));
}

ECG_AVX2 void ecg_direct12x16_avx2(ECG_DIRECT_TILE_PARAMETERS) {
    direct6x16(taps, span, a, rowStride, pixelStride, b, 16, c, ldc, bias, activation, ECG_SHARE(2, 0));
    direct6x16(taps, span, a + 6 * pixelStride, rowStride, pixelStride, b, 16, c + 6 * ldc, ldc, bias, activation,
               ECG_SHARE(2, 1));
}

/// The first 2 rows of the 12 x 32 (`VECTORS` 4) or 12 x 16 (2) tile, the same floats, in one
/// pass: 2 x 32 has 8 accumulators, each FMA's 5-cycle latency hidden behind the other seven,
/// where the 6-row tile it stands in for, for a panel's last 1-2 rows, computes 4-5 rows for
/// nothing (MobileNetV2's 7 x 7 layers at batch 1: 49 pixels, four 12-row panels and one pixel).
/// Depth runs over `taps` rows of `span` steps; `A(r)` is row r's value at step `q` of tap row `row`.
#define ECG_SHORT2(VECTORS, A)                                                                     \
    do {                                                                                           \
        __m256 r0[VECTORS], r1[VECTORS];                                                           \
        for (int v = 0; v < (VECTORS); v++) r0[v] = r1[v] = _mm256_setzero_ps();                   \
        ECG_PREFETCH_BEGIN(taps * span);                                                           \
        for (int64_t t = 0; t < taps; t++) {                                                       \
            const float *row = a + t * rowStride;                                                  \
            for (int64_t q = 0; q < span; q++) {                                                   \
                ECG_PREFETCH_STEP();                                                               \
                const __m256 s0 = _mm256_broadcast_ss(A(0)), s1 = _mm256_broadcast_ss(A(1));       \
                for (int v = 0; v < (VECTORS); v++) {                                              \
                    const __m256 bv = _mm256_loadu_ps(b + 8 * v);                                  \
                    r0[v] = _mm256_fmadd_ps(s0, bv, r0[v]);                                        \
                    r1[v] = _mm256_fmadd_ps(s1, bv, r1[v]);                                        \
                }                                                                                  \
                b += 8 * (VECTORS);                                                                \
            }                                                                                      \
        }                                                                                          \
        /* Each 16 columns stored as the 6 x 16 tile stores its rows (`ECG_STORE_ROW`). */         \
        float *const tile = c;                                                                     \
        for (int h = 0; h < (VECTORS) / 2; h++) {                                                  \
            float *const c = tile + 16 * h;                                                        \
            const float *const halfBias = bias ? bias + 16 * h : NULL;                             \
            const __m256 bias0 = loadBias(halfBias), bias1 = loadBias(halfBias ? halfBias + 8 : NULL); \
            ECG_STORE_ROW(0, r0[2 * h], r0[2 * h + 1]);                                            \
            ECG_STORE_ROW(1, r1[2 * h], r1[2 * h + 1]);                                            \
        }                                                                                          \
    } while (0)

/// A packed panel's row r at depth step q: `a[q · 12 + r]`.
#define ECG_PACKED_A(r) (row + q * 12 + (r))
ECG_AVX2 void ecg_tile2x32_avx2(ECG_PACKED_TILE_PARAMETERS) {
    const int64_t taps = 1, span = depth, rowStride = 0;
    ECG_SHORT2(4, ECG_PACKED_A);
}

ECG_AVX2 void ecg_tile2x16_avx2(ECG_PACKED_TILE_PARAMETERS) {
    const int64_t taps = 1, span = depth, rowStride = 0;
    ECG_SHORT2(2, ECG_PACKED_A);
}
#undef ECG_PACKED_A

/// A direct tile's pixel r at step q of tap row `row`: `row[r · pixelStride + q]`.
#define ECG_DIRECT_A(r) (row + (r) * pixelStride + q)
ECG_AVX2 void ecg_direct2x32_avx2(ECG_DIRECT_TILE_PARAMETERS) {
    const int32_t accumulate = 0;
    ECG_SHORT2(4, ECG_DIRECT_A);
}

ECG_AVX2 void ecg_direct2x16_avx2(ECG_DIRECT_TILE_PARAMETERS) {
    const int32_t accumulate = 0;
    ECG_SHORT2(2, ECG_DIRECT_A);
}
#undef ECG_DIRECT_A
#undef ECG_SHORT2
#undef ECG_SHARE
#undef ECG_STORE_TILE
#undef ECG_STORE_ROW
#endif  // x86-64; elsewhere tile_portable.c defines these names
