// The AVX-512 micro-kernel (see CKernels.h): the 12 x 32 tile in 24 zmm accumulators, two zmm
// for a row of B and a broadcast of A, 27 of the 32 zmm registers.
#include "CKernels.h"
#include "direct_dispatch.h"
#include "epilogue.h"
#include "prefetch.h"

#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>

#define ECG_AVX512 __attribute__((target("avx512f,avx512vl,avx512dq,avx512bw,avx2,fma")))

typedef int32_t ecg_i32x16 __attribute__((vector_size(64)));
ECG_DEFINE_EPILOGUE(epilogue, ECG_AVX512, __m512, ecg_i32x16)

/// The 16 bias values from `bias`, or the no-bias identity (epilogue.h) when it is NULL.
ECG_AVX512 static inline __m512 loadBias(const float *bias) {
    return bias ? _mm512_loadu_ps(bias) : _mm512_set1_ps(ECG_NO_BIAS);
}

/// C[rows x 16 · halves] (+)= A · B, then the epilogue: the first `rows` rows (12, or 4 or 8 for
/// the short tiles) of a 12-row A panel, against a B panel of one or two zmm per row. Each row sums
/// over the depth in the same order whatever `rows` is, so a short tile gives the floats of the
/// 12-row one; it computes a panel's last rows (49 pixels, 7 x 7 at batch 1, are four whole tiles
/// and one row). `rows` and `halves` are constants at every call, so the loops unroll into
/// registers: 24 zmm accumulators for 12 x 32.
ECG_AVX512 static inline __attribute__((always_inline)) void
tile(const int rows, const int halves, int64_t depth, const float *a, const float *b, float *c, int64_t ldc,
     int32_t accumulate, const float *bias, int32_t activation, const float *next, int64_t nextLines) {
    __m512 acc[12][2];
    ECG_PREFETCH_BEGIN(depth);
#pragma clang loop unroll(full)
    for (int r = 0; r < rows; r++) { acc[r][0] = _mm512_setzero_ps(); acc[r][1] = _mm512_setzero_ps(); }
    for (int64_t p = 0; p < depth; p++) {
        ECG_PREFETCH_STEP();
        const __m512 b0 = _mm512_loadu_ps(b), b1 = halves == 2 ? _mm512_loadu_ps(b + 16) : b0;
#pragma clang loop unroll(full)
        for (int r = 0; r < rows; r++) {
            const __m512 s = _mm512_set1_ps(a[r]);
            acc[r][0] = _mm512_fmadd_ps(s, b0, acc[r][0]);
            if (halves == 2) acc[r][1] = _mm512_fmadd_ps(s, b1, acc[r][1]);
        }
        a += 12;
        b += 16 * halves;
    }
    const __m512 bias0 = loadBias(bias), bias1 = loadBias(halves == 2 && bias ? bias + 16 : NULL);
#pragma clang loop unroll(full)
    for (int r = 0; r < rows; r++) {
        float *q = c + r * ldc;
        if (accumulate) acc[r][0] = _mm512_add_ps(_mm512_loadu_ps(q), acc[r][0]);
        _mm512_storeu_ps(q, epilogue(acc[r][0], bias0, activation));
        if (halves == 2) {
            if (accumulate) acc[r][1] = _mm512_add_ps(_mm512_loadu_ps(q + 16), acc[r][1]);
            _mm512_storeu_ps(q + 16, epilogue(acc[r][1], bias1, activation));
        }
    }
}

/// The packed tile `ecg_tile<ROWS>x<WIDTH>_avx512`.
#define ECG_TILE_ENTRY(ROWS, WIDTH, HALVES)                                                            \
    ECG_AVX512 void ecg_tile##ROWS##x##WIDTH##_avx512(ECG_PACKED_TILE_PARAMETERS) {                    \
        tile(ROWS, HALVES, depth, a, b, c, ldc, accumulate, bias, activation, next, nextLines);        \
    }

/// Every tile shape of this set, rows x width (and zmm per row), for `ENTRY` to define: the packed
/// tiles here, the direct ones below.
#define ECG_TILE_SHAPES(ENTRY) \
    ENTRY(12, 32, 2) ENTRY(12, 16, 1) ENTRY(8, 32, 2) ENTRY(8, 16, 1) ENTRY(4, 32, 2) ENTRY(4, 16, 1)

ECG_TILE_SHAPES(ECG_TILE_ENTRY)
#undef ECG_TILE_ENTRY

// Direct convolution tiles (see CKernels.h): A read straight from the NHWC input instead of a
// packed panel. `ps` (the pixel stride) is a compile-time constant in the common cases
// (`ECG_DIRECT_DISPATCH`), so the broadcasts are immediate offsets from one pointer. Like `tile`, the
// short ones (4 and 8 rows) compute the first rows of the 12-row tile, with the same floats: a
// padded band's row of 56 pixels is four 12-pixel tiles and an 8-pixel one.
ECG_AVX512 static inline __attribute__((always_inline)) void
direct(const int rows, const int halves, const int64_t ps, int64_t taps, int64_t span, const float *a, int64_t rowStride,
       const float *b, float *c, int64_t ldc, const float *bias, int32_t activation, const float *next, int64_t nextLines) {
    __m512 acc[12][2];
#pragma clang loop unroll(full)
    for (int r = 0; r < rows; r++) { acc[r][0] = _mm512_setzero_ps(); acc[r][1] = _mm512_setzero_ps(); }
    ECG_PREFETCH_BEGIN(taps * span);
    for (int64_t t = 0; t < taps; t++) {
        const float *row = a + t * rowStride;
        for (int64_t q = 0; q < span; q++) {
            ECG_PREFETCH_STEP();
            const __m512 b0 = _mm512_loadu_ps(b), b1 = halves == 2 ? _mm512_loadu_ps(b + 16) : b0;
#pragma clang loop unroll(full)
            for (int r = 0; r < rows; r++) {
                const __m512 s = _mm512_set1_ps(row[r * ps + q]);
                acc[r][0] = _mm512_fmadd_ps(s, b0, acc[r][0]);
                if (halves == 2) acc[r][1] = _mm512_fmadd_ps(s, b1, acc[r][1]);
            }
            b += 16 * halves;
        }
    }
    const __m512 bias0 = loadBias(bias), bias1 = loadBias(halves == 2 && bias ? bias + 16 : NULL);
#pragma clang loop unroll(full)
    for (int r = 0; r < rows; r++) {
        _mm512_storeu_ps(c + r * ldc, epilogue(acc[r][0], bias0, activation));
        if (halves == 2) _mm512_storeu_ps(c + r * ldc + 16, epilogue(acc[r][1], bias1, activation));
    }
}

/// One call of `direct` for pixel stride `PS`, with the entry point's `rows`, `halves` and arguments.
#define ECG_DIRECT_BODY(PS) direct(rows, halves, PS, taps, span, a, rowStride, b, c, ldc, bias, activation, next, nextLines)

/// The direct tile `ecg_direct<ROWS>x<16 · HALVES>_avx512`.
#define ECG_DIRECT_ENTRY(ROWS, WIDTH, HALVES)                                                          \
    ECG_AVX512 void ecg_direct##ROWS##x##WIDTH##_avx512(ECG_DIRECT_TILE_PARAMETERS) {                  \
        const int rows = ROWS, halves = HALVES;                                                        \
        ECG_DIRECT_DISPATCH(ECG_DIRECT_BODY, pixelStride)                                              \
    }

ECG_TILE_SHAPES(ECG_DIRECT_ENTRY)
#undef ECG_DIRECT_ENTRY
#undef ECG_TILE_SHAPES
#undef ECG_DIRECT_BODY

#endif  // x86-64; elsewhere tile_portable.c defines these names
